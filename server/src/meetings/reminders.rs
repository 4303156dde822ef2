//! Reminders to answer a meeting held in writing (issue 17): at each configured offset before
//! the deadline (`notifications.reminders`, default two working days and two hours), every
//! voting member who has not answered all its open polls is told once. The deadline and "now"
//! are the database's clock, as for closing. Each (meeting, member, offset) is a row of
//! `reminders_sent` inserted with `ON CONFLICT DO NOTHING` in the transaction that writes the
//! notification: the instance whose insert took the row sends, any other finds it taken, so a
//! reminder goes out once however many instances look. When an instance looks only after
//! several offsets passed (it was down), only the latest of them is sent.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, NaiveTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

use super::{Meeting, MeetingState, notices, written};
use crate::config::OrganizationSettings;
use crate::db::DbConnection;
use crate::db::schema::{ballots as b, poll_eligible as pe, poll_voters as pv, polls};
use crate::error::ApiError;
use crate::notifications::{self, Created, Kind};
use crate::workdays::{self, Calendar, DayEnd};

/// How long before a deadline a reminder goes out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offset {
    /// As written in the settings, normalised (`2wd`, `2h`): the key of `reminders_sent`.
    pub key: String,
    amount: u32,
    /// Seconds per unit; `None` for working days.
    unit_secs: Option<i64>,
}

impl Offset {
    /// Reads `2wd`, `3d`, `2h`, `30m`, `45s`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let digits = text.chars().take_while(char::is_ascii_digit).count();
        let (number, unit) = text.split_at(digits);
        let amount: u32 = number
            .parse()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| format!("reminder {text:?}: a number from 1 first, then a unit"))?;
        let unit_secs = match unit.trim() {
            "wd" => None,
            "d" => Some(86_400),
            "h" => Some(3_600),
            "m" => Some(60),
            "s" => Some(1),
            other => {
                return Err(format!(
                    "reminder {text:?}: unit {other:?} is not wd, d, h, m or s"
                ));
            }
        };
        Ok(Self {
            key: format!("{amount}{}", unit.trim()),
            amount,
            unit_secs,
        })
    }

    /// When the reminder for `deadline` is due.
    pub fn remind_at(
        &self,
        deadline: DateTime<Utc>,
        calendar: &Calendar,
        day_end: DayEnd,
    ) -> DateTime<Utc> {
        match self.unit_secs {
            None => workdays::working_days_before(calendar, deadline, self.amount, day_end),
            Some(secs) => deadline - Duration::seconds(secs * i64::from(self.amount)),
        }
    }
}

/// Everything the reminder loop needs from the settings, read once at start.
#[derive(Debug, Clone)]
pub struct Rules {
    pub offsets: Vec<Offset>,
    pub day_end: NaiveTime,
    pub organization: OrganizationSettings,
    /// Whether notifications are also mailed (`notifications.smtp`).
    pub mail: bool,
}

impl Rules {
    pub fn from_settings(settings: &crate::config::Settings) -> Result<Self, String> {
        Ok(Self {
            offsets: settings
                .notifications
                .reminders
                .iter()
                .map(|r| Offset::parse(r))
                .collect::<Result<_, _>>()?,
            day_end: settings.meetings.working_day_end()?,
            organization: settings.organization.clone(),
            mail: settings.notifications.smtp.is_some(),
        })
    }
}

/// A reminder due now: its offset, the meeting, and who has how many polls left to answer
/// (not yet reminded at this offset).
#[derive(Debug)]
struct Due {
    key: String,
    meeting: Meeting,
    waiting: BTreeMap<String, usize>,
}

/// Voters of the meeting's open polls with how many of those polls they have not answered.
fn unanswered(
    conn: &mut DbConnection,
    meeting_id: &str,
) -> Result<BTreeMap<String, usize>, ApiError> {
    let open: Vec<String> = polls::table
        .filter(polls::meeting_id.eq(meeting_id))
        .filter(polls::state.eq("open"))
        .select(polls::id)
        .load(conn)?;
    let mut waiting: BTreeMap<String, usize> = BTreeMap::new();
    for poll in open {
        let seats: Vec<(String, String)> = pe::table
            .filter(pe::poll_id.eq(&poll))
            .select((pe::voter_id, pe::seat_id))
            .load(conn)?;
        // A named ballot is a row of `ballots`, a secret one of `poll_voters`; both by seat.
        let mut answered: HashSet<String> = b::table
            .filter(b::poll_id.eq(&poll))
            .select(b::user_id)
            .load::<String>(conn)?
            .into_iter()
            .collect();
        answered.extend(
            pv::table
                .filter(pv::poll_id.eq(&poll))
                .select(pv::user_id)
                .load::<String>(conn)?,
        );
        for (voter, seat) in seats {
            if !answered.contains(&seat) {
                *waiting.entry(voter).or_default() += 1;
            }
        }
    }
    Ok(waiting)
}

