//! HTTP endpoints of signed-in devices and of changing one's password: both end sessions, and
//! an ended session's access tokens and live sockets stop here at once.

use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::devices::{self, Device, Rename};
use super::{AuthUser, password};
use crate::db::schema::users as u;
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::users::{self, Role};

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeviceList {
    pub sessions: Vec<Device>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Stops what the ended sessions still hold: their cached standing and their live sockets.
fn ended(state: &AppState, user_id: &str, sessions: &[String]) {
    for sid in sessions {
        state.standings.forget(user_id, sid);
    }
    state.hub.end_sessions(sessions);
}

/// The caller's signed-in devices, most recently seen first.
#[utoipa::path(get, path = "/api/v1/me/sessions", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = DeviceList)))]
pub async fn list(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let sessions = state
        .db
        .read(move |c| devices::list(c, &user.id, &user.session_id))
        .await?;
    Ok(HttpResponse::Ok().json(DeviceList { sessions }))
}

/// Renames one of the caller's devices.
#[utoipa::path(patch, path = "/api/v1/me/sessions/{id}", tag = "auth", security(("bearer" = [])),
    request_body = Rename,
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn rename(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
    body: web::Json<Rename>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let name = body.into_inner().name;
    state
        .db
        .write(move |c| devices::rename(c, &user.id, &id, &name))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends one of the caller's devices ("Đăng xuất thiết bị này").
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn end(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let (uid, sid) = (user.id.clone(), id.clone());
    state.db.write(move |c| devices::end(c, &uid, &sid)).await?;
    tracing::info!(target: "security", user_id = %user.id, "a device was signed out");
    ended(&state, &user.id, &[id]);
    Ok(HttpResponse::NoContent().finish())
}

/// Ends every session of a user (admins): a lost tablet, someone leaving.
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions", tag = "users",
    security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn end_all(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let target = path.into_inner();
    let id = target.clone();
    let gone = state
        .db
        .write(move |c| {
            users::find(c, &id)?;
            devices::end_all(c, &id, None)
        })
        .await?;
    tracing::warn!(target: "security", user_id = %target, by = %user.id, sessions = gone.len(),
        "every session of a user ended by an administrator");
    ended(&state, &target, &gone);
    Ok(HttpResponse::NoContent().finish())
}

/// Changes the caller's password with the current one; every other session ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", security(("bearer" = [])),
    request_body = PasswordChange,
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem)))]
pub async fn change_password(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    user: AuthUser,
    body: web::Json<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let PasswordChange {
        current_password,
        new_password,
    } = body.into_inner();
    let address = super::handlers::client_address(&req, state.settings.auth.trust_proxy_headers);
    state.login_limiter.check(&user.id, &address)?;
    users::validate_password(&new_password)?;
    let id = user.id.clone();
    let stored: String = state
        .db
        .read(move |c| Ok(u::table.find(&id).select(u::password_hash).first(c)?))
        .await?;
    if !password::verify_blocking(current_password, Some(stored)).await? {
        return Err(ApiError::unauthenticated(
            "invalid_credentials",
            "the current password is wrong",
        ));
    }
    let hashed = password::hash_blocking(new_password).await?;
    let (id, keep) = (user.id.clone(), user.session_id.clone());
    let gone = state
        .db
        .write(move |c| {
            diesel::update(u::table.find(&id))
                .set(u::password_hash.eq(hashed))
                .execute(c)?;
            devices::end_all(c, &id, Some(&keep))
        })
        .await?;
    tracing::info!(target: "security", user_id = %user.id, sessions = gone.len(),
        "password changed; other sessions ended");
    ended(&state, &user.id, &gone);
    Ok(HttpResponse::NoContent().finish())
}
