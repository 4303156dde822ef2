//! What the summary of a meeting held in writing (báo cáo tổng hợp ý kiến) says by itself:
//! when the questions went out and the deadline, and for each question every member asked with
//! their answer (or "coi như đồng ý" / "không trả lời"), its time and comment, the counts and
//! the result. Read in the record's transaction, in the organisation's local time.
//!
//! A secret question names no one's choice: each member shows only whether they answered.

use std::collections::HashMap;

use chrono::{FixedOffset, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{ballots as b, poll_voters as pv, polls as p};
use crate::error::ApiError;
use crate::meetings::MeetingRow;
use crate::meetings::written::Silence;
use crate::polls::{Majority, Outcome, PollRow, TieBreak, rules};

use super::gather::{majority_words, outcome_words};
use super::record::{Consultation, MemberAnswer, Question};

/// An option's key in words, for the options a meeting in writing or in session offers; any
/// other key (a custom option) prints as it is.
pub fn option_words(option: &str) -> String {
    match option {
        "agree" => "Đồng ý",
        "disagree" => "Không đồng ý",
        "other" => "Ý kiến khác",
        "yes" => "Tán thành",
        "no" => "Không tán thành",
        rules::ABSTAIN => "Không biểu quyết",
        other => other,
    }
    .to_owned()
}

pub const DEEMED: &str = "Coi như đồng ý";
pub const SILENT: &str = "Không trả lời";
pub const ANSWERED_SECRETLY: &str = "Đã trả lời (phiếu kín)";

fn local(at: NaiveDateTime, zone: FixedOffset) -> NaiveDateTime {
    at.and_utc().with_timezone(&zone).naive_local()
}

/// The summary's facts for `meeting`, a meeting held in writing.
pub fn gather(
    conn: &mut DbConnection,
    meeting: &MeetingRow,
    zone: FixedOffset,
) -> Result<Consultation, ApiError> {
    let silence_agrees =
        meeting.silence.as_deref().and_then(Silence::parse) == Some(Silence::Agree);
    let rows: Vec<PollRow> = p::table
        .filter(p::meeting_id.eq(&meeting.id))
        .filter(p::state.ne("draft"))
        .order((p::opened_at.asc(), p::created_at.asc(), p::id.asc()))
        .select(PollRow::as_select())
        .load(conn)?;
    let mut asked = 0;
    let mut questions = Vec::with_capacity(rows.len());
    for row in &rows {
        let question = question(conn, row, zone, silence_agrees)?;
        asked = asked.max(question.answers.len());
        questions.push(question);
    }
    Ok(Consultation {
        sent_at: rows
            .iter()
            .filter_map(|r| r.opened_at)
            .min()
            .map(|t| local(t, zone)),
        deadline: meeting.deadline.map(|t| local(t, zone)),
        closed_at: meeting.ended_at.map(|t| local(t, zone)),
        silence_agrees,
        asked,
        questions,
    })
}

fn question(
    conn: &mut DbConnection,
    row: &PollRow,
    zone: FixedOffset,
    silence_agrees: bool,
) -> Result<Question, ApiError> {
    let closed = row.state.as_str() == "closed";
    let seats = crate::polls::answers::seats(conn, &row.id)?;
    let options = row.options()?;
    let mut answers = Vec::with_capacity(seats.len());
    let mut per_option: HashMap<String, i64> = HashMap::new();
    let mut unanswered = 0i64;
    if row.secret {
        let voted: Vec<String> = pv::table
            .filter(pv::poll_id.eq(&row.id))
            .select(pv::user_id)
            .load(conn)?;
        for (seat, name) in &seats {
            let answered = voted.contains(seat);
            if !answered {
                unanswered += 1;
            }
            answers.push(MemberAnswer {
                name: name.clone(),
                answer: unanswered_words(answered, closed, silence_agrees)
                    .unwrap_or(ANSWERED_SECRETLY)
                    .to_owned(),
                at: None,
                comment: None,
            });
        }
        // The counts per option exist only once the poll closed (its final tally).
        if let Some(text) = &row.final_tally {
            let tally: HashMap<String, i64> =
                serde_json::from_str(text).map_err(ApiError::internal)?;
            per_option = tally;
        }
    } else {
        let cast: HashMap<String, (String, Option<String>, NaiveDateTime)> = b::table
            .filter(b::poll_id.eq(&row.id))
            .select((b::user_id, b::choice, b::comment, b::cast_at))
            .load::<(String, String, Option<String>, NaiveDateTime)>(conn)?
            .into_iter()
            .map(|(seat, choice, comment, at)| (seat, (choice, comment, at)))
            .collect();
        for (seat, name) in &seats {
            match cast.get(seat) {
                Some((choice, comment, at)) => {
                    *per_option.entry(choice.clone()).or_default() += 1;
                    answers.push(MemberAnswer {
                        name: name.clone(),
                        answer: option_words(choice),
                        at: Some(local(*at, zone)),
                        comment: comment.clone().filter(|c| !c.trim().is_empty()),
                    });
                }
                None => {
                    unanswered += 1;
                    answers.push(MemberAnswer {
                        name: name.clone(),
                        answer: unanswered_words(false, closed, silence_agrees)
                            .unwrap_or(SILENT)
                            .to_owned(),
                        at: None,
                        comment: None,
                    });
                }
            }
        }
    }
    answers.sort_by(|a, b| a.name.cmp(&b.name));
    let deemed = if closed {
        i64::from(row.deemed.unwrap_or(0))
    } else {
        0
    };
    let majority = Majority::parse(&row.majority)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("unknown majority")))?;
    let eligible = i64::from(row.eligible.unwrap_or(0));
    let of = match majority {
        Majority::AbsoluteAll => row.members.map_or(eligible, i64::from),
        _ => eligible,
    };
    let counts: Vec<(String, i64)> = options
        .as_slice()
        .iter()
        .map(|o| (option_words(o), per_option.get(o).copied().unwrap_or(0)))
        .collect();
    let outcome = row.result.as_deref().and_then(Outcome::parse);
    let tie_broken_by_chair = match outcome {
        Some(outcome) if row.tie_break() == TieBreak::Chair && !row.secret => {
            let motion = options.as_slice().first().cloned().unwrap_or_default();
            let for_motion = per_option.get(&motion).copied().unwrap_or(0) + deemed;
            let against: i64 = options
                .as_slice()
                .iter()
                .skip(1)
                .filter(|o| o.as_str() != rules::ABSTAIN)
                .map(|o| per_option.get(o).copied().unwrap_or(0))
                .sum();
            let counts = rules::Counts {
                for_motion: u64::try_from(for_motion).unwrap_or(0),
                against: u64::try_from(against).unwrap_or(0),
                eligible: u64::try_from(eligible).unwrap_or(0),
                members: u64::try_from(of).unwrap_or(0),
            };
            rules::is_tie(majority, counts) && outcome != Outcome::NoQuorum
        }
        _ => false,
    };
    Ok(Question {
        title: row.title.clone(),
        secret: row.secret,
        answers,
        counts,
        deemed,
        silent: if closed {
            unanswered - deemed
        } else {
            unanswered
        }
        .max(0),
        of,
        majority: majority_words(majority).to_owned(),
        result: outcome.map_or("", outcome_words).to_owned(),
        tie_broken_by_chair,
    })
}

/// What a member who has not answered shows: nothing yet while the question is open, then
/// deemed to agree or silent by the meeting's rule. None: they did answer.
fn unanswered_words(answered: bool, closed: bool, silence_agrees: bool) -> Option<&'static str> {
    if answered {
        None
    } else if closed && silence_agrees {
        Some(DEEMED)
    } else {
        Some(SILENT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_read_in_vietnamese() {
        assert_eq!(option_words("agree"), "Đồng ý");
        assert_eq!(option_words("disagree"), "Không đồng ý");
        assert_eq!(option_words("other"), "Ý kiến khác");
        assert_eq!(option_words("phuong_an_b"), "phuong_an_b");
    }

    #[test]
    fn silence_reads_by_the_rule_once_closed() {
        assert_eq!(unanswered_words(true, true, true), None);
        assert_eq!(unanswered_words(false, true, true), Some(DEEMED));
        assert_eq!(unanswered_words(false, true, false), Some(SILENT));
        // Before the deadline nobody is deemed anything yet.
        assert_eq!(unanswered_words(false, false, true), Some(SILENT));
    }
}
