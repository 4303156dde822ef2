//! Casting a batch of ballots inside one write transaction (group commit: see `service`).
//!
//! A batch costs a handful of statements whatever its size: it reads the polls (share-locking
//! the open ones on PostgreSQL), the seats of its voters and those seats' ballots so far with
//! one `IN` list each, decides every request in memory in arrival order (`plan`, pure), and
//! writes the new ballots with multi-row inserts (at most `MAX_PARAMS` bound parameters per
//! statement, SQLite's lowest limit).
//!
//! One ballot per seat: the primary keys `ballots (poll_id, user_id)` and `poll_voters
//! (poll_id, user_id)` enforce it whatever the code does. A retry carrying the same idempotency
//! key gets the first answer back (the same receipt) instead of `already_voted`, also when the
//! first attempt is in the same batch.
//!
//! Idempotency keys arrive here already as keyed hashes (`super::keys`, done by the service
//! before queueing) and are erased when the poll closes (`forget_keys`).
//!
//! Secret polls write two rows that share only the poll id: `poll_voters (poll_id, user_id,
//! receipt, key hash)` and `poll_choices (poll_id, id, choice)`, where `id` is a random UUID v4 (no
//! time in it), the tables have no rowid (SQLite `WITHOUT ROWID`) and no timestamps, the choices
//! of a batch are inserted in an order shuffled apart from the voters', and closing the poll
//! rewrites all its choices in a fresh random order with fresh ids. The receipt is stored with
//! the voter, never with the choice.

use std::collections::HashMap;

use diesel::prelude::*;
use rand::seq::SliceRandom;
use sha2::{Digest, Sha256};

use super::{NamedBallot, Options, PollRow, PollState};
use crate::auth::AuthUser;
use crate::db::schema::{
    ballots as b, poll_choices as pc, poll_eligible as pe, poll_voters as pv, polls,
};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::meetings::access;

/// Longest idempotency key accepted.
pub const KEY_MAX: usize = 200;

/// A ballot as submitted.
#[derive(Debug, Clone)]
pub struct BallotRequest {
    pub poll_id: String,
    pub user: AuthUser,
    pub choice: String,
    /// `Idempotency-Key` (HTTP) or the live request's `key`/`ref`; replaced by its keyed hash
    /// (`PollService::cast`) before the ballot is queued.
    pub key: Option<String>,
    /// The member's comment (named polls; required with `other`, at most `COMMENT_MAX`).
    pub comment: Option<String>,
}

/// The longest comment a ballot carries, in characters.
pub const COMMENT_MAX: usize = 2_000;

/// Checks a ballot's comment: only on named polls, required with the option `other` (Ý kiến
/// khác), at most `COMMENT_MAX` characters.
fn check_comment(req: &BallotRequest, secret: bool) -> Result<(), ApiError> {
    let comment = req
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    match comment {
        Some(_) if secret => Err(ApiError::invalid(
            "invalid_comment",
            "a secret poll's ballot carries no comment: it would tell who voted",
        )),
        Some(c) if c.chars().count() > COMMENT_MAX => Err(ApiError::invalid(
            "comment_too_long",
            format!("a comment is at most {COMMENT_MAX} characters"),
        )),
        None if req.choice == "other" => Err(ApiError::invalid(
            "comment_required",
            "the answer \"other\" (ý kiến khác) needs a comment saying what",
        )),
        _ => Ok(()),
    }
}

/// The answer to a ballot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub poll_id: String,
    /// Random; its SHA-256 is listed in the poll's `poll.closed` audit entry.
    pub receipt: String,
}

/// A multi-row insert, run on the connection's own backend: diesel's multi-backend connection
/// does not build multi-row `INSERT`s, each backend's connection does (one statement for all
/// the rows; no `DEFAULT` values, so SQLite needs no row-by-row fallback).
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            DbConnection::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c),
            DbConnection::Postgresql(c) => diesel::insert_into($table).values($rows).execute(c),
        }
    };
}

