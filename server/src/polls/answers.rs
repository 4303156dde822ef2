//! Who has answered a poll, and what I answered: the views a meeting held in writing needs
//! while it is open (its chair and secretary follow who has answered and when; a member sees
//! their own answer on any device). Neither tells a secret poll's choices: for one, the
//! presiders see who has voted without a time, and a member only that they have.

use diesel::prelude::*;
use serde::Serialize;

use super::PollRow;
use crate::db::DbConnection;
use crate::db::schema::{ballots as b, poll_eligible as pe, poll_voters as pv, users};
use crate::error::ApiError;
use crate::meetings::access::Access;

/// One seat of the poll's electorate.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Answer {
    pub user_id: String,
    pub display_name: String,
    pub answered: bool,
    /// When the seat's ballot (the last, where it may change) was cast; null for secret polls.
    pub answered_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Answers {
    pub poll_id: String,
    pub secret: bool,
    pub answered: usize,
    /// The electorate fixed when the poll opened (empty while a draft), by name.
    pub answers: Vec<Answer>,
}

/// The poll's electorate as fixed when it opened: (seat, display name).
pub fn seats(conn: &mut DbConnection, poll_id: &str) -> Result<Vec<(String, String)>, ApiError> {
    Ok(pe::table
        .inner_join(users::table.on(users::id.eq(pe::seat_id)))
        .filter(pe::poll_id.eq(poll_id))
        .select((pe::seat_id, users::display_name))
        .distinct()
        .load(conn)?)
}

/// Who of the electorate has answered; the meeting's presiders only.
pub fn who_answered(
    conn: &mut DbConnection,
    access: &Access,
    row: &PollRow,
) -> Result<Answers, ApiError> {
    if !access.is_presider() {
        return Err(ApiError::forbidden(
            "forbidden",
            "only the meeting's chair and secretary see who has answered",
        ));
    }
    let seats = seats(conn, &row.id)?;
    let mut answers = Vec::with_capacity(seats.len());
    for (seat, display_name) in seats {
        let (answered, answered_at) = if row.secret {
            let voted: i64 = pv::table
                .filter(pv::poll_id.eq(&row.id))
                .filter(pv::user_id.eq(&seat))
                .count()
                .get_result(conn)?;
            (voted > 0, None)
        } else {
            let at: Option<chrono::NaiveDateTime> = b::table
                .filter(b::poll_id.eq(&row.id))
                .filter(b::user_id.eq(&seat))
                .select(b::cast_at)
                .first(conn)
                .optional()?;
            (at.is_some(), at.map(|t| t.and_utc()))
        };
        answers.push(Answer {
            user_id: seat,
            display_name,
            answered,
            answered_at,
        });
    }
    answers.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    Ok(Answers {
        poll_id: row.id.clone(),
        secret: row.secret,
        answered: answers.iter().filter(|a| a.answered).count(),
        answers,
    })
}

/// The caller's own ballot (their seat's, where they vote for someone they substitute).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MyBallot {
    pub poll_id: String,
    pub voted: bool,
    /// Named polls only.
    pub choice: Option<String>,
    pub comment: Option<String>,
    pub cast_at: Option<chrono::DateTime<chrono::Utc>>,
}

pub fn mine(conn: &mut DbConnection, row: &PollRow, user_id: &str) -> Result<MyBallot, ApiError> {
    let seat: Option<String> = pe::table
        .filter(pe::poll_id.eq(&row.id))
        .filter(pe::voter_id.eq(user_id))
        .select(pe::seat_id)
        .first(conn)
        .optional()?;
    let seat = seat.unwrap_or_else(|| user_id.to_owned());
    if row.secret {
        let voted: i64 = pv::table
            .filter(pv::poll_id.eq(&row.id))
            .filter(pv::user_id.eq(&seat))
            .count()
            .get_result(conn)?;
        return Ok(MyBallot {
            poll_id: row.id.clone(),
            voted: voted > 0,
            choice: None,
            comment: None,
            cast_at: None,
        });
    }
    let ballot: Option<(String, Option<String>, chrono::NaiveDateTime)> = b::table
        .filter(b::poll_id.eq(&row.id))
        .filter(b::user_id.eq(&seat))
        .select((b::choice, b::comment, b::cast_at))
        .first(conn)
        .optional()?;
    Ok(match ballot {
        Some((choice, comment, at)) => MyBallot {
            poll_id: row.id.clone(),
            voted: true,
            choice: Some(choice),
            comment,
            cast_at: Some(at.and_utc()),
        },
        None => MyBallot {
            poll_id: row.id.clone(),
            voted: false,
            choice: None,
            comment: None,
            cast_at: None,
        },
    })
}
