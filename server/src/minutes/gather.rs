//! What the record says by itself: everything the meeting already knows (when it started and
//! ended, who came and who did not and why, who spoke on which item and for how long, what each
//! closed poll decided, which documents each item had, the audit chain's head), read in one
//! transaction and put in the organisation's local time, beside the editors' texts.

use std::collections::HashMap;

use chrono::{FixedOffset, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::agenda::AgendaItem;
use crate::config::OrganizationSettings;
use crate::db::DbConnection;
use crate::db::schema::{audit_entries as a, documents as d, polls as p, users};
use crate::error::ApiError;
use crate::meetings::MeetingRole;
use crate::polls::{Majority, Outcome, PollRow};

use super::record::{
    Absent, Attendance, Item, Letterhead, Person, PollResult, Present, Record, Speech,
};

/// What the documents carry besides the meeting: their numbers, their date, draft or not.
#[derive(Debug, Clone)]
pub struct Issue {
    pub minutes_number: Option<String>,
    pub conclusions_number: Option<String>,
    pub date: NaiveDate,
    pub draft: bool,
}

/// The organisation's time zone (the settings keep the offset within −12…+14 hours; anything
/// else reads as UTC).
pub fn zone(names: &OrganizationSettings) -> FixedOffset {
    FixedOffset::east_opt(names.utc_offset_minutes * 60)
        .unwrap_or_else(|| chrono::Offset::fix(&chrono::Utc))
}

fn local(at: NaiveDateTime, zone: FixedOffset) -> NaiveDateTime {
    at.and_utc().with_timezone(&zone).naive_local()
}

/// Today in the organisation's time zone.
pub fn today(names: &OrganizationSettings) -> NaiveDate {
    chrono::Utc::now().with_timezone(&zone(names)).date_naive()
}

pub fn letterhead(names: &OrganizationSettings) -> Letterhead {
    Letterhead {
        parent: names.parent.clone(),
        name: names.name.clone(),
        sign: names.sign.clone(),
        place: names.place.clone(),
        recipients: names.recipients.clone(),
        on_behalf: names.on_behalf.clone(),
        chair_title: names.chair_title.clone(),
    }
}

fn role_words(role: MeetingRole) -> &'static str {
    match role {
        MeetingRole::Chair => "Chủ tọa",
        MeetingRole::Secretary => "Thư ký",
        MeetingRole::Member => "Thành viên",
        MeetingRole::Observer => "Khách mời",
    }
}

pub fn majority_words(majority: Majority) -> &'static str {
    match majority {
        Majority::Simple => "Nhiều phiếu tán thành hơn không tán thành",
        Majority::Absolute => "Quá nửa số thành viên có mặt",
        Majority::AbsoluteAll => "Quá nửa tổng số thành viên",
        Majority::TwoThirds => "Hai phần ba tổng số thành viên",
    }
}

pub fn outcome_words(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Adopted => "Thông qua",
        Outcome::Rejected => "Không thông qua",
        Outcome::NoQuorum => "Không đủ số lượng",
    }
}

/// A closed poll as the record prints it.
pub fn poll_result(row: &PollRow) -> Result<PollResult, ApiError> {
    let options = row.options()?;
    let tally: HashMap<String, i64> = match &row.final_tally {
        Some(text) => serde_json::from_str(text).map_err(ApiError::internal)?,
        None => HashMap::new(),
    };
    let majority = Majority::parse(&row.majority)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("unknown majority")))?;
    let mut for_motion = 0;
    let mut against = 0;
    for (i, option) in options.as_slice().iter().enumerate() {
        let n = tally.get(option).copied().unwrap_or(0);
        if i == 0 {
            for_motion = n;
        } else if option != crate::polls::rules::ABSTAIN {
            against += n;
        }
    }
    let eligible = i64::from(row.eligible.unwrap_or(0));
    let of = match majority {
        Majority::AbsoluteAll => row.members.map_or(eligible, i64::from),
        _ => eligible,
    };
    let result = row
        .result
        .as_deref()
        .and_then(Outcome::parse)
        .map_or("", outcome_words);
    Ok(PollResult {
        title: row.title.clone(),
        secret: row.secret,
        for_motion,
        against,
        not_voting: (of - for_motion - against).max(0),
        of,
        majority: majority_words(majority).to_owned(),
        result: result.to_owned(),
    })
}

