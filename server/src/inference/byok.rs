//! Organizations' own provider keys as the hot path reads them: decrypted, in memory, per
//! organization ([`ByokView`]), with the BYOK fee counters. Loaded at start, replaced for an
//! organization as soon as one of this process's handlers changes its keys, and reloaded
//! whole when another process's change moves the table's fingerprint (see `app`).

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::billing::byok_fee::ByokFees;
use crate::gateway::routing::{ByokCredential, OrgByok};

type Map = HashMap<String, Arc<OrgByok>>;

pub struct ByokView {
    by_org: ArcSwap<Map>,
    fees: ByokFees,
}

impl ByokView {
    pub fn new(fees: ByokFees) -> ByokView {
        ByokView {
            by_org: ArcSwap::from_pointee(Map::new()),
            fees,
        }
    }

    /// The organization's enabled keys; `None` when it has none (the common case: one hash
    /// lookup, no allocation).
    pub fn get(&self, org_id: &str) -> Option<Arc<OrgByok>> {
        self.by_org.load().get(org_id).cloned()
    }

    fn org(&self, org_id: &str, credentials: Vec<ByokCredential>) -> Arc<OrgByok> {
        Arc::new(OrgByok::new(credentials, self.fees.org(org_id)))
    }

    /// Every organization's enabled keys (organization id -> keys in order).
    pub fn replace_all(&self, all: HashMap<String, Vec<ByokCredential>>) {
        let map: Map = all
            .into_iter()
            .filter(|(_, creds)| !creds.is_empty())
            .map(|(org_id, creds)| {
                let org = self.org(&org_id, creds);
                (org_id, org)
            })
            .collect();
        self.by_org.store(Arc::new(map));
    }

    /// This process's own change to one organization's keys, visible to its next request.
    pub fn set_org(&self, org_id: &str, credentials: Vec<ByokCredential>) {
        let org = (!credentials.is_empty()).then(|| self.org(org_id, credentials));
        self.by_org.rcu(|current| {
            let mut next = Map::clone(current);
            match &org {
                Some(o) => next.insert(org_id.to_owned(), Arc::clone(o)),
                None => next.remove(org_id),
            };
            next
        });
    }

    /// The BYOK fee rule and monthly counters.
    pub fn fees(&self) -> &ByokFees {
        &self.fees
    }
}
