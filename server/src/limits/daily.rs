//! Daily request caps: a counter per organization for the current UTC day, reset at 00:00 UTC.
//! A fixed calendar window (not a token bucket) because that is the promise made to callers:
//! "N requests per day, again from midnight UTC".

use chrono::{DateTime, Days, NaiveTime, Utc};
use dashmap::DashMap;

/// The UTC day of an instant, as a day number.
fn day_of(now: DateTime<Utc>) -> i64 {
    now.timestamp().div_euclid(86_400)
}

/// The next 00:00 UTC after `now`: when today's counters reset.
pub fn next_reset(now: DateTime<Utc>) -> DateTime<Utc> {
    let tomorrow = now
        .date_naive()
        .checked_add_days(Days::new(1))
        .unwrap_or(now.date_naive());
    tomorrow.and_time(NaiveTime::MIN).and_utc()
}

#[derive(Clone, Copy)]
struct Count {
    day: i64,
    used: u32,
}

#[derive(Default)]
pub struct DailyCounters {
    counts: DashMap<String, Count>,
}

impl DailyCounters {
    /// Requests counted today.
    pub fn used(&self, id: &str, now: DateTime<Utc>) -> u32 {
        let today = day_of(now);
        self.counts
            .get(id)
            .filter(|c| c.day == today)
            .map_or(0, |c| c.used)
    }

    /// Whether one more request fits under `cap` today (nothing is counted).
    pub fn fits(&self, id: &str, cap: u32, now: DateTime<Utc>) -> bool {
        self.used(id, now) < cap
    }

    /// Counts one request if it fits under `cap`; returns the count after it. On refusal
    /// nothing is counted.
    pub fn take(&self, id: &str, cap: u32, now: DateTime<Utc>) -> Option<u32> {
        let today = day_of(now);
        let mut count = self.counts.entry(id.to_owned()).or_insert(Count {
            day: today,
            used: 0,
        });
        if count.day != today {
            *count = Count {
                day: today,
                used: 0,
            };
        }
        if count.used >= cap {
            return None;
        }
        count.used += 1;
        Some(count.used)
    }

    /// Drops the counters of past days.
    pub fn evict_idle(&self, now: DateTime<Utc>) {
        let today = day_of(now);
        self.counts.retain(|_, c| c.day == today);
        self.counts.shrink_to_fit();
    }

    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn counts_up_to_the_cap_then_resets_at_midnight_utc() {
        let counters = DailyCounters::default();
        let evening = at("2026-11-22T23:59:58Z");
        assert_eq!(counters.take("org", 2, evening), Some(1));
        assert_eq!(counters.take("org", 2, evening), Some(2));
        assert!(!counters.fits("org", 2, evening));
        assert_eq!(counters.take("org", 2, evening), None);
        assert_eq!(counters.used("org", evening), 2);
        // Another organization has its own count.
        assert_eq!(counters.take("other", 2, evening), Some(1));
        let midnight = at("2026-11-23T00:00:00Z");
        assert_eq!(counters.used("org", midnight), 0);
        assert!(counters.fits("org", 2, midnight));
        assert_eq!(counters.take("org", 2, midnight), Some(1));
    }

    #[test]
    fn reset_is_the_next_midnight_utc() {
        assert_eq!(
            next_reset(at("2026-11-22T13:45:10Z")),
            at("2026-11-23T00:00:00Z")
        );
        assert_eq!(
            next_reset(at("2026-11-22T00:00:00Z")),
            at("2026-11-23T00:00:00Z")
        );
        assert_eq!(
            next_reset(at("2026-12-31T23:59:59.999Z")),
            at("2027-01-01T00:00:00Z")
        );
    }

    #[test]
    fn past_days_are_evicted() {
        let counters = DailyCounters::default();
        for i in 0..1_000 {
            counters
                .take(&format!("org-{i}"), 10, at("2026-11-22T10:00:00Z"))
                .unwrap();
        }
        counters
            .take("late", 10, at("2026-11-23T01:00:00Z"))
            .unwrap();
        counters.evict_idle(at("2026-11-23T02:00:00Z"));
        assert_eq!(counters.len(), 1);
        assert_eq!(counters.used("late", at("2026-11-23T02:00:00Z")), 1);
    }
}
