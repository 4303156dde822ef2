//! Polls (biểu quyết): motions put to the vote in a meeting, optionally on an agenda item,
//! named or secret, with their options, majority and quorum rules, and their life cycle
//! `draft → open → closed`.
//!
//! Owns: polls and their eligible-voter snapshot (`mod.rs`), the pure majority and quorum
//! rules (`rules`), casting ballots and keeping secret ones unlinkable (`ballots`), group
//! commit of ballots and coalesced live tallies (`service`), the HTTP endpoints (`handlers`).
//! Every decision (created, opened, closed, deleted) goes into the meeting's audit chain in the
//! same transaction.
//!
//! Must never: acknowledge a ballot before it is committed, count a seat twice, or store
//! anything that links a member to a choice in a secret poll (no user id, time or order next to
//! a choice: see `ballots`).

pub mod answers;
pub mod ballots;
pub mod handlers;
pub mod keys;
pub mod rules;
pub mod service;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::audit;
use crate::auth::AuthUser;
use crate::db::schema::{
    ballots as b, participants as p, poll_choices as pc, poll_eligible as pe, poll_voters as pv,
    polls,
};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::events::{self, Event};
use crate::meetings::MeetingState;
use crate::meetings::access::{self, Access};
use crate::patch;

pub use rules::{Majority, Outcome, TieBreak};
pub use service::PollService;

/// The options a poll gets when it names none (shown as Tán thành / Không tán thành / Không
/// biểu quyết).
pub const DEFAULT_OPTIONS: [&str; 3] = ["yes", "no", "abstain"];
const MAX_OPTIONS: usize = 20;
const OPTION_MAX_LEN: usize = 64;

/// Where a poll is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PollState {
    Draft,
    Open,
    Closed,
}

impl PollState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Closed => "closed",
        }
    }

    fn parse(s: &str) -> Result<Self, ApiError> {
        match s {
            "draft" => Ok(Self::Draft),
            "open" => Ok(Self::Open),
            "closed" => Ok(Self::Closed),
            other => Err(ApiError::internal(anyhow::anyhow!(
                "unknown poll state {other}"
            ))),
        }
    }
}

impl fmt::Display for PollState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A poll's options: 2 to 20 distinct texts of 1 to 64 characters, as the tablets show them
/// ("Phương án A", or the default keys `yes`/`no`/`abstain` that tablets translate). Stored
/// trimmed and in Unicode NFC, so the same words typed on two keyboards are one option; a ballot
/// names its choice exactly as the poll lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options(Vec<String>);

impl Options {
    pub fn parse(raw: Option<Vec<String>>) -> Result<Self, ApiError> {
        let invalid = |why: &str| ApiError::invalid("invalid_options", why.to_owned());
        let Some(raw) = raw else {
            return Ok(Self(
                DEFAULT_OPTIONS.iter().map(|s| (*s).to_owned()).collect(),
            ));
        };
        if !(2..=MAX_OPTIONS).contains(&raw.len()) {
            return Err(invalid("a poll has 2 to 20 options"));
        }
        let mut list: Vec<String> = Vec::with_capacity(raw.len());
        for o in raw {
            let o: String = o.trim().nfc().collect();
            let chars = o.chars().count();
            if chars == 0 || chars > OPTION_MAX_LEN || o.chars().any(char::is_control) {
                return Err(invalid(
                    "an option is 1 to 64 characters of text, without control characters",
                ));
            }
            // Options that differ only by case would read the same on a tablet.
            if list.iter().any(|l| l.to_lowercase() == o.to_lowercase()) {
                return Err(invalid("an option is listed twice"));
            }
            list.push(o);
        }
        check_look_alikes(&list)?;
        if list.first().is_some_and(|o| o == rules::ABSTAIN) {
            return Err(invalid(
                "the first option is the motion; it cannot be abstain",
            ));
        }
        Ok(Self(list))
    }

