//! `GET /api/v1/me/notifications`, `POST /api/v1/me/notifications/{id}/read`,
//! `POST /api/v1/me/notifications/read-all`: a user's own notifications.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::Notification;
use crate::auth::AuthUser;
use crate::error::{ApiError, Problem};
use crate::state::AppState;

const LIMIT_DEFAULT: i64 = 20;
const LIMIT_MAX: i64 = 100;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// At most this many (1–100, default 20).
    pub limit: Option<i64>,
    /// Only those older than this notification (the previous page's `next_before`).
    pub before: Option<String>,
}

/// A page of the user's notifications, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NotificationPage {
    pub notifications: Vec<Notification>,
    /// How many of all the user's notifications are unread.
    pub unread: i64,
    /// Pass as `before` for the next page; null on the last one.
    pub next_before: Option<String>,
}

/// The unread count after a change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Unread {
    pub unread: i64,
}

/// The caller's notifications, newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/me/notifications", tag = "notifications", params(ListQuery),
    security(("bearer" = [])),
    responses((status = 200, body = NotificationPage), (status = 401, body = Problem),
        (status = 422, body = Problem)))]
pub async fn list(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(LIMIT_DEFAULT);
    if !(1..=LIMIT_MAX).contains(&limit) {
        return Err(ApiError::invalid(
            "invalid_limit",
            format!("limit is 1 to {LIMIT_MAX}"),
        ));
    }
    let page = state
        .db
        .read(move |c| {
            let notifications = super::list(c, &user.id, query.before.as_deref(), limit)?;
            let next_before = if notifications.len() as i64 == limit {
                notifications.last().map(|n| n.id.clone())
            } else {
                None
            };
            Ok(NotificationPage {
                notifications,
                unread: super::unread(c, &user.id)?,
                next_before,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Marks one of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/me/notifications/{id}/read", tag = "notifications",
    params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = Unread), (status = 404, body = Problem)))]
pub async fn read(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let unread = state
        .db
        .write(move |c| {
            super::mark_read(c, &user.id, &id)?;
            super::unread(c, &user.id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Unread { unread }))
}

/// Marks all the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/me/notifications/read-all", tag = "notifications",
    security(("bearer" = [])), responses((status = 200, body = Unread)))]
pub async fn read_all(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    state
        .db
        .write(move |c| super::mark_all_read(c, &user.id))
        .await?;
    Ok(HttpResponse::Ok().json(Unread { unread: 0 }))
}
