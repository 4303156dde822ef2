//! `AuthUser`: the caller, from a valid `Authorization: Bearer` access token. Handlers that
//! take it are authenticated; those that do not are public.

use std::future::{Ready, ready};

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
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = (|| {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("app state missing")))?;
            let token = bearer(req).ok_or_else(|| {
                ApiError::unauthenticated("missing_token", "an access token is required")
            })?;
            let claims = state.tokens.verify(token)?;
            Ok(AuthUser {
                id: claims.sub,
                role: claims.role,
                session_id: claims.sid,
            })
        })();
        ready(result)
    }
}