/// Most parameters bound in one statement. SQLite builds before 3.32 stop at 999 (later ones at
/// 32,766; PostgreSQL at 65,535): the lowest keeps every statement valid on any build.
const MAX_PARAMS: usize = 999;

/// Rows (or list items) per statement for a statement that binds `per_row` parameters for each
/// and `fixed` besides; at least one.
pub fn rows_per_statement(per_row: usize, fixed: usize) -> usize {
    (MAX_PARAMS.saturating_sub(fixed) / per_row.max(1)).max(1)
}

/// A seat's ballot so far (stored, or written earlier in the same batch).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Prior {
    receipt: String,
    key: Option<String>,
}

/// Where a named ballot written by this batch sits in `Writes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Insert(usize),
    Change(usize),
}

/// What a batch read about one poll, and what it has decided for it so far.
#[derive(Debug)]
struct PollFacts {
    row: PollRow,
    options: Options,
    /// Open, and (PostgreSQL) share-locked against closing for the rest of the transaction.
    open: bool,
    /// Voter → seat, for the batch's voters who are in the poll's snapshot.
    seats: HashMap<String, String>,
    /// Seat → its ballot, for the batch's seats that have one.
    prior: HashMap<String, Prior>,
    /// Named polls: seat → its row written by this batch.
    pending: HashMap<String, Pending>,
    /// Ballots this batch adds (not changes).
    added: usize,
    changed: usize,
}

/// A named ballot row.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BallotRow {
    poll_id: String,
    seat: String,
    cast_by: String,
    choice: String,
    receipt: String,
    key: Option<String>,
    comment: Option<String>,
}

/// A secret poll's voter row.
#[derive(Debug, Clone, PartialEq, Eq)]
struct VoterRow {
    poll_id: String,
    seat: String,
    receipt: String,
    key: Option<String>,
}

/// Rows a batch writes at its end, a few statements in all.
#[derive(Debug, Default)]
struct Writes {
    ballots: Vec<BallotRow>,
    changes: Vec<BallotRow>,
    voters: Vec<VoterRow>,
    /// Secret choices `(poll_id, choice)`, shuffled apart from the voters before writing.
    choices: Vec<(String, String)>,
}

impl Writes {
    /// Puts the rows in key order, `(poll, seat)`, keeping the arrival order of one seat's
    /// rows (a later change wins). Two batches that write the same seats (members who vote
    /// twice at once, landing in different batches) then take the rows' locks in the same
    /// order; in arrival order they could each wait for the other, and PostgreSQL would abort
    /// one after its deadlock timeout (its ballots were retried, a second late).
    fn in_key_order(&mut self) {
        self.changes
            .sort_by(|a, b| (&a.poll_id, &a.seat).cmp(&(&b.poll_id, &b.seat)));
        self.ballots
            .sort_by(|a, b| (&a.poll_id, &a.seat).cmp(&(&b.poll_id, &b.seat)));
        self.voters
            .sort_by(|a, b| (&a.poll_id, &a.seat).cmp(&(&b.poll_id, &b.seat)));
    }
}

/// What becomes of one request, decided from what the batch read.
#[derive(Debug)]
enum Step {
    Answer(Result<Receipt, ApiError>),
    /// The caller is not in the poll's snapshot; why depends on their access to the meeting,
    /// looked up apart (rare).
    NotEligible,
}

fn already_voted() -> ApiError {
    ApiError::conflict(
        "already_voted",
        "a ballot has been cast for this seat already",
    )
}

