//! Whether an access token still stands: its user still exists, with which system role today,
//! and its sign-in session has not been ended (logout, or a refresh token reused). A signed
//! token alone says only what was true when it was issued; a demotion, a deleted account or a
//! session ended on a lost tablet must count before the token's 15 minutes are up.
//!
//! Looked up in the database and kept per (user, session) for `auth.standing_cache_secs`, so
//! a busy tablet costs one read every few seconds, not one per request; whether the user has
//! an active second factor is kept with it (roles that need one). A session ended on
//! this instance is forgotten at once (`forget`); on another instance it takes effect within
//! the cache's lifetime.

use std::time::{Duration, Instant};

use diesel::prelude::*;

use crate::db::schema::{refresh_tokens as rt, users};
use crate::db::{Db, DbConnection};
use crate::error::ApiError;
use crate::users::Role;

/// What the database says of a token's user and session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The user exists with this role (and a second factor, or not) and the session was not
    /// ended.
    Active(Role, bool),
    /// The user no longer exists.
    UserGone,
    /// Every token of the session was revoked.
    SessionEnded,
}

/// The cache of standings.
#[derive(Debug)]
pub struct Standings {
    cache: quick_cache::sync::Cache<(String, String), (Standing, Instant)>,
    ttl: Duration,
}

impl Standings {
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            cache: quick_cache::sync::Cache::new(capacity.max(1)),
            ttl,
        }
    }

    /// The user's current system role, or 401 when the user or the session is gone.
    pub async fn check(&self, db: &Db, user_id: &str, session_id: &str) -> Result<Role, ApiError> {
        self.check_with_mfa(db, user_id, session_id)
            .await
            .map(|(role, _)| role)
    }

    /// The user's current system role and whether they have an active second factor (kept
    /// with the role, so that roles that need one cost no read per request), or 401.
    pub async fn check_with_mfa(
        &self,
        db: &Db,
        user_id: &str,
        session_id: &str,
    ) -> Result<(Role, bool), ApiError> {
        let key = (user_id.to_owned(), session_id.to_owned());
        let cached = self
            .cache
            .get(&key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(s, _)| s);
        let standing = match cached {
            Some(s) => s,
            None => {
                let (user, session) = key.clone();
                let s = db.read(move |c| load(c, &user, &session)).await?;
                self.cache.insert(key, (s, Instant::now()));
                s
            }
        };
        match standing {
            Standing::Active(role, mfa) => Ok((role, mfa)),
            Standing::UserGone => Err(ApiError::unauthenticated(
                "invalid_token",
                "the token's user no longer exists",
            )),
            Standing::SessionEnded => Err(ApiError::unauthenticated(
                "invalid_token",
                "this sign-in session has ended; sign in again",
            )),
        }
    }

    /// Drops what is known of a session (it was just ended here), so that its tokens stop
    /// working at once.
    pub fn forget(&self, user_id: &str, session_id: &str) {
        self.cache
            .remove(&(user_id.to_owned(), session_id.to_owned()));
    }
}

/// Reads the standing. A session is ended when it has tokens and every one is revoked; a
/// token whose session has no refresh token at all (issued by a tool, not by a sign-in) is
/// judged by its user alone.
pub fn load(
    conn: &mut DbConnection,
    user_id: &str,
    session_id: &str,
) -> Result<Standing, ApiError> {
    let role: Option<String> = users::table
        .find(user_id)
        .select(users::role)
        .first(conn)
        .optional()?;
    let Some(role) = role else {
        return Ok(Standing::UserGone);
    };
    let tokens: i64 = rt::table
        .filter(rt::family_id.eq(session_id))
        .count()
        .get_result(conn)?;
    if tokens > 0 {
        let live: i64 = rt::table
            .filter(rt::family_id.eq(session_id))
            .filter(rt::revoked_at.is_null())
            .count()
            .get_result(conn)?;
        if live == 0 {
            return Ok(Standing::SessionEnded);
        }
    }
    Ok(Standing::Active(
        role.parse()?,
        super::mfa::is_active(conn, user_id)?,
    ))
}
