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

/// What finalising answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Finalized {
    pub number: String,
    pub conclusions_number: String,
    pub minutes_document_id: String,
    pub conclusions_document_id: String,
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

/// What the record was made from, to check it still holds when it is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Basis {
    version: i32,
    audit_head: Option<(i64, String)>,
    numbers: (i32, i32),
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

/// The next numbers (biên bản, thông báo) the record would take now.
pub fn next_numbers(conn: &mut crate::db::DbConnection, year: i32) -> Result<(i32, i32), ApiError> {
    Ok((
        register::peek(conn, crate::organization::ID, Kind::Minutes, year)?,
        register::peek(conn, crate::organization::ID, Kind::Notice, year)?,
    ))
}

fn prepare(
    conn: &mut crate::db::DbConnection,
    meeting_id: &str,
    user: &AuthUser,
    configured: &OrganizationSettings,
) -> Result<(Record, Basis), ApiError> {
    check(conn, meeting_id, user)?;
    let names = crate::organization::names(conn, configured)?;
    let date = gather::today(&names);
    let year = chrono::Datelike::year(&date);
    let numbers = next_numbers(conn, year)?;
    let version = super::find(conn, meeting_id)?.map_or(0, |r| r.version);
    let record = gather::record(
        conn,
        meeting_id,
        &names,
        Issue {
            minutes_number: Some(register::format(numbers.0, Kind::Minutes, &names.sign)),
            conclusions_number: Some(register::format(numbers.1, Kind::Notice, &names.sign)),
            date,
            draft: false,
        },
    )?;
    let basis = Basis {
        version,
        audit_head: record.audit_head.clone(),
        numbers,
        year,
    };
    Ok((record, basis))
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
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
        let numbers = (
            record.minutes_number.clone().unwrap_or_default(),
            record.conclusions_number.clone().unwrap_or_default(),
        );
        let fonts = ctx.fonts.clone();
        let (minutes_pdf, conclusions_pdf) = actix_web::web::block(move || {
            Ok::<_, ApiError>((
                render::minutes_pdf_with_boxes(&record, &fonts)?,
                render::conclusions_pdf_with_boxes(&record, &fonts)?,
            ))
        })
        .await
        .map_err(ApiError::internal)??;
        let rooms = (rooms_of(&minutes_pdf), rooms_of(&conclusions_pdf));
        let (minutes_pdf, conclusions_pdf) = (minutes_pdf.bytes, conclusions_pdf.bytes);
        let hashes = (sha256_hex(&minutes_pdf), sha256_hex(&conclusions_pdf));
        let minutes_file = ctx.files.ingest_bytes(ctx.db, minutes_pdf).await?;
        let conclusions_file = ctx.files.ingest_bytes(ctx.db, conclusions_pdf).await?;
        let (id, who) = (meeting_id.to_owned(), user.clone());
        let year = basis.year;
        ctx.db
            .write(move |c| {
                register::open(c, crate::organization::ID, Kind::Minutes, year)?;
                register::open(c, crate::organization::ID, Kind::Notice, year)
            })
            .await?;
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
                let taken = (
                    register::take(c, crate::organization::ID, Kind::Minutes, year)?,
                    register::take(c, crate::organization::ID, Kind::Notice, year)?,
                );
                if taken != basis.numbers {
                    return Err(changed());
                }
                record_final(
                    c,
                    &access,
                    Numbers {
                        taken,
                        printed: numbers,
                        year,
                    },
                    &hashes,
                    &minutes_file,
                    &conclusions_file,
                    &rooms,
                )
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

/// The numbers a record takes: as the register counts them and as the documents print them.
struct Numbers {
    taken: (i32, i32),
    printed: (String, String),
    year: i32,
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

/// Records the finalised record; call in the transaction that checked its basis.
#[allow(clippy::too_many_arguments)]
fn record_final(
    conn: &mut crate::db::DbConnection,
    access: &access::Access,
    issued: Numbers,
    hashes: &(String, String),
    minutes_file: &crate::documents::StoredFile,
    conclusions_file: &crate::documents::StoredFile,
    rooms: &(
        Vec<crate::signatures::rooms::Room>,
        Vec<crate::signatures::rooms::Room>,
    ),
) -> Result<(Finalized, Vec<Event>), ApiError> {
    use crate::db::schema::minutes as m;
    let numbers = &issued.printed;
    let meeting_id = access.meeting_id().to_owned();
    let user_id = access.user_id.clone();
    // A record that was never edited has no row yet.
    super::ensure_row(conn, &meeting_id)?;
    let (minutes_doc, mut events) = crate::documents::create_record(
        conn,
        &meeting_id,
        &user_id,
        &format!("Biên bản {}", numbers.0),
        "minutes",
        minutes_file,
    )?;
    let (conclusions_doc, more) = crate::documents::create_record(
        conn,
        &meeting_id,
        &user_id,
        &format!("Thông báo kết luận {}", numbers.1),
        "conclusions",
        conclusions_file,
    )?;
    events.extend(more);
    crate::signatures::rooms::save(conn, &minutes_doc.id, &rooms.0)?;
    crate::signatures::rooms::save(conn, &conclusions_doc.id, &rooms.1)?;
    register::enter(
        conn,
        crate::organization::ID,
        Kind::Minutes,
        issued.year,
        issued.taken.0,
        &meeting_id,
        &minutes_doc.id,
    )?;
    register::enter(
        conn,
        crate::organization::ID,
        Kind::Notice,
        issued.year,
        issued.taken.1,
        &meeting_id,
        &conclusions_doc.id,
    )?;
    let now = crate::db::now();
    let version = super::find(conn, &meeting_id)?.map_or(0, |r| r.version) + 1;
    diesel::update(m::table.find(&meeting_id))
        .set((
            m::state.eq("final"),
            m::version.eq(version),
            m::number.eq(&numbers.0),
            m::conclusions_number.eq(&numbers.1),
            m::minutes_document_id.eq(&minutes_doc.id),
            m::conclusions_document_id.eq(&conclusions_doc.id),
            m::finalized_by.eq(&user_id),
            m::finalized_at.eq(now),
            m::updated_by.eq(&user_id),
            m::updated_at.eq(now),
        ))
        .execute(conn)?;
    crate::audit::append(
        conn,
        &meeting_id,
        "minutes.finalized",
        &serde_json::json!({
            "number": numbers.0,
            "conclusions_number": numbers.1,
            "minutes_document_id": minutes_doc.id,
            "minutes_sha256": hashes.0,
            "conclusions_document_id": conclusions_doc.id,
            "conclusions_sha256": hashes.1,
            "finalized_by": user_id,
        }),
    )?;
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
            number: Some(numbers.0.clone()),
            minutes_document_id: Some(minutes_doc.id.clone()),
            conclusions_document_id: Some(conclusions_doc.id.clone()),
        },
    )?);
    Ok((
        Finalized {
            number: numbers.0.clone(),
            conclusions_number: numbers.1.clone(),
            minutes_document_id: minutes_doc.id,
            conclusions_document_id: conclusions_doc.id,
        },
        events,
    ))
}
