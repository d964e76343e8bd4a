//! The in-memory view of API keys that authentication reads, so that the inference hot path
//! makes no database round trip in steady state (see [`KeyCache`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use entity::{api_key, organization};
use moka::future::Cache;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};

use super::api_keys::{KeyKind, hash_key, looks_like_key};
use super::roles::Role;
use super::tenant::OrgScope;

#[derive(Clone, Debug)]
pub struct AuthKey {
    pub key: api_key::Model,
    pub org_suspended: bool,
    /// The organization opted in to storing prompts and completions (`accounts::privacy`).
    /// Travels with the key so that the hot path decides with one branch and no lookup; a
    /// change is seen as soon as the key's entry is re-read (see [`KeyCache`]).
    pub store_content: bool,
}

impl AuthKey {
    pub fn kind(&self) -> KeyKind {
        KeyKind::of(&self.key)
    }

    /// Keys act inside their own organization; management keys with an admin's rights.
    pub fn scope(&self) -> OrgScope {
        let role = match self.kind() {
            KeyKind::Management => Role::Admin,
            KeyKind::Inference => Role::Member,
        };
        OrgScope::verified(self.key.org_id.clone(), role)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyAuthError {
    #[error("Invalid API key")]
    Unknown,
    #[error("API key is disabled")]
    Disabled,
    #[error("API key has expired")]
    Expired,
    #[error("Organization is suspended")]
    Suspended,
    #[error(transparent)]
    Db(Arc<DbErr>),
}

/// A cached lookup result (`None`: no such key) and when it was read.
struct Entry {
    key: Option<Arc<AuthKey>>,
    loaded_at: Instant,
    refreshing: AtomicBool,
}

/// Keys in memory with refresh-ahead: an entry older than `max_age` is still served while a
/// background task re-reads it, so the request path never waits on the database for a key it
/// has seen; only a key's first use (or the first after a local change) reads synchronously.
/// A change made on this replica invalidates at once; one made elsewhere is seen after at most
/// `max_age` plus one request.
#[derive(Clone)]
pub struct KeyCache {
    entries: Cache<String, Arc<Entry>>,
    max_age: Duration,
}

impl KeyCache {
    pub fn new(max_age: Duration, max_entries: u64) -> Self {
        KeyCache {
            entries: Cache::builder()
                .max_capacity(max_entries)
                // Keys unused for a while leave memory; their next use reads the database.
                .time_to_idle(Duration::from_secs(600))
                .build(),
            max_age,
        }
    }

    /// Authenticates a presented key: known, enabled, unexpired, organization active.
    pub async fn authenticate(
        &self,
        db: &DatabaseConnection,
        presented: &str,
    ) -> Result<Arc<AuthKey>, KeyAuthError> {
        if !looks_like_key(presented) {
            return Err(KeyAuthError::Unknown);
        }
        let hash = hash_key(presented);
        let entry = match self.entries.get(&hash).await {
            Some(entry) => {
                if entry.loaded_at.elapsed() >= self.max_age
                    && !entry.refreshing.swap(true, Ordering::AcqRel)
                {
                    self.refresh_in_background(db.clone(), hash);
                }
                entry
            }
            None => {
                let entry = Arc::new(Entry {
                    key: load(db, hash.clone())
                        .await
                        .map_err(|e| KeyAuthError::Db(Arc::new(e)))?,
                    loaded_at: Instant::now(),
                    refreshing: AtomicBool::new(false),
                });
                self.entries.insert(hash, entry.clone()).await;
                entry
            }
        };
        let key = entry.key.clone().ok_or(KeyAuthError::Unknown)?;
        if key.key.disabled {
            return Err(KeyAuthError::Disabled);
        }
        if key.key.expires_at.is_some_and(|at| at <= Utc::now()) {
            return Err(KeyAuthError::Expired);
        }
        if key.org_suspended {
            return Err(KeyAuthError::Suspended);
        }
        Ok(key)
    }

    fn refresh_in_background(&self, db: DatabaseConnection, hash: String) {
        let entries = self.entries.clone();
        tokio::spawn(async move {
            match load(&db, hash.clone()).await {
                Ok(key) => {
                    let fresh = Arc::new(Entry {
                        key,
                        loaded_at: Instant::now(),
                        refreshing: AtomicBool::new(false),
                    });
                    entries.insert(hash, fresh).await;
                }
                Err(err) => {
                    // Keep serving the last known state; the next request retries.
                    tracing::warn!(%err, "refreshing a cached API key failed");
                    if let Some(entry) = entries.get(&hash).await {
                        entry.refreshing.store(false, Ordering::Release);
                    }
                }
            }
        });
    }

    pub async fn invalidate(&self, hash: &str) {
        self.entries.invalidate(hash).await;
    }

    /// After an organization-wide change (suspension); rare, so dropping everything is fine.
    pub fn invalidate_all(&self) {
        self.entries.invalidate_all();
    }
}

/// The one unscoped read of tenant data: finding which organization a presented key belongs to.
async fn load(db: &DatabaseConnection, hash: String) -> Result<Option<Arc<AuthKey>>, DbErr> {
    let found = api_key::Entity::find_by_id(hash)
        .find_also_related(organization::Entity)
        .one(db)
        .await?;
    Ok(found.map(|(key, org)| {
        Arc::new(AuthKey {
            key,
            org_suspended: org.as_ref().is_none_or(|o| o.suspended_at.is_some()),
            store_content: org.is_some_and(|o| o.store_content),
        })
    }))
}
