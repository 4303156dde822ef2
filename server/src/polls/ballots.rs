//! Casting ballots inside a write transaction, one request after another (a batch of them
//! shares the transaction: see `service`).
//!
//! One ballot per seat: the primary keys `ballots (poll_id, user_id)` and `poll_voters
//! (poll_id, user_id)` enforce it whatever the code does. A retry carrying the same idempotency
//! key gets the first answer back (the same receipt) instead of `already_voted`.
//!
//! Secret polls write two rows that share only the poll id: `poll_voters (poll_id, user_id,
//! receipt, key)` and `poll_choices (poll_id, id, choice)`, where `id` is a random UUID v4 (no
//! time in it), the tables have no rowid (SQLite `WITHOUT ROWID`) and no timestamps, the choices
//! of a batch are inserted in an order shuffled apart from the voters', and closing the poll
//! rewrites all its choices in a fresh random order with fresh ids. The receipt is stored with
//! the voter, never with the choice.

use diesel::prelude::*;
use rand::seq::SliceRandom;
use sha2::{Digest, Sha256};

use super::{NamedBallot, PollRow, PollState};
use crate::auth::AuthUser;
use crate::db::schema::{ballots as b, poll_choices as pc, poll_eligible as pe, poll_voters as pv};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::meetings::MeetingRole;
use crate::meetings::access;

/// Longest idempotency key accepted.
pub const KEY_MAX: usize = 200;

/// A ballot as submitted.
#[derive(Debug, Clone)]
pub struct BallotRequest {
    pub poll_id: String,
    pub user: AuthUser,
    pub choice: String,
    /// `Idempotency-Key` (HTTP) or the live request's `key`/`ref`.
    pub key: Option<String>,
}

/// The answer to a ballot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub poll_id: String,
    /// Random; its SHA-256 is listed in the poll's `poll.closed` audit entry.
    pub receipt: String,
}

/// What a batch knows of each poll it touched.
#[derive(Debug, Clone)]
enum Status {
    Missing,
    /// Open, and locked against closing for the rest of the transaction.
    Open(PollRow),
    NotOpen(PollRow),
}

/// State shared by the ballots of one transaction.
#[derive(Debug, Default)]
pub struct Batch {
    polls: Vec<(String, Status)>,
    /// Secret choices, written at the end in shuffled order.
    pending_choices: Vec<(String, String)>,
    /// Polls that got at least one new or changed ballot.
    pub touched: Vec<(String, String)>,
}

impl Batch {
    fn poll(&mut self, conn: &mut DbConnection, poll_id: &str) -> Result<Status, ApiError> {
        if let Some((_, s)) = self.polls.iter().find(|(id, _)| id == poll_id) {
            return Ok(s.clone());
        }
        let status = match super::get(conn, poll_id) {
            Err(ApiError::NotFound { .. }) => Status::Missing,
            Err(e) => return Err(e),
            Ok(row) if row.state == PollState::Open.as_str() && lock_open(conn, poll_id)? => {
                Status::Open(row)
            }
            Ok(row) => Status::NotOpen(row),
        };
        self.polls.push((poll_id.to_owned(), status.clone()));
        Ok(status)
    }

    fn touch(&mut self, row: &PollRow) {
        if !self.touched.iter().any(|(id, _)| id == &row.id) {
            self.touched.push((row.id.clone(), row.meeting_id.clone()));
        }
    }

    /// Writes what the batch deferred; call once, last, inside the transaction.
    pub fn finish(&mut self, conn: &mut DbConnection) -> Result<(), ApiError> {
        let mut choices = std::mem::take(&mut self.pending_choices);
        choices.shuffle(&mut rand::rng());
        insert_choices(conn, &choices)
    }
}

