//! Which organizations' spend the writer has committed since someone last asked: how the alert
//! checker learns of a crossing right after the batch that caused it, without touching the hot
//! path (the writer marks once per batch, on its own thread) and without a database poll.
//!
//! Nothing is collected until a consumer [`SpendChanged::watch`]es, and the set holds each
//! organization once, so it is bounded by the number of organizations.

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

use super::record::UsageRecord;

#[derive(Default)]
pub struct SpendChanged {
    watched: AtomicBool,
    orgs: Mutex<HashSet<String>>,
    notify: Notify,
}

impl SpendChanged {
    /// Starts collecting (called once by the consumer).
    pub fn watch(&self) {
        self.watched.store(true, Ordering::Relaxed);
    }

    /// The writer, after committing `records`.
    pub(super) fn mark(&self, records: &[UsageRecord]) {
        if !self.watched.load(Ordering::Relaxed) {
            return;
        }
        let mut orgs = self.orgs.lock().unwrap_or_else(|p| p.into_inner());
        let before = orgs.len();
        for record in records {
            let org = match record {
                UsageRecord::Generation(g) => &g.org_id,
                UsageRecord::Debit(d) => &d.org_id,
                UsageRecord::KeyUsage(_) | UsageRecord::Content(_) => continue,
            };
            if !orgs.contains(org) {
                orgs.insert(org.clone());
            }
        }
        let grew = orgs.len() > before;
        drop(orgs);
        if grew {
            self.notify.notify_one();
        }
    }

    /// Waits until some organization's spend changed, then takes them all.
    pub async fn next(&self) -> HashSet<String> {
        loop {
            let taken = std::mem::take(&mut *self.orgs.lock().unwrap_or_else(|p| p.into_inner()));
            if !taken.is_empty() {
                return taken;
            }
            self.notify.notified().await;
        }
    }
}
