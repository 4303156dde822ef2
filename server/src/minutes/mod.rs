//! The meeting's record (biên bản) and the chair's conclusions (thông báo kết luận): the
//! notes the secretary keeps and the conclusions the chair writes while the meeting runs
//! (this file), gathered with what the meeting already knows into a `record::Record`
//! (`gather`), rendered (`render`), and finalised under numbers from the organisation's
//! register (`register`, `finalize`).
//!
//! Depends downward only (meetings, agenda, attendance, speakers, polls, documents, audit,
//! events, organization); nothing below imports it.
//!
//! Must never: show a draft to a member or observer (drafts change, and the record is the
//! chair's and the secretary's until it is final), let a text change after finalising, or put
//! a secretary's text in an event (events reach every participant; they carry only what
//! changed, and who may read re-reads).

pub mod consultation;
pub mod finalize;
pub mod gather;
pub mod handlers;
pub mod record;
pub mod register;
pub mod render;

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::db::schema::{minutes as m, minutes_items as mi};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::events::{self, Event};
use crate::meetings::MeetingRole;
use crate::meetings::access::Access;

/// Whether the record may still change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MinutesState {
    Draft,
    Final,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = m)]
pub struct MinutesRow {
    pub meeting_id: String,
    pub state: String,
    pub version: i32,
    pub opening: String,
    pub closing: String,
    pub number: Option<String>,
    pub conclusions_number: Option<String>,
    pub minutes_document_id: Option<String>,
    pub conclusions_document_id: Option<String>,
    pub updated_by: Option<String>,
    pub updated_at: NaiveDateTime,
    pub finalized_by: Option<String>,
    pub finalized_at: Option<NaiveDateTime>,
}

impl MinutesRow {
    pub fn state(&self) -> MinutesState {
        if self.state == "final" {
            MinutesState::Final
        } else {
            MinutesState::Draft
        }
    }
}

/// One agenda item's texts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ItemText {
    pub agenda_item_id: String,
    /// The secretary's notes.
    pub notes: String,
    /// The chair's conclusion (kết luận).
    pub conclusion: String,
}

/// The record as its editors see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Minutes {
    pub state: MinutesState,
    /// 0 before the first change; every change adds one.
    pub version: i32,
    /// The biên bản's number once final ("05/BB-UBND").
    pub number: Option<String>,
    /// The thông báo kết luận's number once final ("06/TB-UBND").
    pub conclusions_number: Option<String>,
    /// While a draft: the number finalising now would take (another finalisation may take
    /// it first).
    pub next_number: Option<String>,
    /// Every agenda item in agenda order, with its texts (empty until written).
    pub items: Vec<ItemText>,
    pub opening: String,
    pub closing: String,
    pub minutes_document_id: Option<String>,
    pub conclusions_document_id: Option<String>,
    pub updated_by: Option<String>,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A change of some texts, based on `version`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinutesPatch {
    pub version: i32,
    #[serde(default)]
    pub items: Vec<ItemPatch>,
    pub opening: Option<String>,
    pub closing: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemPatch {
    pub agenda_item_id: String,
    pub notes: Option<String>,
    pub conclusion: Option<String>,
}

/// What a `minutes.updated` event says: which texts changed, never the texts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MinutesUpdated {
    pub version: i32,
    pub state: MinutesState,
    pub updated_by: String,
    /// The agenda items whose notes or conclusion changed.
    pub items: Vec<String>,
    pub opening: bool,
    pub closing: bool,
    pub number: Option<String>,
    pub minutes_document_id: Option<String>,
    pub conclusions_document_id: Option<String>,
}

/// The chair and the meeting's own secretary write the record.
pub fn may_edit(access: &Access) -> bool {
    matches!(
        access.own_role(),
        Some(MeetingRole::Chair | MeetingRole::Secretary)
    )
}

/// Editors and the organisation's staff read a draft; every participant reads the final one.
pub fn may_read_draft(access: &Access) -> bool {
    may_edit(access) || access.is_manager()
}

pub fn require_edit(access: &Access) -> Result<(), ApiError> {
    if may_edit(access) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "forbidden",
            "only the chair and the meeting's secretary write the record",
        ))
    }
}

