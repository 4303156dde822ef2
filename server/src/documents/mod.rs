//! Documents: the PDFs of a meeting, optionally attached to an agenda item, each with its
//! versions. The bytes live in a content-addressed `BlobStore`; the database holds titles,
//! order, versions and which blob each version is. Uploads are checked in a child process
//! (`validate`) before anything refers to them; downloads stream from disk with Range and
//! ETag (`serve`), stamped with the reader's name when the meeting asks (`stamp`). The board
//! book merges them in agenda order (`book`).
//!
//! Must never: show a document to someone outside its meeting (404), refer to a blob that is
//! not in place and checked, or lose an old version when the content is replaced.

pub mod blobs;
pub mod book;
pub mod db_blobs;
pub mod files;
pub mod font;
pub mod handlers;
pub mod pdf;
pub mod serve;
pub mod stamp;
pub mod upload;
pub mod validate;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::agenda;
use crate::db::schema::{blobs as b, document_versions as v, documents as d};
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::events::{self, Event};
use crate::patch;

const TITLE_MAX: usize = 300;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = d)]
pub struct DocumentRow {
    pub id: String,
    pub meeting_id: String,
    pub agenda_item_id: Option<String>,
    pub title: String,
    pub position: i32,
    pub current_version: i32,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    pub deleted_by: Option<String>,
    pub kind: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = v)]
pub struct VersionRow {
    pub document_id: String,
    pub version: i32,
    pub sha256: String,
    pub bytes: i64,
    pub pages: i32,
    pub uploaded_by: String,
    pub uploaded_at: NaiveDateTime,
}

/// A document as clients see it: its latest version's file facts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Document {
    pub id: String,
    pub meeting_id: String,
    pub agenda_item_id: Option<String>,
    pub title: String,
    /// `document` (uploaded), or the meeting's record: `minutes`, `conclusions`.
    pub kind: String,
    pub position: i32,
    /// The latest version number (1 for the first upload).
    pub version: i32,
    pub pages: i32,
    pub bytes: i64,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One stored version of a document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Version {
    pub version: i32,
    pub sha256: String,
    pub bytes: i64,
    pub pages: i32,
    pub uploaded_by: String,
    pub uploaded_at: DateTime<Utc>,
}

/// A document with every version.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DocumentDetail {
    #[serde(flatten)]
    pub document: Document,
    pub versions: Vec<Version>,
}

impl From<VersionRow> for Version {
    fn from(r: VersionRow) -> Self {
        Self {
            version: r.version,
            sha256: r.sha256,
            bytes: r.bytes,
            pages: r.pages,
            uploaded_by: r.uploaded_by,
            uploaded_at: r.uploaded_at.and_utc(),
        }
    }
}

fn document(row: DocumentRow, version: &VersionRow) -> Document {
    Document {
        id: row.id,
        meeting_id: row.meeting_id,
        agenda_item_id: row.agenda_item_id,
        title: row.title,
        kind: row.kind,
        position: row.position,
        version: row.current_version,
        pages: version.pages,
        bytes: version.bytes,
        sha256: version.sha256.clone(),
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    }
}

/// A checked file ready to become a version.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub sha256: String,
    pub bytes: i64,
    pub pages: i32,
}

/// What an upload asks for besides the file.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The document's title (shown to readers, used as the download's file name).
    pub title: String,
    /// The agenda item the document belongs to.
    pub agenda_item_id: Option<String>,
}

/// Changes to a document's title, agenda item or position.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentPatch {
    pub title: Option<String>,
    /// Another item of the same meeting, or null for none.
    #[serde(default, deserialize_with = "patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub agenda_item_id: Option<Option<String>>,
    pub position: Option<i32>,
}

/// A live (not deleted) document.
pub fn get(conn: &mut DbConnection, id: &str) -> Result<DocumentRow, ApiError> {
    d::table
        .find(id)
        .filter(d::deleted_at.is_null())
        .select(DocumentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound { what: "document" })
}

