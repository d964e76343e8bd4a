//! The in-memory view of API keys that authentication reads, so that the inference hot path
//! makes no database round trip. Entries live at most one second, which bounds how long a
//! disabled or deleted key keeps working on another replica; on this replica every change
//! invalidates its entry at once.

use std::sync::Arc;
use std::time::Duration;

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
    Db(#[from] Arc<DbErr>),
}

#[derive(Clone)]
pub struct KeyCache {
    entries: Cache<String, Option<Arc<AuthKey>>>,
}

impl KeyCache {
    pub fn new(ttl: Duration, max_entries: u64) -> Self {
        KeyCache {
            entries: Cache::builder()
                .time_to_live(ttl)
                .max_capacity(max_entries)
                .build(),
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
        let found = self
            .entries
            .try_get_with(hash.clone(), load(db, hash))
            .await?;
        let key = found.ok_or(KeyAuthError::Unknown)?;
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
            org_suspended: org.is_none_or(|o| o.suspended_at.is_some()),
        })
    }))
}
