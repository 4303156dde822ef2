//! Users: the people who sign in, their system role (admin, secretary, member) and the rules
//! for creating them. Owns the `users` table; never stores or returns a password, only its
//! argon2id hash (see `auth::password`).

pub mod handlers;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::users;
use crate::db::{self, DbConnection};
use crate::error::ApiError;

/// A user's role in the whole system (meeting roles are separate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Secretary,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Secretary => "secretary",
            Role::Member => "member",
        }
    }

    /// Admins and secretaries prepare meetings and see the user directory.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Admin | Role::Secretary)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ApiError;
    fn from_str(s: &str) -> Result<Self, ApiError> {
        match s {
            "admin" => Ok(Role::Admin),
            "secretary" => Ok(Role::Secretary),
            "member" => Ok(Role::Member),
            other => Err(ApiError::invalid(
                "invalid_role",
                format!("unknown role {other:?}; expected admin, secretary or member"),
            )),
        }
    }
}

/// A validated username: 3–64 characters of lowercase letters, digits, `.`, `_` or `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, ApiError> {
        let name = raw.trim().to_lowercase();
        let ok_len = (3..=64).contains(&name.chars().count());
        let ok_chars = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if ok_len && ok_chars {
            Ok(Self(name))
        } else {
            Err(ApiError::invalid(
                "invalid_username",
                "a username has 3 to 64 characters: letters a-z, digits, '.', '_' or '-'",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Passwords are checked for length only (NIST SP 800-63B): 8 to 1024 characters.
pub fn validate_password(password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if (8..=1024).contains(&n) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "invalid_password",
            "a password has 8 to 1024 characters",
        ))
    }
}

/// A display name: 1–200 characters after trimming, any script (Vietnamese names included).
pub fn validate_display_name(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    let n = name.chars().count();
    if (1..=200).contains(&n) && !name.chars().any(crate::patch::is_forbidden_in_line) {
        Ok(name.to_owned())
    } else {
        Err(ApiError::invalid(
            "invalid_display_name",
            "a display name has 1 to 200 characters, without control or bidirectional-override characters",
        ))
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub created_at: NaiveDateTime,
    /// Where notifications are mailed (`notifications.smtp`); null for none.
    pub email: Option<String>,
}

/// A user as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct User {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    /// Where notifications are mailed; null for none.
    #[serde(default)]
    pub email: Option<String>,
}

impl TryFrom<UserRow> for User {
    type Error = ApiError;
    fn try_from(row: UserRow) -> Result<Self, ApiError> {
        Ok(User {
            role: row.role.parse().map_err(|_| {
                ApiError::internal(anyhow::anyhow!(
                    "user {} has unknown role {}",
                    row.id,
                    row.role
                ))
            })?,
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            created_at: row.created_at.and_utc(),
            email: row.email,
        })
    }
}

/// What is needed to create a user, already validated; the hash is computed by the caller.
#[derive(Debug)]
pub struct NewUser {
    pub username: Username,
    pub display_name: String,
    pub role: Role,
    pub password_hash: String,
    pub email: Option<String>,
}

pub fn insert(conn: &mut DbConnection, new: NewUser) -> Result<User, ApiError> {
    let taken = users::table
        .filter(users::username.eq(new.username.as_str()))
        .count()
        .get_result::<i64>(conn)?;
    if taken > 0 {
        return Err(ApiError::conflict(
            "username_taken",
            "this username is already in use",
        ));
    }
    let row = UserRow {
        id: db::new_id(),
        username: new.username.0,
        display_name: new.display_name,
        role: new.role.as_str().to_owned(),
        password_hash: new.password_hash,
        created_at: db::now(),
        email: new.email,
    };
    diesel::insert_into(users::table)
        .values((
            users::id.eq(&row.id),
            users::username.eq(&row.username),
            users::display_name.eq(&row.display_name),
            users::role.eq(&row.role),
            users::password_hash.eq(&row.password_hash),
            users::created_at.eq(row.created_at),
            users::email.eq(&row.email),
        ))
        .execute(conn)
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => ApiError::conflict("username_taken", "this username is already in use"),
            other => other.into(),
        })?;
    User::try_from(row)
}

/// An e-mail address: one that mail can be sent to (RFC 5321 as `lettre` reads it), at most
/// 254 characters; blank is none.
pub fn validate_email(raw: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.len() <= 254 && text.parse::<lettre::Address>().is_ok() {
        Ok(Some(text.to_owned()))
    } else {
        Err(ApiError::invalid(
            "invalid_email",
            "an e-mail address looks like name@example.gov.vn",
        ))
    }
}

/// Sets or clears a user's e-mail address (already validated).
pub fn set_email(conn: &mut DbConnection, id: &str, email: Option<&str>) -> Result<User, ApiError> {
    let n = diesel::update(users::table.find(id))
        .set(users::email.eq(email))
        .execute(conn)?;
    if n == 0 {
        return Err(ApiError::NotFound { what: "user" });
    }
    find(conn, id)
}

/// The e-mail addresses of `ids` that have one.
pub fn emails(conn: &mut DbConnection, ids: &[String]) -> Result<Vec<(String, String)>, ApiError> {
    let rows: Vec<(String, Option<String>)> = users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::email))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, email)| email.map(|e| (id, e)))
        .collect())
}

pub fn find_by_username(conn: &mut DbConnection, name: &str) -> Result<Option<UserRow>, ApiError> {
    Ok(users::table
        .filter(users::username.eq(name.trim().to_lowercase()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut DbConnection, id: &str) -> Result<User, ApiError> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound { what: "user" })
        .and_then(User::try_from)
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<User>, ApiError> {
    users::table
        .order(users::username.asc())
        .select(UserRow::as_select())
        .load(conn)?
        .into_iter()
        .map(User::try_from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(Username::parse(" Chu.Tich ").unwrap().as_str(), "chu.tich");
        for bad in ["ab", "có-dấu", "a b c", "x;drop", &"a".repeat(65)] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn display_names_accept_vietnamese() {
        assert_eq!(
            validate_display_name("  Nguyễn Văn An ").unwrap(),
            "Nguyễn Văn An"
        );
        assert!(validate_display_name("   ").is_err());
        assert!(validate_display_name("a\u{0}b").is_err());
    }

    #[test]
    fn email_addresses() {
        assert_eq!(
            validate_email(Some(" an.nv@camthuy.gov.vn "))
                .unwrap()
                .as_deref(),
            Some("an.nv@camthuy.gov.vn")
        );
        assert_eq!(validate_email(Some("  ")).unwrap(), None);
        for bad in ["an", "an@", "@x.vn", "a b@x.vn", "a@x.vn\nBcc: b@y.vn"] {
            assert!(validate_email(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_round_trip() {
        for r in [Role::Admin, Role::Secretary, Role::Member] {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("chair".parse::<Role>().is_err());
    }

    #[test]
    fn password_length() {
        assert!(validate_password("short").is_err());
        assert!(validate_password("long enough").is_ok());
    }
}