pub fn version(
    conn: &mut DbConnection,
    document_id: &str,
    number: i32,
) -> Result<VersionRow, ApiError> {
    v::table
        .find((document_id, number))
        .select(VersionRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(ApiError::NotFound { what: "version" })
}

fn current(conn: &mut DbConnection, row: DocumentRow) -> Result<Document, ApiError> {
    let latest = version(conn, &row.id, row.current_version)?;
    Ok(document(row, &latest))
}

/// The document with all its versions, oldest first.
pub fn detail(conn: &mut DbConnection, row: DocumentRow) -> Result<DocumentDetail, ApiError> {
    let versions: Vec<VersionRow> = v::table
        .filter(v::document_id.eq(&row.id))
        .order(v::version.asc())
        .select(VersionRow::as_select())
        .load(conn)?;
    let latest = versions
        .iter()
        .find(|x| x.version == row.current_version)
        .cloned()
        .ok_or(ApiError::NotFound { what: "version" })?;
    Ok(DocumentDetail {
        document: document(row, &latest),
        versions: versions.into_iter().map(Version::from).collect(),
    })
}

/// The meeting's documents in order.
pub fn list(conn: &mut DbConnection, meeting_id: &str) -> Result<Vec<Document>, ApiError> {
    let rows: Vec<(DocumentRow, VersionRow)> = d::table
        .inner_join(
            v::table.on(v::document_id
                .eq(d::id)
                .and(v::version.eq(d::current_version))),
        )
        .filter(d::meeting_id.eq(meeting_id))
        .filter(d::deleted_at.is_null())
        .order((d::position.asc(), d::created_at.asc()))
        .select((DocumentRow::as_select(), VersionRow::as_select()))
        .load(conn)?;
    Ok(rows.into_iter().map(|(r, x)| document(r, &x)).collect())
}

/// Live documents attached to any of these agenda items.
pub fn attached_to(conn: &mut DbConnection, item_ids: &[String]) -> Result<Vec<String>, ApiError> {
    Ok(d::table
        .filter(d::agenda_item_id.eq_any(item_ids))
        .filter(d::deleted_at.is_null())
        .select(d::id)
        .load(conn)?)
}

/// Whether a checked blob is already recorded (then its upload need not be checked again).
pub fn known_blob(conn: &mut DbConnection, sha256: &str) -> Result<Option<StoredFile>, ApiError> {
    Ok(b::table
        .find(sha256)
        .select((b::sha256, b::bytes, b::pages))
        .first::<(String, i64, i32)>(conn)
        .optional()?
        .map(|(sha256, bytes, pages)| StoredFile {
            sha256,
            bytes,
            pages,
        }))
}

fn record_blob(conn: &mut DbConnection, file: &StoredFile) -> Result<(), ApiError> {
    // Two meetings may store the same bytes at once; the second insert is a no-op.
    let query = diesel::sql_query(
        "INSERT INTO blobs (sha256, bytes, pages, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (sha256) DO NOTHING",
    );
    let now = db::now();
    match conn {
        DbConnection::Postgresql(c) => query
            .bind::<diesel::sql_types::Text, _>(&file.sha256)
            .bind::<diesel::sql_types::BigInt, _>(file.bytes)
            .bind::<diesel::sql_types::Integer, _>(file.pages)
            .bind::<diesel::sql_types::Timestamp, _>(now)
            .execute(c)?,
        DbConnection::Sqlite(c) => query
            .bind::<diesel::sql_types::Text, _>(&file.sha256)
            .bind::<diesel::sql_types::BigInt, _>(file.bytes)
            .bind::<diesel::sql_types::Integer, _>(file.pages)
            .bind::<diesel::sql_types::Timestamp, _>(now)
            .execute(c)?,
    };
    Ok(())
}

fn insert_version(
    conn: &mut DbConnection,
    document_id: &str,
    number: i32,
    file: &StoredFile,
    user_id: &str,
) -> Result<(), ApiError> {
    record_blob(conn, file)?;
    diesel::insert_into(v::table)
        .values((
            v::document_id.eq(document_id),
            v::version.eq(number),
            v::sha256.eq(&file.sha256),
            v::bytes.eq(file.bytes),
            v::pages.eq(file.pages),
            v::uploaded_by.eq(user_id),
            v::uploaded_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(())
}

fn check_item(
    conn: &mut DbConnection,
    meeting_id: &str,
    item: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(item) = item {
        agenda::get_in_meeting(conn, meeting_id, item).map_err(|_| {
            ApiError::invalid(
                "invalid_agenda_item",
                "agenda_item_id is not an item of this meeting",
            )
        })?;
    }
    Ok(())
}

/// Validates a title before the upload is read.
pub fn check_title(title: &str) -> Result<String, ApiError> {
    patch::line(title, TITLE_MAX, "invalid_title", "a title")
}

/// Records a new document; call with the meeting locked and the caller allowed.
pub fn create(
    conn: &mut DbConnection,
    meeting_id: &str,
    user_id: &str,
    query: &UploadQuery,
    file: &StoredFile,
) -> Result<(Document, Vec<Event>), ApiError> {
    let title = check_title(&query.title)?;
    check_item(conn, meeting_id, query.agenda_item_id.as_deref())?;
    insert(
        conn,
        meeting_id,
        user_id,
        &title,
        query.agenda_item_id.as_deref(),
        "document",
        file,
    )
}

/// Copies the documents of agenda item `item_id` (their current versions) into `meeting_id`,
/// attached to no item: a meeting held in writing prepared from a session's item. Blobs are
/// content-addressed, so a copy shares the bytes; annotations stay with the originals. Call
/// with the target meeting locked and the caller allowed to read the item's meeting.
pub fn copy_item_documents(
    conn: &mut DbConnection,
    item_id: &str,
    meeting_id: &str,
    user_id: &str,
) -> Result<Vec<Event>, ApiError> {
    let rows: Vec<DocumentRow> = d::table
        .filter(d::agenda_item_id.eq(item_id))
        .filter(d::deleted_at.is_null())
        .filter(d::kind.eq("document"))
        .order((d::position.asc(), d::id.asc()))
        .select(DocumentRow::as_select())
        .load(conn)?;
    let mut events = Vec::new();
    for row in rows {
        let latest = version(conn, &row.id, row.current_version)?;
        let file = StoredFile {
            sha256: latest.sha256,
            bytes: latest.bytes,
            pages: latest.pages,
        };
        let (_, more) = insert(
            conn, meeting_id, user_id, &row.title, None, "document", &file,
        )?;
        events.extend(more);
    }
    Ok(events)
}

/// Records a document of the meeting's record (`kind` `minutes` or `conclusions`), made by the
/// server; call with the meeting locked.
pub fn create_record(
    conn: &mut DbConnection,
    meeting_id: &str,
    user_id: &str,
    title: &str,
    kind: &'static str,
    file: &StoredFile,
) -> Result<(Document, Vec<Event>), ApiError> {
    insert(conn, meeting_id, user_id, title, None, kind, file)
}

fn insert(
    conn: &mut DbConnection,
    meeting_id: &str,
    user_id: &str,
    title: &str,
    agenda_item_id: Option<&str>,
    kind: &str,
    file: &StoredFile,
) -> Result<(Document, Vec<Event>), ApiError> {
    let position: Option<i32> = d::table
        .filter(d::meeting_id.eq(meeting_id))
        .select(diesel::dsl::max(d::position))
        .first(conn)?;
    let id = db::new_id();
    let now = db::now();
    diesel::insert_into(d::table)
        .values((
            d::id.eq(&id),
            d::meeting_id.eq(meeting_id),
            d::agenda_item_id.eq(agenda_item_id),
            d::title.eq(title),
            d::kind.eq(kind),
            d::position.eq(position.map_or(0, |p| p + 1)),
            d::current_version.eq(1),
            d::created_by.eq(user_id),
            d::created_at.eq(now),
            d::updated_at.eq(now),
        ))
        .execute(conn)?;
    insert_version(conn, &id, 1, file, user_id)?;
    let row = get(conn, &id)?;
    let doc = current(conn, row)?;
    audit_file(conn, "document.added", &doc)?;
    let event = events::append(conn, meeting_id, "document.added", &doc)?;
    Ok((doc, vec![event]))
}

/// Refuses to replace or delete a document of the meeting's record: its bytes are what was
/// finalised (and numbered, and written to the audit chain).
fn require_uploaded(row: &DocumentRow) -> Result<(), ApiError> {
    if row.kind == "document" {
        Ok(())
    } else {
        Err(ApiError::conflict(
            "record_document",
            "a document of the meeting's record cannot be replaced or deleted",
        ))
    }
}

/// Adds a version with new content; the old ones stay.
pub fn replace(
    conn: &mut DbConnection,
    row: DocumentRow,
    user_id: &str,
    file: &StoredFile,
) -> Result<(Document, Vec<Event>), ApiError> {
    require_uploaded(&row)?;
    let doc = add_version(conn, &row, user_id, file)?;
    audit_file(conn, "document.replaced", &doc)?;
    let event = events::append(conn, &row.meeting_id, "document.replaced", &doc)?;
    Ok((doc, vec![event]))
}

/// Adds a version that is the current one signed (its bytes followed by an incremental update
/// carrying a signature). The record's documents take these too: a signature changes nothing
/// they say. The caller writes the signature's own audit entry.
pub fn add_signed_version(
    conn: &mut DbConnection,
    row: &DocumentRow,
    user_id: &str,
    file: &StoredFile,
) -> Result<(Document, Vec<Event>), ApiError> {
    let doc = add_version(conn, row, user_id, file)?;
    let event = events::append(conn, &row.meeting_id, "document.replaced", &doc)?;
    Ok((doc, vec![event]))
}

fn add_version(
    conn: &mut DbConnection,
    row: &DocumentRow,
    user_id: &str,
    file: &StoredFile,
) -> Result<Document, ApiError> {
    let number = row.current_version + 1;
    insert_version(conn, &row.id, number, file, user_id)?;
    diesel::update(d::table.find(&row.id))
        .set((d::current_version.eq(number), d::updated_at.eq(db::now())))
        .execute(conn)?;
    // In the same transaction: no moment where the new version exists without them.
    crate::annotations::carry_forward(conn, &row.id, number, file.pages)?;
    let fresh = get(conn, &row.id)?;
    current(conn, fresh)
}

/// Renames, moves to another agenda item, or repositions a document.
pub fn update(
    conn: &mut DbConnection,
    row: DocumentRow,
    patch: &DocumentPatch,
) -> Result<(Document, Vec<Event>), ApiError> {
    if patch.title.is_none() && patch.agenda_item_id.is_none() && patch.position.is_none() {
        return Err(ApiError::invalid("empty_patch", "nothing to change"));
    }
    let title = patch.title.as_deref().map(check_title).transpose()?;
    if let Some(item) = &patch.agenda_item_id {
        check_item(conn, &row.meeting_id, item.as_deref())?;
    }
    if patch.position.is_some_and(|p| p < 0) {
        return Err(ApiError::invalid(
            "invalid_position",
            "position must not be negative",
        ));
    }
    diesel::update(d::table.find(&row.id))
        .set((
            d::title.eq(title.unwrap_or_else(|| row.title.clone())),
            d::agenda_item_id.eq(patch
                .agenda_item_id
                .clone()
                .unwrap_or_else(|| row.agenda_item_id.clone())),
            d::position.eq(patch.position.unwrap_or(row.position)),
            d::updated_at.eq(db::now()),
        ))
        .execute(conn)?;
    let fresh = get(conn, &row.id)?;
    let doc = current(conn, fresh)?;
    let event = events::append(conn, &row.meeting_id, "document.updated", &doc)?;
    Ok((doc, vec![event]))
}

/// Soft-deletes a document: it disappears for readers, its rows and files stay.
pub fn delete(
    conn: &mut DbConnection,
    row: &DocumentRow,
    user_id: &str,
) -> Result<Vec<Event>, ApiError> {
    require_uploaded(row)?;
    diesel::update(d::table.find(&row.id))
        .set((
            d::deleted_at.eq(Some(db::now())),
            d::deleted_by.eq(Some(user_id)),
        ))
        .execute(conn)?;
    crate::audit::append(
        conn,
        &row.meeting_id,
        "document.deleted",
        &serde_json::json!({ "document_id": row.id, "title": row.title, "deleted_by": user_id }),
    )?;
    let event = events::append(
        conn,
        &row.meeting_id,
        "document.deleted",
        &serde_json::json!({ "id": row.id }),
    )?;
    Ok(vec![event])
}

/// Records which exact bytes a document version is in the meeting's audit chain.
fn audit_file(conn: &mut DbConnection, kind: &str, doc: &Document) -> Result<(), ApiError> {
    crate::audit::append(
        conn,
        &doc.meeting_id,
        kind,
        &serde_json::json!({
            "document_id": doc.id,
            "title": doc.title,
            "version": doc.version,
            "sha256": doc.sha256,
            "bytes": doc.bytes,
            "pages": doc.pages,
        }),
    )?;
    Ok(())
}

/// Every blob hash some version refers to.
pub fn referenced_blobs(conn: &mut DbConnection) -> Result<Vec<String>, ApiError> {
    Ok(b::table.select(b::sha256).load(conn)?)
}