/// Decides one request against the batch's reads and the requests before it in the batch (a
/// seat that voted earlier in the batch has voted), recording what to write. Refusals come in
/// the contract's order: unknown poll, not in the snapshot, not open, unknown option, voted.
fn plan(
    facts: Option<&mut PollFacts>,
    req: &BallotRequest,
    writes: &mut Writes,
    receipt: &mut impl FnMut() -> String,
) -> Step {
    let Some(f) = facts else {
        return Step::Answer(Err(ApiError::NotFound { what: "poll" }));
    };
    let Some(seat) = f.seats.get(&req.user.id).cloned() else {
        return Step::NotEligible;
    };
    if !f.open {
        return Step::Answer(Err(not_open(&f.row.state)));
    }
    if !f.options.contains(&req.choice) {
        return Step::Answer(Err(ApiError::invalid(
            "unknown_option",
            format!("{:?} is not an option of this poll", req.choice),
        )));
    }
    if let Err(e) = check_comment(req, f.row.secret) {
        return Step::Answer(Err(e));
    }
    let comment = req
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    let answer = |receipt: String| {
        Step::Answer(Ok(Receipt {
            poll_id: f.row.id.clone(),
            receipt,
        }))
    };
    if let Some(prior) = f.prior.get(&seat) {
        if req.key.is_some() && prior.key == req.key {
            return answer(prior.receipt.clone());
        }
        // Secret polls never allow changes (refused at creation); named ones may.
        if !f.row.allow_change || f.row.secret {
            return Step::Answer(Err(already_voted()));
        }
        let row = BallotRow {
            poll_id: f.row.id.clone(),
            seat: seat.clone(),
            cast_by: req.user.id.clone(),
            choice: req.choice.clone(),
            receipt: receipt(),
            key: req.key.clone(),
            comment: comment.clone(),
        };
        // A seat changed twice in one batch, or voted and changed: one row, the last word.
        match f.pending.get(&seat) {
            Some(Pending::Insert(i)) => writes.ballots[*i] = row.clone(),
            Some(Pending::Change(i)) => writes.changes[*i] = row.clone(),
            None => {
                f.pending
                    .insert(seat.clone(), Pending::Change(writes.changes.len()));
                writes.changes.push(row.clone());
                f.changed += 1;
            }
        }
        f.prior.insert(
            seat,
            Prior {
                receipt: row.receipt.clone(),
                key: row.key,
            },
        );
        return answer(row.receipt);
    }
    let new = Prior {
        receipt: receipt(),
        key: req.key.clone(),
    };
    if f.row.secret {
        writes.voters.push(VoterRow {
            poll_id: f.row.id.clone(),
            seat: seat.clone(),
            receipt: new.receipt.clone(),
            key: new.key.clone(),
        });
        writes.choices.push((f.row.id.clone(), req.choice.clone()));
    } else {
        f.pending
            .insert(seat.clone(), Pending::Insert(writes.ballots.len()));
        writes.ballots.push(BallotRow {
            poll_id: f.row.id.clone(),
            seat: seat.clone(),
            cast_by: req.user.id.clone(),
            choice: req.choice.clone(),
            receipt: new.receipt.clone(),
            key: new.key.clone(),
            comment,
        });
    }
    f.added += 1;
    let receipt = new.receipt.clone();
    f.prior.insert(seat, new);
    answer(receipt)
}

/// A poll a batch wrote ballots into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touched {
    pub poll_id: String,
    pub meeting_id: String,
    pub secret: bool,
    /// Voters in the poll's snapshot.
    pub eligible: i64,
    /// New ballots (not changes) the batch added.
    pub added: usize,
}

/// Each ballot's answer, in the order of the requests, and the polls that got ballots.
pub type Cast = (Vec<Result<Receipt, ApiError>>, Vec<Touched>);

