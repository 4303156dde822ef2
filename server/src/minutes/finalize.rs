//! Finalising the record: the meeting is closed; the biên bản and the thông báo kết luận are
//! rendered under the next numbers of the organisation's register, stored as documents of the
//! meeting, their SHA-256 written to the audit chain, and the texts frozen.
//!
//! Rendering and storing the files takes time (and a child process checks every PDF), so it
//! happens outside any transaction; the transaction that records them then checks that nothing
//! they show changed meanwhile (the texts' version, the audit chain's head, the numbers) and
//! takes the numbers. When something did change (another meeting's record took the number), it
//! starts again, a bounded number of times: the register never skips nor repeats a number.

use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::auth::AuthUser;
use crate::config::OrganizationSettings;
use crate::db::Db;
use crate::documents::files::Files;
use crate::error::ApiError;
use crate::events::Event;
use crate::meetings::MeetingState;
use crate::meetings::access;

use super::gather::{self, Issue};
use super::record::Record;
use super::register::{self, Kind};
use super::render::{self, Fonts};
use super::{MinutesState, MinutesUpdated};

/// What finalising answers. A meeting held in writing makes one document (the summary,
/// "…/BC-…"), so its conclusions fields are null.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Finalized {
    pub number: String,
    pub conclusions_number: Option<String>,
    pub minutes_document_id: String,
    pub conclusions_document_id: Option<String>,
}

/// What the finalisation needs besides the meeting.
pub struct Context<'a> {
    pub db: &'a Db,
    pub files: &'a Files,
    pub fonts: &'a Fonts,
    pub configured: &'a OrganizationSettings,
}

/// How many times a finalisation starts again when the record changed under it.
const ATTEMPTS: usize = 5;

fn audit_head(
    conn: &mut crate::db::DbConnection,
    meeting_id: &str,
) -> Result<Option<(i64, String)>, ApiError> {
    use crate::db::schema::audit_entries as a;
    Ok(a::table
        .filter(a::meeting_id.eq(meeting_id))
        .order(a::seq.desc())
        .select((a::seq, a::hash))
        .first(conn)
        .optional()?)
}

/// The documents a record makes, in order: the main one first (the biên bản, or a written
/// meeting's summary), then the thông báo kết luận of a session.
fn kinds(written: bool) -> &'static [Kind] {
    if written {
        &[Kind::Report]
    } else {
        &[Kind::Minutes, Kind::Notice]
    }
}

/// The kind of the record's main document, whose number a draft announces.
pub fn main_kind(meeting: crate::meetings::written::Kind) -> Kind {
    kinds(meeting == crate::meetings::written::Kind::Written)[0]
}

/// What the record was made from, to check it still holds when it is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Basis {
    version: i32,
    audit_head: Option<(i64, String)>,
    kinds: &'static [Kind],
    numbers: Vec<i32>,
    year: i32,
}

/// The checks before anything is rendered: an editor, a closed meeting, a draft.
fn check(
    conn: &mut crate::db::DbConnection,
    meeting_id: &str,
    user: &AuthUser,
) -> Result<access::Access, ApiError> {
    let access = access::load(conn, meeting_id, user)?;
    super::require_edit(&access)?;
    if let Some(row) = super::find(conn, meeting_id)? {
        super::require_draft(&row)?;
    }
    if access.state != MeetingState::Closed {
        return Err(ApiError::conflict(
            "meeting_not_closed",
            "the record is finalised once the meeting is closed",
        ));
    }
    Ok(access)
}

/// The next numbers of `kinds` the record would take now.
fn next_numbers(
    conn: &mut crate::db::DbConnection,
    kinds: &[Kind],
    year: i32,
) -> Result<Vec<i32>, ApiError> {
    kinds
        .iter()
        .map(|kind| register::peek(conn, crate::organization::ID, *kind, year))
        .collect()
}

