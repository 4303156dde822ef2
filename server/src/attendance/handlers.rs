//! HTTP endpoints of attendance.

use actix_web::{HttpResponse, web};

use super::{AttendanceList, Mark};
use crate::auth::AuthUser;
use crate::error::{ApiError, Problem};
use crate::meetings::Mover;
use crate::meetings::access;
use crate::meetings::participants::Participant;
use crate::state::AppState;

/// Checks the caller in (a substitute checks in for the member they stand in for).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/check-in", tag = "attendance", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = Participant), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem)))]
pub async fn check_in(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let record = state
        .commit(move |c| {
            let access = access::load_for_change(c, &id, &user)?;
            super::check_in(c, &access)
        })
        .await?;
    Ok(HttpResponse::Ok().json(record))
}

/// Checks someone in, or marks them absent with a reason (presiders).
#[utoipa::path(post, path = "/api/v1/meetings/{id}/attendance", tag = "attendance", params(("id" = String, Path)),
    request_body = Mark, security(("bearer" = [])),
    responses((status = 200, body = Participant), (status = 403, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn mark(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<Mark>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let mark = body.into_inner();
    let record = state
        .commit(move |c| {
            let access = access::load_for_change(c, &id, &user)?;
            access.require(Mover::Presiders)?;
            super::mark(c, &access, mark)
        })
        .await?;
    Ok(HttpResponse::Ok().json(record))
}

/// The attendance list with counts.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/attendance", tag = "attendance", params(("id" = String, Path)),
    security(("bearer" = [])),
    responses((status = 200, body = AttendanceList), (status = 404, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let list = state
        .db
        .read(move |c| {
            access::load(c, &id, &user)?;
            super::list(c, &id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}
