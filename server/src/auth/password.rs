//! argon2id password hashing with OWASP's parameters (19 MiB, 2 iterations, 1 lane), always on
//! the blocking pool: one hash costs tens of milliseconds of CPU.

use std::sync::LazyLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::ApiError;

fn hasher() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A PHC string for `password`.
pub fn hash(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(anyhow::anyhow!("hashing failed: {e}")))
}

/// A hash of a random password, verified against when the username is unknown so that the
/// answer takes as long as for a known one.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    let random: [u8; 16] = rand::random();
    hash(&base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        random,
    ))
    .ok()
});

/// Checks `password` against `stored`, or against the dummy hash when there is no user.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let Some(target) = stored.or(DUMMY_HASH.as_deref()) else {
        return false;
    };
    let Ok(parsed) = PasswordHash::new(target) else {
        return false;
    };
    let Ok(argon) = hasher() else {
        return false;
    };
    argon.verify_password(password.as_bytes(), &parsed).is_ok() && stored.is_some()
}

/// Warms the dummy hash so the first unknown-user login is not faster than the rest.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

pub async fn hash_blocking(password: String) -> Result<String, ApiError> {
    actix_web::web::block(move || hash(&password)).await?
}

pub async fn verify_blocking(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    Ok(actix_web::web::block(move || verify(&password, stored.as_deref())).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse", Some(&h)));
        assert!(!verify("wrong horse", Some(&h)));
        assert!(!verify("correct horse", None));
    }
}
