//! An organization's privacy setting: whether its prompts and completions are stored
//! (`organizations.store_content`, off by default). Turning it on is an owner's or admin's
//! explicit consent, recorded on the row (who, when) and in the audit log, in one transaction.
//!
//! Propagation: the setting travels with the API key in the key cache
//! (`key_cache::AuthKey::store_content`), so the hot path reads no table for it. A change
//! drops this process's cached keys at once; other replicas re-read a key once its entry is a
//! second old (the cache's refresh-ahead), so they follow within about a second, the first
//! request after that second still being served with the entry it had. A request admitted
//! before the change is recorded as it was admitted.

use chrono::{DateTime, Utc};
use entity::organization;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel, Set};

use super::AccountError;
use super::audit::{self, Actor};
use super::key_cache::KeyCache;
use super::organizations::require_manager;
use super::tenant::OrgScope;

/// The setting as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Privacy {
    pub store_content: bool,
    /// Who last changed it: a user id, or `key:<hash>` for a management key.
    pub changed_by: Option<String>,
    pub changed_at: Option<DateTime<Utc>>,
}

impl Privacy {
    fn of(org: &organization::Model) -> Self {
        Privacy {
            store_content: org.store_content,
            changed_by: org.store_content_changed_by.clone(),
            changed_at: org.store_content_changed_at,
        }
    }
}

async fn organization(
    db: &impl sea_orm::ConnectionTrait,
    scope: &OrgScope,
) -> Result<organization::Model, AccountError> {
    organization::Entity::find_by_id(scope.org_id().to_owned())
        .one(db)
        .await?
        .ok_or(AccountError::NotFound("Organization"))
}

pub async fn get(db: &DatabaseConnection, scope: &OrgScope) -> Result<Privacy, AccountError> {
    Ok(Privacy::of(&organization(db, scope).await?))
}

/// Turns storing on or off (owner or admin). Turning it on needs `consent`; turning it off
/// never does. Setting it to what it is changes nothing and records nothing.
pub async fn set(
    db: &DatabaseConnection,
    keys: &KeyCache,
    scope: &OrgScope,
    actor: Actor<'_>,
    store_content: bool,
    consent: bool,
) -> Result<Privacy, AccountError> {
    require_manager(scope)?;
    if store_content && !consent {
        return Err(AccountError::invalid(
            "consent: must be true to store the organization's prompts and completions",
        ));
    }
    let txn = crate::db::begin_write(db).await?;
    let org = organization(&txn, scope).await?;
    if org.store_content == store_content {
        txn.commit().await?;
        return Ok(Privacy::of(&org));
    }
    let now = Utc::now();
    let by = match actor {
        Actor::User(user) => user.id.clone(),
        Actor::ManagementKey(hash) => format!("key:{hash}"),
    };
    let mut row = org.into_active_model();
    row.store_content = Set(store_content);
    row.store_content_changed_by = Set(Some(by));
    row.store_content_changed_at = Set(Some(now));
    row.updated_at = Set(now);
    let org = row.update(&txn).await?;
    let action = if store_content {
        "organization.store_content.enable"
    } else {
        "organization.store_content.disable"
    };
    let details = serde_json::json!({ "store_content": store_content, "consent": consent });
    audit::record_by(&txn, actor, action, "organization", &org.id, details).await?;
    txn.commit().await?;
    // An organization-wide change; rare, so dropping every cached key is fine (their next
    // use re-reads them with the new setting).
    keys.invalidate_all();
    Ok(Privacy::of(&org))
}
