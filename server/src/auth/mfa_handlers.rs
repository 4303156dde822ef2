//! HTTP endpoints of the second factor: enrolment, confirmation, turning it off, an admin's
//! reset, and the code step of a sign-in (contract v2, "Second factor (TOTP)").

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::handlers::{client_address, origin, signed_in};
use super::mfa::{self, Enrolment};
use super::{AuthUser, sessions};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::users::{self, Role, User};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// A 6-digit TOTP code (or, where allowed, a recovery code).
    pub code: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaLoginRequest {
    pub mfa_token: String,
    pub code: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes, shown this once.
    pub recovery_codes: Vec<String>,
}

/// Starts an enrolment: a new secret, active once confirmed.
#[utoipa::path(post, path = "/api/v1/me/mfa/totp", tag = "auth", security(("bearer" = [])),
    responses((status = 201, body = Enrolment), (status = 409, body = Problem)))]
pub async fn enrol(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let issuer = state.settings.auth.mfa_issuer.clone();
    let keys = state.mfa_keys.clone();
    let enrolment = state
        .db
        .write(move |c| {
            let me = users::find(c, &user.id)?;
            mfa::enrol(c, &keys, &user.id, &me.username, &issuer)
        })
        .await?;
    Ok(HttpResponse::Created().json(enrolment))
}

/// Confirms the enrolment with a first code; answers the recovery codes, once.
#[utoipa::path(post, path = "/api/v1/me/mfa/totp/confirm", tag = "auth",
    security(("bearer" = [])), request_body = CodeRequest,
    responses((status = 200, body = RecoveryCodes), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    body: web::Json<CodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let address = client_address(&req, state.settings.auth.trust_proxy_headers);
    state.code_limiter.check(&user.id, &address)?;
    let keys = state.mfa_keys.clone();
    let code = body.into_inner().code;
    let id = user.id.clone();
    let codes = state
        .db
        .write(move |c| mfa::confirm(c, &keys, &id, &code))
        .await?;
    // Known at once to the standing this session's requests are checked against.
    state.standings.forget(&user.id, &user.session_id);
    tracing::info!(target: "security", user_id = %user.id, "second factor turned on");
    Ok(HttpResponse::Ok().json(RecoveryCodes {
        recovery_codes: codes,
    }))
}

/// Turns the caller's second factor off, with a current code or a recovery code.
#[utoipa::path(delete, path = "/api/v1/me/mfa/totp", tag = "auth", security(("bearer" = [])),
    request_body = CodeRequest,
    responses((status = 204), (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 429, body = Problem)))]
pub async fn disable(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    body: web::Json<CodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let address = client_address(&req, state.settings.auth.trust_proxy_headers);
    state.code_limiter.check(&user.id, &address)?;
    let keys = state.mfa_keys.clone();
    let code = body.into_inner().code;
    let id = user.id.clone();
    state
        .db
        .write(move |c| mfa::disable(c, &keys, &id, &code))
        .await?;
    state.standings.forget(&user.id, &user.session_id);
    tracing::info!(target: "security", user_id = %user.id, "second factor turned off");
    Ok(HttpResponse::NoContent().finish())
}

/// Removes a user's second factor (admins): a lost phone.
#[utoipa::path(delete, path = "/api/v1/users/{id}/mfa", tag = "users", security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn reset(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let target = path.into_inner();
    let id = target.clone();
    state
        .db
        .write(move |c| {
            users::find(c, &id)?;
            mfa::remove(c, &id)
        })
        .await?;
    tracing::warn!(target: "security", user_id = %target, by = %user.id,
        "second factor reset by an administrator");
    Ok(HttpResponse::NoContent().finish())
}

/// The code step of a sign-in: a TOTP code or a recovery code for the `mfa_token` the password
/// step gave; answers as a sign-in does.
#[utoipa::path(post, path = "/api/v1/auth/mfa", tag = "auth", request_body = MfaLoginRequest,
    responses((status = 200, body = super::handlers::TokenPair), (status = 401, body = Problem),
        (status = 429, body = Problem, description = "too many codes; see Retry-After")))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<MfaLoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let MfaLoginRequest { mfa_token, code } = body.into_inner();
    if mfa_token.len() > 100 || code.len() > 100 {
        return Err(ApiError::unauthenticated(
            "invalid_code",
            "the code is wrong, expired or already used",
        ));
    }
    let address = client_address(&req, state.settings.auth.trust_proxy_headers);
    let token = mfa_token.clone();
    let user_id = state
        .db
        .read(move |c| mfa::challenged_user(c, &token))
        .await?;
    state.code_limiter.check(&user_id, &address)?;
    let keys = state.mfa_keys.clone();
    let ttl = state.settings.auth.refresh_token_ttl_secs;
    let from = origin(&req, address);
    let outcome = state
        .db
        .write(move |c| {
            let id = mfa::answer(c, &keys, &mfa_token, &code)?;
            let user = users::find(c, &id)?;
            let refresh = sessions::start(c, &id, ttl)?;
            super::devices::record(c, &refresh.family_id, &id, &from)?;
            Ok((user, refresh))
        })
        .await;
    let (user, refresh): (User, sessions::Issued) = match outcome {
        Ok(done) => done,
        Err(e) => {
            state.metrics.login_failures.inc();
            tracing::warn!(target: "security", user_id = %user_id, code = e.code(),
                "second factor refused");
            return Err(e);
        }
    };
    tracing::info!(user_id = %user.id, "signed in with a second factor");
    Ok(HttpResponse::Ok().json(signed_in(&state, user.into(), refresh)?))
}
