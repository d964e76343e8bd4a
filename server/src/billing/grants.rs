//! Platform admins' grants and adjustments: a ledger entry with the admin and a reason, and
//! its audit record, in one transaction.

use entity::{ledger_entry, organization, user};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};

use super::ledger::{self, EntryKind, LedgerError, NewEntry, Posted};
use super::money::Nanos;
use crate::accounts::audit;

#[derive(Debug, thiserror::Error)]
pub enum GrantError {
    /// Bad input; the message names the field.
    #[error("{0}")]
    Invalid(String),
    #[error("Organization not found")]
    NoOrganization,
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error("audit: {0}")]
    Audit(String),
}

impl From<DbErr> for GrantError {
    fn from(err: DbErr) -> Self {
        GrantError::Ledger(err.into())
    }
}

/// A validated grant or adjustment.
pub struct Grant {
    pub kind: EntryKind,
    pub amount: Nanos,
    pub reason: String,
}

impl Grant {
    /// `kind`: `grant` (the default; positive amounts) or `adjustment` (either sign, not zero).
    pub fn parse(kind: Option<&str>, amount: f64, reason: &str) -> Result<Grant, GrantError> {
        let kind = match kind.unwrap_or("grant") {
            "grant" => EntryKind::Grant,
            "adjustment" => EntryKind::Adjustment,
            _ => {
                return Err(GrantError::Invalid(
                    "kind: must be grant or adjustment".into(),
                ));
            }
        };
        let magnitude = Nanos::from_usd_f64(amount.abs())
            .map_err(|e| GrantError::Invalid(format!("amount: {e}")))?;
        let amount = if amount < 0.0 {
            Nanos::ZERO.saturating_sub(magnitude)
        } else {
            magnitude
        };
        match kind {
            EntryKind::Grant if !amount.is_positive() => {
                return Err(GrantError::Invalid(
                    "amount: a grant must be positive (use an adjustment to take credit away)"
                        .into(),
                ));
            }
            _ if amount == Nanos::ZERO => {
                return Err(GrantError::Invalid("amount: must not be zero".into()));
            }
            _ => {}
        }
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(GrantError::Invalid(
                "reason: required, at most 500 characters".into(),
            ));
        }
        Ok(Grant {
            kind,
            amount,
            reason: reason.to_owned(),
        })
    }
}

/// Posts `grant` to `org_id`'s ledger by `admin`, audited; returns the entry and the balance.
pub async fn apply(
    db: &DatabaseConnection,
    admin: &user::Model,
    org_id: &str,
    grant: Grant,
) -> Result<(ledger_entry::Model, Nanos), GrantError> {
    let txn = crate::db::begin_write(db).await?;
    if organization::Entity::find_by_id(org_id)
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(GrantError::NoOrganization);
    }
    let posted = ledger::post_in(
        &txn,
        NewEntry {
            org_id: org_id.to_owned(),
            kind: grant.kind,
            amount: grant.amount,
            reference: None,
            reason: Some(grant.reason.clone()),
            actor_user_id: Some(admin.id.clone()),
        },
    )
    .await?;
    let Posted::Applied { entry_id, balance } = posted else {
        // No reference, so no duplicate.
        return Err(GrantError::Invalid("duplicate entry".into()));
    };
    audit::record(
        &txn,
        admin,
        &format!("credit.{}", grant.kind.as_str()),
        "organization",
        org_id,
        serde_json::json!({
            "amount": grant.amount.to_string(),
            "reason": grant.reason,
            "ledger_entry_id": entry_id,
        }),
    )
    .await
    .map_err(|e| GrantError::Audit(e.to_string()))?;
    let entry = ledger_entry::Entity::find_by_id(entry_id)
        .one(&txn)
        .await?
        .ok_or_else(|| GrantError::Audit("the entry vanished".into()))?;
    txn.commit().await?;
    Ok((entry, balance))
}
