//! Each user's notifications: that a meeting held in writing was sent to them, that a session
//! was scheduled, moved or cancelled, that a deadline to answer draws near. A notification is
//! a kind and the values a client needs to say it in the user's language (`params`), never a
//! sentence: the tablet words it (web/src/i18n), the e-mail says it in Vietnamese.
//!
//! Owns the `notifications` table and what a user does with their own (list, mark read).
//! Knows nothing of meetings beyond an id: callers at the HTTP edge and the reminder loop
//! decide who is told what, in the transaction of the change; the live channel carries them
//! to the user's tablets after the commit.

pub mod handlers;
pub mod mail;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::notifications as n;
use crate::db::{self, DbConnection};
use crate::error::ApiError;

/// What a notification tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A meeting held in writing was sent to its members: answer by `deadline`.
    WrittenSent,
    /// A session was scheduled (sent to its participants).
    MeetingScheduled,
    /// A scheduled meeting's time, place or deadline changed.
    MeetingMoved,
    /// A scheduled meeting was called off.
    MeetingCancelled,
    /// A meeting held in writing still waits for the user's answers; its deadline draws near.
    WrittenReminder,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WrittenSent => "written_sent",
            Self::MeetingScheduled => "meeting_scheduled",
            Self::MeetingMoved => "meeting_moved",
            Self::MeetingCancelled => "meeting_cancelled",
            Self::WrittenReminder => "written_reminder",
        }
    }
}

/// A notification as its user sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: String,
    /// `written_sent`, `meeting_scheduled`, `meeting_moved`, `meeting_cancelled`,
    /// `written_reminder`.
    pub kind: String,
    pub meeting_id: Option<String>,
    /// The values the sentence needs: `title` always; `starts_at`, `location`, `deadline`,
    /// `previous_starts_at`, `previous_location`, `unanswered` by kind (docs/notifications.md).
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    pub created_at: DateTime<Utc>,
    /// When the user marked it read; null while unread.
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = n)]
struct Row {
    id: String,
    kind: String,
    meeting_id: Option<String>,
    params: String,
    created_at: NaiveDateTime,
    read_at: Option<NaiveDateTime>,
}

impl TryFrom<Row> for Notification {
    type Error = ApiError;
    fn try_from(r: Row) -> Result<Self, ApiError> {
        Ok(Self {
            params: serde_json::from_str(&r.params).map_err(ApiError::internal)?,
            id: r.id,
            kind: r.kind,
            meeting_id: r.meeting_id,
            created_at: r.created_at.and_utc(),
            read_at: r.read_at.map(|t| t.and_utc()),
        })
    }
}

/// A notification just written for a user, to be pushed to them once the transaction commits.
#[derive(Debug, Clone)]
pub struct Created {
    pub user_id: String,
    pub notification: Notification,
}

/// Writes one notification for each of `users` (each once); call inside the change's
/// transaction.
pub fn notify(
    conn: &mut DbConnection,
    users: &[String],
    kind: Kind,
    meeting_id: Option<&str>,
    params: &serde_json::Value,
) -> Result<Vec<Created>, ApiError> {
    let text = params.to_string();
    let now = db::now();
    let mut out: Vec<Created> = Vec::with_capacity(users.len());
    for user in users {
        if out.iter().any(|c| &c.user_id == user) {
            continue;
        }
        let id = db::new_id();
        diesel::insert_into(n::table)
            .values((
                n::id.eq(&id),
                n::user_id.eq(user),
                n::kind.eq(kind.as_str()),
                n::meeting_id.eq(meeting_id),
                n::params.eq(&text),
                n::created_at.eq(now),
            ))
            .execute(conn)?;
        out.push(Created {
            user_id: user.clone(),
            notification: Notification {
                id,
                kind: kind.as_str().to_owned(),
                meeting_id: meeting_id.map(str::to_owned),
                params: params.clone(),
                created_at: now.and_utc(),
                read_at: None,
            },
        });
    }
    Ok(out)
}

/// How many of the user's notifications are unread.
pub fn unread(conn: &mut DbConnection, user_id: &str) -> Result<i64, ApiError> {
    Ok(n::table
        .filter(n::user_id.eq(user_id))
        .filter(n::read_at.is_null())
        .count()
        .get_result(conn)?)
}

/// The user's notifications, newest first: at most `limit`, older than `before` (an id) when
/// given.
pub fn list(
    conn: &mut DbConnection,
    user_id: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<Notification>, ApiError> {
    let mut query = n::table
        .filter(n::user_id.eq(user_id))
        .select(Row::as_select())
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(n::id.lt(before.to_owned()));
    }
    query
        .order(n::id.desc())
        .limit(limit)
        .load(conn)?
        .into_iter()
        .map(Notification::try_from)
        .collect()
}

/// Marks one of the user's notifications read (404 for anyone else's).
pub fn mark_read(conn: &mut DbConnection, user_id: &str, id: &str) -> Result<(), ApiError> {
    let mine: Option<Option<NaiveDateTime>> = n::table
        .find(id)
        .filter(n::user_id.eq(user_id))
        .select(n::read_at)
        .first(conn)
        .optional()?;
    match mine {
        None => Err(ApiError::NotFound {
            what: "notification",
        }),
        Some(Some(_)) => Ok(()),
        Some(None) => {
            diesel::update(n::table.find(id))
                .set(n::read_at.eq(db::now()))
                .execute(conn)?;
            Ok(())
        }
    }
}

/// Marks all the user's notifications read.
pub fn mark_all_read(conn: &mut DbConnection, user_id: &str) -> Result<(), ApiError> {
    diesel::update(
        n::table
            .filter(n::user_id.eq(user_id))
            .filter(n::read_at.is_null()),
    )
    .set(n::read_at.eq(db::now()))
    .execute(conn)?;
    Ok(())
}
