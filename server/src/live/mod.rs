//! The live channel: websocket sessions of tablets, one room per meeting, and the fan-out of
//! durable events (from the event log) and ephemeral ones (presence, presenter's page, ink in
//! progress) to every session of a room.
//!
//! Owns: the hub and its rooms, the per-session task, the wire protocol of contract.md ("Live
//! channel"), and, with PostgreSQL, the LISTEN/NOTIFY bridge between instances.
//! Must never: let one slow tablet delay the room (each session has its own bounded queue and
//! is cut off when it overflows), deliver an event twice or skip one to a session (each
//! session tracks the last seq it sent and fills gaps from the database), or send anything of
//! a meeting to someone who may no longer see it.

pub mod handlers;
pub mod hub;
pub mod notify;
pub mod outbox;
pub mod pg;
pub mod protocol;
pub mod recent;
pub mod session;

pub use hub::Hub;

/// Close codes of the live channel (documented in docs/live.md).
pub mod close {
    /// Missing or bad hello, invalid or expired token.
    pub const UNAUTHENTICATED: u16 = 4401;
    /// No access to the meeting, or access lost (removed from it).
    pub const FORBIDDEN: u16 = 4403;
    /// The client did not keep up: reconnect with your `last_seq`.
    pub const TOO_SLOW: u16 = 4408;
    /// Too many messages, or too many sessions for this user.
    pub const RATE_LIMITED: u16 = 4429;
    /// The server is restarting: reconnect with your `last_seq`.
    pub const RESTARTING: u16 = 1012;
}