/// Casts a batch of ballots inside the caller's write transaction, with a handful of statements
/// whatever its size: the polls (and on PostgreSQL their share locks), the voters' seats, the
/// seats' ballots so far, then multi-row inserts. Each request gets its own answer; a database
/// error fails the whole batch (the caller then retries each ballot alone).
pub fn cast_batch(conn: &mut DbConnection, requests: &[BallotRequest]) -> Result<Cast, ApiError> {
    let mut poll_ids: Vec<&str> = Vec::new();
    for r in requests {
        if !poll_ids.contains(&r.poll_id.as_str()) {
            poll_ids.push(&r.poll_id);
        }
    }
    let mut facts: Vec<PollFacts> = Vec::new();
    for chunk in poll_ids.chunks(rows_per_statement(1, 0)) {
        let rows: Vec<PollRow> = polls::table
            .filter(polls::id.eq_any(chunk))
            .select(PollRow::as_select())
            .load(conn)?;
        for row in rows {
            let open = row.state == PollState::Open.as_str() && lock_open(conn, &row.id)?;
            facts.push(PollFacts {
                options: row.options()?,
                row,
                open,
                seats: HashMap::new(),
                prior: HashMap::new(),
                pending: HashMap::new(),
                added: 0,
                changed: 0,
            });
        }
    }
    for f in &mut facts {
        let mut voters: Vec<&str> = requests
            .iter()
            .filter(|r| r.poll_id == f.row.id)
            .map(|r| r.user.id.as_str())
            .collect();
        voters.sort_unstable();
        voters.dedup();
        f.seats = eligible_seats(conn, &f.row.id, &voters)?;
        let mut seats: Vec<&str> = f.seats.values().map(String::as_str).collect();
        seats.sort_unstable();
        seats.dedup();
        f.prior = priors(conn, &f.row, &seats)?;
    }

    let mut writes = Writes::default();
    let mut results = Vec::with_capacity(requests.len());
    for r in requests {
        let step = plan(
            facts.iter_mut().find(|f| f.row.id == r.poll_id),
            r,
            &mut writes,
            &mut new_receipt,
        );
        results.push(match step {
            Step::Answer(a) => a,
            Step::NotEligible => match facts.iter().find(|f| f.row.id == r.poll_id) {
                Some(f) => match refusal(conn, &f.row, &r.user) {
                    // The transaction may be unusable after a database error (PostgreSQL
                    // aborts it): fail the batch so that each ballot is retried alone.
                    e @ (ApiError::Internal(_) | ApiError::Unavailable) => return Err(e),
                    e => Err(e),
                },
                None => Err(ApiError::NotFound { what: "poll" }),
            },
        });
    }

    writes.in_key_order();
    for c in &writes.changes {
        diesel::update(b::table.find((&c.poll_id, &c.seat)))
            .set((
                b::choice.eq(&c.choice),
                b::cast_by.eq(&c.cast_by),
                b::receipt.eq(&c.receipt),
                b::idempotency_key.eq(&c.key),
                b::cast_at.eq(db::now()),
                b::comment.eq(&c.comment),
            ))
            .execute(conn)?;
    }
    let now = db::now();
    for chunk in writes.ballots.chunks(rows_per_statement(8, 0)) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|r| {
                (
                    b::poll_id.eq(&r.poll_id),
                    b::user_id.eq(&r.seat),
                    b::cast_by.eq(&r.cast_by),
                    b::choice.eq(&r.choice),
                    b::receipt.eq(&r.receipt),
                    b::idempotency_key.eq(&r.key),
                    b::cast_at.eq(now),
                    b::comment.eq(&r.comment),
                )
            })
            .collect();
        insert_rows!(conn, b::table, rows)?;
    }
    for chunk in writes.voters.chunks(rows_per_statement(4, 0)) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|r| {
                (
                    pv::poll_id.eq(&r.poll_id),
                    pv::user_id.eq(&r.seat),
                    pv::receipt.eq(&r.receipt),
                    pv::idempotency_key.eq(&r.key),
                )
            })
            .collect();
        insert_rows!(conn, pv::table, rows)?;
    }
    let mut choices = writes.choices;
    choices.shuffle(&mut rand::rng());
    insert_choices(conn, &choices)?;

    let touched = facts
        .into_iter()
        .filter(|f| f.added + f.changed > 0)
        .map(|f| Touched {
            eligible: i64::from(f.row.eligible.unwrap_or(0)),
            poll_id: f.row.id,
            meeting_id: f.row.meeting_id,
            secret: f.row.secret,
            added: f.added,
        })
        .collect();
    Ok((results, touched))
}

