//! Ordering one model's candidate endpoints. The sort key, most significant first:
//!
//! 1. **Health group**: available without a recent outage, then available with a recent
//!    outage (not distinguished when `provider.order` is given), then unavailable (breaker
//!    open / cooling after 429). Unavailable endpoints are kept as the last fallbacks; the
//!    relay decides whether to probe them.
//! 2. **`provider.order`** position (endpoints it does not name come after those it does).
//! 3. **Features**: a request with `tools` or a `response_format` prefers endpoints that
//!    support them (without `require_parameters` the others stay as fallbacks).
//! 4. **Soft preferences**: endpoints measured below `preferred_min_throughput` or above
//!    `preferred_max_latency` come after those that meet them or have no figures.
//! 5. **Primary key**: with `sort` (or `:nitro` / `:floor`) the price (prompt + completion),
//!    the throughput (highest first) or the latency (lowest first), endpoints without figures
//!    after those with. Without a sort, healthy endpoints are load-balanced: a weighted random
//!    order with weight 1/price² (Efraimidis–Spirakis: key = Exp(1) × (price² + 1); free
//!    endpoints therefore come first, in random order); the others cheapest first.
//!
//! Floats appear only in these weights and health figures, never in prices or costs.

use rand::Rng;

use super::health::EndpointHealth;
use super::needs::RequestNeeds;
use super::preferences::{ProviderPreferences, SortBy};
use super::table::Route;

pub struct Candidate<'a> {
    pub route: &'a Route,
    pub health: EndpointHealth,
    /// Position of its model among the requested models.
    pub model_pos: usize,
    pub key: Key,
}

#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Key {
    pub group: u8,
    pub order_rank: usize,
    pub feature_miss: bool,
    pub soft_miss: bool,
    pub primary: f64,
}

impl Candidate<'_> {
    pub fn is_healthy(&self) -> bool {
        self.key.group == 0
    }
}

/// Fills in each candidate's key.
pub fn assign_keys(
    candidates: &mut [Candidate<'_>],
    prefs: &ProviderPreferences,
    needs: &RequestNeeds,
    sort: Option<SortBy>,
    rng: &mut dyn rand::RngCore,
) {
    let order = prefs.order.as_deref().filter(|o| !o.is_empty());
    for c in candidates.iter_mut() {
        let h = &c.health;
        // An explicit `order` is the caller's choice among callable endpoints; only
        // unavailability overrides it, not a past outage.
        let group = if !h.available {
            2
        } else if h.recent_outage && order.is_none() {
            1
        } else {
            0
        };
        let order_rank = order
            .and_then(|names| names.iter().position(|n| c.route.matches(n)))
            .unwrap_or(usize::MAX);
        let feature_miss = (needs.tools && !c.route.supports("tools"))
            || (needs.response_format && !c.route.supports("response_format"));
        let slow = prefs
            .preferred_min_throughput
            .zip(h.throughput_tps_p50)
            .is_some_and(|(min, tps)| f64::from(tps) < min);
        let late = prefs
            .preferred_max_latency
            .zip(h.latency_ms())
            .is_some_and(|(max_s, ms)| f64::from(ms) > max_s * 1000.0);
        let price = c.route.price_key as f64;
        let primary = match sort {
            Some(SortBy::Price) => price,
            Some(SortBy::Throughput) => h
                .throughput_tps_p50
                .map_or(f64::INFINITY, |t| -f64::from(t)),
            Some(SortBy::Latency) => h.latency_ms().map_or(f64::INFINITY, f64::from),
            None if group == 0 && order.is_none() => {
                // Exp(1) from a uniform in (0, 1].
                let u: f64 = 1.0 - rng.random::<f64>();
                -u.ln() * (price * price + 1.0)
            }
            None => price,
        };
        c.key = Key {
            group,
            order_rank,
            feature_miss,
            soft_miss: slow || late,
            primary,
        };
    }
}

/// Sorts by key; stable, so equal keys keep catalog order.
pub fn sort(candidates: &mut [Candidate<'_>]) {
    candidates.sort_by(|a, b| {
        a.key
            .partial_cmp(&b.key)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
}
