//! End-to-end tests of the HTTP API: each test starts a real server on its own database and
//! runs once against SQLite and once against PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agenda;
mod annotations;
mod attendance;
mod audit;
mod auth;
mod backup;
mod blobs;
mod demo;
mod devices;
mod documents;
mod events;
mod faults;
mod general;
mod live;
mod live_fuzz;
mod meetings;
mod mfa;
mod minutes;
mod notifications;
mod openapi;
mod polls;
mod room;
mod secured;
mod signals;
mod signatures;
mod signing;
mod speakers;
mod support;
mod tls;
mod tokens;
mod users;
mod voting_rules;
mod written;
mod written_record;