/// True when the poll is open; on PostgreSQL also takes a share lock on its row, which `close`
/// (an exclusive row update) waits for, so no ballot commits into a poll being closed.
fn lock_open(conn: &mut DbConnection, poll_id: &str) -> Result<bool, ApiError> {
    match conn {
        DbConnection::Postgresql(pg) => {
            #[derive(QueryableByName)]
            struct One {
                #[diesel(sql_type = diesel::sql_types::Integer)]
                #[allow(dead_code)]
                one: i32,
            }
            let rows: Vec<One> = diesel::sql_query(
                "SELECT 1 AS one FROM polls WHERE id = $1 AND state = 'open' FOR SHARE",
            )
            .bind::<diesel::sql_types::Text, _>(poll_id)
            .load(pg)?;
            Ok(!rows.is_empty())
        }
        // `BEGIN IMMEDIATE` already holds the database's write lock: nothing closes meanwhile.
        DbConnection::Sqlite(_) => Ok(true),
    }
}

fn insert_choices(conn: &mut DbConnection, choices: &[(String, String)]) -> Result<(), ApiError> {
    for (poll_id, choice) in choices {
        diesel::insert_into(pc::table)
            .values((
                pc::poll_id.eq(poll_id),
                // v4: random, unlike the time-ordered v7 ids used elsewhere.
                pc::id.eq(uuid::Uuid::new_v4().to_string()),
                pc::choice.eq(choice),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A new receipt: 128 random bits, hex.
fn new_receipt() -> String {
    crate::audit::hex(&rand::random::<[u8; 16]>())
}

/// SHA-256 of a receipt, as the audit chain lists it.
pub fn receipt_hash(receipt: &str) -> String {
    crate::audit::hex(&Sha256::digest(receipt.as_bytes()))
}

/// Why a caller who is not in the poll's snapshot cannot vote, in the contract's order: not in
/// the meeting 404; observers and other non-members 403; a draft or closed poll 409; a member
/// who was not present at opening 403 `not_eligible`.
fn refusal(conn: &mut DbConnection, row: &PollRow, user: &AuthUser) -> ApiError {
    let access = match access::load(conn, &row.meeting_id, user) {
        Ok(a) => a,
        Err(ApiError::NotFound { .. }) => return ApiError::NotFound { what: "poll" },
        Err(e) => return e,
    };
    if access.acting_role() != Some(MeetingRole::Member) {
        return ApiError::forbidden("forbidden", "only members vote");
    }
    if row.state != PollState::Open.as_str() {
        return not_open();
    }
    ApiError::forbidden(
        "not_eligible",
        "you were not checked in when the vote opened",
    )
}

fn not_open() -> ApiError {
    ApiError::conflict("poll_not_open", "the poll is not open for voting")
}

/// A seat's ballot so far: (receipt, idempotency key).
fn existing(
    conn: &mut DbConnection,
    row: &PollRow,
    seat: &str,
) -> Result<Option<(String, Option<String>)>, ApiError> {
    Ok(if row.secret {
        pv::table
            .find((&row.id, seat))
            .select((pv::receipt, pv::idempotency_key))
            .first(conn)
            .optional()?
    } else {
        b::table
            .find((&row.id, seat))
            .select((b::receipt, b::idempotency_key))
            .first(conn)
            .optional()?
    })
}

/// Casts one ballot inside the batch's transaction.
pub fn cast(
    conn: &mut DbConnection,
    batch: &mut Batch,
    req: &BallotRequest,
) -> Result<Receipt, ApiError> {
    let row = match batch.poll(conn, &req.poll_id)? {
        Status::Missing => return Err(ApiError::NotFound { what: "poll" }),
        Status::Open(row) | Status::NotOpen(row) => row,
    };
    let seat: Option<String> = pe::table
        .find((&row.id, &req.user.id))
        .select(pe::seat_id)
        .first(conn)
        .optional()?;
    let Some(seat) = seat else {
        return Err(refusal(conn, &row, &req.user));
    };
    if !matches!(batch.poll(conn, &row.id)?, Status::Open(_)) {
        return Err(not_open());
    }
    if !row.options()?.contains(&req.choice) {
        return Err(ApiError::invalid(
            "unknown_option",
            format!("{:?} is not an option of this poll", req.choice),
        ));
    }
    let answer = |receipt: String| Receipt {
        poll_id: row.id.clone(),
        receipt,
    };
    if let Some((receipt, key)) = existing(conn, &row, &seat)? {
        if req.key.is_some() && key == req.key {
            return Ok(answer(receipt));
        }
        // Secret polls never allow changes (refused at creation); named ones may.
        if !row.allow_change || row.secret {
            return Err(ApiError::conflict(
                "already_voted",
                "a ballot has been cast for this seat already",
            ));
        }
        let receipt = new_receipt();
        diesel::update(b::table.find((&row.id, &seat)))
            .set((
                b::choice.eq(&req.choice),
                b::cast_by.eq(&req.user.id),
                b::receipt.eq(&receipt),
                b::idempotency_key.eq(&req.key),
                b::cast_at.eq(db::now()),
            ))
            .execute(conn)?;
        batch.touch(&row);
        return Ok(answer(receipt));
    }
    let receipt = new_receipt();
    if row.secret {
        diesel::insert_into(pv::table)
            .values((
                pv::poll_id.eq(&row.id),
                pv::user_id.eq(&seat),
                pv::receipt.eq(&receipt),
                pv::idempotency_key.eq(&req.key),
            ))
            .execute(conn)?;
        batch
            .pending_choices
            .push((row.id.clone(), req.choice.clone()));
    } else {
        diesel::insert_into(b::table)
            .values((
                b::poll_id.eq(&row.id),
                b::user_id.eq(&seat),
                b::cast_by.eq(&req.user.id),
                b::choice.eq(&req.choice),
                b::receipt.eq(&receipt),
                b::idempotency_key.eq(&req.key),
                b::cast_at.eq(db::now()),
            ))
            .execute(conn)?;
    }
    batch.touch(&row);
    Ok(answer(receipt))
}

/// Rewrites a secret poll's choices with new random ids, in random order, in the closing
/// transaction: whatever order or transaction the rows were first written in (visible on
/// PostgreSQL through system columns such as `xmin`) is gone from the live rows.
pub fn reshuffle_choices(conn: &mut DbConnection, poll_id: &str) -> Result<(), ApiError> {
    let mut choices: Vec<String> = pc::table
        .filter(pc::poll_id.eq(poll_id))
        .select(pc::choice)
        .load(conn)?;
    diesel::delete(pc::table.filter(pc::poll_id.eq(poll_id))).execute(conn)?;
    choices.shuffle(&mut rand::rng());
    let rows: Vec<(String, String)> = choices
        .into_iter()
        .map(|c| (poll_id.to_owned(), c))
        .collect();
    insert_choices(conn, &rows)
}

/// SHA-256 of every receipt of the poll (for the audit entry of its closing).
pub fn receipt_hashes(conn: &mut DbConnection, row: &PollRow) -> Result<Vec<String>, ApiError> {
    let receipts: Vec<String> = if row.secret {
        pv::table
            .filter(pv::poll_id.eq(&row.id))
            .select(pv::receipt)
            .load(conn)?
    } else {
        b::table
            .filter(b::poll_id.eq(&row.id))
            .select(b::receipt)
            .load(conn)?
    };
    Ok(receipts.iter().map(|r| receipt_hash(r)).collect())
}

/// A named poll's ballots by seat.
pub fn named(conn: &mut DbConnection, poll_id: &str) -> Result<Vec<NamedBallot>, ApiError> {
    let rows: Vec<(String, String, String)> = b::table
        .filter(b::poll_id.eq(poll_id))
        .order(b::user_id.asc())
        .select((b::user_id, b::choice, b::cast_by))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user_id, choice, cast_by)| NamedBallot {
            cast_by: (cast_by != user_id).then_some(cast_by),
            user_id,
            choice,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_are_random_and_hash_to_hex() {
        let (a, b) = (new_receipt(), new_receipt());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        let h = receipt_hash(&a);
        assert_eq!(h.len(), 64);
        assert!(h.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(h, receipt_hash(&a));
    }
}
