//! The BYOK fee: what a request served with an organization's own provider key costs it in
//! credits. The provider bills the organization for the tokens directly; the platform charges
//! `byok_fee_basis_points` of what its own price for the request would have been (500 = 5 %),
//! except for the organization's first `byok_free_requests_per_month` BYOK requests of each
//! UTC calendar month.
//!
//! Rounding: `price × basis points ÷ 10,000`, computed exactly in `i128` and rounded half up
//! to whole nano-dollars, once per request (the same "half up, once" rule as a generation's
//! cost).
//!
//! The monthly count is kept in memory (no database round trip per request): seeded at start
//! from the month's BYOK generations, raised to the stored count every minute. With several
//! server processes, each counts its own requests between refreshes, so an organization may
//! get up to (processes − 1) × (its BYOK requests per minute per process) free requests more
//! than the allowance in the minute it crosses it; never fewer.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Datelike, Utc};
use dashmap::DashMap;

use super::money::Nanos;
use crate::gateway::relay::ByokFee;

/// The fee rule and every organization's count of BYOK requests this month.
pub struct ByokFees {
    basis_points: u32,
    free_per_month: u64,
    orgs: DashMap<String, Arc<OrgFee>>,
}

/// One organization's fee: the rule and its count for the current month.
pub struct OrgFee {
    basis_points: u32,
    free_per_month: u64,
    /// `year × 12 + month0` of the month `used` counts, in the high bits, and the count in the
    /// low 40 bits: one atomic word, so a month change and an increment cannot interleave.
    state: AtomicU64,
}

const COUNT_BITS: u32 = 40;
const COUNT_MASK: u64 = (1 << COUNT_BITS) - 1;

fn month_index(at: DateTime<Utc>) -> u64 {
    (at.year().max(0) as u64) * 12 + u64::from(at.month0())
}

impl OrgFee {
    fn new(basis_points: u32, free_per_month: u64) -> OrgFee {
        OrgFee {
            basis_points,
            free_per_month,
            state: AtomicU64::new(month_index(Utc::now()) << COUNT_BITS),
        }
    }

    /// Counts one request in the month of `now`; returns how many came before it.
    fn count_one(&self, now: DateTime<Utc>) -> u64 {
        let month = month_index(now);
        let mut current = self.state.load(Ordering::Relaxed);
        loop {
            let (m, used) = (current >> COUNT_BITS, current & COUNT_MASK);
            let before = if m == month { used } else { 0 };
            let next = (month << COUNT_BITS) | (before + 1).min(COUNT_MASK);
            match self.state.compare_exchange_weak(
                current,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return before,
                Err(seen) => current = seen,
            }
        }
    }

    /// Raises this month's count to at least `stored` (what the database has recorded).
    fn raise_to(&self, stored: u64, now: DateTime<Utc>) {
        let month = month_index(now);
        let stored = stored.min(COUNT_MASK);
        let _ = self
            .state
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |current| {
                let (m, used) = (current >> COUNT_BITS, current & COUNT_MASK);
                let used = if m == month { used } else { 0 };
                (stored > used).then_some((month << COUNT_BITS) | stored)
            });
    }

    /// This month's BYOK requests so far (for the dashboard).
    pub fn used_this_month(&self, now: DateTime<Utc>) -> u64 {
        let current = self.state.load(Ordering::Relaxed);
        if current >> COUNT_BITS == month_index(now) {
            current & COUNT_MASK
        } else {
            0
        }
    }

    /// The fee on `platform_price` for a request counted at `now`.
    pub fn fee_at(&self, platform_price: Nanos, now: DateTime<Utc>) -> Nanos {
        if self.count_one(now) < self.free_per_month {
            return Nanos::ZERO;
        }
        percent_of(platform_price, self.basis_points)
    }
}

impl ByokFee for OrgFee {
    fn fee(&self, platform_price: Nanos) -> Nanos {
        self.fee_at(platform_price, Utc::now())
    }

