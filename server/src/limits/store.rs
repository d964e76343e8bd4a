//! Admins' per-organization overrides in the database (`rate_limit_policies`): read whole at
//! start, written with their audit entry in one transaction, and watched by fingerprint so
//! that every replica applies another replica's change within seconds.

use std::collections::HashMap;

use chrono::Utc;
use entity::{organization, rate_limit_policy, user};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    sea_query::OnConflict,
};

use super::Override;
use crate::accounts::{AccountError, audit};

pub fn to_override(row: &rate_limit_policy::Model) -> Override {
    // Stored values were validated (≤ MAX_LIMIT) before they were written.
    let value = |v: Option<i64>| v.map(|v| u32::try_from(v.max(0)).unwrap_or(u32::MAX));
    Override {
        key_requests_per_window: value(row.key_requests_per_window),
        org_requests_per_window: value(row.org_requests_per_window),
        free_requests_per_window: value(row.free_requests_per_window),
        free_requests_per_day: value(row.free_requests_per_day),
    }
}

/// Every override by organization.
pub async fn load(db: &impl ConnectionTrait) -> Result<HashMap<String, Override>, DbErr> {
    let rows = rate_limit_policy::Entity::find().all(db).await?;
    Ok(rows
        .iter()
        .map(|row| (row.org_id.clone(), to_override(row)))
        .collect())
}

/// One organization's stored override.
pub async fn get(
    db: &DatabaseConnection,
    org_id: &str,
) -> Result<(organization::Model, Option<rate_limit_policy::Model>), AccountError> {
    let org = organization::Entity::find_by_id(org_id.to_owned())
        .one(db)
        .await?
        .ok_or(AccountError::NotFound("Organization"))?;
    let row = rate_limit_policy::Entity::find_by_id(org_id.to_owned())
        .one(db)
        .await?;
    Ok((org, row))
}

/// Sets an organization's override (validated by the caller), audited in the same transaction.
pub async fn put(
    db: &DatabaseConnection,
    actor: &user::Model,
    org_id: &str,
    over: &Override,
) -> Result<rate_limit_policy::Model, AccountError> {
    let txn = crate::db::begin_write(db).await?;
    if organization::Entity::find_by_id(org_id.to_owned())
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(AccountError::NotFound("Organization"));
    }
    let before = rate_limit_policy::Entity::find_by_id(org_id.to_owned())
        .one(&txn)
        .await?
        .map(|row| to_override(&row));
    let value = |v: Option<u32>| v.map(i64::from);
    let row = rate_limit_policy::Model {
        org_id: org_id.to_owned(),
        key_requests_per_window: value(over.key_requests_per_window),
        org_requests_per_window: value(over.org_requests_per_window),
        free_requests_per_window: value(over.free_requests_per_window),
        free_requests_per_day: value(over.free_requests_per_day),
        updated_by_user_id: actor.id.clone(),
        updated_at: Utc::now(),
    };
    rate_limit_policy::Entity::insert(rate_limit_policy::ActiveModel {
        org_id: Set(row.org_id.clone()),
        key_requests_per_window: Set(row.key_requests_per_window),
        org_requests_per_window: Set(row.org_requests_per_window),
        free_requests_per_window: Set(row.free_requests_per_window),
        free_requests_per_day: Set(row.free_requests_per_day),
        updated_by_user_id: Set(row.updated_by_user_id.clone()),
        updated_at: Set(row.updated_at),
    })
    .on_conflict(
        OnConflict::column(rate_limit_policy::Column::OrgId)
            .update_columns([
                rate_limit_policy::Column::KeyRequestsPerWindow,
                rate_limit_policy::Column::OrgRequestsPerWindow,
                rate_limit_policy::Column::FreeRequestsPerWindow,
                rate_limit_policy::Column::FreeRequestsPerDay,
                rate_limit_policy::Column::UpdatedByUserId,
                rate_limit_policy::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        "organization.rate_limits.set",
        "organization",
        org_id,
        serde_json::json!({ "before": before, "after": over }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Removes an organization's override (the plan applies again), audited.
pub async fn remove(
    db: &DatabaseConnection,
    actor: &user::Model,
    org_id: &str,
) -> Result<(), AccountError> {
    let txn = crate::db::begin_write(db).await?;
    let before = rate_limit_policy::Entity::find_by_id(org_id.to_owned())
        .one(&txn)
        .await?
        .ok_or(AccountError::NotFound("Rate-limit override"))?;
    rate_limit_policy::Entity::delete_by_id(org_id.to_owned())
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        actor,
        "organization.rate_limits.remove",
        "organization",
        org_id,
        serde_json::json!({ "before": to_override(&before) }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