/// The record of `meeting_id` as it stands, with the editors' texts.
pub fn record(
    conn: &mut DbConnection,
    meeting_id: &str,
    names: &OrganizationSettings,
    issue: Issue,
) -> Result<Record, ApiError> {
    let zone = zone(names);
    let meeting = crate::meetings::get(conn, meeting_id)?;
    let minutes = super::view(conn, meeting_id, None)?;
    let participants = crate::meetings::participants::list(conn, meeting_id)?;
    let started = meeting.started_at;
    let consultation = (meeting.kind() == crate::meetings::written::Kind::Written)
        .then(|| super::consultation::gather(conn, &meeting, zone))
        .transpose()?;

    let mut chair = None;
    let mut secretary = None;
    let mut present = Vec::new();
    let mut absent = Vec::new();
    for part in &participants {
        match part.role {
            MeetingRole::Chair if chair.is_none() => {
                chair = Some(Person {
                    name: part.display_name.clone(),
                })
            }
            MeetingRole::Secretary if secretary.is_none() => {
                secretary = Some(Person {
                    name: part.display_name.clone(),
                })
            }
            _ => {}
        }
        match part.attendance.as_str() {
            "present" => {
                let checked_in = part.checked_in_at.map(|t| t.naive_utc());
                let late_at = match (checked_in, started) {
                    (Some(at), Some(start)) if at > start => Some(local(at, zone)),
                    _ => None,
                };
                present.push(Present {
                    name: part.display_name.clone(),
                    role: role_words(part.role).to_owned(),
                    late_at,
                    substitute_for: None,
                });
            }
            "substituted" => {
                if let Some(name) = &part.substitute_name {
                    present.push(Present {
                        name: name.clone(),
                        role: role_words(part.role).to_owned(),
                        late_at: None,
                        substitute_for: Some(part.display_name.clone()),
                    });
                }
                absent.push(Absent {
                    name: part.display_name.clone(),
                    reason: part.absence_reason.clone(),
                    excused: true,
                });
            }
            _ => absent.push(Absent {
                name: part.display_name.clone(),
                excused: part.absence_reason.is_some(),
                reason: part.absence_reason.clone(),
            }),
        }
    }

    let speakers = crate::speakers::list(conn, meeting_id)?;
    let mut speeches: HashMap<Option<String>, Vec<(chrono::DateTime<chrono::Utc>, Speech)>> =
        HashMap::new();
    for s in speakers {
        if let Some(at) = s.started_at {
            speeches.entry(s.agenda_item_id.clone()).or_default().push((
                at,
                Speech {
                    name: s.display_name,
                    seconds: s.spoken_secs,
                },
            ));
        }
    }

    let polls: Vec<PollRow> = p::table
        .filter(p::meeting_id.eq(meeting_id))
        .filter(p::state.eq("closed"))
        .order((p::closed_at.asc(), p::id.asc()))
        .select(PollRow::as_select())
        .load(conn)?;
    let mut decided: HashMap<Option<String>, Vec<PollResult>> = HashMap::new();
    for row in &polls {
        decided
            .entry(row.agenda_item_id.clone())
            .or_default()
            .push(poll_result(row)?);
    }

    let docs: Vec<(Option<String>, String)> = d::table
        .filter(d::meeting_id.eq(meeting_id))
        .filter(d::deleted_at.is_null())
        .filter(d::kind.eq("document"))
        .order(d::position.asc())
        .select((d::agenda_item_id, d::title))
        .load(conn)?;
    let mut documents: HashMap<String, Vec<String>> = HashMap::new();
    for (item, title) in docs {
        if let Some(item) = item {
            documents.entry(item).or_default().push(title);
        }
    }

    let presenters: HashMap<String, String> = users::table
        .select((users::id, users::display_name))
        .filter(
            users::id.eq_any(
                crate::db::schema::agenda_items::table
                    .filter(crate::db::schema::agenda_items::meeting_id.eq(meeting_id))
                    .filter(crate::db::schema::agenda_items::presenter_id.is_not_null())
                    .select(crate::db::schema::agenda_items::presenter_id.assume_not_null()),
            ),
        )
        .load(conn)?
        .into_iter()
        .collect();

    let texts: HashMap<&str, (&str, &str)> = minutes
        .items
        .iter()
        .map(|t| {
            (
                t.agenda_item_id.as_str(),
                (t.notes.as_str(), t.conclusion.as_str()),
            )
        })
        .collect();
    let mut items = Vec::new();
    let mut take_speeches = |key: Option<String>| {
        let mut list = speeches.remove(&key).unwrap_or_default();
        list.sort_by_key(|(at, _)| *at);
        list.into_iter().map(|(_, s)| s).collect::<Vec<_>>()
    };
    fn walk(tree: &[AgendaItem], prefix: &str, out: &mut Vec<(String, AgendaItem)>) {
        for (i, item) in tree.iter().enumerate() {
            let number = if prefix.is_empty() {
                format!("{}", i + 1)
            } else {
                format!("{prefix}.{}", i + 1)
            };
            out.push((number.clone(), item.clone()));
            walk(&item.children, &number, out);
        }
    }
    let mut flat = Vec::new();
    walk(&crate::agenda::tree(conn, meeting_id)?, "", &mut flat);
    for (number, item) in flat {
        let (notes, conclusion) = texts.get(item.id.as_str()).copied().unwrap_or(("", ""));
        items.push(Item {
            number,
            title: item.title.clone(),
            presenter: item
                .presenter_id
                .as_ref()
                .and_then(|id| presenters.get(id).cloned()),
            notes: notes.to_owned(),
            conclusion: conclusion.to_owned(),
            speeches: take_speeches(Some(item.id.clone())),
            polls: decided.remove(&Some(item.id.clone())).unwrap_or_default(),
            documents: documents.remove(&item.id).unwrap_or_default(),
        });
    }
    // What happened outside any item (a speech or a vote on the meeting as a whole).
    let loose_speeches = take_speeches(None);
    let loose_polls = decided.remove(&None).unwrap_or_default();
    if !loose_speeches.is_empty() || !loose_polls.is_empty() {
        items.push(Item {
            number: format!("{}", items.len() + 1),
            title: "Các nội dung khác".to_owned(),
            presenter: None,
            notes: String::new(),
            conclusion: String::new(),
            speeches: loose_speeches,
            polls: loose_polls,
            documents: Vec::new(),
        });
    }

    let audit_head: Option<(i64, String)> = a::table
        .filter(a::meeting_id.eq(meeting_id))
        .order(a::seq.desc())
        .select((a::seq, a::hash))
        .first(conn)
        .optional()?;

    Ok(Record {
        letterhead: letterhead(names),
        minutes_number: issue.minutes_number,
        conclusions_number: issue.conclusions_number,
        date: issue.date,
        title: meeting.title,
        location: meeting.location,
        started_at: meeting.started_at.map(|t| local(t, zone)),
        ended_at: meeting.ended_at.map(|t| local(t, zone)),
        chair,
        secretary,
        attendance: Attendance {
            expected: participants.len(),
            present,
            absent,
        },
        opening: minutes.opening,
        closing: minutes.closing,
        items,
        audit_head,
        draft: issue.draft,
        consultation,
    })
}
