//! Rate limits on the inference hot path, all in memory: request-rate buckets per API key and
//! per organization, and for `:free` model variants a per-key rate and a per-organization
//! daily cap. A request passes only if every limit that applies allows it, and then counts
//! against all of them; a refused request counts against none (see `buckets` for the one race
//! where that bends). The plan comes from the configuration; admins override it per
//! organization (stored in `rate_limit_policies`, see `store`), and other replicas pick a
//! change up by polling its fingerprint.
//!
//! A request counts when it is admitted, whatever happens to it afterwards (no route, a
//! provider error): the limits protect the gateway and the providers alike.
//!
//! Counters are per replica: N replicas behind a load balancer let through up to N times a
//! limit (a shared store such as Redis is the documented way to make them global).

pub mod buckets;
pub mod daily;
pub mod policy;
pub mod store;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use self::buckets::{Buckets, Rate, Scope};
use self::daily::DailyCounters;
pub use self::policy::{Limits, Override, Plan, is_free_request};
use crate::billing::money::Nanos;
use crate::config::Config;

/// Which limit refused a request (its name is OpenRouter's where OpenRouter has one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitKind {
    Key,
    Organization,
    FreePerWindow,
    FreePerDay,
}

impl LimitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Key => "requests-per-key",
            LimitKind::Organization => "requests-per-organization",
            LimitKind::FreePerWindow => "free-models-per-min",
            LimitKind::FreePerDay => "free-models-per-day",
        }
    }

    /// Whose counter it is.
    pub fn scope(self) -> &'static str {
        match self {
            LimitKind::Key | LimitKind::FreePerWindow => "key",
            LimitKind::Organization | LimitKind::FreePerDay => "organization",
        }
    }
}

/// The figures of one limit, as the `X-RateLimit-*` headers carry them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    pub kind: LimitKind,
    pub limit: u32,
    pub remaining: u32,
    /// For a request-rate bucket: when it is full again (after a refusal: when the next
    /// request is allowed). For the daily cap: the next 00:00 UTC.
    pub reset_at: DateTime<Utc>,
}

impl Standing {
    /// `X-RateLimit-Limit`, `-Remaining`, `-Reset` (Unix time in milliseconds, as OpenRouter
    /// sends it).
    pub fn headers(&self) -> [(&'static str, String); 3] {
        [
            ("X-RateLimit-Limit", self.limit.to_string()),
            ("X-RateLimit-Remaining", self.remaining.to_string()),
            (
                "X-RateLimit-Reset",
                self.reset_at.timestamp_millis().to_string(),
            ),
        ]
    }
}

/// A refused request: which limit, its figures, and when to try again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimited {
    pub standing: Standing,
    pub retry_after: Duration,
    /// The daily `:free` cap with purchases would be higher (OpenRouter's hint).
    pub purchase_unlocks: Option<u32>,
}

impl RateLimited {
    pub fn message(&self) -> String {
        let mut message = format!("Rate limit exceeded: {}", self.standing.kind.as_str());
        if let Some(higher) = self.purchase_unlocks {
            message.push_str(&format!(
                ". Buy credits to unlock {higher} free model requests per day"
            ));
        }
        message
    }

    /// `Retry-After`: whole seconds, rounded up, at least 1.
    pub fn retry_after_secs(&self) -> u64 {
        let d = self.retry_after;
        (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
    }

    pub fn metadata(&self) -> Value {
        let headers: serde_json::Map<String, Value> = self
            .standing
            .headers()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), Value::String(value)))
            .collect();
        json!({
            "limit": self.standing.kind.as_str(),
            "scope": self.standing.kind.scope(),
            "retry_after_seconds": self.retry_after_secs(),
            "headers": headers,
        })
    }
}

/// A request that was let through, with the tightest limit it met (for the response headers);
/// `None` when no limit applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Admission {
    pub tightest: Option<Standing>,
}

/// The caller of an inference request, as the limits see it.
pub struct Caller<'a> {
    /// The API key's hash (its id in memory).
    pub key: &'a str,
    pub org_id: &'a str,
    /// Lifetime credit purchases of the organization (from `billing::credit::CreditView`).
    pub purchased: Nanos,
}

pub struct RateLimits {
    plan: Plan,
    overrides: ArcSwap<HashMap<String, Override>>,
    buckets: Buckets,
    daily: DailyCounters,
}

