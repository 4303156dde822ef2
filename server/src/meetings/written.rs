//! Meetings held in writing (lấy ý kiến thành viên bằng văn bản; contract v2): a meeting of
//! kind `written` has a deadline by which members answer and a rule for what silence counts
//! as. It is never live: it goes `draft → scheduled → closed`, closed by its chair or by the
//! server itself once the deadline passes by the database's clock (so instances whose clocks
//! differ agree), exactly once however many instances look, and at start for a deadline that
//! passed while the server was down.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::{MeetingState, set_state};
use crate::db::DbConnection;
use crate::db::schema::meetings;
use crate::error::ApiError;
use crate::events::{self, Event};

/// What a meeting is: held in session (live in a room), or in writing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    #[default]
    Session,
    Written,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Written => "written",
        }
    }

    pub fn parse(text: &str) -> Self {
        if text == "written" {
            Self::Written
        } else {
            Self::Session
        }
    }
}

/// What a member who does not answer by the deadline counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Silence {
    /// Coi như đồng ý: deemed to agree.
    Agree,
    /// Counted as not answering.
    None,
}

impl Silence {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agree => "agree",
            Self::None => "none",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "agree" => Some(Self::Agree),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// Checks a written meeting's deadline: after its start, and not past.
pub fn check_deadline(
    deadline: Option<DateTime<Utc>>,
    starts_at: DateTime<Utc>,
) -> Result<NaiveDateTime, ApiError> {
    let deadline = deadline.ok_or_else(|| {
        ApiError::invalid(
            "invalid_deadline",
            "a meeting held in writing needs a deadline",
        )
    })?;
    if deadline <= starts_at {
        return Err(ApiError::invalid(
            "invalid_deadline",
            "the deadline comes after the meeting's start",
        ));
    }
    if deadline <= Utc::now() {
        return Err(ApiError::invalid(
            "invalid_deadline",
            "the deadline has passed already",
        ));
    }
    Ok(deadline.naive_utc())
}

/// Working days a deadline may be given in.
pub const WORKING_DAYS: std::ops::RangeInclusive<u32> = 1..=60;

/// The deadline a written meeting gets: `deadline` as given, or, given
/// `deadline_working_days` instead, the end of that many working days after the local date of
/// `starts_at` (`day_end` in the organisation's time zone, by its calendar of working days).
/// Both at once: 422 `invalid_deadline`.
pub fn deadline_from_working_days(
    conn: &mut DbConnection,
    starts_at: DateTime<Utc>,
    deadline: Option<DateTime<Utc>>,
    working_days: Option<u32>,
    day_end: chrono::NaiveTime,
    organization: &crate::config::OrganizationSettings,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(n) = working_days else {
        return Ok(deadline);
    };
    if deadline.is_some() {
        return Err(ApiError::invalid(
            "invalid_deadline",
            "give either a deadline or deadline_working_days, not both",
        ));
    }
    if !WORKING_DAYS.contains(&n) {
        return Err(ApiError::invalid(
            "invalid_deadline",
            format!(
                "deadline_working_days is {} to {}",
                WORKING_DAYS.start(),
                WORKING_DAYS.end()
            ),
        ));
    }
    let offset = crate::organization::names(conn, organization)?.utc_offset_minutes;
    let day_end = crate::workdays::DayEnd::new(day_end, offset);
    let year = chrono::Datelike::year(&starts_at.with_timezone(&day_end.offset));
    let calendar = crate::workdays::store::calendar_from(conn, year)?;
    Ok(Some(crate::workdays::deadline_after(
        &calendar, starts_at, n, day_end,
    )))
}

/// Refuses a deadline or silence rule on a meeting held in session.
pub fn refuse_for_session(deadline: bool, silence: bool) -> Result<(), ApiError> {
    if deadline {
        return Err(ApiError::invalid(
            "invalid_deadline",
            "only a meeting held in writing has a deadline",
        ));
    }
    if silence {
        return Err(ApiError::invalid(
            "invalid_silence",
            "only a meeting held in writing has a silence rule",
        ));
    }
    Ok(())
}

/// The database's clock in UTC, as timestamps are stored (PostgreSQL's `CURRENT_TIMESTAMP` is
/// in the session's time zone until told otherwise).
fn database_now(
    conn: &DbConnection,
) -> diesel::expression::SqlLiteral<diesel::sql_types::Nullable<diesel::sql_types::Timestamp>> {
    diesel::dsl::sql(match conn {
        DbConnection::Postgresql(_) => "(CURRENT_TIMESTAMP AT TIME ZONE 'UTC')",
        DbConnection::Sqlite(_) => "CURRENT_TIMESTAMP",
    })
}

/// The database's clock, in UTC.
pub fn database_clock(conn: &mut DbConnection) -> Result<NaiveDateTime, ApiError> {
    let now = database_now(conn);
    Ok(diesel::select(now)
        .get_result::<Option<NaiveDateTime>>(conn)?
        .unwrap_or_else(crate::db::now))
}

/// Written meetings still open whose deadline has not passed by the database's clock.
pub fn open(conn: &mut DbConnection) -> Result<Vec<String>, ApiError> {
    let now = database_now(conn);
    Ok(meetings::table
        .filter(meetings::kind.eq(Kind::Written.as_str()))
        .filter(meetings::state.eq(MeetingState::Scheduled.as_str()))
        .filter(meetings::deadline.gt(now))
        .select(meetings::id)
        .load(conn)?)
}

/// Written meetings whose deadline has passed by the database's clock and are still open.
pub fn due(conn: &mut DbConnection) -> Result<Vec<String>, ApiError> {
    let now = database_now(conn);
    Ok(meetings::table
        .filter(meetings::kind.eq(Kind::Written.as_str()))
        .filter(meetings::state.eq(MeetingState::Scheduled.as_str()))
        .filter(meetings::deadline.le(now))
        .select(meetings::id)
        .load(conn)?)
}

/// Closes a written meeting whose deadline passed, if it still is open: its open polls close
/// first (their results counted), then the meeting. Call in a write transaction: the meeting
/// is locked, so of several instances only the first closes it; the others find it closed.
pub fn close_if_due(conn: &mut DbConnection, id: &str) -> Result<Vec<Event>, ApiError> {
    events::lock_meeting(conn, id)?;
    let now = database_now(conn);
    let still_due: Option<String> = meetings::table
        .find(id)
        .filter(meetings::kind.eq(Kind::Written.as_str()))
        .filter(meetings::state.eq(MeetingState::Scheduled.as_str()))
        .filter(meetings::deadline.le(now))
        .select(meetings::id)
        .first(conn)
        .optional()?;
    if still_due.is_none() {
        return Ok(Vec::new());
    }
    close(conn, id)
}

/// Closes a written meeting now (its chair, or its deadline): its open polls close first,
/// their results counted, then the meeting (`meeting.state`).
pub fn close(conn: &mut DbConnection, id: &str) -> Result<Vec<Event>, ApiError> {
    use crate::db::schema::polls;
    let mut out = Vec::new();
    let open: Vec<String> = polls::table
        .filter(polls::meeting_id.eq(id))
        .filter(polls::state.eq("open"))
        .select(polls::id)
        .load(conn)?;
    for poll_id in open {
        let row = crate::polls::get(conn, &poll_id)?;
        let (_, more) = crate::polls::close(conn, row)?;
        out.extend(more);
    }
    let (_, more) = set_state(conn, id, MeetingState::Scheduled, MeetingState::Closed)?;
    out.extend(more);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_come_after_the_start_and_in_the_future() {
        let start = Utc::now();
        let later = start + chrono::Duration::days(5);
        assert!(check_deadline(Some(later), start).is_ok());
        for bad in [None, Some(start), Some(start - chrono::Duration::hours(1))] {
            assert_eq!(
                check_deadline(bad, start).unwrap_err().code(),
                "invalid_deadline"
            );
        }
        let past_start = start - chrono::Duration::days(3);
        let past = start - chrono::Duration::days(1);
        assert_eq!(
            check_deadline(Some(past), past_start).unwrap_err().code(),
            "invalid_deadline"
        );
    }

    #[test]
    fn silence_reads_both_ways() {
        for s in [Silence::Agree, Silence::None] {
            assert_eq!(Silence::parse(s.as_str()), Some(s));
        }
        assert_eq!(Silence::parse("maybe"), None);
        assert_eq!(Kind::parse("written"), Kind::Written);
        assert_eq!(Kind::parse("session"), Kind::Session);
    }
}
