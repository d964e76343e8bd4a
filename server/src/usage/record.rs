//! What the usage writer writes: one enum of record kinds. A request's records (say its
//! generation and its key's spend) are pushed together by one closure and commit in one
//! transaction. A new kind is one variant here plus one statement in each dialect module
//! (`super::sql`); the exhaustive match in `sql::ByKind::of` points at the places to add.

use std::sync::Arc;

use entity::{generation, generation_content};

use crate::billing::ledger::EntryKind;
use crate::billing::money::Nanos;

#[derive(Debug, Clone, PartialEq)]
pub enum UsageRecord {
    /// A row of the `generations` table. Boxed: the row is hundreds of bytes, the other kinds
    /// a few words.
    Generation(Box<generation::Model>),
    /// Adds to an API key's spend counters (what `/key` and `/keys` report).
    KeyUsage(KeyUsage),
    /// A generation's charge: a ledger entry, the organization's balance and the lease it was
    /// spent from, together.
    Debit(Debit),
    /// A generation's stored request and response (organizations that opted in only); it
    /// travels with its generation, so it is never written without it.
    Content(Box<Content>),
}

/// A generation's stored bodies. Its `Debug` shows sizes only, so that no log line that prints
/// records (a dead-letter failure does) can carry a prompt or a completion.
#[derive(Clone, PartialEq)]
pub struct Content(pub generation_content::Model);

impl std::fmt::Debug for Content {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.0;
        f.debug_struct("Content")
            .field("generation_id", &c.generation_id)
            .field("request_bytes", &c.request_body.as_ref().map(String::len))
            .field("response_bytes", &c.response_body.as_ref().map(String::len))
            .finish_non_exhaustive()
    }
}

/// Credit spent by one generation, debited from its organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debit {
    pub org_id: String,
    /// [`EntryKind::Generation`] or [`EntryKind::ByokFee`].
    pub kind: EntryKind,
    /// The generation id (the entry's reference).
    pub generation_id: String,
    /// What was spent (positive; the ledger entry is its negative).
    pub amount: Nanos,
    /// The process whose credit leases the amount was spent from.
    pub lease_holder: Arc<str>,
    /// The key whose limit's lease it was also spent from (a key with a limit).
    pub key_lease: Option<String>,
    /// It was also spent from the organization's budget lease.
    pub budget_lease: bool,
}

/// Spend to add to one API key's counters. The writer sums a batch's spends per key, so a busy
/// key costs one update per batch; the key's `last_used_at` becomes the batch's commit time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyUsage {
    /// The key's hash (its identifier in `api_keys`).
    pub key_hash: String,
    /// Spent from the organization's credit (`usage_nanos`): generations' cost, BYOK fees
    /// included.
    pub usage: Nanos,
    /// Spent through the organization's own provider keys, at the endpoints' prices
    /// (`byok_usage_nanos`; billed by the providers, not from credit).
    pub byok_usage: Nanos,
}

impl KeyUsage {
    /// A request's spend: `cost` from credit (for BYOK the fee), and for a BYOK request
    /// `byok_upstream`, the provider's price (OpenRouter's `usage` and `byok_usage`).
    pub fn spent(key_hash: String, cost: Nanos, byok_upstream: Option<Nanos>) -> KeyUsage {
        KeyUsage {
            key_hash,
            usage: cost,
            byok_usage: byok_upstream.unwrap_or(Nanos::ZERO),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byok_fee_is_credit_spend_and_the_provider_price_byok_spend() {
        let cost = Nanos::from_nanos(7);
        let credit = KeyUsage::spent("k".into(), cost, None);
        assert_eq!((credit.usage, credit.byok_usage), (cost, Nanos::ZERO));
        let price = Nanos::from_nanos(140);
        let byok = KeyUsage::spent("k".into(), cost, Some(price));
        assert_eq!((byok.usage, byok.byok_usage), (cost, price));
    }
}
