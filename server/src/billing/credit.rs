//! The in-memory view of each organization's lifetime purchases that the hot path reads (no
//! database round trip): the input of the free tier and the daily `:free` cap. The ledger
//! fills it (at start and whenever `org_credit` changes, on any replica, with
//! [`CreditView::replace_all`]; a purchase on this replica adds itself at once with
//! [`CreditView::record_purchase`]). Balances are not here: they are leased and reserved
//! (see [`super::reservations`]).

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

    /// Replaces every organization's lifetime purchases (from the ledger's cached sums).
    pub fn replace_all(&self, purchases: impl IntoIterator<Item = (String, Nanos)>) {
        let snapshots = purchases
            .into_iter()
            .map(|(org, lifetime_purchased)| (org, CreditSnapshot { lifetime_purchased }))
            .collect();
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
        view.replace_all([("b".to_owned(), usd("10"))]);
        assert_eq!(view.lifetime_purchased("a"), Nanos::ZERO);
        assert_eq!(view.snapshot("b"), snapshot);
    }
}
