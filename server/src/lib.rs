//! ecabinet: a paperless meeting server. Secretaries prepare agendas and documents, members
//! read, annotate and vote on tablets, and every change reaches the room live.
//!
//! The crate is laid out by domain concept; `startup` assembles them and `routes` is the one
//! table of HTTP paths. `docs/architecture.md` describes the whole.

pub mod agenda;
pub mod annotations;
pub mod attendance;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod cli;
pub mod client;
pub mod conditional;
pub mod config;
pub mod db;
pub mod demo;
pub mod doctor;
pub mod documents;
pub mod error;
pub mod events;
pub mod headers;
pub mod health;
pub mod live;
pub mod meetings;
pub mod metrics;
pub mod minutes;
pub mod notifications;
pub mod openapi;
pub mod organization;
pub mod patch;
pub mod polls;
pub mod routes;
pub mod signatures;
pub mod signer;
pub mod speakers;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tls;
pub mod typeset;
pub mod users;
pub mod workdays;
