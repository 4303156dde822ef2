//! Meetings: their life cycle (`draft → scheduled → live → closed`, and `scheduled →
//! cancelled` for one called off before it is held), settings, participants with meeting roles
//! and substitutes, and who may see and change what (`access`).
//!
//! Must never: reveal that a meeting exists to someone who may not see it (404, not 403), or
//! let anything change a closed or cancelled meeting.

pub mod access;
pub mod calendar;
pub mod handlers;
pub mod notices;
pub mod participants;
pub mod reminders;
pub mod written;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::meetings;
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::events::{self, Event};
use crate::patch;

/// Where a meeting is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MeetingState {
    Draft,
    Scheduled,
    Live,
    Closed,
    /// Called off before it went live (issue 22); final, like `closed`.
    Cancelled,
}

impl MeetingState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Scheduled => "scheduled",
            Self::Live => "live",
            Self::Closed => "closed",
            Self::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for MeetingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MeetingState {
    type Err = ApiError;
    fn from_str(s: &str) -> Result<Self, ApiError> {
        match s {
            "draft" => Ok(Self::Draft),
            "scheduled" => Ok(Self::Scheduled),
            "live" => Ok(Self::Live),
            "closed" => Ok(Self::Closed),
            "cancelled" => Ok(Self::Cancelled),
            other => Err(ApiError::internal(anyhow::anyhow!(
                "unknown meeting state {other}"
            ))),
        }
    }
}

/// Who may make a move: the meeting's managers, or also its chair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mover {
    Managers,
    Presiders,
}

/// The meeting state machine: whether `from → to` is a move at all for a meeting of this
/// kind, and who may make it. A meeting held in writing is never live: its chair (or its
/// deadline) closes it from `scheduled`.
pub fn transition(
    kind: written::Kind,
    from: MeetingState,
    to: MeetingState,
) -> Result<Mover, ApiError> {
    use MeetingState::*;
    if kind == written::Kind::Written {
        match (from, to) {
            (Scheduled, Live) => {
                return Err(ApiError::conflict(
                    "invalid_transition",
                    "a meeting held in writing is never live; it closes at its deadline",
                ));
            }
            (Scheduled, Closed) => return Ok(Mover::Presiders),
            _ => {}
        }
    }
    match (from, to) {
        (Draft, Scheduled) | (Scheduled, Draft) => Ok(Mover::Managers),
        (Scheduled, Live) | (Live, Closed) => Ok(Mover::Presiders),
        // Calling a meeting off is for those who announced it, and only before it is held: a
        // live meeting closes instead; a draft, never announced, is deleted.
        (Scheduled, Cancelled) => Ok(Mover::Managers),
        (Live, Cancelled) => Err(ApiError::conflict(
            "invalid_transition",
            "a live meeting cannot be cancelled; close it instead",
        )),
        (Draft, Cancelled) => Err(ApiError::conflict(
            "invalid_transition",
            "a draft was never announced: delete it instead of cancelling it",
        )),
        _ => Err(ApiError::conflict(
            "invalid_transition",
            format!("a meeting cannot go from {from} to {to}"),
        )),
    }
}

/// A participant's role in one meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MeetingRole {
    Chair,
    Secretary,
    Member,
    Observer,
}

impl MeetingRole {
    /// Whether this role votes: members always, the chair when the meeting lets the chair
    /// vote (`chair_votes`, the default; contract v2, "Voting rules").
    pub fn votes(self, chair_votes: bool) -> bool {
        match self {
            Self::Member => true,
            Self::Chair => chair_votes,
            Self::Secretary | Self::Observer => false,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chair => "chair",
            Self::Secretary => "secretary",
            Self::Member => "member",
            Self::Observer => "observer",
        }
    }
}