fn prepare(
    conn: &mut crate::db::DbConnection,
    meeting_id: &str,
    user: &AuthUser,
    configured: &OrganizationSettings,
) -> Result<(Record, Basis), ApiError> {
    let access = check(conn, meeting_id, user)?;
    let kinds = kinds(access.meeting.kind() == crate::meetings::written::Kind::Written);
    let names = crate::organization::names(conn, configured)?;
    let date = gather::today(&names);
    let year = chrono::Datelike::year(&date);
    let numbers = next_numbers(conn, kinds, year)?;
    let printed: Vec<String> = kinds
        .iter()
        .zip(&numbers)
        .map(|(kind, n)| register::format(*n, *kind, &names.sign))
        .collect();
    let version = super::find(conn, meeting_id)?.map_or(0, |r| r.version);
    let record = gather::record(
        conn,
        meeting_id,
        &names,
        Issue {
            minutes_number: printed.first().cloned(),
            conclusions_number: printed.get(1).cloned(),
            date,
            draft: false,
        },
    )?;
    let basis = Basis {
        version,
        audit_head: record.audit_head.clone(),
        kinds,
        numbers,
        year,
    };
    Ok((record, basis))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// One document the record made, stored and waiting to be recorded.
struct Made {
    kind: Kind,
    /// As printed: "05/BB-UBND".
    number: String,
    sha256: String,
    file: crate::documents::StoredFile,
    rooms: Vec<crate::signatures::rooms::Room>,
}

/// Renders the record's documents, in the order of `kinds`.
fn render_all(
    record: &Record,
    fonts: &Fonts,
    kinds: &[Kind],
) -> Result<Vec<render::RenderedPdf>, ApiError> {
    kinds
        .iter()
        .map(|kind| match kind {
            Kind::Minutes => render::minutes_pdf_with_boxes(record, fonts),
            Kind::Notice => render::conclusions_pdf_with_boxes(record, fonts),
            Kind::Report => render::summary_pdf_with_boxes(record, fonts),
        })
        .collect()
}

/// Finalises the record of `meeting_id`; returns what was made and the events to publish.
pub async fn finalize(
    ctx: Context<'_>,
    meeting_id: &str,
    user: &AuthUser,
) -> Result<(Finalized, Vec<Event>), ApiError> {
    for _ in 0..ATTEMPTS {
        let (id, who, configured) = (meeting_id.to_owned(), user.clone(), ctx.configured.clone());
        let (record, basis) = ctx
            .db
            .read(move |c| prepare(c, &id, &who, &configured))
            .await?;
        let printed: Vec<String> = [&record.minutes_number, &record.conclusions_number]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        let fonts = ctx.fonts.clone();
        let kinds = basis.kinds;
        let rendered = actix_web::web::block(move || render_all(&record, &fonts, kinds))
            .await
            .map_err(ApiError::internal)??;
        let mut made = Vec::with_capacity(rendered.len());
        for ((pdf, kind), number) in rendered.into_iter().zip(kinds).zip(printed) {
            let rooms = rooms_of(&pdf);
            let sha256 = sha256_hex(&pdf.bytes);
            let file = ctx.files.ingest_bytes(ctx.db, pdf.bytes).await?;
            made.push(Made {
                kind: *kind,
                number,
                sha256,
                file,
                rooms,
            });
        }
        let year = basis.year;
        ctx.db
            .write(move |c| {
                kinds
                    .iter()
                    .try_for_each(|kind| register::open(c, crate::organization::ID, *kind, year))
            })
            .await?;
        let (id, who) = (meeting_id.to_owned(), user.clone());
        let outcome = ctx
            .db
            .write(move |c| {
                let access = access::load_for_change(c, &id, &who)?;
                check(c, &id, &who)?;
                let version = super::find(c, &id)?.map_or(0, |r| r.version);
                if version != basis.version || audit_head(c, &id)? != basis.audit_head {
                    return Err(changed());
                }
                // Taken first: on PostgreSQL this waits for a finalisation that holds the
                // register, then sees the number it took.
                let taken = kinds
                    .iter()
                    .map(|kind| register::take(c, crate::organization::ID, *kind, year))
                    .collect::<Result<Vec<_>, _>>()?;
                if taken != basis.numbers {
                    return Err(changed());
                }
                record_final(c, &access, &made, &taken, year)
            })
            .await;
        match outcome {
            Err(ApiError::Conflict { code: BUSY, .. }) => continue,
            other => return other,
        }
    }
    Err(changed())
}

const BUSY: &str = "record_busy";

/// What the record was made from changed before it could be recorded (the transaction rolls
/// back, so no number is used).
fn changed() -> ApiError {
    ApiError::conflict(
        BUSY,
        "the record kept changing while it was being finalised; try again",
    )
}

/// Where a rendered record's signatures go, for signing it later.
fn rooms_of(rendered: &render::RenderedPdf) -> Vec<crate::signatures::rooms::Room> {
    rendered
        .signature_boxes
        .iter()
        .map(|b| crate::signatures::rooms::Room {
            block: b.block.to_owned(),
            page: b.page,
            rect: b.rect,
        })
        .collect()
}

/// The document's kind in its metadata and the words its title starts with.
fn described(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Minutes => ("minutes", "Biên bản"),
        Kind::Notice => ("conclusions", "Thông báo kết luận"),
        // The summary is the record of a meeting held in writing: its "minutes" (contract v2).
        Kind::Report => ("minutes", "Báo cáo tổng hợp ý kiến"),
    }
}

