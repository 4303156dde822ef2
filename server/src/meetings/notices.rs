//! Who is told what about a meeting (issues 17 and 22): its participants and their substitutes,
//! but not whoever made the change, when it is sent to them (a session scheduled, a meeting
//! held in writing sent), when a scheduled one's time, place or deadline moves, and when it is
//! called off. A draft is never announced. Written in the transaction of the change
//! (`notifications::notify`); the caller pushes them once it committed.

use serde_json::{Value, json};

use super::{Meeting, MeetingRow, MeetingState, participants, written};
use crate::db::DbConnection;
use crate::error::ApiError;
use crate::notifications::{self, Created, Kind};

/// What every notification about a meeting carries.
pub fn params(meeting: &Meeting) -> Value {
    json!({
        "title": meeting.title,
        "meeting_kind": meeting.kind,
        "starts_at": meeting.starts_at,
        "location": meeting.location,
        "deadline": meeting.deadline,
    })
}

fn tell(
    conn: &mut DbConnection,
    meeting: &Meeting,
    kind: Kind,
    params: &Value,
    actor: &str,
) -> Result<Vec<Created>, ApiError> {
    let people: Vec<String> = participants::people(conn, &meeting.id)?
        .into_iter()
        .filter(|p| p != actor)
        .collect();
    notifications::notify(conn, &people, kind, Some(&meeting.id), params)
}

/// After the meeting moved `from → to`.
pub fn on_state(
    conn: &mut DbConnection,
    meeting: &Meeting,
    from: MeetingState,
    to: MeetingState,
    actor: &str,
) -> Result<Vec<Created>, ApiError> {
    let kind = match (from, to) {
        (MeetingState::Draft, MeetingState::Scheduled) => match meeting.kind {
            written::Kind::Written => Kind::WrittenSent,
            written::Kind::Session => Kind::MeetingScheduled,
        },
        (MeetingState::Scheduled, MeetingState::Cancelled) => Kind::MeetingCancelled,
        _ => return Ok(Vec::new()),
    };
    tell(conn, meeting, kind, &params(meeting), actor)
}

/// After a change of the meeting's fields (`before` as it was).
pub fn on_update(
    conn: &mut DbConnection,
    before: &MeetingRow,
    after: &Meeting,
    actor: &str,
) -> Result<Vec<Created>, ApiError> {
    if after.state != MeetingState::Scheduled {
        return Ok(Vec::new());
    }
    let previous_start = before.starts_at.and_utc();
    let previous_deadline = before.deadline.map(|d| d.and_utc());
    let moved = previous_start != after.starts_at
        || before.location != after.location
        || previous_deadline != after.deadline;
    if !moved {
        return Ok(Vec::new());
    }
    let mut params = params(after);
    params["previous_starts_at"] = json!(previous_start);
    params["previous_location"] = json!(before.location);
    params["previous_deadline"] = json!(previous_deadline);
    tell(conn, after, Kind::MeetingMoved, &params, actor)
}

/// Mails `created` when the server mails notifications (`Some`: the organisation's names as
/// configured, for its time zone).
pub fn mail(
    conn: &mut DbConnection,
    created: &[Created],
    mailing: Option<&crate::config::OrganizationSettings>,
) -> Result<(), ApiError> {
    if let Some(organization) = mailing {
        let offset = crate::organization::names(conn, organization)?.utc_offset_minutes;
        notifications::mail::enqueue(conn, created, offset)?;
    }
    Ok(())
}