impl FromStr for MeetingRole {
    type Err = ApiError;
    fn from_str(s: &str) -> Result<Self, ApiError> {
        match s {
            "chair" => Ok(Self::Chair),
            "secretary" => Ok(Self::Secretary),
            "member" => Ok(Self::Member),
            "observer" => Ok(Self::Observer),
            other => Err(ApiError::internal(anyhow::anyhow!(
                "unknown meeting role {other}"
            ))),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = meetings)]
pub struct MeetingRow {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub starts_at: NaiveDateTime,
    pub state: String,
    pub watermark: Option<String>,
    pub speech_limit_secs: Option<i32>,
    pub current_item_id: Option<String>,
    pub last_seq: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub chair_votes: bool,
    pub started_at: Option<NaiveDateTime>,
    pub ended_at: Option<NaiveDateTime>,
    pub kind: String,
    pub deadline: Option<NaiveDateTime>,
    pub silence: Option<String>,
}

impl MeetingRow {
    pub fn kind(&self) -> written::Kind {
        written::Kind::parse(&self.kind)
    }

    pub fn state(&self) -> Result<MeetingState, ApiError> {
        self.state.parse()
    }
}

/// A meeting as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Meeting {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub state: MeetingState,
    /// Recipient watermark template, e.g. `{display_name} · {date} · MẬT`; null for none.
    pub watermark: Option<String>,
    /// Speaking time per speech; null uses the server default.
    pub speech_limit_secs: Option<i32>,
    pub current_item_id: Option<String>,
    pub last_seq: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Whether the chair votes and counts among the voting participants (default true).
    pub chair_votes: bool,
    /// When the meeting went live (first time); null before.
    pub started_at: Option<DateTime<Utc>>,
    /// When it closed; null before.
    pub ended_at: Option<DateTime<Utc>>,
    /// `session` (held in a room, live) or `written` (members answer in writing by `deadline`).
    pub kind: written::Kind,
    /// A written meeting's deadline; null for a session.
    pub deadline: Option<DateTime<Utc>>,
    /// What a written meeting counts a member's silence as; null for a session.
    pub silence: Option<written::Silence>,
}

impl TryFrom<MeetingRow> for Meeting {
    type Error = ApiError;
    fn try_from(r: MeetingRow) -> Result<Self, ApiError> {
        Ok(Meeting {
            state: r.state()?,
            id: r.id,
            title: r.title,
            description: r.description,
            location: r.location,
            starts_at: r.starts_at.and_utc(),
            watermark: r.watermark,
            speech_limit_secs: r.speech_limit_secs,
            current_item_id: r.current_item_id,
            last_seq: r.last_seq,
            created_by: r.created_by,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
            chair_votes: r.chair_votes,
            started_at: r.started_at.map(|t| t.and_utc()),
            ended_at: r.ended_at.map(|t| t.and_utc()),
            kind: written::Kind::parse(&r.kind),
            deadline: r.deadline.map(|t| t.and_utc()),
            silence: r.silence.as_deref().and_then(written::Silence::parse),
        })
    }
}

pub const TITLE_MAX: usize = 300;
const LOCATION_MAX: usize = 300;
const DESCRIPTION_MAX: usize = 10_000;
const WATERMARK_MAX: usize = 200;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMeeting {
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub location: Option<String>,
    pub description: Option<String>,
    /// `session` (default) or `written`.
    #[serde(default)]
    pub kind: written::Kind,
    /// Required for a written meeting (or `deadline_working_days`): when members must have
    /// answered (after `starts_at`).
    pub deadline: Option<DateTime<Utc>>,
    /// Instead of `deadline`: the end of the Nth working day (1–60) after the start's date
    /// (`meetings.working_day_end` in the organisation's time zone; docs/polls.md).
    pub deadline_working_days: Option<u32>,
    /// A written meeting's rule for silence (default `none`).
    pub silence: Option<written::Silence>,
    /// A written meeting prepared from an agenda item of a session the caller may read: the
    /// item's documents are copied to it and a question titled as the item is added (422
    /// `invalid_agenda_item` for a session, or an item that is not there).
    pub from_agenda_item: Option<String>,
}

/// A partial update; absent fields are left, `null` clears the nullable ones.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingPatch {
    /// Cannot be cleared: `null` is refused.
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    /// Cannot be cleared: `null` is refused.
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub starts_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub location: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub watermark: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<i32>)]
    pub speech_limit_secs: Option<Option<i32>>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub current_item_id: Option<Option<String>>,
    /// Whether the chair votes; applies to polls opened from then on.
    pub chair_votes: Option<bool>,
    /// A written meeting's deadline, moved (not past, after the start) until it closes.
    pub deadline: Option<DateTime<Utc>>,
    /// A written meeting's silence rule, while it is a draft (409 `meeting_sent` after).
    pub silence: Option<written::Silence>,
    /// Instead of `deadline`, while a draft: the end of the Nth working day after the start.
    pub deadline_working_days: Option<u32>,
}

