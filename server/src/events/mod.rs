//! The per-meeting event log, the spine of the live system: every change a participant must
//! see is appended here in the same transaction as the change itself, with a `seq` that is
//! per meeting, gapless and strictly increasing. After commit the events go to the in-process
//! bus, from which the live channel fans them out.
//!
//! Must never: write an event outside the transaction of its change, or publish one before
//! that transaction committed.

pub mod handlers;

use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::value::RawValue;
use tokio::sync::broadcast;

use crate::db::schema::{events, meetings};
use crate::db::{self, DbConnection};
use crate::error::ApiError;

/// A durable event as clients receive it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Event {
    #[serde(skip)]
    pub meeting_id: String,
    pub seq: i64,
    #[serde(rename = "type")]
    pub event_type: String,
    pub at: DateTime<Utc>,
    /// The JSON text as stored, passed through unparsed: a log holds whatever nesting its
    /// writers once produced (agendas were not always bounded), and parsing would hit
    /// serde_json's recursion limit and make such a log unreadable for good.
    #[schema(value_type = Object)]
    pub data: Box<RawValue>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = events)]
struct EventRow {
    meeting_id: String,
    seq: i64,
    event_type: String,
    data: String,
    at: NaiveDateTime,
}

impl TryFrom<EventRow> for Event {
    type Error = ApiError;
    fn try_from(row: EventRow) -> Result<Self, ApiError> {
        Ok(Event {
            data: RawValue::from_string(row.data).map_err(ApiError::internal)?,
            meeting_id: row.meeting_id,
            seq: row.seq,
            event_type: row.event_type,
            at: row.at.and_utc(),
        })
    }
}

/// Takes the meeting's row lock for the rest of the transaction (PostgreSQL; SQLite's
/// `BEGIN IMMEDIATE` already serializes writers), so that the reads a change is checked
/// against cannot be changed under it. Errors with 404 when there is no such meeting.
pub fn lock_meeting(conn: &mut DbConnection, meeting_id: &str) -> Result<(), ApiError> {
    let n = diesel::update(meetings::table.find(meeting_id))
        .set(meetings::last_seq.eq(meetings::last_seq))
        .execute(conn)?;
    if n == 1 {
        Ok(())
    } else {
        Err(ApiError::NotFound { what: "meeting" })
    }
}

/// Appends an event to the meeting's log; call inside the change's write transaction.
pub fn append(
    conn: &mut DbConnection,
    meeting_id: &str,
    event_type: &'static str,
    data: &impl Serialize,
) -> Result<Event, ApiError> {
    diesel::update(meetings::table.find(meeting_id))
        .set(meetings::last_seq.eq(meetings::last_seq + 1))
        .execute(conn)?;
    let seq: i64 = meetings::table
        .find(meeting_id)
        .select(meetings::last_seq)
        .first(conn)?;
    let data = serde_json::value::to_raw_value(data).map_err(ApiError::internal)?;
    let at = db::now();
    diesel::insert_into(events::table)
        .values((
            events::meeting_id.eq(meeting_id),
            events::seq.eq(seq),
            events::event_type.eq(event_type),
            events::data.eq(data.get()),
            events::at.eq(at),
        ))
        .execute(conn)?;
    Ok(Event {
        meeting_id: meeting_id.to_owned(),
        seq,
        event_type: event_type.to_owned(),
        at: at.and_utc(),
        data,
    })
}

/// The meeting's events after `after`, in order, at most `limit`.
pub fn after(
    conn: &mut DbConnection,
    meeting_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<Event>, ApiError> {
    events::table
        .filter(events::meeting_id.eq(meeting_id))
        .filter(events::seq.gt(after))
        .order(events::seq.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(Event::try_from)
        .collect()
}

/// The latest seq of each of `meeting_ids` that exists, in one query (the live channel's
/// periodic catch-up over every open room).
pub fn last_seqs(
    conn: &mut DbConnection,
    meeting_ids: &[String],
) -> Result<Vec<(String, i64)>, ApiError> {
    Ok(meetings::table
        .filter(meetings::id.eq_any(meeting_ids))
        .select((meetings::id, meetings::last_seq))
        .load(conn)?)
}

/// The meeting's latest seq.
pub fn last_seq(conn: &mut DbConnection, meeting_id: &str) -> Result<i64, ApiError> {
    Ok(meetings::table
        .find(meeting_id)
        .select(meetings::last_seq)
        .first(conn)?)
}

/// In-process fan-out of committed events to whoever listens (the live channel).
#[derive(Debug, Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<Event>>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(4096).0,
        }
    }
}

impl EventBus {
    /// Hands committed events to subscribers; having none is fine.
    pub fn publish(&self, events: Vec<Event>) {
        for event in events {
            let _ = self.sender.send(Arc::new(event));
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }
}
