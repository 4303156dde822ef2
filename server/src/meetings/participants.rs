//! Participants of a meeting: meeting roles, substitutes, and the attendance fields that
//! `attendance` reads and writes.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{participants as p, users};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::events::{self, Event};
use crate::patch;

use super::MeetingRole;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = p)]
pub struct ParticipantRow {
    pub meeting_id: String,
    pub user_id: String,
    pub role: String,
    pub substitute_id: Option<String>,
    pub attendance: String,
    pub absence_reason: Option<String>,
    pub checked_in_at: Option<NaiveDateTime>,
    pub checked_in_by: Option<String>,
    pub added_at: NaiveDateTime,
}

impl ParticipantRow {
    pub fn role(&self) -> Result<MeetingRole, ApiError> {
        self.role.parse()
    }
}

/// A participant as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Participant {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub role: MeetingRole,
    pub substitute_id: Option<String>,
    pub substitute_name: Option<String>,
    /// `unknown`, `present`, `absent` or `substituted`.
    pub attendance: String,
    pub absence_reason: Option<String>,
    pub checked_in_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParticipant {
    pub user_id: String,
    pub role: MeetingRole,
    pub substitute_id: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantPatch {
    pub role: Option<MeetingRole>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub substitute_id: Option<Option<String>>,
}

pub fn find(
    conn: &mut DbConnection,
    meeting_id: &str,
    user_id: &str,
) -> Result<Option<ParticipantRow>, ApiError> {
    Ok(p::table
        .find((meeting_id, user_id))
        .select(ParticipantRow::as_select())
        .first(conn)
        .optional()?)
}

/// The member record whose substitute `user_id` is, if any.
pub fn substituted_by(
    conn: &mut DbConnection,
    meeting_id: &str,
    user_id: &str,
) -> Result<Option<ParticipantRow>, ApiError> {
    Ok(p::table
        .filter(p::meeting_id.eq(meeting_id))
        .filter(p::substitute_id.eq(user_id))
        .select(ParticipantRow::as_select())
        .first(conn)
        .optional()?)
}

/// True when the user is the secretary of at least one meeting.
pub fn is_secretary_anywhere(conn: &mut DbConnection, user_id: &str) -> Result<bool, ApiError> {
    let n: i64 = p::table
        .filter(p::user_id.eq(user_id))
        .filter(p::role.eq(MeetingRole::Secretary.as_str()))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

fn user_exists(conn: &mut DbConnection, user_id: &str) -> Result<bool, ApiError> {
    Ok(users::table.find(user_id).count().get_result::<i64>(conn)? > 0)
}

/// A substitute must exist, not be a participant, not stand in for someone else, and only a
/// member can have one.
fn check_substitute(
    conn: &mut DbConnection,
    meeting_id: &str,
    for_user: &str,
    role: MeetingRole,
    substitute: &str,
) -> Result<(), ApiError> {
    let invalid = |why: &str| ApiError::invalid("invalid_substitute", why.to_owned());
    if role != MeetingRole::Member {
        return Err(invalid("only a member can name a substitute"));
    }
    if substitute == for_user || !user_exists(conn, substitute)? {
        return Err(invalid("the substitute must be another existing user"));
    }
    if find(conn, meeting_id, substitute)?.is_some() {
        return Err(invalid("the substitute already takes part in this meeting"));
    }
    if substituted_by(conn, meeting_id, substitute)?.is_some_and(|r| r.user_id != for_user) {
        return Err(invalid("the substitute already stands in for someone else"));
    }
    Ok(())
}

pub fn add(
    conn: &mut DbConnection,
    meeting_id: &str,
    new: NewParticipant,
) -> Result<(Participant, Vec<Event>), ApiError> {
    if !user_exists(conn, &new.user_id)? {
        return Err(ApiError::invalid("unknown_user", "no user has this id"));
    }
    if find(conn, meeting_id, &new.user_id)?.is_some() {
        return Err(ApiError::conflict(
            "already_participant",
            "this user already takes part in the meeting",
        ));
    }
    if substituted_by(conn, meeting_id, &new.user_id)?.is_some() {
        return Err(ApiError::conflict(
            "already_participant",
            "this user already stands in for a member of the meeting",
        ));
    }
    if let Some(sub) = &new.substitute_id {
        check_substitute(conn, meeting_id, &new.user_id, new.role, sub)?;
    }
    diesel::insert_into(p::table)
        .values((
            p::meeting_id.eq(meeting_id),
            p::user_id.eq(&new.user_id),
            p::role.eq(new.role.as_str()),
            p::substitute_id.eq(&new.substitute_id),
            p::attendance.eq("unknown"),
            p::added_at.eq(db::now()),
        ))
        .execute(conn)?;
    let participant = one(conn, meeting_id, &new.user_id)?;
    let event = events::append(conn, meeting_id, "participant.added", &participant)?;
    Ok((participant, vec![event]))
}

/// Applies a patch; `self_service` limits it to the caller's own substitute.
pub fn update(
    conn: &mut DbConnection,
    meeting_id: &str,
    user_id: &str,
    patch: ParticipantPatch,
    self_service: bool,
) -> Result<(Participant, Vec<Event>), ApiError> {
    let row = find(conn, meeting_id, user_id)?.ok_or(ApiError::NotFound {
        what: "participant",
    })?;
    if self_service && patch.role.is_some() {
        return Err(ApiError::forbidden(
            "forbidden",
            "only the meeting's managers change roles",
        ));
    }
    let role = patch.role.unwrap_or(row.role()?);
    let substitute = match &patch.substitute_id {
        Some(s) => s.clone(),
        None if role != MeetingRole::Member => None,
        None => row.substitute_id.clone(),
    };
    if let Some(sub) = &substitute {
        check_substitute(conn, meeting_id, user_id, role, sub)?;
    }
    diesel::update(p::table.find((meeting_id, user_id)))
        .set((p::role.eq(role.as_str()), p::substitute_id.eq(&substitute)))
        .execute(conn)?;
    let participant = one(conn, meeting_id, user_id)?;
    let event = events::append(conn, meeting_id, "participant.updated", &participant)?;
    Ok((participant, vec![event]))
}

pub fn remove(
    conn: &mut DbConnection,
    meeting_id: &str,
    user_id: &str,
) -> Result<Vec<Event>, ApiError> {
    let n = diesel::delete(p::table.find((meeting_id, user_id))).execute(conn)?;
    if n == 0 {
        return Err(ApiError::NotFound {
            what: "participant",
        });
    }
    let event = events::append(
        conn,
        meeting_id,
        "participant.removed",
        &serde_json::json!({"user_id": user_id}),
    )?;
    Ok(vec![event])
}

/// Sets attendance fields of a record.
pub fn set_attendance(
    conn: &mut DbConnection,
    meeting_id: &str,
    user_id: &str,
    attendance: &str,
    reason: Option<String>,
    by: Option<&str>,
) -> Result<Participant, ApiError> {
    let checked_in_at = (attendance != "absent").then(db::now);
    diesel::update(p::table.find((meeting_id, user_id)))
        .set((
            p::attendance.eq(attendance),
            p::absence_reason.eq(reason),
            p::checked_in_at.eq(checked_in_at),
            p::checked_in_by.eq(by),
        ))
        .execute(conn)?;
    one(conn, meeting_id, user_id)
}

type Joined = (ParticipantRow, (String, String), Option<String>);

fn to_api(
    (row, (username, display_name), substitute_name): Joined,
) -> Result<Participant, ApiError> {
    Ok(Participant {
        role: row.role()?,
        user_id: row.user_id,
        username,
        display_name,
        substitute_id: row.substitute_id,
        substitute_name,
        attendance: row.attendance,
        absence_reason: row.absence_reason,
        checked_in_at: row.checked_in_at.map(|t| t.and_utc()),
    })
}

fn load_joined(
    conn: &mut DbConnection,
    meeting_id: &str,
    only: Option<&str>,
) -> Result<Vec<Participant>, ApiError> {
    let rows: Vec<(ParticipantRow, (String, String))> = {
        let mut q = p::table
            .inner_join(users::table.on(users::id.eq(p::user_id)))
            .filter(p::meeting_id.eq(meeting_id))
            .select((
                ParticipantRow::as_select(),
                (users::username, users::display_name),
            ))
            .into_boxed();
        if let Some(u) = only {
            q = q.filter(p::user_id.eq(u.to_owned()));
        }
        q.order((p::added_at.asc(), p::user_id.asc())).load(conn)?
    };
    let substitute_ids: Vec<String> = rows
        .iter()
        .filter_map(|(r, _)| r.substitute_id.clone())
        .collect();
    let names: Vec<(String, String)> = if substitute_ids.is_empty() {
        Vec::new()
    } else {
        users::table
            .filter(users::id.eq_any(&substitute_ids))
            .select((users::id, users::display_name))
            .load(conn)?
    };
    rows.into_iter()
        .map(|(row, user)| {
            let sub_name = row
                .substitute_id
                .as_ref()
                .and_then(|s| names.iter().find(|(id, _)| id == s).map(|(_, n)| n.clone()));
            to_api((row, user, sub_name))
        })
        .collect()
}

/// Every participant of the meeting, in the order they were added.
pub fn list(conn: &mut DbConnection, meeting_id: &str) -> Result<Vec<Participant>, ApiError> {
    load_joined(conn, meeting_id, None)
}

pub fn one(
    conn: &mut DbConnection,
    meeting_id: &str,
    user_id: &str,
) -> Result<Participant, ApiError> {
    load_joined(conn, meeting_id, Some(user_id))?
        .pop()
        .ok_or(ApiError::NotFound {
            what: "participant",
        })
}

/// Everyone taking part in the meeting: its participants and their substitutes, each once.
pub fn people(conn: &mut DbConnection, meeting_id: &str) -> Result<Vec<String>, ApiError> {
    let rows: Vec<(String, Option<String>)> = p::table
        .filter(p::meeting_id.eq(meeting_id))
        .select((p::user_id, p::substitute_id))
        .load(conn)?;
    let mut out: Vec<String> = Vec::with_capacity(rows.len());
    for (user, substitute) in rows {
        for id in std::iter::once(user).chain(substitute) {
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    Ok(out)
}