    pub fn contains(&self, choice: &str) -> bool {
        self.0.iter().any(|o| o == choice)
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// Options a voter could not tell apart are refused: one holding an invisible format character
/// (general category Cf: U+200B zero width space, U+00AD soft hyphen, bidi controls, …), two
/// whose Unicode TR39 skeletons match (case aside: "yes" and "ye5", or Latin "a" and Cyrillic
/// "а"), and one that looks like a default key (`yes`, `no`, `abstain`, which tablets show
/// translated and the rules count apart) without being it.
pub fn check_look_alikes(options: &[String]) -> Result<(), ApiError> {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    use unicode_security::confusable_detection::skeleton;

    if options.iter().any(|o| {
        o.chars()
            .any(|c| c.general_category() == GeneralCategory::Format)
    }) {
        return Err(ApiError::invalid(
            "invalid_options",
            "an option holds an invisible formatting character",
        ));
    }
    let confusable = || {
        ApiError::invalid(
            "confusable_options",
            "two options, or an option and a default key (yes, no, abstain), look the same",
        )
    };
    let mut seen: Vec<String> = Vec::with_capacity(options.len());
    for option in options {
        let folded: String = skeleton(&option.to_lowercase()).collect();
        if seen.contains(&folded) {
            return Err(confusable());
        }
        seen.push(folded);
        let shape: String = skeleton(option).collect();
        if DEFAULT_OPTIONS
            .iter()
            .any(|key| option.as_str() != *key && skeleton(key).eq(shape.chars()))
        {
            return Err(confusable());
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = polls)]
pub struct PollRow {
    pub id: String,
    pub meeting_id: String,
    pub agenda_item_id: Option<String>,
    pub title: String,
    pub secret: bool,
    pub options: String,
    pub majority: String,
    pub quorum: Option<i32>,
    pub allow_change: bool,
    pub state: String,
    pub eligible: Option<i32>,
    pub final_tally: Option<String>,
    pub voted: Option<i32>,
    pub result: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub opened_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub members: Option<i32>,
    pub deemed: Option<i32>,
    pub tie_break: Option<String>,
}

impl PollRow {
    pub fn state(&self) -> Result<PollState, ApiError> {
        PollState::parse(&self.state)
    }

    pub fn options(&self) -> Result<Options, ApiError> {
        let list: Vec<String> = serde_json::from_str(&self.options).map_err(ApiError::internal)?;
        Ok(Options(list))
    }

    fn majority(&self) -> Result<Majority, ApiError> {
        Majority::parse(&self.majority).ok_or_else(|| {
            ApiError::internal(anyhow::anyhow!("unknown majority {}", self.majority))
        })
    }

    pub fn tie_break(&self) -> TieBreak {
        self.tie_break
            .as_deref()
            .and_then(TieBreak::parse)
            .unwrap_or(TieBreak::None)
    }
}

/// A ballot of a named poll, published once the poll is closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NamedBallot {
    /// The member whose seat voted.
    pub user_id: String,
    pub choice: String,
    /// Who cast it, when a substitute voted for the member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cast_by: Option<String>,
    /// The member's comment, when the ballot carried one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// Counts per option, in no particular key order.
pub type Tally = BTreeMap<String, u64>;

/// A poll as the API and the live channel show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Poll {
    pub id: String,
    pub meeting_id: String,
    pub agenda_item_id: Option<String>,
    pub title: String,
    pub secret: bool,
    pub options: Vec<String>,
    pub majority: Majority,
    pub quorum: Option<i32>,
    pub allow_change: bool,
    pub state: PollState,
    /// Ballots per option (every option listed, zeros included); null while a secret poll is
    /// open, so that no one learns a choice from the order in which members voted.
    #[schema(value_type = Option<Object>)]
    pub tally: Option<Tally>,
    /// Ballots cast.
    pub voted: u64,
    /// Voters who may vote: voting participants (or their substitutes) present at opening; 0
    /// in a draft.
    pub eligible: u64,
    /// Every voting participant of the meeting at opening, present or not (what
    /// `absolute_all` counts against); null in a draft.
    pub members: Option<u64>,
    /// A written meeting's members who did not answer and count as agreeing (its silence
    /// rule `agree`), once closed: `{"agree": n}`, apart from `tally`; the result counts them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deemed: Option<BTreeMap<String, u64>>,
    /// `chair` where a tie follows the chair's answer (a meeting held in writing, by the
    /// setting `polls.written_ties`); left out where a tie is not adopted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tie_break: Option<TieBreak>,
    pub result: Option<Outcome>,
    /// Named polls, once closed: who chose what.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ballots: Option<Vec<NamedBallot>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPoll {
    pub title: String,
    pub agenda_item_id: Option<String>,
    #[serde(default)]
    pub secret: bool,
    /// Option keys; default `["yes","no","abstain"]`. The first is the motion.
    pub options: Option<Vec<String>>,
    /// Default: the organisation's (`polls.default_majority`).
    pub majority: Option<Majority>,
    /// Voting members who must be present at opening; none by default.
    pub quorum: Option<i32>,
    /// Whether a member may change their ballot while the poll is open (named polls only).
    /// Default false; true in a meeting held in writing (answers change until the deadline).
    #[serde(default)]
    pub allow_change: Option<bool>,
    /// Set by the server, never by the caller: a written meeting's polls take
    /// `polls.written_ties`.
    #[serde(skip)]
    pub tie_break: Option<TieBreak>,
}

impl NewPoll {
    /// The defaults of a poll in a meeting held in writing (contract v2): the options Đồng
    /// ý / Không đồng ý / Ý kiến khác, more than half of all members, and answers that may
    /// change until the deadline (named polls).
    pub fn written_defaults(mut self, ties: TieBreak) -> Self {
        if ties == TieBreak::Chair {
            self.tie_break = Some(ties);
        }
        if self.options.is_none() {
            self.options = Some(vec!["agree".into(), "disagree".into(), "other".into()]);
        }
        if self.majority.is_none() {
            self.majority = Some(Majority::AbsoluteAll);
        }
        if self.allow_change.is_none() && !self.secret {
            self.allow_change = Some(true);
        }
        self
    }
}

/// Changes to a draft poll; absent fields are left, `null` clears the nullable ones.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PollPatch {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub agenda_item_id: Option<Option<String>>,
    pub secret: Option<bool>,
    pub options: Option<Vec<String>>,
    pub majority: Option<Majority>,
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<i32>)]
    pub quorum: Option<Option<i32>>,
    pub allow_change: Option<bool>,
}

