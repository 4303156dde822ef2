//! The speaker queue (đăng ký phát biểu): requests to speak, their order, who speaks now and
//! for how long, with a deadline from the meeting's speaking time limit.

pub mod handlers;

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{speakers as s, users};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::events::{self, Event};
use crate::meetings::access::Access;
use crate::meetings::{MeetingRole, MeetingState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SpeakerState {
    Waiting,
    Speaking,
    Done,
    Withdrawn,
}

impl SpeakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Speaking => "speaking",
            Self::Done => "done",
            Self::Withdrawn => "withdrawn",
        }
    }
    fn parse(s: &str) -> Result<Self, ApiError> {
        match s {
            "waiting" => Ok(Self::Waiting),
            "speaking" => Ok(Self::Speaking),
            "done" => Ok(Self::Done),
            "withdrawn" => Ok(Self::Withdrawn),
            other => Err(ApiError::internal(anyhow::anyhow!(
                "unknown speaker state {other}"
            ))),
        }
    }
}

/// Whether a request may move `from → to`; pure.
pub fn transition(from: SpeakerState, to: SpeakerState) -> Result<(), ApiError> {
    use SpeakerState::*;
    match (from, to) {
        (Waiting, Speaking) | (Speaking, Done) | (Waiting, Withdrawn) => Ok(()),
        _ => Err(ApiError::conflict(
            "invalid_transition",
            format!(
                "a request to speak cannot go from {} to {}",
                from.as_str(),
                to.as_str()
            ),
        )),
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = s)]
pub struct SpeakerRow {
    pub id: String,
    pub meeting_id: String,
    pub user_id: String,
    pub agenda_item_id: Option<String>,
    pub state: String,
    pub position: i32,
    pub requested_at: NaiveDateTime,
    pub started_at: Option<NaiveDateTime>,
    pub ended_at: Option<NaiveDateTime>,
    pub limit_secs: Option<i32>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Speaker {
    pub id: String,
    pub user_id: String,
    pub display_name: String,
    pub agenda_item_id: Option<String>,
    pub state: SpeakerState,
    pub position: i32,
    pub requested_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Seconds spoken, once done.
    pub spoken_secs: Option<i64>,
    pub limit_secs: Option<i32>,
    /// When the speaking time runs out, while speaking.
    pub deadline: Option<DateTime<Utc>>,
}

fn to_api(row: SpeakerRow, display_name: String) -> Result<Speaker, ApiError> {
    let state = SpeakerState::parse(&row.state)?;
    let started = row.started_at.map(|t| t.and_utc());
    let ended = row.ended_at.map(|t| t.and_utc());
    Ok(Speaker {
        spoken_secs: started.zip(ended).map(|(a, b)| (b - a).num_seconds()),
        deadline: match (state, started, row.limit_secs) {
            (SpeakerState::Speaking, Some(t), Some(l)) => {
                Some(t + chrono::Duration::seconds(l.into()))
            }
            _ => None,
        },
        id: row.id,
        user_id: row.user_id,
        display_name,
        agenda_item_id: row.agenda_item_id,
        state,
        position: row.position,
        requested_at: row.requested_at.and_utc(),
        started_at: started,
        ended_at: ended,
        limit_secs: row.limit_secs,
    })
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    pub agenda_item_id: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateChange {
    pub state: SpeakerState,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Order {
    pub speaker_ids: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Queue {
    pub speakers: Vec<Speaker>,
}

fn rank(state: &str) -> u8 {
    match state {
        "speaking" => 0,
        "waiting" => 1,
        _ => 2,
    }
}

/// The meeting's requests: speaking, then waiting in order, then finished ones.
pub fn list(conn: &mut DbConnection, meeting_id: &str) -> Result<Vec<Speaker>, ApiError> {
    let mut rows: Vec<(SpeakerRow, String)> = s::table
        .inner_join(users::table.on(users::id.eq(s::user_id)))
        .filter(s::meeting_id.eq(meeting_id))
        .select((SpeakerRow::as_select(), users::display_name))
        .load(conn)?;
    rows.sort_by(|(a, _), (b, _)| {
        (rank(&a.state), a.position, a.requested_at).cmp(&(
            rank(&b.state),
            b.position,
            b.requested_at,
        ))
    });
    rows.into_iter().map(|(r, n)| to_api(r, n)).collect()
}

/// The open part of the queue (speaking and waiting).
pub fn open_queue(conn: &mut DbConnection, meeting_id: &str) -> Result<Vec<Speaker>, ApiError> {
    Ok(list(conn, meeting_id)?
        .into_iter()
        .filter(|s| matches!(s.state, SpeakerState::Waiting | SpeakerState::Speaking))
        .collect())
}

fn one(conn: &mut DbConnection, meeting_id: &str, id: &str) -> Result<Speaker, ApiError> {
    list(conn, meeting_id)?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(ApiError::NotFound { what: "speaker" })
}

fn changed(
    conn: &mut DbConnection,
    meeting_id: &str,
    id: &str,
) -> Result<(Speaker, Event), ApiError> {
    let speaker = one(conn, meeting_id, id)?;
    let queue = open_queue(conn, meeting_id)?;
    let event = events::append(
        conn,
        meeting_id,
        "speaker.changed",
        &serde_json::json!({"speaker": speaker, "queue": queue}),
    )?;
    Ok((speaker, event))
}

pub fn meeting_of(conn: &mut DbConnection, speaker_id: &str) -> Result<String, ApiError> {
    s::table
        .find(speaker_id)
        .select(s::meeting_id)
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound { what: "speaker" })
}

/// The caller asks to speak.
pub fn request(
    conn: &mut DbConnection,
    access: &Access,
    new: NewRequest,
) -> Result<(Speaker, Vec<Event>), ApiError> {
    access.require_open()?;
    if !matches!(access.state, MeetingState::Scheduled | MeetingState::Live) {
        return Err(ApiError::conflict(
            "meeting_not_open",
            "requests to speak open once the meeting is scheduled",
        ));
    }
    match access.acting_role() {
        Some(MeetingRole::Observer) => {
            return Err(ApiError::forbidden(
                "forbidden",
                "observers do not take the floor",
            ));
        }
        None => {
            return Err(ApiError::forbidden(
                "forbidden",
                "only participants ask to speak",
            ));
        }
        Some(_) => {}
    }
    if let Some(item) = &new.agenda_item_id {
        crate::agenda::get_in_meeting(conn, access.meeting_id(), item).map_err(|_| {
            ApiError::invalid("invalid_agenda_item", "no such agenda item in this meeting")
        })?;
    }
    let open: i64 = s::table
        .filter(s::meeting_id.eq(access.meeting_id()))
        .filter(s::user_id.eq(&access.user_id))
        .filter(s::state.eq_any(["waiting", "speaking"]))
        .count()
        .get_result(conn)?;
    if open > 0 {
        return Err(ApiError::conflict(
            "already_requested",
            "you already have an open request to speak",
        ));
    }
    let position: i32 = s::table
        .filter(s::meeting_id.eq(access.meeting_id()))
        .select(diesel::dsl::max(s::position))
        .first::<Option<i32>>(conn)?
        .map_or(0, |m| m + 1);
    let id = db::new_id();
    diesel::insert_into(s::table)
        .values((
            s::id.eq(&id),
            s::meeting_id.eq(access.meeting_id()),
            s::user_id.eq(&access.user_id),
            s::agenda_item_id.eq(&new.agenda_item_id),
            s::state.eq("waiting"),
            s::position.eq(position),
            s::requested_at.eq(db::now()),
        ))
        .execute(conn)?;
    let (speaker, event) = changed(conn, access.meeting_id(), &id)?;
    Ok((speaker, vec![event]))
}

/// Moves a request; presiders move any, the requester may withdraw their own.
pub fn set_state(
    conn: &mut DbConnection,
    access: &Access,
    speaker_id: &str,
    to: SpeakerState,
    default_limit_secs: i32,
) -> Result<(Speaker, Vec<Event>), ApiError> {
    access.require_open()?;
    let row: SpeakerRow = s::table
        .find(speaker_id)
        .filter(s::meeting_id.eq(access.meeting_id()))
        .select(SpeakerRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound { what: "speaker" })?;
    let own_withdrawal = row.user_id == access.user_id && to == SpeakerState::Withdrawn;
    if !access.is_presider() && !own_withdrawal {
        return Err(ApiError::forbidden(
            "forbidden",
            "only the chair moves the speaker queue",
        ));
    }
    transition(SpeakerState::parse(&row.state)?, to)?;
    let now = db::now();
    match to {
        SpeakerState::Speaking => {
            if access.state != MeetingState::Live {
                return Err(ApiError::conflict(
                    "meeting_not_live",
                    "speeches start once the meeting is live",
                ));
            }
            let speaking: i64 = s::table
                .filter(s::meeting_id.eq(access.meeting_id()))
                .filter(s::state.eq("speaking"))
                .count()
                .get_result(conn)?;
            if speaking > 0 {
                return Err(ApiError::conflict(
                    "speaker_active",
                    "someone is speaking; end that speech first",
                ));
            }
            let limit = access
                .meeting
                .speech_limit_secs
                .unwrap_or(default_limit_secs);
            diesel::update(s::table.find(speaker_id))
                .set((
                    s::state.eq("speaking"),
                    s::started_at.eq(now),
                    s::limit_secs.eq(limit),
                ))
                .execute(conn)?;
        }
        SpeakerState::Done | SpeakerState::Withdrawn => {
            diesel::update(s::table.find(speaker_id))
                .set((s::state.eq(to.as_str()), s::ended_at.eq(now)))
                .execute(conn)?;
        }
        SpeakerState::Waiting => {}
    }
    let (speaker, event) = changed(conn, access.meeting_id(), speaker_id)?;
    Ok((speaker, vec![event]))
}

/// Orders the waiting requests; `ids` must be exactly those.
pub fn reorder(
    conn: &mut DbConnection,
    access: &Access,
    order: Order,
) -> Result<(Vec<Speaker>, Vec<Event>), ApiError> {
    access.require_open()?;
    let waiting: HashSet<String> = s::table
        .filter(s::meeting_id.eq(access.meeting_id()))
        .filter(s::state.eq("waiting"))
        .select(s::id)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let listed: HashSet<String> = order.speaker_ids.iter().cloned().collect();
    if listed.len() != order.speaker_ids.len() || listed != waiting {
        return Err(ApiError::invalid(
            "invalid_order",
            "the order must list exactly the waiting requests, once each",
        ));
    }
    for (position, id) in order.speaker_ids.iter().enumerate() {
        let position = i32::try_from(position).map_err(ApiError::internal)?;
        diesel::update(s::table.find(id))
            .set(s::position.eq(position))
            .execute(conn)?;
    }
    let queue = open_queue(conn, access.meeting_id())?;
    let event = events::append(
        conn,
        access.meeting_id(),
        "speaker.changed",
        &serde_json::json!({"speaker": null, "queue": queue}),
    )?;
    Ok((list(conn, access.meeting_id())?, vec![event]))
}

#[cfg(test)]
mod tests {
    use super::SpeakerState::*;
    use super::*;

    #[test]
    fn speaker_transitions() {
        for (from, to, ok) in [
            (Waiting, Speaking, true),
            (Speaking, Done, true),
            (Waiting, Withdrawn, true),
            (Speaking, Withdrawn, false),
            (Done, Speaking, false),
            (Withdrawn, Waiting, false),
            (Waiting, Done, false),
        ] {
            assert_eq!(transition(from, to).is_ok(), ok, "{from:?} -> {to:?}");
        }
    }
}
