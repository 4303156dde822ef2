//! Device cookies (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a sign-in
//! that succeeds hands the tablet a signed token bound to the username; a later sign-in that
//! presents it for the same username is from a device known to the user and skips the
//! per-username limit, so that someone guessing the chair's password from elsewhere cannot keep
//! the chair out. The per-address limit still applies to every attempt. A device token that
//! keeps failing (its tablet stolen, its token copied) is locked for a while and then counts as
//! no token at all.
//!
//! A token is `d1.<nonce>.<expiry>.<mac>`: 16 random bytes (base64url), the expiry in Unix
//! seconds, and `HMAC-SHA-256(k, "d1" ‖ 0 ‖ username ‖ 0 ‖ nonce ‖ 0 ‖ expiry)` (base64url),
//! `k` derived from the server's signing secret. Nothing is stored: the lock of failing tokens
//! is kept in memory, per instance, by nonce.
//!
//! Must never: let a token stand for another username, a changed expiry or another server's
//! key; fail a sign-in because a token is malformed (a bad token is only no token).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::AuthSettings;
use crate::error::ApiError;

type HmacSha256 = Hmac<Sha256>;

const VERSION: &str = "d1";
/// Longer tokens are not read at all.
const MAX_LEN: usize = 200;
/// Devices whose failures are remembered before stale ones are swept.
const SWEEP_ABOVE: usize = 10_000;

/// A device token that verified for the username it came with: the device it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trusted {
    nonce: String,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    first: Instant,
    locked_until: Option<Instant>,
}

/// Issues and checks device tokens, and locks those that keep failing.
pub struct DeviceCookies {
    key: [u8; 32],
    ttl_secs: i64,
    failures_allowed: u32,
    lockout: Duration,
    failures: Mutex<HashMap<String, Failures>>,
}

impl std::fmt::Debug for DeviceCookies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCookies")
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

/// The username as sign-in compares it (`users::find_by_username`).
fn normal(username: &str) -> String {
    username.trim().to_lowercase()
}

impl DeviceCookies {
    /// `server_secret`: the server's signing secret; a key of its own is derived from it.
    pub fn new(server_secret: &[u8], settings: &AuthSettings) -> Result<Self, ApiError> {
        let mut mac = HmacSha256::new_from_slice(server_secret).map_err(ApiError::internal)?;
        mac.update(b"ecabinet device cookies v1");
        Ok(Self {
            key: mac.finalize().into_bytes().into(),
            ttl_secs: i64::try_from(settings.device_token_ttl_secs.max(1)).unwrap_or(i64::MAX),
            failures_allowed: settings.device_token_failures.max(1),
            lockout: Duration::from_secs(settings.device_token_lockout_secs.max(1)),
            failures: Mutex::new(HashMap::new()),
        })
    }

    fn mac(&self, username: &str, nonce: &str, expiry: &str) -> Result<HmacSha256, ApiError> {
        let mut mac = HmacSha256::new_from_slice(&self.key).map_err(ApiError::internal)?;
        for part in [VERSION, username, nonce] {
            mac.update(part.as_bytes());
            mac.update(b"\0");
        }
        mac.update(expiry.as_bytes());
        Ok(mac)
    }

    /// A new token for `username`, valid `auth.device_token_ttl_secs` from now.
    pub fn issue(&self, username: &str) -> Result<String, ApiError> {
        self.issue_at(username, chrono::Utc::now().timestamp())
    }