/// The poll's row (404 when there is none).
pub fn get(conn: &mut DbConnection, poll_id: &str) -> Result<PollRow, ApiError> {
    polls::table
        .find(poll_id)
        .select(PollRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound { what: "poll" })
}

/// The poll and the caller's access to its meeting; 404 when the caller may not see it.
pub fn load(
    conn: &mut DbConnection,
    poll_id: &str,
    user: &AuthUser,
) -> Result<(PollRow, Access), ApiError> {
    let row = get(conn, poll_id)?;
    let access = access::load(conn, &row.meeting_id, user).map_err(|e| match e {
        ApiError::NotFound { .. } => ApiError::NotFound { what: "poll" },
        other => other,
    })?;
    Ok((row, access))
}

/// As `load`, for a change by the meeting's presiders (chair, meeting secretary, staff): locks
/// the meeting, then re-reads the poll under the lock.
pub fn load_for_change(
    conn: &mut DbConnection,
    poll_id: &str,
    user: &AuthUser,
) -> Result<(PollRow, Access), ApiError> {
    let meeting_id = get(conn, poll_id)?.meeting_id;
    let access = access::load_for_change(conn, &meeting_id, user).map_err(|e| match e {
        ApiError::NotFound { .. } => ApiError::NotFound { what: "poll" },
        other => other,
    })?;
    access.require(crate::meetings::Mover::Presiders)?;
    access.require_open()?;
    Ok((get(conn, poll_id)?, access))
}

fn check_title(title: &str) -> Result<String, ApiError> {
    patch::line(
        title,
        crate::meetings::TITLE_MAX,
        "invalid_title",
        "a title",
    )
}

fn check_quorum(quorum: Option<i32>) -> Result<(), ApiError> {
    if quorum.is_some_and(|q| !(1..=100_000).contains(&q)) {
        return Err(ApiError::invalid(
            "invalid_quorum",
            "a quorum is 1 to 100000 members",
        ));
    }
    Ok(())
}

fn check_item(
    conn: &mut DbConnection,
    meeting_id: &str,
    item: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(item_id) = item {
        crate::agenda::get_in_meeting(conn, meeting_id, item_id).map_err(|_| {
            ApiError::invalid("invalid_agenda_item", "no such agenda item in this meeting")
        })?;
    }
    Ok(())
}

fn check_secrecy(secret: bool, allow_change: bool) -> Result<(), ApiError> {
    if secret && allow_change {
        // Changing a secret ballot would need to know which choice is the member's, which is
        // exactly what a secret poll never stores.
        return Err(ApiError::invalid(
            "invalid_poll",
            "a secret poll cannot let members change their ballot",
        ));
    }
    Ok(())
}

/// What the audit chain records of a poll's definition.
fn definition(row: &PollRow) -> Result<serde_json::Value, ApiError> {
    Ok(serde_json::json!({
        "poll_id": row.id,
        "title": row.title,
        "agenda_item_id": row.agenda_item_id,
        "secret": row.secret,
        "options": row.options()?.as_slice(),
        "majority": row.majority,
        "quorum": row.quorum,
        "allow_change": row.allow_change,
        "tie_break": row.tie_break,
    }))
}

