//! Idempotency keys as stored: a keyed hash, never the key a client sent.
//!
//! A key says when and on which tablet a ballot was made (clients without `crypto.randomUUID`
//! built theirs from the clock), and it sits beside the voter's id; kept as sent, it let a
//! reader of the database line voters up against the order of a secret poll's tallies. The
//! hash still answers a retry with its first receipt, and reveals nothing of the key. Keys are
//! dropped altogether when the poll closes (`super::close`).

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::ApiError;

type HmacSha256 = Hmac<Sha256>;

/// Hashes idempotency keys with a secret derived from the server's own.
#[derive(Clone)]
pub struct KeyHasher {
    secret: [u8; 32],
}

impl std::fmt::Debug for KeyHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyHasher(…)")
    }
}

impl KeyHasher {
    /// `server_secret`: the server's signing secret; a key of its own is derived from it, so
    /// that the same bytes are never used for two purposes.
    pub fn new(server_secret: &[u8]) -> Result<Self, ApiError> {
        Ok(Self {
            secret: mac(server_secret, &[b"ecabinet idempotency keys v1"])?,
        })
    }

    /// The stored form of `key` for a ballot in `poll_id` (hex, 64 characters).
    pub fn hash(&self, poll_id: &str, key: &str) -> Result<String, ApiError> {
        let digest = mac(&self.secret, &[poll_id.as_bytes(), b"\0", key.as_bytes()])?;
        Ok(hex::encode(digest))
    }
}

fn mac(secret: &[u8], parts: &[&[u8]]) -> Result<[u8; 32], ApiError> {
    // HMAC takes keys of any length: this refusal is never seen.
    let mut mac = HmacSha256::new_from_slice(secret).map_err(ApiError::internal)?;
    for part in parts {
        mac.update(part);
    }
    Ok(mac.finalize().into_bytes().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_same_hash_and_nothing_of_the_key_shows() {
        let h = KeyHasher::new(b"server secret").unwrap();
        let key = "b-mf3k2x9-7";
        let a = h.hash("poll-1", key).unwrap();
        assert_eq!(
            a,
            h.hash("poll-1", key).unwrap(),
            "a retry must find its first ballot"
        );
        assert_eq!(a.len(), 64);
        assert!(!a.contains(key));
        assert_ne!(a, h.hash("poll-2", key).unwrap(), "keys are per poll");
        assert_ne!(a, h.hash("poll-1", "b-mf3k2x9-8").unwrap());
        let other = KeyHasher::new(b"another secret").unwrap();
        assert_ne!(a, other.hash("poll-1", key).unwrap());
    }

    #[test]
    fn matches_rfc_4231_hmac_sha256() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        let got = hex::encode(mac(b"Jefe", &[b"what do ya ", b"want for nothing?"]).unwrap());
        assert_eq!(
            got,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