fn later(now: DateTime<Utc>, after: Duration) -> DateTime<Utc> {
    chrono::TimeDelta::from_std(after)
        .ok()
        .and_then(|delta| now.checked_add_signed(delta))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// One limit that applies to a request.
enum Check<'a> {
    Bucket(LimitKind, Rate, Scope, &'a str),
    Daily(u32, &'a str),
}

impl RateLimits {
    pub fn new(config: &Config) -> Self {
        RateLimits {
            plan: Plan::from_config(config),
            overrides: ArcSwap::from_pointee(HashMap::new()),
            buckets: Buckets::default(),
            daily: DailyCounters::default(),
        }
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Replaces every override (at start, and when another replica changed them).
    pub fn replace_overrides(&self, overrides: HashMap<String, Override>) {
        self.overrides.store(Arc::new(overrides));
    }

    /// Applies one organization's change made on this replica at once.
    pub fn set_override(&self, org_id: &str, over: Option<Override>) {
        self.overrides.rcu(|current| {
            let mut next = HashMap::clone(current);
            match &over {
                Some(o) => next.insert(org_id.to_owned(), o.clone()),
                None => next.remove(org_id),
            };
            next
        });
    }

    pub fn override_of(&self, org_id: &str) -> Option<Override> {
        self.overrides.load().get(org_id).cloned()
    }

    pub fn effective(&self, org_id: &str, purchased: Nanos) -> Limits {
        self.plan
            .effective(self.overrides.load().get(org_id), purchased)
    }

    /// `:free` requests counted today for an organization.
    pub fn free_used_today(&self, org_id: &str, now: DateTime<Utc>) -> u32 {
        self.daily.used(org_id, now)
    }

    /// Admits a request or tells which limit refuses it. All applicable limits are tested
    /// first and consumed only when all allow the request.
    pub fn admit(
        &self,
        caller: &Caller<'_>,
        free: bool,
        now: DateTime<Utc>,
    ) -> Result<Admission, RateLimited> {
        let limits = self.effective(caller.org_id, caller.purchased);
        let window = self.plan.window;
        let mut checks = Vec::with_capacity(4);
        let bucket = |kind, requests, scope, id| {
            Rate::new(requests, window).map(|rate| Check::Bucket(kind, rate, scope, id))
        };
        checks.extend(bucket(
            LimitKind::Key,
            limits.key_requests_per_window,
            Scope::Key,
            caller.key,
        ));
        checks.extend(bucket(
            LimitKind::Organization,
            limits.org_requests_per_window,
            Scope::Organization,
            caller.org_id,
        ));
        if free {
            checks.extend(bucket(
                LimitKind::FreePerWindow,
                limits.free_requests_per_window,
                Scope::FreeKey,
                caller.key,
            ));
            if limits.free_requests_per_day > 0 {
                checks.push(Check::Daily(limits.free_requests_per_day, caller.org_id));
            }
        }
        // OpenRouter's hint on the daily cap: buying credits would raise it.
        let unlocks = (caller.purchased < self.plan.free_unlock_purchase
            && self.plan.free_requests_per_day_purchased > limits.free_requests_per_day
            && limits.free_requests_per_day == self.plan.free_requests_per_day)
            .then_some(self.plan.free_requests_per_day_purchased);
        let refused = |check: &Check<'_>, wait: Duration| {
            let (kind, limit, retry_after, purchase_unlocks) = match check {
                Check::Bucket(kind, rate, _, _) => (*kind, rate.requests.get(), wait, None),
                Check::Daily(cap, _) => {
                    let until_midnight = (daily::next_reset(now) - now).to_std();
                    (
                        LimitKind::FreePerDay,
                        *cap,
                        until_midnight.unwrap_or_default(),
                        unlocks,
                    )
                }
            };
            RateLimited {
                standing: Standing {
                    kind,
                    limit,
                    remaining: 0,
                    reset_at: later(now, retry_after),
                },
                retry_after,
                purchase_unlocks,
            }
        };
        for check in &checks {
            let verdict = match check {
                Check::Bucket(_, rate, scope, id) => self.buckets.peek(*rate, *scope, id),
                Check::Daily(cap, id) => {
                    if self.daily.fits(id, *cap, now) {
                        Ok(())
                    } else {
                        Err(Duration::ZERO)
                    }
                }
            };
            if let Err(wait) = verdict {
                return Err(refused(check, wait));
            }
        }
        // Rate buckets first, the daily cap last: if a race refuses at this stage, what was
        // already taken is a rate cell (refilled within seconds), never a day's allowance.
        let mut tightest: Option<Standing> = None;
        for check in &checks {
            let standing = match check {
                Check::Bucket(kind, rate, scope, id) => {
                    let taken = self
                        .buckets
                        .take(*rate, *scope, id)
                        .map_err(|wait| refused(check, wait))?;
                    Standing {
                        kind: *kind,
                        limit: rate.requests.get(),
                        remaining: taken.remaining,
                        reset_at: later(now, taken.full_after),
                    }
                }
                Check::Daily(cap, id) => {
                    let used = self
                        .daily
                        .take(id, *cap, now)
                        .ok_or_else(|| refused(check, Duration::ZERO))?;
                    Standing {
                        kind: LimitKind::FreePerDay,
                        limit: *cap,
                        remaining: cap.saturating_sub(used),
                        reset_at: daily::next_reset(now),
                    }
                }
            };
            // On a tie the later limit wins: the daily cap (checked last) says more.
            if tightest.is_none_or(|t| standing.remaining <= t.remaining) {
                tightest = Some(standing);
            }
        }
        Ok(Admission { tightest })
    }

    /// Drops the state of idle callers: refilled buckets and past days' counters (and the
    /// limiters of rates no longer configured anywhere).
    pub fn evict_idle(&self) {
        let overrides = self.overrides.load();
        let plan = &self.plan;
        let mut in_use: Vec<u32> = vec![
            plan.key_requests_per_window,
            plan.org_requests_per_window,
            plan.free_requests_per_window,
        ];
        for o in overrides.values() {
            in_use.extend(o.key_requests_per_window);
            in_use.extend(o.org_requests_per_window);
            in_use.extend(o.free_requests_per_window);
        }
        self.buckets
            .evict_idle(|rate| in_use.contains(&rate.requests.get()));
        self.daily.evict_idle(Utc::now());
    }

    /// Callers with state in memory (buckets plus daily counters).
    pub fn tracked(&self) -> usize {
        self.buckets.len() + self.daily.len()
    }
}

#[cfg(test)]
mod tests;