/// `poll.*` event data: the poll with a `poll_id` for clients that key on it.
#[derive(Debug, Serialize)]
struct PollEvent<'a> {
    poll_id: &'a str,
    #[serde(flatten)]
    poll: &'a Poll,
}

fn poll_event(conn: &mut DbConnection, kind: &'static str, poll: &Poll) -> Result<Event, ApiError> {
    events::append(
        conn,
        &poll.meeting_id,
        kind,
        &PollEvent {
            poll_id: &poll.id,
            poll,
        },
    )
}

/// Creates a draft poll (the caller has checked who may).
pub fn create(
    conn: &mut DbConnection,
    meeting_id: &str,
    new: NewPoll,
    default_majority: Majority,
    created_by: &str,
) -> Result<(Poll, Vec<Event>), ApiError> {
    let majority = new.majority.unwrap_or(default_majority);
    let title = check_title(&new.title)?;
    let options = Options::parse(new.options)?;
    check_quorum(new.quorum)?;
    let allow_change = new.allow_change.unwrap_or(false);
    check_secrecy(new.secret, allow_change)?;
    check_item(conn, meeting_id, new.agenda_item_id.as_deref())?;
    let id = db::new_id();
    diesel::insert_into(polls::table)
        .values((
            polls::id.eq(&id),
            polls::meeting_id.eq(meeting_id),
            polls::agenda_item_id.eq(&new.agenda_item_id),
            polls::title.eq(&title),
            polls::secret.eq(new.secret),
            polls::options
                .eq(serde_json::to_string(options.as_slice()).map_err(ApiError::internal)?),
            polls::majority.eq(majority.as_str()),
            polls::quorum.eq(new.quorum),
            polls::allow_change.eq(allow_change),
            polls::tie_break.eq(new.tie_break.map(TieBreak::as_str)),
            polls::state.eq(PollState::Draft.as_str()),
            polls::created_by.eq(created_by),
            polls::created_at.eq(db::now()),
        ))
        .execute(conn)?;
    let row = get(conn, &id)?;
    audit::append(conn, &row.meeting_id, "poll.created", &definition(&row)?)?;
    let poll = view(conn, row)?;
    let event = poll_event(conn, "poll.created", &poll)?;
    Ok((poll, vec![event]))
}

fn require_draft(row: &PollRow) -> Result<(), ApiError> {
    if row.state()? != PollState::Draft {
        return Err(ApiError::conflict(
            "poll_not_draft",
            "only a draft poll can be changed or deleted",
        ));
    }
    Ok(())
}

/// Changes a draft poll.
pub fn update(
    conn: &mut DbConnection,
    row: PollRow,
    patch: PollPatch,
) -> Result<(Poll, Vec<Event>), ApiError> {
    require_draft(&row)?;
    let title = patch
        .title
        .as_deref()
        .map(check_title)
        .transpose()?
        .unwrap_or(row.title.clone());
    let options = match patch.options {
        Some(list) => Options::parse(Some(list))?,
        None => row.options()?,
    };
    let agenda_item_id = patch.agenda_item_id.unwrap_or(row.agenda_item_id.clone());
    check_item(conn, &row.meeting_id, agenda_item_id.as_deref())?;
    let quorum = patch.quorum.unwrap_or(row.quorum);
    check_quorum(quorum)?;
    let secret = patch.secret.unwrap_or(row.secret);
    let allow_change = patch.allow_change.unwrap_or(row.allow_change);
    check_secrecy(secret, allow_change)?;
    let majority = patch
        .majority
        .map_or(row.majority.clone(), |m| m.as_str().to_owned());
    diesel::update(polls::table.find(&row.id))
        .set((
            polls::title.eq(title),
            polls::options
                .eq(serde_json::to_string(options.as_slice()).map_err(ApiError::internal)?),
            polls::agenda_item_id.eq(agenda_item_id),
            polls::quorum.eq(quorum),
            polls::secret.eq(secret),
            polls::allow_change.eq(allow_change),
            polls::majority.eq(majority),
        ))
        .execute(conn)?;
    let row = get(conn, &row.id)?;
    let poll = view(conn, row)?;
    let event = poll_event(conn, "poll.updated", &poll)?;
    Ok((poll, vec![event]))
}

/// Deletes a draft poll.
pub fn delete(conn: &mut DbConnection, row: PollRow) -> Result<Vec<Event>, ApiError> {
    require_draft(&row)?;
    diesel::delete(polls::table.find(&row.id)).execute(conn)?;
    let data = serde_json::json!({"poll_id": row.id, "title": row.title});
    audit::append(conn, &row.meeting_id, "poll.deleted", &data)?;
    Ok(vec![events::append(
        conn,
        &row.meeting_id,
        "poll.deleted",
        &data,
    )?])
}

