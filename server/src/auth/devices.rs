//! Signed-in devices ("Thiết bị đã đăng nhập"): each sign-in session (a family of refresh
//! tokens, `sessions`) with a name taken from its browser, renameable, when it started and was
//! last seen, and from which address. A user lists and ends their own; an admin ends all of a
//! user's (a lost tablet, someone leaving). Ending one revokes its refresh tokens; its access
//! tokens stop at once on this instance and within `auth.standing_cache_secs` elsewhere
//! (`standing`), and its live sockets are closed (4401) at once here and at their next
//! heartbeat elsewhere.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{device_sessions as ds, refresh_tokens as rt};
use crate::db::{self, DbConnection};
use crate::error::ApiError;

/// Where a sign-in came from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub user_agent: String,
    pub address: String,
}

/// A signed-in device as its user sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Device {
    /// The session's id (the `sid` of its access tokens).
    pub id: String,
    pub name: String,
    pub user_agent: String,
    pub address: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The session the request came from.
    pub current: bool,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    pub name: String,
}

const NAME_MAX: usize = 100;
const AGENT_MAX: usize = 500;

/// "Chrome · Android", from a User-Agent; "Thiết bị" when it says nothing useful.
pub fn name_from_agent(agent: &str) -> String {
    match woothee::parser::Parser::new().parse(agent) {
        Some(r) if r.name != "UNKNOWN" && r.os != "UNKNOWN" => format!("{} · {}", r.name, r.os),
        Some(r) if r.name != "UNKNOWN" => r.name.to_owned(),
        _ => "Thiết bị".to_owned(),
    }
}

/// Records the device of a new session.
pub fn record(
    conn: &mut DbConnection,
    family_id: &str,
    user_id: &str,
    origin: &Origin,
) -> Result<(), ApiError> {
    let now = db::now();
    let agent: String = origin.user_agent.chars().take(AGENT_MAX).collect();
    diesel::insert_into(ds::table)
        .values((
            ds::family_id.eq(family_id),
            ds::user_id.eq(user_id),
            ds::name.eq(name_from_agent(&agent)),
            ds::user_agent.eq(&agent),
            ds::address.eq(&origin.address),
            ds::created_at.eq(now),
            ds::last_seen_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Notes that the session was used (a refresh).
pub fn seen(conn: &mut DbConnection, family_id: &str, address: &str) -> Result<(), ApiError> {
    diesel::update(ds::table.find(family_id))
        .set((ds::last_seen_at.eq(db::now()), ds::address.eq(address)))
        .execute(conn)?;
    Ok(())
}

/// The user's sessions that still stand (a refresh token neither revoked nor expired).
pub fn list(
    conn: &mut DbConnection,
    user_id: &str,
    current: &str,
) -> Result<Vec<Device>, ApiError> {
    let live = rt::table
        .filter(rt::revoked_at.is_null())
        .filter(rt::used_at.is_null())
        .filter(rt::expires_at.gt(db::now()))
        .select(rt::family_id);
    let rows: Vec<(
        String,
        String,
        String,
        String,
        chrono::NaiveDateTime,
        chrono::NaiveDateTime,
    )> = ds::table
        .filter(ds::user_id.eq(user_id))
        .filter(ds::family_id.eq_any(live))
        .order(ds::last_seen_at.desc())
        .select((
            ds::family_id,
            ds::name,
            ds::user_agent,
            ds::address,
            ds::created_at,
            ds::last_seen_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, user_agent, address, created, seen)| Device {
            current: id == current,
            id,
            name,
            user_agent,
            address,
            created_at: created.and_utc(),
            last_seen_at: seen.and_utc(),
        })
        .collect())
}

fn own(conn: &mut DbConnection, user_id: &str, family_id: &str) -> Result<(), ApiError> {
    let owner: Option<String> = ds::table
        .find(family_id)
        .select(ds::user_id)
        .first(conn)
        .optional()?;
    if owner.as_deref() == Some(user_id) {
        Ok(())
    } else {
        Err(ApiError::NotFound { what: "session" })
    }
}

pub fn rename(
    conn: &mut DbConnection,
    user_id: &str,
    family_id: &str,
    name: &str,
) -> Result<(), ApiError> {
    own(conn, user_id, family_id)?;
    let name = crate::patch::line(name, NAME_MAX, "invalid_name", "a device's name")?;
    diesel::update(ds::table.find(family_id))
        .set(ds::name.eq(name))
        .execute(conn)?;
    Ok(())
}

/// Ends one of the user's sessions.
pub fn end(conn: &mut DbConnection, user_id: &str, family_id: &str) -> Result<(), ApiError> {
    own(conn, user_id, family_id)?;
    super::sessions::revoke_family(conn, family_id)?;
    Ok(())
}

/// Ends every session of a user but `keep` (a password change keeps the one it came from);
/// answers the ended ones.
pub fn end_all(
    conn: &mut DbConnection,
    user_id: &str,
    keep: Option<&str>,
) -> Result<Vec<String>, ApiError> {
    let families: Vec<String> = rt::table
        .filter(rt::user_id.eq(user_id))
        .filter(rt::revoked_at.is_null())
        .select(rt::family_id)
        .distinct()
        .load(conn)?;
    let mut ended = Vec::new();
    for family in families {
        if Some(family.as_str()) != keep {
            super::sessions::revoke_family(conn, &family)?;
            ended.push(family);
        }
    }
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_browser() {
        let ipad = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        let name = name_from_agent(ipad);
        assert!(name.contains("Safari"), "{name}");
        assert_eq!(name_from_agent(""), "Thiết bị");
        assert!(!name_from_agent("curl/8.0").is_empty());
    }
}
