//! `GET /api/v1/meetings/{id}/events`: the durable log for clients without a socket.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::Event;
use crate::auth::AuthUser;
use crate::error::{ApiError, Problem};
use crate::meetings::access;
use crate::state::AppState;

/// Most events one request returns.
pub const MAX_PAGE: i64 = 1000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// Return events with a seq greater than this (0: from the start).
    #[serde(default)]
    pub after: i64,
    /// At most this many (default and maximum 1000).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventPage {
    pub events: Vec<Event>,
    /// The meeting's latest seq; greater than the last event returned when more remain.
    pub last_seq: i64,
}

/// The meeting's durable events after `after`, in order.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/events", tag = "events",
    params(("id" = String, Path), EventQuery), security(("bearer" = [])),
    responses((status = 200, body = EventPage), (status = 404, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    query: web::Query<EventQuery>,
) -> Result<HttpResponse, ApiError> {
    let meeting_id = path.into_inner();
    let EventQuery { after, limit } = query.into_inner();
    let limit = limit.unwrap_or(MAX_PAGE).min(MAX_PAGE);
    if limit < 1 || after < 0 {
        return Err(ApiError::invalid(
            "invalid_limit",
            "limit must be at least 1 and after not negative",
        ));
    }
    let page = state
        .db
        .read(move |c| {
            access::load(c, &meeting_id, &user)?;
            let events = super::after(c, &meeting_id, after, limit)?;
            let last_seq = super::last_seq(c, &meeting_id)?;
            Ok(EventPage { events, last_seq })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