/// The meeting's voting participants now (members, and the chair unless the meeting says
/// otherwise: `MeetingRole::votes`): how many there are, present or not, and who may vote:
/// each one present in person (voter = seat) or through their substitute (voter = the
/// substitute, seat = the member).
///
/// In a meeting held in writing nobody is present: every voting participant answers, each for
/// their own seat.
fn voters_now(
    conn: &mut DbConnection,
    access: &Access,
    written: bool,
) -> Result<(usize, Vec<(String, String)>), ApiError> {
    let rows: Vec<(String, String, String, Option<String>)> = p::table
        .filter(p::meeting_id.eq(access.meeting_id()))
        .select((p::user_id, p::role, p::attendance, p::substitute_id))
        .load(conn)?;
    let mut members = 0;
    let mut voters = Vec::new();
    for (seat, role, attendance, substitute) in rows {
        let role: crate::meetings::MeetingRole = role.parse()?;
        if !role.votes(access.meeting.chair_votes) {
            continue;
        }
        members += 1;
        if written {
            voters.push((seat.clone(), seat));
            continue;
        }
        match attendance.as_str() {
            "present" => voters.push((seat.clone(), seat)),
            "substituted" => voters.extend(substitute.map(|s| (s, seat))),
            _ => {}
        }
    }
    Ok((members, voters))
}

/// Opens a draft poll in a live meeting, fixing who may vote.
pub fn open(
    conn: &mut DbConnection,
    access: &Access,
    row: PollRow,
) -> Result<(Poll, Vec<Event>), ApiError> {
    match row.state()? {
        PollState::Draft => {}
        PollState::Open => return Err(ApiError::conflict("poll_open", "the poll is open already")),
        PollState::Closed => {
            return Err(ApiError::conflict(
                "poll_closed",
                "a closed poll cannot be opened again",
            ));
        }
    }
    let written = access.meeting.kind() == crate::meetings::written::Kind::Written;
    if written {
        // Held in writing: members answer from the moment it is sent until its deadline.
        if access.state != MeetingState::Scheduled {
            return Err(ApiError::conflict(
                "meeting_not_open",
                "a poll of a meeting held in writing opens once it is sent and before it closes",
            ));
        }
    } else if access.state != MeetingState::Live {
        return Err(ApiError::conflict(
            "meeting_not_live",
            "a poll opens only while the meeting is live",
        ));
    }
    let (members, voters) = voters_now(conn, access, written)?;
    if voters.is_empty() {
        return Err(ApiError::conflict(
            "no_eligible_voters",
            "no voting member is checked in; take attendance before opening the vote",
        ));
    }
    for (voter, seat) in &voters {
        diesel::insert_into(pe::table)
            .values((
                pe::poll_id.eq(&row.id),
                pe::voter_id.eq(voter),
                pe::seat_id.eq(seat),
            ))
            .execute(conn)?;
    }
    let eligible = i32::try_from(voters.len()).map_err(ApiError::internal)?;
    let members = i32::try_from(members).map_err(ApiError::internal)?;
    diesel::update(polls::table.find(&row.id))
        .set((
            polls::state.eq(PollState::Open.as_str()),
            polls::eligible.eq(eligible),
            polls::members.eq(members),
            polls::opened_at.eq(db::now()),
        ))
        .execute(conn)?;
    let row = get(conn, &row.id)?;
    let mut entry = definition(&row)?;
    entry["eligible"] = eligible.into();
    entry["members"] = members.into();
    audit::append(conn, &row.meeting_id, "poll.opened", &entry)?;
    let poll = view(conn, row)?;
    let event = poll_event(conn, "poll.opened", &poll)?;
    Ok((poll, vec![event]))
}

