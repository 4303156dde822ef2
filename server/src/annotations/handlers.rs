//! HTTP endpoints of annotations: thin wrappers that load the caller's access, call the domain
//! functions in one transaction, and after commit tell the author's sessions about private
//! changes.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{
    Annotation, AnnotationList, AnnotationPatch, ListQuery, NewAnnotation, NewReply, Outcome,
};
use crate::auth::AuthUser;
use crate::db::DbConnection;
use crate::documents::{self, DocumentRow};
use crate::error::{ApiError, Problem};
use crate::meetings::access::{self, Access};
use crate::state::AppState;

/// A document the caller may see and its meeting access (404 for both when not visible);
/// with `lock`, the meeting is locked for the rest of the transaction.
fn document_for(
    c: &mut DbConnection,
    document_id: &str,
    user: &AuthUser,
    lock: bool,
) -> Result<(DocumentRow, Access), ApiError> {
    let hidden = |e: ApiError| match e {
        ApiError::NotFound { .. } => ApiError::NotFound { what: "document" },
        other => other,
    };
    let row = documents::get(c, document_id)?;
    let access = if lock {
        access::load_for_change(c, &row.meeting_id, user).map_err(hidden)?
    } else {
        access::load(c, &row.meeting_id, user).map_err(hidden)?
    };
    // Under the lock the document may have changed (a new version) since the first read.
    let row = if lock {
        documents::get(c, document_id)?
    } else {
        row
    };
    Ok((row, access))
}

/// Tells the author's own sessions about a private change, after commit.
fn tell(
    state: &AppState,
    meeting_id: &str,
    author_id: &str,
    private: Option<(&str, serde_json::Value)>,
) {
    if let Some((kind, data)) = private {
        super::notify::tell_author(&state.hub, meeting_id, author_id, kind, &data);
    }
}

/// Creates an annotation (idempotent with a client id).
#[utoipa::path(post, path = "/api/v1/documents/{id}/annotations", tag = "annotations",
    params(("id" = String, Path)), request_body = NewAnnotation, security(("bearer" = [])),
    responses((status = 201, body = Annotation, description = "Created"),
              (status = 200, body = Annotation, description = "The same id and content were posted before: the stored annotation"),
              (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<NewAnnotation>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = body.into_inner();
    let limits = state.settings.annotations.clone();
    let (outcome, created): (Outcome, bool) = state
        .commit(move |c| {
            let (doc, access) = document_for(c, &id, &user, true)?;
            super::create(c, &doc, &access, &body, &limits)
        })
        .await?;
    let a = &outcome.annotation;
    tell(
        &state,
        &outcome.meeting_id,
        &a.user_id,
        outcome.private.clone(),
    );
    Ok(if created {
        HttpResponse::Created().json(a)
    } else {
        HttpResponse::Ok().json(a)
    })
}

/// The caller's own annotations of a document plus every shared one.
#[utoipa::path(get, path = "/api/v1/documents/{id}/annotations", tag = "annotations",
    params(("id" = String, Path), ListQuery), security(("bearer" = [])),
    responses((status = 200, body = AnnotationList, description = "with an `ETag` over the list"),
              (status = 304, description = "`If-None-Match` names the current list"),
              (status = 404, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let query = query.into_inner();
    let annotations = state
        .db
        .read(move |c| {
            let (doc, _) = document_for(c, &id, &user, false)?;
            super::list(c, &doc.id, &user.id, &query)
        })
        .await?;
    crate::conditional::json(&req, &AnnotationList { annotations })
}

/// One annotation (the caller's own, or a shared one).
#[utoipa::path(get, path = "/api/v1/annotations/{id}", tag = "annotations",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Annotation), (status = 404, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let annotation = state
        .db
        .read(move |c| {
            let (row, _, _) = super::visible(c, &id, &user, false)?;
            super::present(c, row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(annotation))
}

/// Changes an annotation (author only), based on the `version` it edits.
#[utoipa::path(patch, path = "/api/v1/annotations/{id}", tag = "annotations",
    params(("id" = String, Path)), request_body = AnnotationPatch, security(("bearer" = [])),
    responses((status = 200, body = Annotation), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem, description = "`stale_version` (with `current_version`) or `meeting_closed`"),
              (status = 422, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<AnnotationPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let patch = body.into_inner();
    let limits = state.settings.annotations.clone();
    let outcome = state
        .commit(move |c| {
            let (row, doc, access) = super::visible(c, &id, &user, true)?;
            super::update(c, row, &doc, &access, &patch, &limits)
        })
        .await?;
    let a = &outcome.annotation;
    tell(
        &state,
        &outcome.meeting_id,
        &a.user_id,
        outcome.private.clone(),
    );
    Ok(HttpResponse::Ok().json(a))
}

/// Deletes an annotation (author only).
#[utoipa::path(delete, path = "/api/v1/annotations/{id}", tag = "annotations",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let author = user.id.clone();
    let (meeting_id, private) = state
        .commit(move |c| {
            let (row, _, access) = super::visible(c, &id, &user, true)?;
            let meeting_id = row.meeting_id.clone();
            let (private, events) = super::delete(c, row, &access)?;
            Ok(((meeting_id, private), events))
        })
        .await?;
    tell(&state, &meeting_id, &author, private);
    Ok(HttpResponse::NoContent().finish())
}

/// Replies to a shared note; answers the note with its replies.
#[utoipa::path(post, path = "/api/v1/annotations/{id}/replies", tag = "annotations",
    params(("id" = String, Path)), request_body = NewReply, security(("bearer" = [])),
    responses((status = 201, body = Annotation), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn reply(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<NewReply>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let body = body.into_inner();
    let limits = state.settings.annotations.clone();
    let annotation = state
        .commit(move |c| {
            let (row, _, access) = super::visible(c, &id, &user, true)?;
            super::reply(c, row, &access, &body, &limits)
        })
        .await?;
    Ok(HttpResponse::Created().json(annotation))
}

/// Deletes a reply (its author, or the note's author); answers the note.
#[utoipa::path(delete, path = "/api/v1/annotations/{id}/replies/{reply_id}", tag = "annotations",
    params(("id" = String, Path), ("reply_id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Annotation), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete_reply(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, reply_id) = path.into_inner();
    let annotation = state
        .commit(move |c| {
            let (row, _, access) = super::visible(c, &id, &user, true)?;
            super::delete_reply(c, row, &access, &reply_id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(annotation))
}