impl MeetingPatch {
    /// True when only fields a presider (not only a manager) may set are present.
    pub fn presider_only(&self) -> bool {
        self.title.is_none()
            && self.starts_at.is_none()
            && self.location.is_none()
            && self.description.is_none()
            && self.watermark.is_none()
            && self.speech_limit_secs.is_none()
            && self.chair_votes.is_none()
            && self.deadline.is_none()
            && self.silence.is_none()
            && self.deadline_working_days.is_none()
    }
}

pub fn get(conn: &mut DbConnection, id: &str) -> Result<MeetingRow, ApiError> {
    meetings::table
        .find(id)
        .select(MeetingRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound { what: "meeting" })
}

/// Creates a draft meeting; its first event is `meeting.created`.
pub fn create(
    conn: &mut DbConnection,
    created_by: &str,
    new: NewMeeting,
) -> Result<(Meeting, Vec<Event>), ApiError> {
    let title = patch::line(&new.title, TITLE_MAX, "invalid_title", "a title")?;
    let location = patch::optional_text(
        new.location.as_deref(),
        LOCATION_MAX,
        "invalid_location",
        "a location",
    )?;
    let description = patch::optional_text(
        new.description.as_deref(),
        DESCRIPTION_MAX,
        "invalid_description",
        "a description",
    )?;
    let (deadline, silence) = match new.kind {
        written::Kind::Session => {
            written::refuse_for_session(new.deadline.is_some(), new.silence.is_some())?;
            (None, None)
        }
        written::Kind::Written => (
            Some(written::check_deadline(new.deadline, new.starts_at)?),
            Some(new.silence.unwrap_or(written::Silence::None).as_str()),
        ),
    };
    let id = db::new_id();
    let now = db::now();
    diesel::insert_into(meetings::table)
        .values((
            meetings::id.eq(&id),
            meetings::title.eq(&title),
            meetings::description.eq(&description),
            meetings::location.eq(&location),
            meetings::starts_at.eq(new.starts_at.naive_utc()),
            meetings::state.eq(MeetingState::Draft.as_str()),
            meetings::last_seq.eq(0_i64),
            meetings::created_by.eq(created_by),
            meetings::created_at.eq(now),
            meetings::updated_at.eq(now),
            meetings::kind.eq(new.kind.as_str()),
            meetings::deadline.eq(deadline),
            meetings::silence.eq(silence),
        ))
        .execute(conn)?;
    let meeting = Meeting::try_from(get(conn, &id)?)?;
    let event = events::append(conn, &id, "meeting.created", &meeting)?;
    Ok((
        Meeting {
            last_seq: event.seq,
            ..meeting
        },
        vec![event],
    ))
}

