//! The login rate limit: a token bucket per username and one per client address (governor).
//! Every attempt takes a token, so a burst of wrong passwords gets 429 with `Retry-After`
//! while a normal sign-in never notices.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::AuthSettings;
use crate::error::ApiError;

/// Keys kept before stale ones are swept.
const SWEEP_ABOVE: usize = 10_000;

pub struct LoginLimiter {
    per_username: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl std::fmt::Debug for LoginLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginLimiter").finish_non_exhaustive()
    }
}

fn quota(burst: u32, refill_secs: u64) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(Duration::from_secs(refill_secs.max(1)))
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

impl LoginLimiter {
    /// The limit on passwords.
    pub fn new(settings: &AuthSettings) -> Self {
        Self::with_quotas(
            (
                settings.login_burst_per_username,
                settings.login_refill_secs_per_username,
            ),
            (
                settings.login_burst_per_address,
                settings.login_refill_secs_per_address,
            ),
        )
    }

    /// The limit on second-factor codes (keyed by user id and address).
    pub fn for_codes(settings: &AuthSettings) -> Self {
        Self::with_quotas(
            (
                settings.code_burst_per_user,
                settings.code_refill_secs_per_user,
            ),
            (
                settings.code_burst_per_address,
                settings.code_refill_secs_per_address,
            ),
        )
    }

    /// (burst, seconds to earn one back) per name and per address.
    pub fn with_quotas(per_name: (u32, u64), per_address: (u32, u64)) -> Self {
        Self {
            per_username: RateLimiter::keyed(quota(per_name.0, per_name.1)),
            per_address: RateLimiter::keyed(quota(per_address.0, per_address.1)),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one attempt for both keys, or says how long to wait.
    pub fn check(&self, username: &str, address: &str) -> Result<(), ApiError> {
        self.check_address(address)?;
        self.check_name(username)
    }

    /// Takes one attempt from the address's bucket only.
    pub fn check_address(&self, address: &str) -> Result<(), ApiError> {
        self.take(&self.per_address, address.to_owned())
    }

    /// Takes one attempt from the name's bucket only (a device known to the user skips it:
    /// `device_cookie`).
    pub fn check_name(&self, username: &str) -> Result<(), ApiError> {
        self.take(&self.per_username, username.trim().to_lowercase())
    }

    fn take(&self, limiter: &DefaultKeyedRateLimiter<String>, key: String) -> Result<(), ApiError> {
        if limiter.len() > SWEEP_ABOVE {
            limiter.retain_recent();
        }
        if let Err(not_until) = limiter.check_key(&key) {
            let retry_after = not_until.wait_time_from(self.clock.now());
            tracing::warn!(
                retry_after_ms = retry_after.as_millis() as u64,
                "login rate limited"
            );
            return Err(ApiError::RateLimited { retry_after });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_bucket_runs_out() {
        let limiter = LoginLimiter::new(&AuthSettings {
            login_burst_per_username: 3,
            login_refill_secs_per_username: 60,
            ..Default::default()
        });
        for _ in 0..3 {
            limiter.check("An", "1.2.3.4").unwrap();
        }
        let err = limiter.check("an", "5.6.7.8").unwrap_err();
        assert_eq!(err.code(), "rate_limited");
        limiter.check("other", "1.2.3.4").unwrap();
    }

    #[test]
    fn address_bucket_runs_out() {
        let limiter = LoginLimiter::new(&AuthSettings {
            login_burst_per_address: 2,
            login_refill_secs_per_address: 60,
            ..Default::default()
        });
        limiter.check("a", "9.9.9.9").unwrap();
        limiter.check("b", "9.9.9.9").unwrap();
        assert!(limiter.check("c", "9.9.9.9").is_err());
    }
}
