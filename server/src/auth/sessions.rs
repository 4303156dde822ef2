//! Sign-in sessions as families of opaque refresh tokens. Only SHA-256 hashes are stored.
//! Each refresh marks the presented token used and issues the next of the family; presenting
//! a used or revoked token again is treated as theft and revokes the whole family.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::refresh_tokens as rt;
use crate::db::{self, DbConnection};
use crate::error::ApiError;

/// A refresh token as handed to the client, and the session it belongs to.
#[derive(Debug)]
pub struct Issued {
    pub token: String,
    pub family_id: String,
}

/// What presenting a refresh token led to.
#[derive(Debug)]
pub enum Rotation {
    /// A fresh token of the same family, for this user.
    Rotated { user_id: String, issued: Issued },
    /// The token had been used or revoked before: the family is now revoked.
    Reused,
    /// Unknown or expired.
    Invalid,
}

fn hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn insert(
    conn: &mut DbConnection,
    user_id: &str,
    family_id: &str,
    ttl_secs: u64,
) -> Result<Issued, ApiError> {
    let bytes: [u8; 32] = rand::random();
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let now = db::now();
    let expires = now + chrono::Duration::seconds(i64::try_from(ttl_secs).unwrap_or(i64::MAX / 4));
    diesel::insert_into(rt::table)
        .values((
            rt::id.eq(db::new_id()),
            rt::family_id.eq(family_id),
            rt::user_id.eq(user_id),
            rt::token_hash.eq(hash(&token)),
            rt::created_at.eq(now),
            rt::expires_at.eq(expires),
        ))
        .execute(conn)?;
    Ok(Issued {
        token,
        family_id: family_id.to_owned(),
    })
}

/// Starts a new session for `user_id`.
pub fn start(conn: &mut DbConnection, user_id: &str, ttl_secs: u64) -> Result<Issued, ApiError> {
    insert(conn, user_id, &db::new_id(), ttl_secs)
}

/// Exchanges `presented` for the next token of its family. Call inside a write transaction;
/// the `Reused` outcome must be committed (the revocation is the point).
pub fn rotate(
    conn: &mut DbConnection,
    presented: &str,
    ttl_secs: u64,
) -> Result<Rotation, ApiError> {
    let found: Option<(String, String, String, NaiveDateTime)> = rt::table
        .filter(rt::token_hash.eq(hash(presented)))
        .select((rt::id, rt::family_id, rt::user_id, rt::expires_at))
        .first(conn)
        .optional()?;
    let Some((id, family_id, user_id, expires_at)) = found else {
        return Ok(Rotation::Invalid);
    };
    lock_family(conn, &family_id)?;
    let now = db::now();
    // Only one caller can flip used_at from NULL: a concurrent second use counts as reuse.
    let claimed = diesel::update(
        rt::table
            .filter(rt::id.eq(&id))
            .filter(rt::used_at.is_null())
            .filter(rt::revoked_at.is_null()),
    )
    .set(rt::used_at.eq(now))
    .execute(conn)?;
    if claimed == 0 {
        revoke_family(conn, &family_id)?;
        return Ok(Rotation::Reused);
    }
    if expires_at <= now {
        return Ok(Rotation::Invalid);
    }
    let issued = insert(conn, &user_id, &family_id, ttl_secs)?;
    Ok(Rotation::Rotated { user_id, issued })
}

/// Takes the row locks of a session's tokens (PostgreSQL; SQLite's write transaction already
/// excludes every other writer), so that rotations and revocations of one session run one
/// after the other. Without it, a revocation racing a rotation missed the token the rotation
/// was inserting: its statement began before that token was committed, and the token
/// outlived the session it belonged to.
fn lock_family(conn: &mut DbConnection, family_id: &str) -> Result<(), ApiError> {
    diesel::update(rt::table.filter(rt::family_id.eq(family_id)))
        .set(rt::family_id.eq(rt::family_id))
        .execute(conn)?;
    Ok(())
}

/// Revokes every token of a session (logout, or reuse detected).
pub fn revoke_family(conn: &mut DbConnection, family_id: &str) -> Result<usize, ApiError> {
    // A separate statement after the lock: it sees a token a concurrent rotation committed.
    lock_family(conn, family_id)?;
    Ok(diesel::update(
        rt::table
            .filter(rt::family_id.eq(family_id))
            .filter(rt::revoked_at.is_null()),
    )
    .set(rt::revoked_at.eq(db::now()))
    .execute(conn)?)
}

#[cfg(test)]
mod tests {
    use super::hash;

    #[test]
    fn hash_is_hex_sha256() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