/// Records the finalised record; call in the transaction that checked its basis. `made[0]`
/// is the main document, `made[1]` (sessions) the conclusions notice.
fn record_final(
    conn: &mut crate::db::DbConnection,
    access: &access::Access,
    made: &[Made],
    taken: &[i32],
    year: i32,
) -> Result<(Finalized, Vec<Event>), ApiError> {
    use crate::db::schema::minutes as m;
    let meeting_id = access.meeting_id().to_owned();
    let user_id = access.user_id.clone();
    // A record that was never edited has no row yet.
    super::ensure_row(conn, &meeting_id)?;
    let mut events = Vec::new();
    let mut ids = Vec::with_capacity(made.len());
    for (doc, number) in made.iter().zip(taken) {
        let (kind, title) = described(doc.kind);
        let (created, more) = crate::documents::create_record(
            conn,
            &meeting_id,
            &user_id,
            &format!("{title} {}", doc.number),
            kind,
            &doc.file,
        )?;
        events.extend(more);
        crate::signatures::rooms::save(conn, &created.id, &doc.rooms)?;
        register::enter(
            conn,
            crate::organization::ID,
            doc.kind,
            year,
            *number,
            &meeting_id,
            &created.id,
        )?;
        ids.push(created.id);
    }
    let (Some(main), Some(minutes_id)) = (made.first(), ids.first().cloned()) else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "a record without documents"
        )));
    };
    let notice = made.get(1).map(|d| d.number.clone());
    let notice_id = ids.get(1).cloned();
    let now = crate::db::now();
    let version = super::find(conn, &meeting_id)?.map_or(0, |r| r.version) + 1;
    diesel::update(m::table.find(&meeting_id))
        .set((
            m::state.eq("final"),
            m::version.eq(version),
            m::number.eq(&main.number),
            m::conclusions_number.eq(&notice),
            m::minutes_document_id.eq(&minutes_id),
            m::conclusions_document_id.eq(&notice_id),
            m::finalized_by.eq(&user_id),
            m::finalized_at.eq(now),
            m::updated_by.eq(&user_id),
            m::updated_at.eq(now),
        ))
        .execute(conn)?;
    let mut entry = serde_json::json!({
        "number": main.number,
        "minutes_document_id": minutes_id,
        "minutes_sha256": main.sha256,
        "finalized_by": user_id,
    });
    if let (Some(number), Some(id), Some(doc)) = (&notice, &notice_id, made.get(1)) {
        entry["conclusions_number"] = number.clone().into();
        entry["conclusions_document_id"] = id.clone().into();
        entry["conclusions_sha256"] = doc.sha256.clone().into();
    }
    crate::audit::append(conn, &meeting_id, "minutes.finalized", &entry)?;
    events.push(crate::events::append(
        conn,
        &meeting_id,
        "minutes.updated",
        &MinutesUpdated {
            version,
            state: MinutesState::Final,
            updated_by: user_id.clone(),
            items: Vec::new(),
            opening: false,
            closing: false,
            number: Some(main.number.clone()),
            minutes_document_id: Some(minutes_id.clone()),
            conclusions_document_id: notice_id.clone(),
        },
    )?);
    Ok((
        Finalized {
            number: main.number.clone(),
            conclusions_number: notice,
            minutes_document_id: minutes_id,
            conclusions_document_id: notice_id,
        },
        events,
    ))
}
