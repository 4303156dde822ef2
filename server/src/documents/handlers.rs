//! HTTP endpoints of documents and the board book.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{Document, DocumentDetail, DocumentPatch, UploadQuery, book, serve};
use crate::annotations::{self, ExportItem, ExportSet};
use crate::auth::AuthUser;
use crate::db::DbConnection;
use crate::error::{ApiError, Problem};
use crate::meetings::access::{self, Access};
use crate::meetings::handlers::manage;
use crate::state::AppState;
use crate::{agenda, users};

/// Checks, before the body is read, that the caller may add a document here.
fn precheck_upload(
    c: &mut DbConnection,
    meeting_id: &str,
    user: &AuthUser,
    query: &UploadQuery,
) -> Result<(), ApiError> {
    let access = access::load(c, meeting_id, user)?;
    access.require(crate::meetings::Mover::Managers)?;
    access.require_open()?;
    super::check_title(&query.title)?;
    if let Some(item) = &query.agenda_item_id {
        agenda::get_in_meeting(c, meeting_id, item).map_err(|_| {
            ApiError::invalid(
                "invalid_agenda_item",
                "agenda_item_id is not an item of this meeting",
            )
        })?;
    }
    Ok(())
}

/// Uploads a PDF to a meeting.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/documents", tag = "documents",
    params(("id" = String, Path), UploadQuery), security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/pdf", description = "The PDF, raw or as the `file` field of multipart/form-data"),
    responses((status = 201, body = Document), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem),
              (status = 422, body = Problem)))]
pub async fn upload(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    query: web::Query<UploadQuery>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let meeting_id = path.into_inner();
    let query = query.into_inner();
    {
        let (id, user, query) = (meeting_id.clone(), user.clone(), query.clone());
        state
            .db
            .read(move |c| precheck_upload(c, &id, &user, &query))
            .await?;
    }
    let file = state.files.ingest(&state.db, &req, payload).await?;
    let doc = state
        .commit(move |c| {
            manage(c, &meeting_id, &user)?;
            super::create(c, &meeting_id, &user.id, &query, &file)
        })
        .await?;
    Ok(HttpResponse::Created().json(doc))
}

/// Loads a document and the caller's access to its meeting (404 for both when not visible).
fn visible(
    c: &mut DbConnection,
    document_id: &str,
    user: &AuthUser,
) -> Result<(super::DocumentRow, Access), ApiError> {
    let row = super::get(c, document_id)?;
    let access = access::load(c, &row.meeting_id, user)
        .map_err(|_| ApiError::NotFound { what: "document" })?;
    Ok((row, access))
}

/// Loads a document for a change: its meeting locked, the caller a manager, not closed.
fn changeable(
    c: &mut DbConnection,
    document_id: &str,
    user: &AuthUser,
) -> Result<super::DocumentRow, ApiError> {
    let row = super::get(c, document_id)?;
    manage(c, &row.meeting_id, user).map_err(|e| match e {
        ApiError::NotFound { .. } => ApiError::NotFound { what: "document" },
        other => other,
    })?;
    // Read again under the lock: it may have changed since.
    super::get(c, document_id)
}

/// Replaces a document's content with a new version.
#[utoipa::path(put, path = "/api/v1/documents/{id}/content", tag = "documents",
    params(("id" = String, Path)), security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 200, body = Document), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 413, body = Problem), (status = 415, body = Problem),
              (status = 422, body = Problem)))]
pub async fn replace(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    {
        let (id, user) = (id.clone(), user.clone());
        state
            .db
            .read(move |c| {
                let (row, access) = visible(c, &id, &user)?;
                access.require(crate::meetings::Mover::Managers)?;
                access.require_open()?;
                Ok(row)
            })
            .await?;
    }
    let file = state.files.ingest(&state.db, &req, payload).await?;
    let doc = state
        .commit(move |c| {
            let row = changeable(c, &id, &user)?;
            super::replace(c, row, &user.id, &file)
        })
        .await?;
    Ok(HttpResponse::Ok().json(doc))
}

