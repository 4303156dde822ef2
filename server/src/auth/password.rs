//! argon2id password hashing with OWASP's parameters (19 MiB, 2 iterations, 1 lane), always on
//! the blocking pool: one hash costs tens of milliseconds of CPU and 19 MiB of memory. At most
//! one hash per core runs at once (`HASHING`): a storm of sign-ins then waits in line instead of
//! filling the blocking pool's hundreds of threads, each with 19 MiB the allocator keeps.

use std::sync::{LazyLock, Mutex, PoisonError};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use crate::error::ApiError;

fn hasher() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(19 * 1024, 2, 1, None)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A password as it is hashed: Unicode NFKC, so that the same password typed on another
/// keyboard or tablet (composed or decomposed Vietnamese letters, full-width digits) matches.
fn normalized(password: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    password.nfkc().collect()
}

/// A PHC string for `password` (normalised).
pub fn hash(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()?
        .hash_password(normalized(password).as_bytes(), &salt)
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

/// The 19 MiB working memories of the hashes that ran, kept for the next ones: at most one per
/// hash running at once (`HASHING`), so a storm of sign-ins reuses them instead of leaving the
/// allocator hundreds of megabytes it does not give back.
static MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Recomputes `target`'s hash of `password` in reused memory and compares the outputs (in
/// constant time: `Output`'s equality).
fn matches(password: &[u8], target: &PasswordHash<'_>) -> Option<bool> {
    let expected = target.hash?;
    let params = Params::try_from(target).ok()?;
    let algorithm = Algorithm::try_from(target.algorithm).ok()?;
    let version = target
        .version
        .map(Version::try_from)
        .transpose()
        .ok()?
        .unwrap_or_default();
    let mut salt = [0u8; 64];
    let salt = target.salt?.decode_b64(&mut salt).ok()?;
    let mut out = vec![0u8; expected.len()];
    let mut memory = MEMORY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pop()
        .unwrap_or_default();
    memory.resize(params.block_count(), Block::default());
    let done = Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt, &mut out, &mut memory[..])
        .is_ok();
    MEMORY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(memory);
    Some(done && Output::new(&out).ok()? == expected)
}

/// Checks `password` against `stored`, or against the dummy hash when there is no user. Hashes
/// made before passwords were normalised hold the password as typed: a password that NFKC
/// changes is tried both ways.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let Some(target) = stored.or(DUMMY_HASH.as_deref()) else {
        return false;
    };
    let Ok(parsed) = PasswordHash::new(target) else {
        return false;
    };
    let normal = normalized(password);
    let found = matches(normal.as_bytes(), &parsed).unwrap_or(false)
        || (normal != password && matches(password.as_bytes(), &parsed).unwrap_or(false));
    found && stored.is_some()
}

/// Warms the dummy hash so the first unknown-user login is not faster than the rest.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

/// Hashes running at once: one per core (more would only share the cores and add memory).
static HASHING: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, usize::from))
});

pub async fn hash_blocking(password: String) -> Result<String, ApiError> {
    let _turn = HASHING.acquire().await.map_err(ApiError::internal)?;
    actix_web::web::block(move || hash(&password)).await?
}

pub async fn verify_blocking(password: String, stored: Option<String>) -> Result<bool, ApiError> {
    let _turn = HASHING.acquire().await.map_err(ApiError::internal)?;
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
        // Hashes of other parameters (older accounts) still verify.
        let light = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"old password", &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
        assert!(verify("old password", Some(&light)));
        assert!(!verify("old passwore", Some(&light)));
    }

    #[test]
    fn the_same_password_typed_another_way_matches() {
        // "mật khẩu" with composed letters, then decomposed (a base letter and its marks), and
        // full-width digits: one password.
        let composed = "mật khẩu 2026";
        let decomposed = "ma\u{323}\u{302}t kha\u{302}\u{309}u 2026";
        let wide = "mật khẩu ２０２６";
        let h = hash(decomposed).unwrap();
        assert!(verify(composed, Some(&h)));
        assert!(verify(wide, Some(&h)));
        // A hash made before normalisation, of a decomposed password, still verifies.
        let legacy = hasher()
            .unwrap()
            .hash_password(decomposed.as_bytes(), &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        assert!(verify(decomposed, Some(&legacy)));
        assert!(!verify("mật khẩu 2027", Some(&h)));
    }
}