/// Applies a patch (the caller has checked who may), emitting `meeting.updated`.
pub fn update(
    conn: &mut DbConnection,
    id: &str,
    patch: MeetingPatch,
) -> Result<(Meeting, Vec<Event>), ApiError> {
    if patch.deadline.is_some() || patch.silence.is_some() {
        let row = get(conn, id)?;
        if row.kind() == written::Kind::Session {
            written::refuse_for_session(patch.deadline.is_some(), patch.silence.is_some())?;
        }
        if let Some(silence) = patch.silence {
            if row.state()? != MeetingState::Draft {
                return Err(ApiError::conflict(
                    "meeting_sent",
                    "the silence rule cannot change once the meeting was sent to its members",
                ));
            }
            diesel::update(meetings::table.find(id))
                .set(meetings::silence.eq(silence.as_str()))
                .execute(conn)?;
        }
        if let Some(deadline) = patch.deadline {
            let starts_at = patch
                .starts_at
                .flatten()
                .unwrap_or_else(|| row.starts_at.and_utc());
            let deadline = written::check_deadline(Some(deadline), starts_at)?;
            diesel::update(meetings::table.find(id))
                .set(meetings::deadline.eq(deadline))
                .execute(conn)?;
        }
    }
    if let Some(title) = &patch.title {
        let title = title
            .as_deref()
            .ok_or_else(|| ApiError::invalid("invalid_title", "a meeting keeps a title"))?;
        let title = patch::line(title, TITLE_MAX, "invalid_title", "a title")?;
        diesel::update(meetings::table.find(id))
            .set(meetings::title.eq(title))
            .execute(conn)?;
    }
    if let Some(chair_votes) = patch.chair_votes {
        diesel::update(meetings::table.find(id))
            .set(meetings::chair_votes.eq(chair_votes))
            .execute(conn)?;
    }
    if let Some(starts_at) = patch.starts_at {
        let starts_at = starts_at.ok_or_else(|| {
            ApiError::invalid("invalid_starts_at", "a meeting keeps a start time")
        })?;
        diesel::update(meetings::table.find(id))
            .set(meetings::starts_at.eq(starts_at.naive_utc()))
            .execute(conn)?;
    }
    if let Some(location) = &patch.location {
        let v = patch::optional_text(
            location.as_deref(),
            LOCATION_MAX,
            "invalid_location",
            "a location",
        )?;
        diesel::update(meetings::table.find(id))
            .set(meetings::location.eq(v))
            .execute(conn)?;
    }
    if let Some(description) = &patch.description {
        let v = patch::optional_text(
            description.as_deref(),
            DESCRIPTION_MAX,
            "invalid_description",
            "a description",
        )?;
        diesel::update(meetings::table.find(id))
            .set(meetings::description.eq(v))
            .execute(conn)?;
    }
    if let Some(watermark) = &patch.watermark {
        let v = patch::optional_text(
            watermark.as_deref(),
            WATERMARK_MAX,
            "invalid_watermark",
            "a watermark",
        )?;
        diesel::update(meetings::table.find(id))
            .set(meetings::watermark.eq(v))
            .execute(conn)?;
    }
    if let Some(limit) = patch.speech_limit_secs {
        if limit.is_some_and(|l| !(10..=3600).contains(&l)) {
            return Err(ApiError::invalid(
                "invalid_speech_limit",
                "the speaking time limit is 10 to 3600 seconds",
            ));
        }
        diesel::update(meetings::table.find(id))
            .set(meetings::speech_limit_secs.eq(limit))
            .execute(conn)?;
    }
    if let Some(item) = &patch.current_item_id {
        if let Some(item_id) = item {
            crate::agenda::get_in_meeting(conn, id, item_id).map_err(|_| {
                ApiError::invalid("invalid_agenda_item", "no such agenda item in this meeting")
            })?;
        }
        diesel::update(meetings::table.find(id))
            .set(meetings::current_item_id.eq(item.clone()))
            .execute(conn)?;
    }
    diesel::update(meetings::table.find(id))
        .set(meetings::updated_at.eq(db::now()))
        .execute(conn)?;
    let meeting = Meeting::try_from(get(conn, id)?)?;
    let event = events::append(conn, id, "meeting.updated", &meeting)?;
    Ok((
        Meeting {
            last_seq: event.seq,
            ..meeting
        },
        vec![event],
    ))
}

/// Moves the meeting to `to` (the caller has checked who may), emitting `meeting.state`.
pub fn set_state(
    conn: &mut DbConnection,
    id: &str,
    from: MeetingState,
    to: MeetingState,
) -> Result<(Meeting, Vec<Event>), ApiError> {
    if matches!(to, MeetingState::Closed | MeetingState::Cancelled) {
        crate::polls::require_none_open(conn, id)?;
    }
    let now = db::now();
    diesel::update(meetings::table.find(id))
        .set((
            meetings::state.eq(to.as_str()),
            meetings::updated_at.eq(now),
        ))
        .execute(conn)?;
    match to {
        MeetingState::Live => {
            diesel::update(
                meetings::table
                    .find(id)
                    .filter(meetings::started_at.is_null()),
            )
            .set(meetings::started_at.eq(now))
            .execute(conn)?;
        }
        MeetingState::Closed => {
            diesel::update(meetings::table.find(id))
                .set(meetings::ended_at.eq(now))
                .execute(conn)?;
        }
        MeetingState::Draft | MeetingState::Scheduled | MeetingState::Cancelled => {}
    }
    let event = events::append(
        conn,
        id,
        "meeting.state",
        &serde_json::json!({"state": to, "previous": from}),
    )?;
    // A change of state is a decision of the meeting: it goes into the audit chain too.
    crate::audit::append(
        conn,
        id,
        "meeting.state",
        &serde_json::json!({"state": to, "previous": from}),
    )?;
    let meeting = Meeting::try_from(get(conn, id)?)?;
    Ok((meeting, vec![event]))
}

