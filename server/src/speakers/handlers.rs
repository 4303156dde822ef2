//! HTTP endpoints of the speaker queue.

use actix_web::{HttpResponse, web};

use super::{NewRequest, Order, Queue, Speaker, StateChange};
use crate::auth::AuthUser;
use crate::error::{ApiError, Problem};
use crate::meetings::Mover;
use crate::meetings::access;
use crate::state::AppState;

/// Asks to speak, optionally on an agenda item.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/speakers", tag = "speakers", params(("id" = String, Path)),
    request_body = NewRequest, security(("bearer" = [])),
    responses((status = 201, body = Speaker), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn request(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    // The body is optional: an empty one asks to speak on no particular item.
    let new: NewRequest = if body.iter().all(u8::is_ascii_whitespace) {
        NewRequest::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            if e.is_data() {
                ApiError::invalid("invalid_body", e.to_string())
            } else {
                ApiError::malformed("malformed_json", e.to_string())
            }
        })?
    };
    let speaker = state
        .commit(move |c| {
            let access = access::load_for_change(c, &id, &user)?;
            super::request(c, &access, new)
        })
        .await?;
    Ok(HttpResponse::Created().json(speaker))
}

/// The queue: speaking, waiting in order, then finished requests.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/speakers", tag = "speakers", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = Queue), (status = 404, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let speakers = state
        .db
        .read(move |c| {
            access::load(c, &id, &user)?;
            super::list(c, &id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Queue { speakers }))
}

/// Orders the waiting requests (presiders).
#[utoipa::path(put, path = "/api/v1/meetings/{id}/speakers/order", tag = "speakers", params(("id" = String, Path)),
    request_body = Order, security(("bearer" = [])),
    responses((status = 200, body = Queue), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn reorder(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<Order>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let order = body.into_inner();
    let speakers = state
        .commit(move |c| {
            let access = access::load_for_change(c, &id, &user)?;
            access.require(Mover::Presiders)?;
            super::reorder(c, &access, order)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Queue { speakers }))
}

/// Starts, ends or withdraws a request.
#[utoipa::path(post, path = "/api/v1/speakers/{id}/state", tag = "speakers", params(("id" = String, Path)),
    request_body = StateChange, security(("bearer" = [])),
    responses((status = 200, body = Speaker), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn set_state(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<StateChange>,
) -> Result<HttpResponse, ApiError> {
    let speaker_id = path.into_inner();
    let to = body.into_inner().state;
    let limit = state.settings.meetings.default_speech_limit_secs;
    let speaker = state
        .commit(move |c| {
            let meeting_id = super::meeting_of(c, &speaker_id)?;
            let access = access::load_for_change(c, &meeting_id, &user)
                .map_err(|e| e.not_found_as("speaker"))?;
            super::set_state(c, &access, &speaker_id, to, limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(speaker))
}
