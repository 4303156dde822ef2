//! The second factor: TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30 s steps, one step of skew
//! either way) with ten recovery codes, and the short-lived challenge between the password step
//! of a sign-in and the code step (contract v2, "Second factor (TOTP)").
//!
//! Must never: accept a time step a second time for the same user (the last one accepted is
//! kept), accept a recovery code or a challenge twice, keep a TOTP secret in the clear (it is
//! encrypted with AES-256-GCM under a key of the data directory or the configuration), keep a
//! recovery code or a challenge token in the clear (SHA-256 of 128-bit random values), or log
//! any of them.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Totp};

use crate::db::schema::{mfa_challenges as ch, mfa_recovery_codes as rc, user_mfa as um};
use crate::db::{self, DbConnection};
use crate::error::ApiError;

/// Seconds of one TOTP step.
pub const STEP: u64 = 30;
/// Digits of a code.
pub const DIGITS: u8 = 6;
/// Recovery codes given at confirmation.
pub const RECOVERY_CODES: usize = 10;
/// How long the challenge between the two steps of a sign-in lives.
pub const CHALLENGE_SECS: i64 = 5 * 60;

/// The key TOTP secrets are encrypted with.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox")
    }
}

impl SecretBox {
    pub fn new(key: &[u8]) -> anyhow::Result<Self> {
        let cipher = Aes256Gcm::new_from_slice(key)
            .map_err(|_| anyhow::anyhow!("the second-factor key must be 32 bytes"))?;
        Ok(Self { cipher })
    }

    fn seal(&self, secret: &[u8]) -> Result<String, ApiError> {
        let nonce: [u8; 12] = rand::random();
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), secret)
            .map_err(|_| ApiError::internal(anyhow::anyhow!("encrypting a TOTP secret")))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(STANDARD.encode(out))
    }

    fn open(&self, stored: &str) -> Result<Vec<u8>, ApiError> {
        let bytes = STANDARD.decode(stored).map_err(ApiError::internal)?;
        if bytes.len() < 12 {
            return Err(ApiError::internal(anyhow::anyhow!(
                "a stored TOTP secret is cut"
            )));
        }
        let (nonce, sealed) = bytes.split_at(12);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| {
                ApiError::internal(anyhow::anyhow!(
                    "a TOTP secret does not open with this key (was auth.mfa_key or the data \
                     directory's mfa-key changed?)"
                ))
            })
    }
}

/// RFC 6238 as authenticator apps know it: SHA-1, 6 digits, 30 s, one step of skew.
fn totp(secret: Vec<u8>, account: &str, issuer: &str) -> Result<Totp, ApiError> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(1)
        .with_step_duration(STEP)
        .with_secret(secret)
        .with_account_name(account.replace(':', "_"))
        .with_issuer(Some(issuer.replace(':', "_")))
        .build()
        .map_err(|e| ApiError::internal(anyhow::anyhow!("TOTP parameters: {e}")))
}

fn now_secs() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0)
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn wrong_code() -> ApiError {
    ApiError::unauthenticated("invalid_code", "the code is wrong, expired or already used")
}

/// A new secret, not active until confirmed with a code.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Enrolment {
    /// The secret in base32, for typing into an authenticator app.
    pub secret: String,
    /// `otpauth://totp/…`, for a QR code.
    pub otpauth_uri: String,
}

/// Whether the user's second factor is active.
pub fn is_active(conn: &mut DbConnection, user_id: &str) -> Result<bool, ApiError> {
    Ok(um::table
        .find(user_id)
        .select(um::active)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false))
}