/// The reminder of `meeting_id` due now by the database's clock, if any is still to send.
fn due(conn: &mut DbConnection, meeting_id: &str, rules: &Rules) -> Result<Option<Due>, ApiError> {
    use crate::db::schema::reminders_sent as rs;
    let now = written::database_clock(conn)?.and_utc();
    let row = super::get(conn, meeting_id)?;
    let (Some(deadline), written::Kind::Written, MeetingState::Scheduled) =
        (row.deadline.map(|d| d.and_utc()), row.kind(), row.state()?)
    else {
        return Ok(None);
    };
    if deadline <= now || rules.offsets.is_empty() {
        return Ok(None);
    }
    let offset = crate::organization::names(conn, &rules.organization)?.utc_offset_minutes;
    let day_end = DayEnd::new(rules.day_end, offset);
    let calendar = workdays::store::calendar_from(conn, deadline.year() - 1)?;
    let latest = rules
        .offsets
        .iter()
        .map(|o| (o, o.remind_at(deadline, &calendar, day_end)))
        .filter(|(_, at)| *at <= now)
        .max_by_key(|(_, at)| *at);
    let Some((offset, _)) = latest else {
        return Ok(None);
    };
    let mut waiting = unanswered(conn, meeting_id)?;
    if waiting.is_empty() {
        return Ok(None);
    }
    let reminded: Vec<String> = rs::table
        .filter(rs::meeting_id.eq(meeting_id))
        .filter(rs::offset_key.eq(&offset.key))
        .select(rs::user_id)
        .load(conn)?;
    for user in reminded {
        waiting.remove(&user);
    }
    if waiting.is_empty() {
        return Ok(None);
    }
    Ok(Some(Due {
        key: offset.key.clone(),
        meeting: Meeting::try_from(row)?,
        waiting,
    }))
}

/// Whether a reminder is due for the meeting now (a read, to spare writes when none is).
pub fn is_due(conn: &mut DbConnection, meeting_id: &str, rules: &Rules) -> Result<bool, ApiError> {
    Ok(due(conn, meeting_id, rules)?.is_some())
}

/// Takes the (meeting, user, offset) row; true when this call inserted it.
fn claim(
    conn: &mut DbConnection,
    meeting_id: &str,
    user_id: &str,
    key: &str,
    now: NaiveDateTime,
) -> Result<bool, ApiError> {
    let n = match conn {
        DbConnection::Postgresql(pg) => diesel::sql_query(
            "INSERT INTO reminders_sent (meeting_id, user_id, offset_key, sent_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind::<Text, _>(meeting_id)
        .bind::<Text, _>(user_id)
        .bind::<Text, _>(key)
        .bind::<Timestamp, _>(now)
        .execute(pg)?,
        DbConnection::Sqlite(lite) => diesel::sql_query(
            "INSERT INTO reminders_sent (meeting_id, user_id, offset_key, sent_at) \
             VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind::<Text, _>(meeting_id)
        .bind::<Text, _>(user_id)
        .bind::<Text, _>(key)
        .bind::<Timestamp, _>(now)
        .execute(lite)?,
    };
    Ok(n == 1)
}

/// Sends the reminders of the meeting due now; call in a write transaction. The notifications
/// written are returned for pushing once it committed.
pub fn remind(
    conn: &mut DbConnection,
    meeting_id: &str,
    rules: &Rules,
) -> Result<Vec<Created>, ApiError> {
    let Some(due) = due(conn, meeting_id, rules)? else {
        return Ok(Vec::new());
    };
    let now = crate::db::now();
    let utc_offset = crate::organization::names(conn, &rules.organization)?.utc_offset_minutes;
    let mut out = Vec::new();
    for (user, left) in &due.waiting {
        if !claim(conn, meeting_id, user, &due.key, now)? {
            continue;
        }
        let mut params = notices::params(&due.meeting);
        params["unanswered"] = serde_json::json!(left);
        let created = notifications::notify(
            conn,
            std::slice::from_ref(user),
            Kind::WrittenReminder,
            Some(meeting_id),
            &params,
        )?;
        if rules.mail {
            notifications::mail::enqueue(conn, &created, utc_offset)?;
        }
        out.extend(created);
    }
    if !out.is_empty() {
        tracing::info!(meeting_id, offset = %due.key, reminded = out.len(), "reminders sent");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_read_their_unit() {
        let cal = Calendar::default();
        let day_end = DayEnd::new(NaiveTime::from_hms_opt(17, 0, 0).unwrap(), 420);
        let deadline: DateTime<Utc> = "2026-05-04T10:00:00Z".parse().unwrap();
        let two_hours = Offset::parse("2h").unwrap();
        assert_eq!(two_hours.key, "2h");
        assert_eq!(
            two_hours.remind_at(deadline, &cal, day_end),
            "2026-05-04T08:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let two_days = Offset::parse(" 2wd ").unwrap();
        assert_eq!(two_days.key, "2wd");
        assert_eq!(
            two_days.remind_at(deadline, &cal, day_end),
            "2026-04-28T10:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            Offset::parse("30s")
                .unwrap()
                .remind_at(deadline, &cal, day_end),
            deadline - Duration::seconds(30)
        );
        for bad in ["", "h", "0h", "2 weeks", "2y", "-1h"] {
            assert!(Offset::parse(bad).is_err(), "{bad}");
        }
    }
}