/// Deletes a draft meeting with everything it holds (participants, agenda, documents, draft
/// polls, its event log): a draft was never shown to members, so nothing of it is a record. A
/// meeting that was scheduled goes back to draft first, which members see as a `meeting.state`
/// event before it disappears.
pub fn delete_draft(
    conn: &mut DbConnection,
    id: &str,
    state: MeetingState,
) -> Result<(), ApiError> {
    if state != MeetingState::Draft {
        return Err(ApiError::conflict(
            "meeting_not_draft",
            "only a draft meeting can be deleted; move a scheduled one back to draft first",
        ));
    }
    diesel::delete(meetings::table.find(id)).execute(conn)?;
    Ok(())
}

/// Meetings the caller may see, by start time.
pub fn list_visible(
    conn: &mut DbConnection,
    user_id: &str,
    staff: bool,
) -> Result<Vec<Meeting>, ApiError> {
    use crate::db::schema::participants as p;
    let mut query = meetings::table.select(MeetingRow::as_select()).into_boxed();
    if !staff {
        let mine = p::table
            .filter(
                p::user_id
                    .eq(user_id.to_owned())
                    .or(p::substitute_id.eq(user_id.to_owned())),
            )
            .select(p::meeting_id);
        let secretary_of = p::table
            .filter(p::user_id.eq(user_id.to_owned()))
            .filter(p::role.eq(MeetingRole::Secretary.as_str()))
            .select(p::meeting_id);
        query = query.filter(
            meetings::id
                .eq_any(mine)
                .and(meetings::state.ne(MeetingState::Draft.as_str()))
                .or(meetings::id.eq_any(secretary_of)),
        );
    }
    query
        .order((meetings::starts_at.asc(), meetings::id.asc()))
        .load(conn)?
        .into_iter()
        .map(Meeting::try_from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::MeetingState::*;
    use super::*;

    #[test]
    fn state_machine() {
        let table = [
            (Draft, Scheduled, Some(Mover::Managers)),
            (Scheduled, Draft, Some(Mover::Managers)),
            (Scheduled, Live, Some(Mover::Presiders)),
            (Live, Closed, Some(Mover::Presiders)),
            (Scheduled, Cancelled, Some(Mover::Managers)),
            (Draft, Cancelled, None),
            (Live, Cancelled, None),
            (Closed, Cancelled, None),
            (Cancelled, Scheduled, None),
            (Cancelled, Draft, None),
            (Cancelled, Live, None),
            (Cancelled, Closed, None),
            (Cancelled, Cancelled, None),
            (Draft, Live, None),
            (Draft, Closed, None),
            (Live, Scheduled, None),
            (Live, Draft, None),
            (Closed, Live, None),
            (Closed, Draft, None),
            (Closed, Scheduled, None),
            (Scheduled, Scheduled, None),
        ];
        for (from, to, expected) in table {
            assert_eq!(
                transition(written::Kind::Session, from, to).ok(),
                expected,
                "{from} -> {to}"
            );
        }
        // Held in writing: never live; its chair closes it from scheduled.
        let written = written::Kind::Written;
        assert!(transition(written, Scheduled, Live).is_err());
        assert_eq!(
            transition(written, Scheduled, Closed).ok(),
            Some(Mover::Presiders)
        );
        assert_eq!(
            transition(written, Draft, Scheduled).ok(),
            Some(Mover::Managers)
        );
        assert_eq!(
            transition(written, Scheduled, Cancelled).ok(),
            Some(Mover::Managers)
        );
        assert!(transition(written, Draft, Closed).is_err());
    }
}