/// Closes an open poll: freezes the tally, decides, publishes the final tally and (named
/// polls) the ballots, and records it all in the audit chain.
pub fn close(conn: &mut DbConnection, row: PollRow) -> Result<(Poll, Vec<Event>), ApiError> {
    if row.state()? != PollState::Open {
        return Err(ApiError::conflict(
            "poll_not_open",
            "only an open poll can be closed",
        ));
    }
    // Takes the poll's row lock (PostgreSQL) so no ballot batch commits into it after the
    // tally below is read: batches hold a share lock on the row while they write.
    let n = diesel::update(
        polls::table
            .find(&row.id)
            .filter(polls::state.eq(PollState::Open.as_str())),
    )
    .set(polls::state.eq(PollState::Closed.as_str()))
    .execute(conn)?;
    if n != 1 {
        return Err(ApiError::conflict(
            "poll_not_open",
            "only an open poll can be closed",
        ));
    }
    if row.secret {
        ballots::reshuffle_choices(conn, &row.id)?;
    }
    ballots::forget_keys(conn, &row.id)?;
    let options = row.options()?;
    let tally = count(conn, &row)?;
    let voted: u64 = tally.values().sum();
    let eligible = u64::try_from(row.eligible.unwrap_or(0)).unwrap_or(0);
    let members = u64::try_from(row.members.unwrap_or(0)).unwrap_or(0);
    // In a meeting held in writing whose silence counts as agreeing, who did not answer is
    // deemed to agree with the motion (the first option): counted for the result, shown apart.
    let meeting = crate::meetings::get(conn, &row.meeting_id)?;
    let deemed = (meeting.kind() == crate::meetings::written::Kind::Written
        && meeting.silence.as_deref() == Some("agree"))
    .then(|| eligible.saturating_sub(voted));
    let motion = options.as_slice().first().cloned();
    let counts = rules::Counts::from_tally(
        options.as_slice().iter().map(|o| {
            let extra = if Some(o) == motion.as_ref() {
                deemed.unwrap_or(0)
            } else {
                0
            };
            (o.as_str(), tally.get(o).copied().unwrap_or(0) + extra)
        }),
        eligible,
        members,
    );
    let quorum = row.quorum.and_then(|q| u64::try_from(q).ok());
    let tie_break = row.tie_break();
    let chair_for = if tie_break == TieBreak::Chair && !row.secret {
        chair_answer(conn, &row)?.map(|choice| Some(&choice) == motion.as_ref())
    } else {
        None
    };
    let (outcome, by_chair) =
        rules::decide_with_tie_break(row.majority()?, quorum, counts, tie_break, chair_for);
    diesel::update(polls::table.find(&row.id))
        .set((
            polls::final_tally.eq(serde_json::to_string(&tally).map_err(ApiError::internal)?),
            polls::voted.eq(i32::try_from(voted).map_err(ApiError::internal)?),
            polls::result.eq(outcome.as_str()),
            polls::closed_at.eq(db::now()),
            polls::deemed.eq(deemed
                .map(i32::try_from)
                .transpose()
                .map_err(ApiError::internal)?),
        ))
        .execute(conn)?;
    let row = get(conn, &row.id)?;
    let mut receipts = ballots::receipt_hashes(conn, &row)?;
    receipts.sort();
    let mut entry = serde_json::json!({
        "poll_id": row.id,
        "tally": tally,
        "voted": voted,
        "eligible": eligible,
        "members": members,
        "result": outcome,
        "receipts": receipts,
    });
    if let Some(n) = deemed {
        entry["deemed"] = n.into();
    }
    if by_chair {
        entry["tie_broken_by_chair"] = true.into();
    }
    let poll = view(conn, row)?;
    if let Some(named) = &poll.ballots {
        entry["ballots"] = serde_json::to_value(named).map_err(ApiError::internal)?;
    }
    audit::append(conn, &poll.meeting_id, "poll.closed", &entry)?;
    let final_tally = events::append(conn, &poll.meeting_id, "poll.tally", &tally_data(&poll))?;
    let closed = poll_event(conn, "poll.closed", &poll)?;
    Ok((poll, vec![final_tally, closed]))
}

/// `poll.tally` data: counts only, never who; a secret poll's counts per option only once it
/// is closed (`Poll::tally` is null until then, and the field is left out).
pub fn tally_data(poll: &Poll) -> serde_json::Value {
    let mut data = serde_json::json!({
        "poll_id": poll.id,
        "voted": poll.voted,
        "eligible": poll.eligible,
    });
    if let Some(tally) = &poll.tally {
        data["tally"] = serde_json::json!(tally);
    }
    data
}

/// The choice of the meeting's chair's own seat in a named poll, if they answered.
pub fn chair_answer(conn: &mut DbConnection, row: &PollRow) -> Result<Option<String>, ApiError> {
    use crate::db::schema::participants as pa;
    Ok(b::table
        .inner_join(
            pa::table.on(pa::user_id
                .eq(b::user_id)
                .and(pa::meeting_id.eq(&row.meeting_id))),
        )
        .filter(b::poll_id.eq(&row.id))
        .filter(pa::role.eq(crate::meetings::MeetingRole::Chair.as_str()))
        .select(b::choice)
        .first(conn)
        .optional()?)
}