/// A text as the record keeps it: NFC, line breaks as `\n`, tabs as spaces, no other control
/// character and no bidirectional override (they would reorder what the PDF shows), at most
/// `max` characters.
pub fn clean_text(value: &str, max: usize) -> Result<String, ApiError> {
    let unified = value.replace("\r\n", "\n").replace('\r', "\n");
    let cleaned: String = unified
        .nfc()
        .filter_map(|c| match c {
            '\n' => Some('\n'),
            '\t' => Some(' '),
            c if crate::patch::is_forbidden_in_line(c) => None,
            c => Some(c),
        })
        .collect();
    let n = cleaned.chars().count();
    if n > max {
        return Err(ApiError::invalid(
            "text_too_long",
            format!("a text of the record holds at most {max} characters; this one has {n}"),
        ));
    }
    Ok(cleaned)
}

pub fn find(conn: &mut DbConnection, meeting_id: &str) -> Result<Option<MinutesRow>, ApiError> {
    Ok(m::table
        .find(meeting_id)
        .select(MinutesRow::as_select())
        .first(conn)
        .optional()?)
}

/// The texts of each item that has any.
fn item_texts(
    conn: &mut DbConnection,
    meeting_id: &str,
) -> Result<HashMap<String, (String, String)>, ApiError> {
    let rows: Vec<(String, String, String)> = mi::table
        .filter(mi::meeting_id.eq(meeting_id))
        .select((mi::agenda_item_id, mi::notes, mi::conclusion))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, notes, conclusion)| (id, (notes, conclusion)))
        .collect())
}

/// The agenda's item ids in reading order (depth first).
pub fn agenda_order(conn: &mut DbConnection, meeting_id: &str) -> Result<Vec<String>, ApiError> {
    fn walk(items: &[crate::agenda::AgendaItem], out: &mut Vec<String>) {
        for item in items {
            out.push(item.id.clone());
            walk(&item.children, out);
        }
    }
    let mut out = Vec::new();
    walk(&crate::agenda::tree(conn, meeting_id)?, &mut out);
    Ok(out)
}

/// The record of a meeting as its editors see it (an empty draft before the first change).
pub fn view(
    conn: &mut DbConnection,
    meeting_id: &str,
    next_number: Option<String>,
) -> Result<Minutes, ApiError> {
    let row = find(conn, meeting_id)?;
    let mut texts = item_texts(conn, meeting_id)?;
    let items = agenda_order(conn, meeting_id)?
        .into_iter()
        .map(|id| {
            let (notes, conclusion) = texts.remove(&id).unwrap_or_default();
            ItemText {
                agenda_item_id: id,
                notes,
                conclusion,
            }
        })
        .collect();
    Ok(match row {
        Some(row) => Minutes {
            state: row.state(),
            version: row.version,
            next_number: (row.state() == MinutesState::Draft)
                .then_some(next_number)
                .flatten(),
            number: row.number,
            conclusions_number: row.conclusions_number,
            items,
            opening: row.opening,
            closing: row.closing,
            minutes_document_id: row.minutes_document_id,
            conclusions_document_id: row.conclusions_document_id,
            updated_by: row.updated_by,
            updated_at: Some(row.updated_at.and_utc()),
        },
        None => Minutes {
            state: MinutesState::Draft,
            version: 0,
            number: None,
            conclusions_number: None,
            next_number,
            items,
            opening: String::new(),
            closing: String::new(),
            minutes_document_id: None,
            conclusions_document_id: None,
            updated_by: None,
            updated_at: None,
        },
    })
}

