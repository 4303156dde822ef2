//! HTTP endpoints of sign-in: login, refresh, logout and `me`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::sessions::{self, Rotation};
use super::{AuthUser, password};
use crate::error::{ApiError, Problem};
use crate::state::AppState;
use crate::users::{self, Role, User, UserRow};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The `device_token` an earlier sign-in of this username gave this device: with it the
    /// attempt skips the per-username limit (not the per-address one). Invalid, expired, of
    /// another username or locked: the same as none.
    #[serde(default)]
    pub device_token: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// The user as sign-in answers describe it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedInUser {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub role: Role,
}

impl From<User> for SignedInUser {
    fn from(user: User) -> Self {
        Self {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            role: user.role,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    pub refresh_token: String,
    pub user: SignedInUser,
    /// Sign-ins only (not refreshes): a token for the device to keep and send with its later
    /// sign-ins of this username (`LoginRequest.device_token`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_token: Option<String>,
}

pub(super) fn client_address(req: &HttpRequest, trust_proxy: bool) -> String {
    if trust_proxy && let Some(addr) = req.connection_info().realip_remote_addr() {
        return addr.to_owned();
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Where a request comes from, for the device list.
pub(super) fn origin(req: &HttpRequest, address: String) -> super::devices::Origin {
    super::devices::Origin {
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        address,
    }
}

pub(super) fn pair(
    state: &AppState,
    user: SignedInUser,
    refresh: sessions::Issued,
) -> Result<TokenPair, ApiError> {
    Ok(TokenPair {
        access_token: state
            .tokens
            .issue(&user.id, user.role, &refresh.family_id)?,
        token_type: "Bearer",
        expires_in: state.tokens.ttl_secs(),
        refresh_token: refresh.token,
        user,
        device_token: None,
    })
}

/// The answer of a completed sign-in: the pair and a fresh device token for its username.
pub(super) fn signed_in(
    state: &AppState,
    user: SignedInUser,
    refresh: sessions::Issued,
) -> Result<TokenPair, ApiError> {
    let device_token = state.device_cookies.issue(&user.username)?;
    Ok(TokenPair {
        device_token: Some(device_token),
        ..pair(state, user, refresh)?
    })
}

/// The password step's answer for a user with a second factor: no tokens yet.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MfaRequired {
    pub mfa_required: bool,
    /// For `POST /api/v1/auth/mfa`, within 5 minutes, once.
    pub mfa_token: String,
}

fn invalid_credentials() -> ApiError {
    ApiError::unauthenticated("invalid_credentials", "the username or password is wrong")
}

/// Signs in with a username and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenPair,
        description = "or MfaRequired when the user has a second factor"),
        (status = 401, body = Problem),
        (status = 429, body = Problem, description = "too many attempts; see Retry-After")))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let LoginRequest {
        username,
        password,
        device_token,
    } = body.into_inner();
    let address = client_address(&req, state.settings.auth.trust_proxy_headers);
    // A device that signed in as this user before passes the per-username limit, so that
    // someone guessing elsewhere cannot lock the user out (device_cookie.rs).
    let device = state
        .device_cookies
        .trusted(device_token.as_deref(), &username);
    state.login_limiter.check_address(&address)?;
    if device.is_none() {
        state.login_limiter.check_name(&username)?;
    }
    if username.len() > 256 || password.len() > 4096 {
        return Err(invalid_credentials());
    }

    let lookup = username.clone();
    let row: Option<UserRow> = state
        .db
        .read(move |c| users::find_by_username(c, &lookup))
        .await?;
    let stored = row.as_ref().map(|r| r.password_hash.clone());
    if !password::verify_blocking(password, stored).await? {
        state.metrics.login_failures.inc();
        if let Some(device) = &device {
            state.device_cookies.failed(device);
        }
        return Err(invalid_credentials());
    }
    let user = User::try_from(row.ok_or_else(invalid_credentials)?)?;
    let uid = user.id.clone();
    let challenge = state
        .db
        .write(move |c| {
            if super::mfa::is_active(c, &uid)? {
                super::mfa::challenge(c, &uid).map(Some)
            } else {
                Ok(None)
            }
        })
        .await?;
    if let Some(mfa_token) = challenge {
        tracing::info!(user_id = %user.id, "password accepted; a code is due");
        return Ok(HttpResponse::Ok().json(MfaRequired {
            mfa_required: true,
            mfa_token,
        }));
    }
    let ttl = state.settings.auth.refresh_token_ttl_secs;
    let uid = user.id.clone();
    let from = origin(&req, address);
    let refresh = state
        .db
        .write(move |c| {
            let issued = sessions::start(c, &uid, ttl)?;
            super::devices::record(c, &issued.family_id, &uid, &from)?;
            Ok(issued)
        })
        .await?;
    tracing::info!(user_id = %user.id, known_device = device.is_some(), "signed in");
    Ok(HttpResponse::Ok().json(signed_in(&state, user.into(), refresh)?))
}

/// Exchanges a refresh token for a new pair; the presented one stops working.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = Problem)))]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let presented = body.into_inner().refresh_token;
    let ttl = state.settings.auth.refresh_token_ttl_secs;
    let address = client_address(&req, state.settings.auth.trust_proxy_headers);
    let outcome = state
        .db
        .write(move |c| {
            let rotation = sessions::rotate(c, &presented, ttl)?;
            let user = match &rotation {
                Rotation::Rotated { user_id, issued } => {
                    super::devices::seen(c, &issued.family_id, &address)?;
                    Some(users::find(c, user_id)?)
                }
                _ => None,
            };
            Ok((rotation, user))
        })
        .await?;
    match outcome {
        (Rotation::Rotated { issued, .. }, Some(user)) => {
            Ok(HttpResponse::Ok().json(pair(&state, user.into(), issued)?))
        }
        (Rotation::Reused, _) => {
            tracing::warn!("refresh token reused; its session was revoked");
            Err(ApiError::unauthenticated(
                "refresh_token_reused",
                "this refresh token was already used; the session has been ended",
            ))
        }
        _ => Err(ApiError::unauthenticated(
            "invalid_refresh_token",
            "the refresh token is not valid",
        )),
    }
}

/// Ends the caller's session: its refresh token stops working.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn logout(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let sid = user.session_id.clone();
    state
        .db
        .write(move |c| sessions::revoke_family(c, &sid))
        .await?;
    // Its access tokens stop working here at once, on other instances within the cache's life;
    // its live sockets close here at once, on other instances at their next heartbeat.
    state.standings.forget(&user.id, &user.session_id);
    state
        .hub
        .end_sessions(std::slice::from_ref(&user.session_id));
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = User), (status = 401, body = Problem)))]
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> Result<HttpResponse, ApiError> {
    let id = user.id.clone();
    let me = state
        .db
        .read(move |c| users::find(c, &id))
        .await
        .map_err(|e| match e {
            ApiError::NotFound { .. } => {
                ApiError::unauthenticated("invalid_token", "the token's user no longer exists")
            }
            other => other,
        })?;
    Ok(HttpResponse::Ok().json(me))
}
