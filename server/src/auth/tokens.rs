//! Access tokens: short-lived JWTs signed with HS256, the one algorithm accepted. `iss`, `aud`,
//! `exp`, `nbf` and `sub` are required and checked; a token of any other algorithm (`none`
//! included) or key is refused.

use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use crate::config::AuthSettings;
use crate::error::ApiError;
use crate::users::Role;

const ALGORITHM: Algorithm = Algorithm::HS256;

/// What an access token says about its bearer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: String,
    pub role: Role,
    /// The sign-in session (refresh-token family) the token belongs to.
    pub sid: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
}

#[derive(Clone)]
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl TokenService {
    pub fn new(key: &[u8], settings: &AuthSettings) -> Self {
        let mut validation = Validation::new(ALGORITHM);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = settings.leeway_secs;
        Self {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            ttl: Duration::from_secs(settings.access_token_ttl_secs.max(1)),
        }
    }

    /// Seconds an access token stays valid.
    pub fn ttl_secs(&self) -> u64 {
        self.ttl.as_secs()
    }

    /// Issues a token for `user_id` in session `sid`.
    pub fn issue(&self, user_id: &str, role: Role, sid: &str) -> Result<String, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id.to_owned(),
            role,
            sid: sid.to_owned(),
            iat: now,
            nbf: now,
            exp: now + i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 2),
        };
        encode(&Header::new(ALGORITHM), &claims, &self.encoding).map_err(ApiError::internal)
    }

    /// Verifies signature, algorithm and claims.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => {
                    ApiError::unauthenticated("token_expired", "the access token has expired")
                }
                _ => ApiError::unauthenticated("invalid_token", "the access token is not valid"),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn service(key: &[u8]) -> TokenService {
        TokenService::new(
            key,
            &AuthSettings {
                leeway_secs: 0,
                ..Default::default()
            },
        )
    }

    #[test]
    fn round_trip() {
        let s = service(&[7; 32]);
        let t = s.issue("u1", Role::Member, "s1").unwrap();
        let c = s.verify(&t).unwrap();
        assert_eq!(
            (c.sub.as_str(), c.role, c.sid.as_str()),
            ("u1", Role::Member, "s1")
        );
    }

    #[test]
    fn other_key_refused() {
        let t = service(&[1; 32]).issue("u1", Role::Admin, "s").unwrap();
        assert_eq!(
            service(&[2; 32]).verify(&t).unwrap_err().code(),
            "invalid_token"
        );
    }

    #[test]
    fn alg_none_refused() {
        let s = service(&[7; 32]);
        let t = s.issue("u1", Role::Admin, "s").unwrap();
        let payload = t.split('.').nth(1).unwrap();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(s.verify(&format!("{header}.{payload}.")).is_err());
    }

    #[test]
    fn expired_refused() {
        let s = service(&[7; 32]);
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: "ecabinet".into(),
            aud: "ecabinet".into(),
            sub: "u".into(),
            role: Role::Member,
            sid: "s".into(),
            iat: now - 100,
            nbf: now - 100,
            exp: now - 10,
        };
        let t = encode(
            &Header::new(ALGORITHM),
            &claims,
            &EncodingKey::from_secret(&[7; 32]),
        )
        .unwrap();
        assert_eq!(s.verify(&t).unwrap_err().code(), "token_expired");
    }
}