/// The record's row, made as a draft on the first change.
pub fn ensure_row(conn: &mut DbConnection, meeting_id: &str) -> Result<MinutesRow, ApiError> {
    if let Some(row) = find(conn, meeting_id)? {
        return Ok(row);
    }
    diesel::insert_into(m::table)
        .values((
            m::meeting_id.eq(meeting_id),
            m::state.eq("draft"),
            m::version.eq(0),
            m::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    find(conn, meeting_id)?.ok_or_else(|| ApiError::internal(anyhow::anyhow!("minutes vanished")))
}

pub fn require_draft(row: &MinutesRow) -> Result<(), ApiError> {
    if row.state() == MinutesState::Final {
        Err(ApiError::conflict(
            "minutes_final",
            "the record is final and can no longer change",
        ))
    } else {
        Ok(())
    }
}

/// Applies an editor's change; call with the meeting locked (`access::load_for_change`).
/// A change that changes nothing answers the record as it is, without a new version.
pub fn update(
    conn: &mut DbConnection,
    access: &Access,
    patch: MinutesPatch,
    max_chars: usize,
) -> Result<(Minutes, Vec<Event>), ApiError> {
    require_edit(access)?;
    let meeting_id = access.meeting_id().to_owned();
    let row = ensure_row(conn, &meeting_id)?;
    require_draft(&row)?;
    if patch.version != row.version {
        return Err(ApiError::Stale {
            detail: format!(
                "the record changed since version {}; it is now at version {}",
                patch.version, row.version
            ),
            current_version: row.version.into(),
        });
    }
    let opening = patch
        .opening
        .as_deref()
        .map(|t| clean_text(t, max_chars))
        .transpose()?;
    let closing = patch
        .closing
        .as_deref()
        .map(|t| clean_text(t, max_chars))
        .transpose()?;
    let known: BTreeSet<String> = agenda_order(conn, &meeting_id)?.into_iter().collect();
    let mut texts = item_texts(conn, &meeting_id)?;
    let mut changed_items = Vec::new();
    for item in &patch.items {
        if !known.contains(&item.agenda_item_id) {
            return Err(ApiError::invalid(
                "invalid_agenda_item",
                "agenda_item_id is not an item of this meeting",
            ));
        }
        let notes = item
            .notes
            .as_deref()
            .map(|t| clean_text(t, max_chars))
            .transpose()?;
        let conclusion = item
            .conclusion
            .as_deref()
            .map(|t| clean_text(t, max_chars))
            .transpose()?;
        let entry = texts.entry(item.agenda_item_id.clone()).or_default();
        let before = entry.clone();
        if let Some(n) = notes {
            entry.0 = n;
        }
        if let Some(c) = conclusion {
            entry.1 = c;
        }
        if *entry != before && !changed_items.contains(&item.agenda_item_id) {
            changed_items.push(item.agenda_item_id.clone());
        }
    }
    let opening_changed = opening.as_ref().is_some_and(|o| *o != row.opening);
    let closing_changed = closing.as_ref().is_some_and(|c| *c != row.closing);
    if changed_items.is_empty() && !opening_changed && !closing_changed {
        return Ok((view(conn, &meeting_id, None)?, Vec::new()));
    }
    for id in &changed_items {
        let (notes, conclusion) = &texts[id];
        diesel::delete(
            mi::table
                .filter(mi::meeting_id.eq(&meeting_id))
                .filter(mi::agenda_item_id.eq(id)),
        )
        .execute(conn)?;
        diesel::insert_into(mi::table)
            .values((
                mi::meeting_id.eq(&meeting_id),
                mi::agenda_item_id.eq(id),
                mi::notes.eq(notes),
                mi::conclusion.eq(conclusion),
            ))
            .execute(conn)?;
    }
    let version = row.version + 1;
    diesel::update(m::table.find(&meeting_id))
        .set((
            m::version.eq(version),
            m::opening.eq(opening.unwrap_or(row.opening)),
            m::closing.eq(closing.unwrap_or(row.closing)),
            m::updated_by.eq(&access.user_id),
            m::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    let event = events::append(
        conn,
        &meeting_id,
        "minutes.updated",
        &MinutesUpdated {
            version,
            state: MinutesState::Draft,
            updated_by: access.user_id.clone(),
            items: changed_items,
            opening: opening_changed,
            closing: closing_changed,
            number: None,
            minutes_document_id: None,
            conclusions_document_id: None,
        },
    )?;
    Ok((view(conn, &meeting_id, None)?, vec![event]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_keep_lines_and_lose_control_characters() {
        let t = clean_text("Dòng một\r\nDòng\thai\u{0007}\u{202E}gnay\u{0000}", 100).unwrap();
        assert_eq!(t, "Dòng một\nDòng haignay");
        // Decomposed Vietnamese becomes one code point per letter.
        assert_eq!(clean_text("e\u{0302}\u{0301}", 10).unwrap(), "ế");
    }

    #[test]
    fn texts_are_bounded_in_characters_not_bytes() {
        let ok = "ế".repeat(20_000);
        assert!(clean_text(&ok, 20_000).is_ok());
        let err = clean_text(&format!("{ok}a"), 20_000).unwrap_err();
        assert_eq!(err.code(), "text_too_long");
    }
}