    /// Nothing while the month's free requests last (an organization without credit can use
    /// them), else the fee. Requests racing across the allowance's end may be charged a fee
    /// they did not reserve: at most the fee of each request in flight at that moment.
    fn quote(&self, platform_price: Nanos) -> Nanos {
        if self.used_this_month(Utc::now()) < self.free_per_month {
            Nanos::ZERO
        } else {
            percent_of(platform_price, self.basis_points)
        }
    }
}

/// `price × basis_points ÷ 10,000`, rounded half up (prices are never negative).
pub fn percent_of(price: Nanos, basis_points: u32) -> Nanos {
    let exact = i128::from(price.as_nanos().max(0)) * i128::from(basis_points);
    let rounded = (exact + 5_000) / 10_000;
    i64::try_from(rounded).map_or(Nanos::MAX, Nanos::from_nanos)
}

impl ByokFees {
    pub fn new(basis_points: u32, free_per_month: u64) -> ByokFees {
        ByokFees {
            basis_points,
            free_per_month,
            orgs: DashMap::new(),
        }
    }

    /// The organization's fee rule and counter (made on first use).
    pub fn org(&self, org_id: &str) -> Arc<OrgFee> {
        if let Some(found) = self.orgs.get(org_id) {
            return Arc::clone(&found);
        }
        Arc::clone(
            &self
                .orgs
                .entry(org_id.to_owned())
                .or_insert_with(|| Arc::new(OrgFee::new(self.basis_points, self.free_per_month))),
        )
    }

    /// Raises the counters to this month's stored counts (organization id -> BYOK requests).
    pub fn raise_counts(&self, stored: &HashMap<String, u64>) {
        let now = Utc::now();
        for (org_id, &count) in stored {
            self.org(org_id).raise_to(count, now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn percentages_round_half_up_once() {
        assert_eq!(
            percent_of(Nanos::from_nanos(1_000), 500),
            Nanos::from_nanos(50)
        );
        // 5 % of 10 nanos is exactly 0.5 nanos: half up.
        assert_eq!(percent_of(Nanos::from_nanos(10), 500), Nanos::from_nanos(1));
        assert_eq!(percent_of(Nanos::from_nanos(9), 500), Nanos::from_nanos(0));
        assert_eq!(percent_of(Nanos::ZERO, 500), Nanos::ZERO);
        assert_eq!(percent_of(Nanos::MAX, 10_000), Nanos::MAX);
    }

    #[test]
    fn the_first_requests_of_each_month_are_free() {
        let fees = ByokFees::new(500, 2);
        let org = fees.org("org_a");
        let price = Nanos::from_nanos(2_000);
        let nov = at("2026-11-30T23:59:59Z");
        // A quote counts nothing: free while the allowance lasts, then the fee.
        let now = Utc::now();
        let fresh = fees.org("org_fresh");
        assert_eq!(fresh.quote(price), Nanos::ZERO);
        fresh.fee_at(price, now);
        fresh.fee_at(price, now);
        assert_eq!(fresh.quote(price), Nanos::from_nanos(100));
        assert_eq!(fresh.used_this_month(now), 2);
        assert_eq!(org.fee_at(price, nov), Nanos::ZERO);
        assert_eq!(org.fee_at(price, nov), Nanos::ZERO);
        assert_eq!(org.fee_at(price, nov), Nanos::from_nanos(100));
        assert_eq!(org.used_this_month(nov), 3);
        // A new month starts the count again.
        let dec = at("2026-12-01T00:00:00Z");
        assert_eq!(org.used_this_month(dec), 0);
        assert_eq!(org.fee_at(price, dec), Nanos::ZERO);
        // Other organizations count apart; stored counts only ever raise the count.
        assert_eq!(fees.org("org_b").fee_at(price, dec), Nanos::ZERO);
        org.raise_to(5, dec);
        assert_eq!(org.used_this_month(dec), 5);
        org.raise_to(1, dec);
        assert_eq!(org.used_this_month(dec), 5);
        assert_eq!(org.fee_at(price, dec), Nanos::from_nanos(100));
    }
}