/// Voter → seat for those of `voters` in the poll's snapshot.
fn eligible_seats(
    conn: &mut DbConnection,
    poll_id: &str,
    voters: &[&str],
) -> Result<HashMap<String, String>, ApiError> {
    let mut seats = HashMap::with_capacity(voters.len());
    for chunk in voters.chunks(rows_per_statement(1, 1)) {
        let rows: Vec<(String, String)> = pe::table
            .filter(pe::poll_id.eq(poll_id))
            .filter(pe::voter_id.eq_any(chunk))
            .select((pe::voter_id, pe::seat_id))
            .load(conn)?;
        seats.extend(rows);
    }
    Ok(seats)
}

/// Seat → its ballot so far, for those of `seats` that voted.
fn priors(
    conn: &mut DbConnection,
    row: &PollRow,
    seats: &[&str],
) -> Result<HashMap<String, Prior>, ApiError> {
    let mut out = HashMap::new();
    for chunk in seats.chunks(rows_per_statement(1, 1)) {
        let rows: Vec<(String, String, Option<String>)> = if row.secret {
            pv::table
                .filter(pv::poll_id.eq(&row.id))
                .filter(pv::user_id.eq_any(chunk))
                .select((pv::user_id, pv::receipt, pv::idempotency_key))
                .load(conn)?
        } else {
            b::table
                .filter(b::poll_id.eq(&row.id))
                .filter(b::user_id.eq_any(chunk))
                .select((b::user_id, b::receipt, b::idempotency_key))
                .load(conn)?
        };
        out.extend(
            rows.into_iter()
                .map(|(seat, receipt, key)| (seat, Prior { receipt, key })),
        );
    }
    Ok(out)
}

