//! Organizations' routing defaults (`only`, `ignore`, `data_collection`, `zdr`, `sort`),
//! merged under every request's `provider` object by the planner.
//!
//! Hot path: no database. Every replica keeps all organizations' defaults in memory
//! ([`OrgRoutingDefaults`]), loads them at start, updates its own copy at once when one of its
//! handlers changes them, and polls a cheap fingerprint (row count, latest `updated_at`) every
//! few seconds to pick up other replicas' changes.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use entity::org_routing_default;
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    sea_query::OnConflict,
};
use serde_json::Value;

use super::{AccountError, tenant::OrgScope};
use crate::gateway::routing::ProviderPreferences;

type Map = HashMap<String, Arc<ProviderPreferences>>;

/// Every organization's defaults, swapped whole on change (reads never lock).
#[derive(Default)]
pub struct OrgRoutingDefaults {
    by_org: ArcSwap<Map>,
}

impl OrgRoutingDefaults {
    pub fn get(&self, org_id: &str) -> Option<Arc<ProviderPreferences>> {
        self.by_org.load().get(org_id).cloned()
    }

    pub fn replace_all(&self, map: Map) {
        self.by_org.store(Arc::new(map));
    }

    /// This replica's own change, visible to its next request.
    pub fn set(&self, org_id: &str, prefs: Option<ProviderPreferences>) {
        let prefs = prefs.map(Arc::new);
        self.by_org.rcu(|current| {
            let mut next = Map::clone(current);
            match &prefs {
                Some(p) => next.insert(org_id.to_owned(), Arc::clone(p)),
                None => next.remove(org_id),
            };
            next
        });
    }
}

/// All stored defaults (rows that no longer parse are skipped, loudly).
pub async fn load_all(db: &impl ConnectionTrait) -> Result<Map, DbErr> {
    let rows = org_routing_default::Entity::find().all(db).await?;
    let mut map = Map::new();
    for row in rows {
        match ProviderPreferences::org_defaults(&row.preferences) {
            Ok(p) => {
                map.insert(row.org_id, Arc::new(p));
            }
            Err(err) => {
                tracing::error!(org = %row.org_id, %err, "stored routing defaults no longer parse; skipped")
            }
        }
    }
    Ok(map)
}

/// The organization's stored defaults (`{}` when none).
pub async fn get(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
) -> Result<(Value, Option<DateTime<Utc>>), AccountError> {
    let row = org_routing_default::Entity::find_by_id(scope.org_id().to_owned())
        .one(db)
        .await?;
    Ok(match row {
        Some(r) => (r.preferences, Some(r.updated_at)),
        None => (Value::Object(Default::default()), None),
    })
}

/// The caller may change the routing defaults (owner or admin). The handler calls it before
/// reading the body, so a plain member gets 403 whatever the body holds.
pub fn require_editor(scope: &OrgScope) -> Result<(), AccountError> {
    if scope.role().is_manager() {
        Ok(())
    } else {
        Err(AccountError::Forbidden(
            "Changing routing defaults needs the owner or admin role in the organization".into(),
        ))
    }
}

/// Validates and stores the organization's defaults (owner or admin); `{}` clears them.
/// Returns the parsed defaults for the caller to put in memory.
pub async fn put(
    db: &DatabaseConnection,
    scope: &OrgScope,
    actor_user_id: &str,
    value: Value,
) -> Result<Option<ProviderPreferences>, AccountError> {
    require_editor(scope)?;
    let prefs = ProviderPreferences::org_defaults(&value)
        .map_err(|e| AccountError::invalid(e.to_string()))?;
    let empty = prefs == ProviderPreferences::default();
    let txn = crate::db::begin_write(db).await?;
    if empty {
        org_routing_default::Entity::delete_by_id(scope.org_id().to_owned())
            .exec(&txn)
            .await?;
    } else {
        org_routing_default::Entity::insert(org_routing_default::ActiveModel {
            org_id: Set(scope.org_id().to_owned()),
            preferences: Set(value),
            updated_by_user_id: Set(actor_user_id.to_owned()),
            updated_at: Set(Utc::now()),
        })
        .on_conflict(
            OnConflict::column(org_routing_default::Column::OrgId)
                .update_columns([
                    org_routing_default::Column::Preferences,
                    org_routing_default::Column::UpdatedByUserId,
                    org_routing_default::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok((!empty).then_some(prefs))
}