/// A document's metadata with its versions.
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "documents", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = DocumentDetail), (status = 404, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let detail = state
        .db
        .read(move |c| {
            let (row, _) = visible(c, &id, &user)?;
            super::detail(c, row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

/// Renames a document, moves it to another agenda item or position.
#[utoipa::path(patch, path = "/api/v1/documents/{id}", tag = "documents", params(("id" = String, Path)),
    request_body = DocumentPatch, security(("bearer" = [])),
    responses((status = 200, body = Document), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<DocumentPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let patch = body.into_inner();
    let doc = state
        .commit(move |c| {
            let row = changeable(c, &id, &user)?;
            super::update(c, row, &patch)
        })
        .await?;
    Ok(HttpResponse::Ok().json(doc))
}

/// Deletes a document (softly: its versions stay for the record).
#[utoipa::path(delete, path = "/api/v1/documents/{id}", tag = "documents", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    state
        .commit(move |c| {
            let row = changeable(c, &id, &user)?;
            Ok(((), super::delete(c, &row, &user.id)?))
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FileQuery {
    /// A version number; the latest when absent.
    pub version: Option<i32>,
    /// Writes these annotations into the file as PDF annotations: `mine`, `shared` or
    /// `all-visible` (docs/annotations.md).
    pub annotations: Option<ExportSet>,
}

/// What the board book may include.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BookQuery {
    /// Writes these annotations into the book: `mine`, `shared` or `all-visible`.
    pub annotations: Option<ExportSet>,
    /// The language of the book's own pages: `vi` (default) or `en`.
    #[serde(default)]
    pub lang: book::Language,
}

/// The watermark text for this reader, when the meeting asks for one.
fn stamp_for(
    c: &mut DbConnection,
    access: &Access,
    user: &AuthUser,
) -> Result<Option<String>, ApiError> {
    let Some(template) = access.meeting.watermark.as_deref() else {
        return Ok(None);
    };
    let me = users::find(c, &user.id)?;
    Ok(Some(super::stamp::render_template(
        template,
        &me.display_name,
        &me.username,
        &access.meeting.title,
        chrono::Utc::now(),
    )))
}

/// Downloads a document's file (the latest version unless one is asked for).
#[utoipa::path(get, path = "/api/v1/documents/{id}/file", tag = "documents",
    params(("id" = String, Path), FileQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
              (status = 206, description = "The requested range"), (status = 304, description = "Not modified"),
              (status = 404, body = Problem), (status = 416, body = Problem)))]
pub async fn file(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    query: web::Query<FileQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (wanted, set) = (query.version, query.annotations);
    let (version, title, stamp, items) = state
        .db
        .read(move |c| {
            let (row, access) = visible(c, &id, &user)?;
            let version = super::version(c, &row.id, wanted.unwrap_or(row.current_version))?;
            let stamp = stamp_for(c, &access, &user)?;
            let items = match set {
                Some(set) => Some(annotations::for_export(
                    c,
                    &row.id,
                    version.version,
                    &user.id,
                    set,
                    0,
                )?),
                None => None,
            };
            Ok((version, row.title, stamp, items))
        })
        .await?;
    let name = if version.version > 1 {
        format!("{title} (v{}).pdf", version.version)
    } else {
        format!("{title}.pdf")
    };
    let out = match items {
        Some(items) => {
            state
                .files
                .annotated(&version.sha256, stamp, name, move |plan| {
                    annotations::export::additions(plan, &items)
                })
                .await?
        }
        None => state.files.outgoing(&version.sha256, stamp, name).await?,
    };
    serve::respond(&req, out)
}

/// The meeting's documents merged in agenda order, with bookmarks.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/board-book", tag = "documents",
    params(("id" = String, Path), BookQuery), security(("bearer" = [])),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>),
              (status = 304, description = "Not modified"), (status = 404, body = Problem)))]
pub async fn board_book(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    query: web::Query<BookQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let set = query.annotations;
    let language = query.lang;
    let (plan, stamp, title, items) = state
        .db
        .read(move |c| {
            let access = access::load(c, &id, &user)?;
            let agenda = agenda::tree(c, &id)?;
            let documents = super::list(c, &id)?;
            let plan = book::Plan::new(&access.meeting.title, &agenda, &documents, language);
            let stamp = stamp_for(c, &access, &user)?;
            let items = match set {
                Some(set) => Some(book_annotations(c, &plan, &user.id, set)?),
                None => None,
            };
            Ok((plan, stamp, access.meeting.title.clone(), items))
        })
        .await?;
    let name = format!("{title}.pdf");
    let out = match items {
        Some(items) => {
            state
                .files
                .board_book_annotated(plan, stamp, name, move |book_plan| {
                    // The book opens with its agenda pages: the documents' pages follow them.
                    let documents: usize = items.iter().map(|(pages, _)| *pages).sum();
                    let cover = book_plan.pages.len().saturating_sub(documents);
                    let mut placed = Vec::new();
                    let mut offset = cover;
                    for (pages, mut list) in items {
                        for item in &mut list {
                            item.page += offset;
                        }
                        placed.extend(list);
                        offset += pages;
                    }
                    annotations::export::additions(book_plan, &placed)
                })
                .await?
        }
        None => state.files.board_book(plan, stamp, name).await?,
    };
    serve::respond(&req, out)
}

/// Each document of the book with its page count and its annotations of `set`.
fn book_annotations(
    c: &mut DbConnection,
    plan: &book::Plan,
    user_id: &str,
    set: ExportSet,
) -> Result<Vec<(usize, Vec<ExportItem>)>, ApiError> {
    plan.documents()
        .map(|d| {
            let items = annotations::for_export(c, &d.document_id, d.version, user_id, set, 0)?;
            Ok((usize::try_from(d.pages).map_err(ApiError::internal)?, items))
        })
        .collect()
}