/// Ballots per option as they stand (all options listed).
fn count(conn: &mut DbConnection, row: &PollRow) -> Result<Tally, ApiError> {
    let rows: Vec<(String, i64)> = if row.secret {
        pc::table
            .filter(pc::poll_id.eq(&row.id))
            .group_by(pc::choice)
            .select((pc::choice, diesel::dsl::count_star()))
            .load(conn)?
    } else {
        b::table
            .filter(b::poll_id.eq(&row.id))
            .group_by(b::choice)
            .select((b::choice, diesel::dsl::count_star()))
            .load(conn)?
    };
    let mut tally: Tally = row
        .options()?
        .as_slice()
        .iter()
        .map(|o| (o.clone(), 0))
        .collect();
    for (choice, n) in rows {
        *tally.entry(choice).or_default() += u64::try_from(n).unwrap_or(0);
    }
    Ok(tally)
}

/// The API view of a poll: the frozen tally once closed, the live count before.
pub fn view(conn: &mut DbConnection, row: PollRow) -> Result<Poll, ApiError> {
    let state = row.state()?;
    let tally = match (&row.final_tally, state) {
        (Some(text), PollState::Closed) => {
            serde_json::from_str(text).map_err(ApiError::internal)?
        }
        _ => count(conn, &row)?,
    };
    let voted = tally.values().sum();
    // A secret poll's counts stay hidden until it closes: who watched who pressed first would
    // otherwise read each choice off the tally.
    let tally = (!row.secret || state == PollState::Closed).then_some(tally);
    let ballots = if state == PollState::Closed && !row.secret {
        Some(ballots::named(conn, &row.id)?)
    } else {
        None
    };
    Ok(Poll {
        majority: row.majority()?,
        options: row.options()?.0,
        result: row.result.as_deref().and_then(Outcome::parse),
        deemed: row.deemed.and_then(|n| {
            let first = row.options().ok()?.0.into_iter().next()?;
            Some(BTreeMap::from([(first, u64::try_from(n).ok()?)]))
        }),
        eligible: u64::try_from(row.eligible.unwrap_or(0)).unwrap_or(0),
        members: row.members.and_then(|m| u64::try_from(m).ok()),
        tie_break: Some(row.tie_break()).filter(|t| *t == TieBreak::Chair),
        tally,
        voted,
        ballots,
        state,
        id: row.id,
        meeting_id: row.meeting_id,
        agenda_item_id: row.agenda_item_id,
        title: row.title,
        secret: row.secret,
        quorum: row.quorum,
        allow_change: row.allow_change,
        created_by: row.created_by,
        created_at: row.created_at.and_utc(),
        opened_at: row.opened_at.map(|t| t.and_utc()),
        closed_at: row.closed_at.map(|t| t.and_utc()),
    })
}

/// The meeting's polls, oldest first.
pub fn list(conn: &mut DbConnection, meeting_id: &str) -> Result<Vec<Poll>, ApiError> {
    let rows: Vec<PollRow> = polls::table
        .filter(polls::meeting_id.eq(meeting_id))
        .order((polls::created_at.asc(), polls::id.asc()))
        .select(PollRow::as_select())
        .load(conn)?;
    rows.into_iter().map(|r| view(conn, r)).collect()
}

/// Opens every draft poll of a meeting held in writing as it is sent (its access already
/// says `scheduled`): members answer from then until the deadline.
pub fn open_drafts(conn: &mut DbConnection, access: &Access) -> Result<Vec<Event>, ApiError> {
    let rows: Vec<PollRow> = polls::table
        .filter(polls::meeting_id.eq(&access.meeting.id))
        .filter(polls::state.eq(PollState::Draft.as_str()))
        .order((polls::created_at.asc(), polls::id.asc()))
        .select(PollRow::as_select())
        .load(conn)?;
    let mut events = Vec::new();
    for row in rows {
        events.extend(open(conn, access, row)?.1);
    }
    Ok(events)
}

/// How many polls hang on these agenda items (the agenda refuses to delete them silently).
pub fn attached_to(conn: &mut DbConnection, item_ids: &[String]) -> Result<i64, ApiError> {
    Ok(polls::table
        .filter(polls::agenda_item_id.eq_any(item_ids))
        .count()
        .get_result(conn)?)
}

