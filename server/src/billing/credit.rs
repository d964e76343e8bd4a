//! The in-memory view of each organization's credit that the hot path reads (no database
//! round trip). Today it knows lifetime purchases, the input of the daily `:free` cap; the
//! ledger fills it (at start with [`CreditView::replace_all`], then one purchase at a time
//! with [`CreditView::record_purchase`]) and is where balances and reservations will join.
//! There is no purchases table yet, so a new view truthfully knows of no purchases.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::money::Nanos;

/// What this replica knows of one organization's credit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CreditSnapshot {
    /// Sum of the organization's purchases, ever (refunds do not lower it).
    pub lifetime_purchased: Nanos,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CreditError {
    #[error("a purchase must be a positive amount, not {0}")]
    NotPositive(Nanos),
    #[error("lifetime purchases of organization {0} would overflow")]
    Overflow(String),
}

/// Organization id → credit snapshot. Reads are a lock-free load and one hash lookup;
/// writes (purchases are rare) copy the map.
#[derive(Default)]
pub struct CreditView {
    by_org: ArcSwap<HashMap<String, CreditSnapshot>>,
}

impl CreditView {
    /// A view that knows of no purchases.
    pub fn new() -> Self {
        Self::default()
    }

    pub fn snapshot(&self, org_id: &str) -> CreditSnapshot {
        self.by_org.load().get(org_id).copied().unwrap_or_default()
    }

    /// An organization's lifetime credit purchases (zero when it has bought nothing).
    pub fn lifetime_purchased(&self, org_id: &str) -> Nanos {
        self.snapshot(org_id).lifetime_purchased
    }

    /// Replaces every snapshot (at start, from the ledger, and when another replica wrote).
    pub fn replace_all(&self, snapshots: HashMap<String, CreditSnapshot>) {
        self.by_org.store(Arc::new(snapshots));
    }

    /// Adds one purchase written on this replica; the ledger row is the truth, this is its
    /// cached sum. Refuses a non-positive amount and a sum beyond the `i64` range.
    pub fn record_purchase(&self, org_id: &str, amount: Nanos) -> Result<Nanos, CreditError> {
        if !amount.is_positive() {
            return Err(CreditError::NotPositive(amount));
        }
        let mut outcome = Ok(Nanos::ZERO);
        self.by_org.rcu(|current| {
            let mut next = HashMap::clone(current);
            let entry = next.entry(org_id.to_owned()).or_default();
            outcome = match entry.lifetime_purchased.checked_add(amount) {
                Some(total) => {
                    entry.lifetime_purchased = total;
                    Ok(total)
                }
                None => Err(CreditError::Overflow(org_id.to_owned())),
            };
            next
        });
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(text: &str) -> Nanos {
        Nanos::from_usd_str(text).unwrap()
    }

    #[test]
    fn knows_no_purchases_until_told() {
        let view = CreditView::new();
        assert_eq!(view.lifetime_purchased("org"), Nanos::ZERO);
        assert_eq!(view.snapshot("org"), CreditSnapshot::default());
    }

    #[test]
    fn purchases_add_up_per_organization() {
        let view = CreditView::new();
        assert_eq!(view.record_purchase("a", usd("5")), Ok(usd("5")));
        assert_eq!(view.record_purchase("a", usd("2.5")), Ok(usd("7.5")));
        assert_eq!(view.lifetime_purchased("a"), usd("7.5"));
        assert_eq!(view.lifetime_purchased("b"), Nanos::ZERO);
    }

    #[test]
    fn refuses_non_positive_and_overflowing_purchases() {
        let view = CreditView::new();
        assert_eq!(
            view.record_purchase("a", Nanos::ZERO),
            Err(CreditError::NotPositive(Nanos::ZERO))
        );
        view.record_purchase("a", Nanos::MAX).unwrap();
        assert_eq!(
            view.record_purchase("a", usd("0.000000001")),
            Err(CreditError::Overflow("a".into()))
        );
        assert_eq!(view.lifetime_purchased("a"), Nanos::MAX);
    }

    #[test]
    fn replace_all_swaps_the_whole_view() {
        let view = CreditView::new();
        view.record_purchase("a", usd("1")).unwrap();
        let snapshot = CreditSnapshot {
            lifetime_purchased: usd("10"),
        };
        view.replace_all(HashMap::from([("b".to_owned(), snapshot)]));
        assert_eq!(view.lifetime_purchased("a"), Nanos::ZERO);
        assert_eq!(view.snapshot("b"), snapshot);
    }
}
