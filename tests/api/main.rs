//! End-to-end tests of the HTTP API: each test starts a real server on its own database and
//! runs once against SQLite and once against PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod demo;
mod general;
mod live;
mod users;