/// Starts (or starts over) an enrolment; 409 when a second factor is already active.
pub fn enrol(
    conn: &mut DbConnection,
    keys: &SecretBox,
    user_id: &str,
    account: &str,
    issuer: &str,
) -> Result<Enrolment, ApiError> {
    if is_active(conn, user_id)? {
        return Err(ApiError::conflict(
            "mfa_already_active",
            "a second factor is already active; turn it off first",
        ));
    }
    let secret: [u8; 20] = rand::random();
    let otp = totp(secret.to_vec(), account, issuer)?;
    let sealed = keys.seal(&secret)?;
    diesel::delete(um::table.find(user_id)).execute(conn)?;
    diesel::insert_into(um::table)
        .values((
            um::user_id.eq(user_id),
            um::secret.eq(sealed),
            um::active.eq(false),
            um::created_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(Enrolment {
        secret: otp.secret().to_base32(),
        otpauth_uri: otp
            .to_url()
            .map_err(|e| ApiError::internal(anyhow::anyhow!("otpauth URI: {e}")))?,
    })
}

#[derive(Debug, Queryable)]
struct Stored {
    secret: String,
    active: bool,
    last_step: Option<i64>,
}

fn stored(conn: &mut DbConnection, user_id: &str) -> Result<Option<Stored>, ApiError> {
    Ok(um::table
        .find(user_id)
        .select((um::secret, um::active, um::last_step))
        .first::<Stored>(conn)
        .optional()?)
}

/// The time step `code` belongs to (one step of skew either way; the crate compares in constant
/// time), if any; `after` is the last step accepted before, which no longer counts.
fn matching_step(secret: &[u8], code: &str, at: u64, after: Option<i64>) -> Option<i64> {
    let code = code.trim();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let otp = totp(secret.to_vec(), "", "").ok()?;
    let step = i64::try_from(otp.check(code, at)?).ok()?;
    after.is_none_or(|last| step > last).then_some(step)
}

/// Checks a TOTP code (or, when `recovery` allows it, a recovery code) of a user whose second
/// factor is `active` (or pending, for the confirmation); marks what it used as used.
fn use_code(
    conn: &mut DbConnection,
    keys: &SecretBox,
    user_id: &str,
    code: &str,
    recovery: bool,
) -> Result<(), ApiError> {
    let Some(row) = stored(conn, user_id)? else {
        return Err(wrong_code());
    };
    let secret = keys.open(&row.secret)?;
    if let Some(step) = matching_step(&secret, code, now_secs(), row.last_step) {
        // Only if no one else took this step meanwhile (two sign-ins racing with one code).
        let taken = diesel::update(
            um::table
                .find(user_id)
                .filter(um::last_step.is_null().or(um::last_step.lt(step))),
        )
        .set(um::last_step.eq(step))
        .execute(conn)?;
        return if taken == 1 {
            Ok(())
        } else {
            Err(wrong_code())
        };
    }
    if recovery && row.active {
        let normalized: String = code
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let used = diesel::update(
            rc::table
                .filter(rc::user_id.eq(user_id))
                .filter(rc::code_hash.eq(sha256_hex(&normalized)))
                .filter(rc::used_at.is_null()),
        )
        .set(rc::used_at.eq(db::now()))
        .execute(conn)?;
        if used == 1 {
            return Ok(());
        }
    }
    Err(wrong_code())
}

/// Confirms a pending enrolment with a first code; answers the recovery codes (shown once).
pub fn confirm(
    conn: &mut DbConnection,
    keys: &SecretBox,
    user_id: &str,
    code: &str,
) -> Result<Vec<String>, ApiError> {
    match stored(conn, user_id)? {
        Some(row) if !row.active => {}
        Some(_) => {
            return Err(ApiError::conflict(
                "mfa_already_active",
                "the second factor is already active",
            ));
        }
        None => {
            return Err(ApiError::conflict(
                "mfa_not_pending",
                "start an enrolment first (POST /api/v1/me/mfa/totp)",
            ));
        }
    }
    use_code(conn, keys, user_id, code, false).map_err(as_invalid)?;
    diesel::update(um::table.find(user_id))
        .set((um::active.eq(true), um::confirmed_at.eq(Some(db::now()))))
        .execute(conn)?;
    diesel::delete(rc::table.filter(rc::user_id.eq(user_id))).execute(conn)?;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let code = recovery_code();
        diesel::insert_into(rc::table)
            .values((
                rc::user_id.eq(user_id),
                rc::code_hash.eq(sha256_hex(&code.replace('-', ""))),
            ))
            .execute(conn)?;
        codes.push(code);
    }
    Ok(codes)
}

/// A code given on an authenticated request (confirm, turn off) is a bad field, not a bad
/// token: 422, so a client does not take it for an expired sign-in.
fn as_invalid(err: ApiError) -> ApiError {
    match err {
        ApiError::Unauthenticated { code, detail } => ApiError::Invalid { code, detail },
        other => other,
    }
}

/// 16 characters of base32 (80 bits) in groups of four: "ABCD-EFGH-IJKL-MNOP".
fn recovery_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes: [u8; 16] = rand::random();
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Turns the user's own second factor off, with a current code (or a recovery code).
pub fn disable(
    conn: &mut DbConnection,
    keys: &SecretBox,
    user_id: &str,
    code: &str,
) -> Result<(), ApiError> {
    if !is_active(conn, user_id)? {
        return Err(ApiError::conflict(
            "mfa_not_active",
            "no second factor is active",
        ));
    }
    use_code(conn, keys, user_id, code, true).map_err(as_invalid)?;
    remove(conn, user_id)
}

/// Removes a user's second factor (their own with a code, or an admin's reset).
pub fn remove(conn: &mut DbConnection, user_id: &str) -> Result<(), ApiError> {
    diesel::delete(rc::table.filter(rc::user_id.eq(user_id))).execute(conn)?;
    diesel::delete(um::table.find(user_id)).execute(conn)?;
    Ok(())
}

/// The challenge a sign-in's password step hands out when the user has a second factor.
pub fn challenge(conn: &mut DbConnection, user_id: &str) -> Result<String, ApiError> {
    let bytes: [u8; 32] = rand::random();
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let now = db::now();
    // Expired challenges go as new ones come.
    diesel::delete(ch::table.filter(ch::expires_at.lt(now))).execute(conn)?;
    diesel::insert_into(ch::table)
        .values((
            ch::token_hash.eq(sha256_hex(&token)),
            ch::user_id.eq(user_id),
            ch::expires_at.eq(now + chrono::Duration::seconds(CHALLENGE_SECS)),
        ))
        .execute(conn)?;
    Ok(token)
}

fn bad_challenge() -> ApiError {
    ApiError::unauthenticated(
        "invalid_mfa_token",
        "the sign-in step expired or was used; sign in again",
    )
}

/// The user a live challenge belongs to.
pub fn challenged_user(conn: &mut DbConnection, token: &str) -> Result<String, ApiError> {
    let row: Option<(String, NaiveDateTime, Option<NaiveDateTime>)> = ch::table
        .find(sha256_hex(token))
        .select((ch::user_id, ch::expires_at, ch::used_at))
        .first(conn)
        .optional()?;
    match row {
        Some((user, expires, None)) if expires > db::now() => Ok(user),
        _ => Err(bad_challenge()),
    }
}

/// The code step of a sign-in: the challenge must be live and unused and the code the
/// challenged user's; both are then used up. Answers the user's id.
pub fn answer(
    conn: &mut DbConnection,
    keys: &SecretBox,
    token: &str,
    code: &str,
) -> Result<String, ApiError> {
    let user_id = challenged_user(conn, token)?;
    use_code(conn, keys, &user_id, code, true)?;
    let used = diesel::update(
        ch::table
            .find(sha256_hex(token))
            .filter(ch::used_at.is_null()),
    )
    .set(ch::used_at.eq(Some(db::now())))
    .execute(conn)?;
    if used == 1 {
        Ok(user_id)
    } else {
        Err(bad_challenge())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6238_vectors_match_the_crate() {
        // RFC 6238, appendix B, SHA-1, as 6 digits (the last 6 of the 8 given there).
        let otp = totp(b"12345678901234567890".to_vec(), "a", "b").unwrap();
        for (t, code) in [
            (59u64, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(otp.generate(t).to_string(), code);
        }
    }

    #[test]
    fn a_code_matches_its_step_and_the_ones_beside_it_once() {
        let secret = b"12345678901234567890".to_vec();
        let otp = totp(secret.clone(), "a", "b").unwrap();
        let at = 1_234_567_890;
        let code = otp.generate(at).to_string();
        let step = i64::try_from(at / 30).unwrap();
        assert_eq!(matching_step(&secret, &code, at, None), Some(step));
        assert_eq!(matching_step(&secret, &code, at + 30, None), Some(step));
        assert_eq!(matching_step(&secret, &code, at - 30, None), Some(step));
        assert_eq!(
            matching_step(&secret, &code, at + 60, None),
            None,
            "two steps late"
        );
        assert_eq!(
            matching_step(&secret, &code, at, Some(step)),
            None,
            "used already"
        );
        assert_eq!(matching_step(&secret, "12345", at, None), None);
        assert_eq!(matching_step(&secret, "abcdef", at, None), None);
    }

    #[test]
    fn secrets_are_sealed_and_open_only_with_their_key() {
        let a = SecretBox::new(&[7; 32]).unwrap();
        let b = SecretBox::new(&[8; 32]).unwrap();
        let sealed = a.seal(b"secret").unwrap();
        assert!(!sealed.contains("secret"));
        assert_eq!(a.open(&sealed).unwrap(), b"secret");
        assert!(b.open(&sealed).is_err());
        assert!(SecretBox::new(&[1; 16]).is_err());
    }

    #[test]
    fn recovery_codes_carry_80_bits_in_groups() {
        let code = recovery_code();
        assert_eq!(code.len(), 19, "{code}");
        assert_eq!(code.matches('-').count(), 3);
        assert_ne!(recovery_code(), recovery_code());
    }
}
