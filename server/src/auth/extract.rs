//! `AuthUser`: the caller, from a valid `Authorization: Bearer` access token. Handlers that
//! take it are authenticated; those that do not are public.

use futures_util::future::LocalBoxFuture;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use crate::error::ApiError;
use crate::state::AppState;
use crate::users::Role;

#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: String,
    pub role: Role,
    /// The sign-in session the token belongs to.
    pub session_id: String,
}

impl AuthUser {
    /// Refuses callers whose system role is not one of `allowed`.
    pub fn require(&self, allowed: &[Role]) -> Result<(), ApiError> {
        if allowed.contains(&self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "forbidden",
                "your role does not allow this",
            ))
        }
    }
}

/// What a user whose role needs a second factor may still do without one: set it up, see who
/// they are, sign out (contract v2, "Second factor (TOTP)").
const MFA_OPEN_PATHS: &[&str] = &[
    "/api/v1/me",
    "/api/v1/me/mfa/totp",
    "/api/v1/me/mfa/totp/confirm",
    "/api/v1/auth/logout",
];

/// The token of an `Authorization: Bearer …` header, if any.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    /// A valid token whose user and session still stand; the role is the user's role now, not
    /// the one the token was issued with (`standing`).
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req).map(str::to_owned);
        let enrolling = MFA_OPEN_PATHS.contains(&req.path());
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::internal(anyhow::anyhow!("app state missing")))?;
            let token = token.ok_or_else(|| {
                ApiError::unauthenticated("missing_token", "an access token is required")
            })?;
            let claims = state.tokens.verify(&token)?;
            let (role, has_mfa) = state
                .standings
                .check_with_mfa(&state.db, &claims.sub, &claims.sid)
                .await?;
            if !enrolling && !has_mfa && state.settings.auth.mfa_required_roles.contains(&role) {
                return Err(ApiError::forbidden(
                    "mfa_enrollment_required",
                    "your role needs a second factor: set one up first (POST /api/v1/me/mfa/totp)",
                ));
            }
            Ok(AuthUser {
                id: claims.sub,
                role,
                session_id: claims.sid,
            })
        })
    }
}