/// Ballots cast in the poll so far.
pub fn voted(conn: &mut DbConnection, poll_id: &str, secret: bool) -> Result<i64, ApiError> {
    Ok(if secret {
        pv::table
            .filter(pv::poll_id.eq(poll_id))
            .count()
            .get_result(conn)?
    } else {
        b::table
            .filter(b::poll_id.eq(poll_id))
            .count()
            .get_result(conn)?
    })
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

/// Inserts secret choices, in the order given, with fresh random ids, a few hundred per
/// statement.
fn insert_choices(conn: &mut DbConnection, choices: &[(String, String)]) -> Result<(), ApiError> {
    for chunk in choices.chunks(rows_per_statement(3, 0)) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(poll_id, choice)| {
                (
                    pc::poll_id.eq(poll_id),
                    // v4: random, unlike the time-ordered v7 ids used elsewhere.
                    pc::id.eq(uuid::Uuid::new_v4().to_string()),
                    pc::choice.eq(choice),
                )
            })
            .collect();
        insert_rows!(conn, pc::table, rows)?;
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
/// the meeting 404; observers and others who do not vote 403; a draft or closed poll 409; a member
/// who was not present at opening 403 `not_eligible`.
fn refusal(conn: &mut DbConnection, row: &PollRow, user: &AuthUser) -> ApiError {
    let access = match access::load(conn, &row.meeting_id, user) {
        Ok(a) => a,
        Err(ApiError::NotFound { .. }) => return ApiError::NotFound { what: "poll" },
        Err(e) => return e,
    };
    if !access
        .acting_role()
        .is_some_and(|role| role.votes(access.meeting.chair_votes))
    {
        return ApiError::forbidden("forbidden", "only voting participants vote");
    }
    if row.state != PollState::Open.as_str() {
        return not_open(&row.state);
    }
    ApiError::forbidden(
        "not_eligible",
        "you were not checked in when the vote opened",
    )
}

/// A draft poll is not open yet (409 `poll_not_open`); one that is closed, or closing as the
/// ballot arrives, is past (409 `poll_closed`: the deadline of a meeting held in writing has
/// passed, the chair has closed the vote).
fn not_open(state: &str) -> ApiError {
    if state == PollState::Draft.as_str() {
        ApiError::conflict("poll_not_open", "the poll is not open for voting yet")
    } else {
        ApiError::conflict(
            "poll_closed",
            "the poll is closed; ballots are no longer taken",
        )
    }
}

/// Drops the idempotency keys of a closed poll's ballots: they answer retries while the poll
/// is open and serve nothing after.
pub fn forget_keys(conn: &mut DbConnection, poll_id: &str) -> Result<(), ApiError> {
    diesel::update(pv::table.filter(pv::poll_id.eq(poll_id)))
        .set(pv::idempotency_key.eq(None::<String>))
        .execute(conn)?;
    diesel::update(b::table.filter(b::poll_id.eq(poll_id)))
        .set(b::idempotency_key.eq(None::<String>))
        .execute(conn)?;
    Ok(())
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
    let rows: Vec<(String, String, String, Option<String>)> = b::table
        .filter(b::poll_id.eq(poll_id))
        .order(b::user_id.asc())
        .select((b::user_id, b::choice, b::cast_by, b::comment))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user_id, choice, cast_by, comment)| NamedBallot {
            cast_by: (cast_by != user_id).then_some(cast_by),
            user_id,
            choice,
            comment,
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

    #[test]
    fn writes_go_in_key_order_and_a_seat_keeps_its_own_order() {
        let row = |poll: &str, seat: &str, choice: &str| BallotRow {
            poll_id: poll.into(),
            seat: seat.into(),
            cast_by: seat.into(),
            choice: choice.into(),
            receipt: format!("{poll}{seat}{choice}"),
            key: None,
            comment: None,
        };
        let voter = |poll: &str, seat: &str| VoterRow {
            poll_id: poll.into(),
            seat: seat.into(),
            receipt: String::new(),
            key: None,
        };
        let mut writes = Writes {
            ballots: vec![
                row("p2", "a", "yes"),
                row("p1", "c", "no"),
                row("p1", "a", "no"),
            ],
            changes: vec![
                row("p1", "b", "yes"),
                row("p1", "a", "no"),
                row("p1", "b", "abstain"),
            ],
            voters: vec![voter("p1", "z"), voter("p1", "m")],
            choices: Vec::new(),
        };
        writes.in_key_order();
        let keys = |rows: &[BallotRow]| {
            rows.iter()
                .map(|r| format!("{}/{}/{}", r.poll_id, r.seat, r.choice))
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(&writes.ballots), ["p1/a/no", "p1/c/no", "p2/a/yes"]);
        assert_eq!(
            keys(&writes.changes),
            ["p1/a/no", "p1/b/yes", "p1/b/abstain"]
        );
        let seats: Vec<&str> = writes.voters.iter().map(|v| v.seat.as_str()).collect();
        assert_eq!(seats, ["m", "z"]);
    }

    #[test]
    fn statements_stay_under_the_parameter_limit() {
        assert_eq!(rows_per_statement(7, 0), 142);
        assert_eq!(rows_per_statement(4, 0), 249);
        assert_eq!(rows_per_statement(3, 0), 333);
        assert_eq!(rows_per_statement(1, 1), 998);
        for (per_row, fixed) in [(1, 0), (3, 0), (4, 0), (7, 0), (1, 1), (13, 5)] {
            let n = rows_per_statement(per_row, fixed);
            assert!(n * per_row + fixed <= MAX_PARAMS, "{per_row} {fixed}");
            assert!(
                (n + 1) * per_row + fixed > MAX_PARAMS,
                "{per_row} {fixed}: not full"
            );
        }
        // Degenerate sizes still make progress.
        assert_eq!(rows_per_statement(0, 0), MAX_PARAMS);
        assert_eq!(rows_per_statement(5000, 0), 1);
        assert_eq!(rows_per_statement(1, 5000), 1);
    }

    fn facts(secret: bool, allow_change: bool, state: PollState) -> PollFacts {
        let row = PollRow {
            id: "p1".into(),
            meeting_id: "m1".into(),
            agenda_item_id: None,
            title: "t".into(),
            secret,
            options: r#"["yes","no","abstain"]"#.into(),
            majority: "simple".into(),
            quorum: None,
            allow_change,
            state: state.as_str().into(),
            eligible: Some(3),
            final_tally: None,
            voted: None,
            result: None,
            created_by: "chair".into(),
            created_at: chrono::NaiveDateTime::default(),
            opened_at: None,
            closed_at: None,
            members: Some(3),
            deemed: None,
            tie_break: None,
        };
        PollFacts {
            options: row.options().unwrap(),
            open: state == PollState::Open,
            row,
            // u1 and u2 sit in their own seats; "sub" votes in m3's.
            seats: [("u1", "u1"), ("u2", "u2"), ("sub", "m3")]
                .into_iter()
                .map(|(v, s)| (v.to_owned(), s.to_owned()))
                .collect(),
            prior: HashMap::new(),
            pending: HashMap::new(),
            added: 0,
            changed: 0,
        }
    }

    fn req(user: &str, choice: &str, key: Option<&str>) -> BallotRequest {
        BallotRequest {
            poll_id: "p1".into(),
            user: AuthUser {
                id: user.into(),
                role: crate::users::Role::Member,
                session_id: String::new(),
            },
            choice: choice.into(),
            key: key.map(str::to_owned),
            comment: None,
        }
    }

    /// Plans `requests` in order against `f`; receipts are r1, r2, ... in the order made.
    fn run(f: &mut PollFacts, requests: &[BallotRequest]) -> (Vec<Result<String, String>>, Writes) {
        let mut writes = Writes::default();
        let mut n = 0;
        let mut receipt = || {
            n += 1;
            format!("r{n}")
        };
        let answers = requests
            .iter()
            .map(|r| match plan(Some(f), r, &mut writes, &mut receipt) {
                Step::Answer(Ok(rc)) => Ok(rc.receipt),
                Step::Answer(Err(e)) => Err(e.code().to_owned()),
                Step::NotEligible => Err("not_in_snapshot".into()),
            })
            .collect();
        (answers, writes)
    }

    #[test]
    fn a_seat_votes_once_per_batch_and_retries_get_the_first_receipt() {
        let mut f = facts(false, false, PollState::Open);
        let (answers, writes) = run(
            &mut f,
            &[
                req("u1", "yes", Some("k")),
                req("u1", "no", Some("other")),
                req("u1", "yes", Some("k")),
                req("u1", "yes", None),
                req("u2", "no", None),
            ],
        );
        assert_eq!(
            answers,
            [
                Ok("r1".into()),
                Err("already_voted".into()),
                Ok("r1".into()),
                Err("already_voted".into()),
                Ok("r2".into()),
            ]
        );
        let seats: Vec<(&str, &str)> = writes
            .ballots
            .iter()
            .map(|b| (b.seat.as_str(), b.choice.as_str()))
            .collect();
        assert_eq!(seats, [("u1", "yes"), ("u2", "no")]);
        assert!(writes.changes.is_empty() && writes.voters.is_empty());
        assert_eq!((f.added, f.changed), (2, 0));
    }

    #[test]
    fn stored_ballots_are_seen_and_keys_answer_retries() {
        let mut f = facts(false, false, PollState::Open);
        f.prior.insert(
            "u1".into(),
            Prior {
                receipt: "old".into(),
                key: Some("k".into()),
            },
        );
        let (answers, writes) = run(
            &mut f,
            &[req("u1", "yes", Some("k")), req("u1", "yes", Some("j"))],
        );
        assert_eq!(answers, [Ok("old".into()), Err("already_voted".into())]);
        assert!(writes.ballots.is_empty() && writes.changes.is_empty());
        assert_eq!(f.added, 0);
    }

    #[test]
    fn refusals_come_in_the_contracts_order() {
        let mut open = facts(false, false, PollState::Open);
        let (answers, _) = run(
            &mut open,
            &[req("stranger", "yes", None), req("u1", "maybe", None)],
        );
        assert_eq!(
            answers,
            [Err("not_in_snapshot".into()), Err("unknown_option".into())]
        );
        let mut closed = facts(false, false, PollState::Closed);
        let (answers, writes) = run(
            &mut closed,
            &[req("stranger", "maybe", None), req("u1", "maybe", None)],
        );
        assert_eq!(
            answers,
            [Err("not_in_snapshot".into()), Err("poll_closed".into())]
        );
        assert!(writes.ballots.is_empty());
        let mut writes = Writes::default();
        let missing = plan(None, &req("u1", "yes", None), &mut writes, &mut || {
            String::new()
        });
        assert!(matches!(
            missing,
            Step::Answer(Err(ApiError::NotFound { .. }))
        ));
    }

    #[test]
    fn substitutes_vote_in_the_members_seat() {
        let mut f = facts(false, false, PollState::Open);
        let (answers, writes) = run(&mut f, &[req("sub", "no", None), req("sub", "yes", None)]);
        assert_eq!(answers, [Ok("r1".into()), Err("already_voted".into())]);
        assert_eq!(writes.ballots.len(), 1);
        assert_eq!(
            (
                writes.ballots[0].seat.as_str(),
                writes.ballots[0].cast_by.as_str()
            ),
            ("m3", "sub")
        );
    }

    #[test]
    fn secret_ballots_write_a_voter_and_a_separate_choice() {
        let mut f = facts(true, false, PollState::Open);
        let (answers, writes) = run(
            &mut f,
            &[
                req("u1", "yes", Some("a")),
                req("u2", "no", None),
                req("u2", "yes", None),
            ],
        );
        assert_eq!(
            answers,
            [
                Ok("r1".into()),
                Ok("r2".into()),
                Err("already_voted".into())
            ]
        );
        assert!(writes.ballots.is_empty());
        let voters: Vec<(&str, &str, Option<&str>)> = writes
            .voters
            .iter()
            .map(|v| (v.seat.as_str(), v.receipt.as_str(), v.key.as_deref()))
            .collect();
        assert_eq!(voters, [("u1", "r1", Some("a")), ("u2", "r2", None)]);
        // The choice rows carry the poll and the choice, nothing of the voter.
        assert_eq!(
            writes.choices,
            [
                ("p1".to_owned(), "yes".to_owned()),
                ("p1".to_owned(), "no".to_owned())
            ]
        );
    }

    #[test]
    fn changes_keep_one_row_per_seat_with_the_last_word() {
        let mut f = facts(false, true, PollState::Open);
        f.prior.insert(
            "u2".into(),
            Prior {
                receipt: "old".into(),
                key: None,
            },
        );
        let (answers, writes) = run(
            &mut f,
            &[
                req("u1", "yes", None),
                req("u1", "no", None),
                req("u2", "abstain", None),
                req("u2", "no", Some("k")),
                req("u2", "yes", Some("k")),
            ],
        );
        assert_eq!(
            answers,
            [
                Ok("r1".into()),
                Ok("r2".into()),
                Ok("r3".into()),
                Ok("r4".into()),
                // The same key again: a retry of the last change.
                Ok("r4".into()),
            ]
        );
        let inserted: Vec<(&str, &str, &str)> = writes
            .ballots
            .iter()
            .map(|b| (b.seat.as_str(), b.choice.as_str(), b.receipt.as_str()))
            .collect();
        assert_eq!(inserted, [("u1", "no", "r2")]);
        let changed: Vec<(&str, &str, &str)> = writes
            .changes
            .iter()
            .map(|b| (b.seat.as_str(), b.choice.as_str(), b.receipt.as_str()))
            .collect();
        assert_eq!(changed, [("u2", "no", "r4")]);
        assert_eq!((f.added, f.changed), (1, 1));
    }
}
