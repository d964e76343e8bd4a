//! Brute-force protection for login and sign-up (governor, in memory). Idle entries are
//! evicted periodically so memory stays bounded however many IPs or emails are tried.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::error::ApiError;
use crate::config::Config;

type Keyed<K> = RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>;

pub struct AuthThrottle {
    login_per_ip: Option<Keyed<IpAddr>>,
    login_per_email: Option<Keyed<String>>,
    signup_per_ip: Option<Keyed<IpAddr>>,
}

impl AuthThrottle {
    /// A limit of 0 turns that limiter off.
    pub fn new(config: &Config) -> Self {
        fn keyed<K: std::hash::Hash + Eq + Clone>(quota: Option<Quota>) -> Option<Keyed<K>> {
            quota.map(RateLimiter::keyed)
        }
        AuthThrottle {
            login_per_ip: keyed(
                NonZeroU32::new(config.login_per_ip_per_minute).map(Quota::per_minute),
            ),
            login_per_email: keyed(
                NonZeroU32::new(config.login_per_email_per_minute).map(Quota::per_minute),
            ),
            signup_per_ip: keyed(
                NonZeroU32::new(config.signup_per_ip_per_hour).map(Quota::per_hour),
            ),
        }
    }

    pub fn check_login(&self, ip: IpAddr, email: &str) -> Result<(), ApiError> {
        check(
            &self.login_per_ip,
            &ip,
            "Too many login attempts from this address",
        )?;
        check(
            &self.login_per_email,
            &email.trim().to_lowercase(),
            "Too many login attempts for this account",
        )
    }

    pub fn check_signup(&self, ip: IpAddr) -> Result<(), ApiError> {
        check(
            &self.signup_per_ip,
            &ip,
            "Too many sign-ups from this address",
        )
    }

    /// Drops state for keys whose limits have fully replenished.
    pub fn evict_idle(&self) {
        if let Some(l) = &self.login_per_ip {
            l.retain_recent();
        }
        if let Some(l) = &self.login_per_email {
            l.retain_recent();
        }
        if let Some(l) = &self.signup_per_ip {
            l.retain_recent();
        }
    }
}

fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: &Option<Keyed<K>>,
    key: &K,
    message: &str,
) -> Result<(), ApiError> {
    let Some(limiter) = limiter else {
        return Ok(());
    };
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        ApiError::TooManyRequests {
            message: format!("{message}; try again later"),
            retry_after_secs: wait.as_secs().max(1),
        }
    })
}
