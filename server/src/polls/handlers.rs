//! HTTP endpoints of polls and ballots.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::ballots::{BallotRequest, KEY_MAX, Receipt};
use super::{NewPoll, Poll, PollPatch};
use crate::auth::AuthUser;
use crate::error::{ApiError, Problem};
use crate::meetings::Mover;
use crate::meetings::access;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BallotBody {
    /// One of the poll's option keys.
    pub choice: String,
    /// A comment (named polls; required with `other`; at most 2,000 characters).
    pub comment: Option<String>,
}

/// Creates a draft poll (chair, meeting secretary, staff).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/polls", tag = "polls", params(("id" = String, Path)),
    request_body = NewPoll, security(("bearer" = [])),
    responses((status = 201, body = Poll), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<NewPoll>,
) -> Result<HttpResponse, ApiError> {
    let meeting_id = path.into_inner();
    let new = body.into_inner();
    let default_majority = state.settings.polls.default_majority;
    let written_ties = state.settings.polls.written_ties;
    let poll = state
        .commit(move |c| {
            let access = access::load_for_change(c, &meeting_id, &user)?;
            access.require(Mover::Presiders)?;
            access.require_open()?;
            let new = if access.meeting.kind() == crate::meetings::written::Kind::Written {
                new.written_defaults(written_ties)
            } else {
                new
            };
            super::create(c, &meeting_id, new, default_majority, &user.id)
        })
        .await?;
    Ok(HttpResponse::Created().json(poll))
}

/// A poll with its tally; named polls list their ballots once closed.
#[utoipa::path(get, path = "/api/v1/polls/{id}", tag = "polls", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = Poll), (status = 404, body = Problem)))]
pub async fn get(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let poll_id = path.into_inner();
    let poll = state
        .db
        .read(move |c| {
            let (row, _) = super::load(c, &poll_id, &user)?;
            super::view(c, row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(poll))
}

/// Who of the poll's electorate has answered, and when (named polls); the meeting's presiders.
#[utoipa::path(get, path = "/api/v1/polls/{id}/answers", tag = "polls", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = super::answers::Answers),
    (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn answers(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let poll_id = path.into_inner();
    let answers = state
        .db
        .read(move |c| {
            let (row, access) = super::load(c, &poll_id, &user)?;
            super::answers::who_answered(c, &access, &row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(answers))
}

/// The caller's own ballot in the poll (its choice and comment for named polls).
#[utoipa::path(get, path = "/api/v1/polls/{id}/my-ballot", tag = "polls", params(("id" = String, Path)),
    security(("bearer" = [])), responses((status = 200, body = super::answers::MyBallot),
    (status = 404, body = Problem)))]
pub async fn my_ballot(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let poll_id = path.into_inner();
    let mine = state
        .db
        .read(move |c| {
            let (row, _) = super::load(c, &poll_id, &user)?;
            super::answers::mine(c, &row, &user.id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(mine))
}

/// Changes a draft poll.
#[utoipa::path(patch, path = "/api/v1/polls/{id}", tag = "polls", params(("id" = String, Path)),
    request_body = PollPatch, security(("bearer" = [])),
    responses((status = 200, body = Poll), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<PollPatch>,
) -> Result<HttpResponse, ApiError> {
    let poll_id = path.into_inner();
    let patch = body.into_inner();
    let poll = state
        .commit(move |c| {
            let (row, _) = super::load_for_change(c, &poll_id, &user)?;
            super::update(c, row, patch)
        })
        .await?;
    Ok(HttpResponse::Ok().json(poll))
}

/// Deletes a draft poll.
#[utoipa::path(delete, path = "/api/v1/polls/{id}", tag = "polls", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let poll_id = path.into_inner();
    state
        .commit(move |c| {
            let (row, _) = super::load_for_change(c, &poll_id, &user)?;
            Ok(((), super::delete(c, row)?))
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Opens a draft poll (meeting live); eligible voters are fixed now.
#[utoipa::path(post, path = "/api/v1/polls/{id}/open", tag = "polls", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Poll), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn open(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let poll_id = path.into_inner();
    let poll = state
        .commit(move |c| {
            let (row, access) = super::load_for_change(c, &poll_id, &user)?;
            super::open(c, &access, row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(poll))
}

/// Closes an open poll: final tally and result.
#[utoipa::path(post, path = "/api/v1/polls/{id}/close", tag = "polls", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Poll), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn close(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let poll_id = path.into_inner();
    let poll = state
        .commit(move |c| {
            let (row, _) = super::load_for_change(c, &poll_id, &user)?;
            super::close(c, row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(poll))
}

/// The `Idempotency-Key` header, if any (1 to 200 visible ASCII characters).
fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= KEY_MAX)
        .ok_or_else(|| {
            ApiError::malformed(
                "invalid_idempotency_key",
                "Idempotency-Key is 1 to 200 visible ASCII characters",
            )
        })?;
    Ok(Some(key.to_owned()))
}

/// Casts the caller's ballot; answered only once it is committed.
#[utoipa::path(post, path = "/api/v1/polls/{id}/ballots", tag = "polls", params(("id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key gets the first answer")),
    request_body = BallotBody, security(("bearer" = [])),
    responses((status = 201, body = Receipt), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn cast(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<BallotBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let request = BallotRequest {
        poll_id: path.into_inner(),
        user,
        choice: body.choice,
        key: idempotency_key(&req)?,
        comment: body.comment,
    };
    let receipt = state.polls.cast(request).await?;
    Ok(HttpResponse::Created().json(receipt))
}