/// When agenda items are deleted with `cascade=true`: draft polls on them go with them (with
/// `poll.deleted` in the audit chain); polls that were opened are decisions and stay, detached
/// from the item. Returns the events to publish.
pub fn release_items(conn: &mut DbConnection, item_ids: &[String]) -> Result<Vec<Event>, ApiError> {
    let rows: Vec<PollRow> = polls::table
        .filter(polls::agenda_item_id.eq_any(item_ids))
        .select(PollRow::as_select())
        .load(conn)?;
    let mut out = Vec::new();
    for row in rows {
        if row.state()? == PollState::Draft {
            out.extend(delete(conn, row)?);
        } else {
            diesel::update(polls::table.find(&row.id))
                .set(polls::agenda_item_id.eq(None::<String>))
                .execute(conn)?;
            let row = get(conn, &row.id)?;
            let poll = view(conn, row)?;
            out.push(poll_event(conn, "poll.updated", &poll)?);
        }
    }
    Ok(out)
}

/// Refuses to close a meeting while one of its polls is open.
pub fn require_none_open(conn: &mut DbConnection, meeting_id: &str) -> Result<(), ApiError> {
    let open: i64 = polls::table
        .filter(polls::meeting_id.eq(meeting_id))
        .filter(polls::state.eq(PollState::Open.as_str()))
        .count()
        .get_result(conn)?;
    if open > 0 {
        return Err(ApiError::conflict(
            "poll_open",
            "a poll of this meeting is still open; close it first",
        ));
    }
    Ok(())
}

/// Voters and choices of a secret poll, for the secrecy tests and the audit: their counts must
/// agree.
pub fn secret_counts(conn: &mut DbConnection, poll_id: &str) -> Result<(i64, i64), ApiError> {
    let voters = pv::table
        .filter(pv::poll_id.eq(poll_id))
        .count()
        .get_result(conn)?;
    let choices = pc::table
        .filter(pc::poll_id.eq(poll_id))
        .count()
        .get_result(conn)?;
    Ok((voters, choices))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        assert_eq!(
            Options::parse(None).unwrap().as_slice(),
            ["yes", "no", "abstain"]
        );
        let custom = Options::parse(Some(vec!["dong_y".into(), "khong".into()])).unwrap();
        assert!(custom.contains("khong") && !custom.contains("yes"));
        // Vietnamese text is an option as typed, trimmed and in NFC.
        let decomposed = "Phu\u{031b}o\u{031b}\u{0300}ng a\u{0301}n A";
        let words = Options::parse(Some(vec![
            format!("  {decomposed} "),
            "Phương án B: xây mới".into(),
        ]))
        .unwrap();
        assert_eq!(words.as_slice(), ["Phường án A", "Phương án B: xây mới"]);
        assert!(words.contains("Phường án A") && !words.contains("Phương án C"));
        for bad in [
            vec!["yes".to_owned()],
            vec!["yes".into(), "yes".into()],
            vec!["Yes".into(), "yes".into()],
            vec!["Đồng ý".into(), "đồng ý".into()],
            vec!["abstain".into(), "yes".into()],
            vec!["".into(), "no".into()],
            vec!["   ".into(), "no".into()],
            vec!["a\nb".into(), "no".into()],
            vec!["x".repeat(65), "no".into()],
            (0..21).map(|i| format!("o{i}")).collect(),
        ] {
            assert!(Options::parse(Some(bad.clone())).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn look_alike_options_are_refused() {
        let code = |list: &[&str]| {
            Options::parse(Some(list.iter().map(|s| (*s).to_owned()).collect()))
                .err()
                .map(|e| e.code())
        };
        assert_eq!(code(&["yes", "ye\u{200b}s"]), Some("invalid_options"));
        assert_eq!(code(&["Đồng ý", "Không\u{00ad}"]), Some("invalid_options"));
        assert_eq!(code(&["yes", "\u{430}bstain"]), Some("confusable_options"));
        assert_eq!(
            code(&["Phương án A", "Phương án \u{391}"]),
            Some("confusable_options")
        );
        assert_eq!(code(&["rn", "m"]), Some("confusable_options"));
        assert_eq!(
            code(&["Phương án 1", "Phương án l"]),
            Some("confusable_options")
        );
        assert_eq!(code(&["yes", "no", "abstain"]), None);
        assert_eq!(code(&["Đồng ý", "Không đồng ý", "Dong y"]), None);
        assert_eq!(code(&["Phương án A", "Phương án B"]), None);
    }

    #[test]
    fn secret_polls_cannot_allow_changes() {
        assert!(check_secrecy(true, true).is_err());
        assert!(check_secrecy(true, false).is_ok());
        assert!(check_secrecy(false, true).is_ok());
    }
}