    fn issue_at(&self, username: &str, now: i64) -> Result<String, ApiError> {
        let nonce = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>());
        let expiry = now.saturating_add(self.ttl_secs).to_string();
        let tag = self
            .mac(&normal(username), &nonce, &expiry)?
            .finalize()
            .into_bytes();
        Ok(format!(
            "{VERSION}.{nonce}.{expiry}.{}",
            URL_SAFE_NO_PAD.encode(tag)
        ))
    }

    /// The device a token names when it is genuine, unexpired and bound to `username`.
    fn verify_at(&self, token: &str, username: &str, now: i64) -> Option<Trusted> {
        if token.len() > MAX_LEN {
            return None;
        }
        let mut parts = token.split('.');
        let (Some(VERSION), Some(nonce), Some(expiry), Some(tag), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        self.mac(&normal(username), nonce, expiry)
            .ok()?
            .verify_slice(&tag)
            .ok()?;
        let expiry: i64 = expiry.parse().ok()?;
        (now < expiry).then(|| Trusted {
            nonce: nonce.to_owned(),
        })
    }

    /// The device a sign-in comes from, when it presents a valid token for this username that
    /// is not locked; `None` makes it an attempt like any other.
    pub fn trusted(&self, token: Option<&str>, username: &str) -> Option<Trusted> {
        let device = self.verify_at(token?, username, chrono::Utc::now().timestamp())?;
        (!self.locked(&device, Instant::now())).then_some(device)
    }

    fn locked(&self, device: &Trusted, now: Instant) -> bool {
        let Ok(failures) = self.failures.lock() else {
            return true;
        };
        failures
            .get(&device.nonce)
            .and_then(|f| f.locked_until)
            .is_some_and(|until| now < until)
    }

    /// Counts a wrong password from `device`: after `auth.device_token_failures` of them within
    /// `auth.device_token_lockout_secs`, it is locked for as long.
    pub fn failed(&self, device: &Trusted) {
        self.failed_at(device, Instant::now());
    }

    fn failed_at(&self, device: &Trusted, now: Instant) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        if failures.len() > SWEEP_ABOVE {
            let lockout = self.lockout;
            failures.retain(|_, f| {
                now.duration_since(f.first) < lockout || f.locked_until.is_some_and(|u| now < u)
            });
        }
        let entry = failures.entry(device.nonce.clone()).or_insert(Failures {
            count: 0,
            first: now,
            locked_until: None,
        });
        if entry.locked_until.is_some_and(|u| now >= u)
            || now.duration_since(entry.first) >= self.lockout
        {
            *entry = Failures {
                count: 0,
                first: now,
                locked_until: None,
            };
        }
        entry.count += 1;
        if entry.count >= self.failures_allowed && entry.locked_until.is_none() {
            entry.locked_until = Some(now + self.lockout);
            tracing::warn!(target: "security", "a device token kept failing; it is locked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookies(failures: u32) -> DeviceCookies {
        DeviceCookies::new(
            b"server secret",
            &AuthSettings {
                device_token_ttl_secs: 100,
                device_token_failures: failures,
                device_token_lockout_secs: 60,
                ..Default::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn a_token_stands_for_its_username_until_it_expires() {
        let c = cookies(5);
        let token = c.issue_at("ChuTich", 1_000).unwrap();
        assert!(token.starts_with("d1."), "{token}");
        assert!(c.verify_at(&token, "chutich", 1_000).is_some());
        assert!(c.verify_at(&token, " CHUTICH ", 1_099).is_some());
        assert!(c.verify_at(&token, "chutich", 1_100).is_none(), "expired");
        assert!(c.verify_at(&token, "phochutich", 1_000).is_none());
        let other = DeviceCookies::new(b"another server", &AuthSettings::default()).unwrap();
        assert!(other.verify_at(&token, "chutich", 1_000).is_none());
    }

    #[test]
    fn altered_or_malformed_tokens_are_no_token() {
        let c = cookies(5);
        let token = c.issue_at("chutich", 1_000).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let later = format!("d1.{}.{}.{}", parts[1], 9_999_999, parts[3]);
        let other_nonce = format!("d1.AAAAAAAAAAAAAAAAAAAAAA.{}.{}", parts[2], parts[3]);
        let long = format!("{token}{}", "A".repeat(300));
        for bad in [
            later.as_str(),
            other_nonce.as_str(),
            long.as_str(),
            "",
            "d1",
            "d1...",
            "d2.a.b.c",
            "d1.a.b.c.d",
            "d1.a.1.%%%",
            "\u{0}",
        ] {
            assert!(c.verify_at(bad, "chutich", 1_000).is_none(), "{bad:?}");
        }
        assert_eq!(c.trusted(None, "chutich"), None);
    }

    #[test]
    fn a_failing_device_is_locked_then_forgiven() {
        let c = cookies(3);
        let token = c.issue("chutich").unwrap();
        let device = c.trusted(Some(&token), "chutich").unwrap();
        let t0 = Instant::now();
        c.failed_at(&device, t0);
        c.failed_at(&device, t0 + Duration::from_secs(1));
        assert!(!c.locked(&device, t0 + Duration::from_secs(2)));
        c.failed_at(&device, t0 + Duration::from_secs(2));
        assert!(c.locked(&device, t0 + Duration::from_secs(3)));
        assert!(c.trusted(Some(&token), "chutich").is_none());
        // Another device of the same user is not affected.
        let other = c.trusted(Some(&c.issue("chutich").unwrap()), "chutich");
        assert!(other.is_some());
        // The lock ends after `device_token_lockout_secs`.
        assert!(!c.locked(&device, t0 + Duration::from_secs(63)));
        // Failures spread wider than the window never lock.
        let slow = c
            .trusted(Some(&c.issue("chutich").unwrap()), "chutich")
            .unwrap();
        for i in 0..6 {
            c.failed_at(&slow, t0 + Duration::from_secs(40 * i));
        }
        assert!(!c.locked(&slow, t0 + Duration::from_secs(201)));
    }
}
