//! The data layer behind `/alerts/settings` and `/alerts/webhook-secret`: scoped by
//! [`OrgScope`]; any member (or a management key) reads, owners and admins (or a management
//! key) change; every change is audited (never with the secret). The signing secret is sealed
//! with the master key (the organization bound as associated data, as BYOK keys are) and
//! returned in plain text only by the call that creates it.

use api_types::alerts::{AlertSettings, UsdInput};
use chrono::Utc;
use entity::alert_setting;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, Set};
use serde_json::json;

use super::{AlertError, address, signature};
use crate::accounts::audit::{self, Actor};
use crate::accounts::byok::crypto::{MasterKey, Sealed};
use crate::accounts::byok::rotate::Tally;
use crate::accounts::organizations::require_manager;
use crate::accounts::tenant::OrgScope;
use crate::billing::decimal::{self, Notation};
use crate::billing::money::{MAX_SETTABLE_USD, Nanos, USD_DECIMALS};

/// The associated data's "provider" for webhook secrets: a sealed BYOK key does not open as
/// a webhook secret, nor the other way round.
const SEAL_PURPOSE: &str = "alert-webhook-secret";

/// Settings as the API received them, validated.
pub struct NewSettings {
    pub webhook_url: Option<String>,
    pub low_balance_threshold: Option<Nanos>,
    pub key_spend_alerts: bool,
}

/// A threshold in USD: more than 0, at most [`MAX_SETTABLE_USD`], exact to the nano-dollar
/// (a string must not be finer; a number is read as JSON wrote it).
pub fn parse_threshold(input: &UsdInput) -> Result<Nanos, AlertError> {
    let invalid = |why: &str| AlertError::Invalid(format!("low_balance_threshold: {why}"));
    let nanos = match input {
        UsdInput::Number(usd) => Nanos::from_usd_f64(*usd).map_err(|e| invalid(&e.to_string()))?,
        UsdInput::Text(text) => Nanos::from_nanos(
            decimal::parse(text, USD_DECIMALS, Notation::Plain)
                .map_err(|e| invalid(&e.to_string()))?,
        ),
    };
    let max = Nanos::from_usd_f64(MAX_SETTABLE_USD).unwrap_or(Nanos::MAX);
    if !nanos.is_positive() {
        return Err(invalid("must be more than 0"));
    }
    if nanos > max {
        return Err(invalid(&format!("must be at most {MAX_SETTABLE_USD}")));
    }
    Ok(nanos)
}

pub fn view(row: Option<&alert_setting::Model>) -> AlertSettings {
    AlertSettings {
        webhook_url: row.and_then(|r| r.webhook_url.clone()),
        low_balance_threshold: row
            .and_then(|r| r.low_balance_threshold_nanos)
            .map(|n| Nanos::from_nanos(n).into()),
        key_spend_alerts: row.is_some_and(|r| r.key_spend_alerts),
        webhook_secret_set: row.is_some_and(|r| r.secret_ciphertext.is_some()),
        updated_at: row.map(|r| r.updated_at),
    }
}

pub async fn get(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
) -> Result<Option<alert_setting::Model>, AlertError> {
    Ok(alert_setting::Entity::find_by_id(scope.org_id().to_owned())
        .one(db)
        .await?)
}

/// The settings for the delivery worker and the checker, which act for the platform.
pub(super) async fn of_org(
    db: &impl ConnectionTrait,
    org_id: &str,
) -> Result<Option<alert_setting::Model>, DbErr> {
    alert_setting::Entity::find_by_id(org_id.to_owned())
        .one(db)
        .await
}

/// Checks a webhook URL (form, and its host's addresses unless private ones are allowed).
pub async fn check_url(url: &str, allow_private: bool) -> Result<String, AlertError> {
    address::check(url, allow_private)
        .await
        .map(|u| u.to_string())
        .map_err(AlertError::Invalid)
}

/// Replaces the settings (owner, admin or management key). Returns the row and, when this
/// call created the signing secret (the first webhook URL), the secret in plain text.
pub async fn put(
    db: &DatabaseConnection,
    master_key: &MasterKey,
    scope: &OrgScope,
    actor: Actor<'_>,
    new: NewSettings,
) -> Result<(alert_setting::Model, Option<String>), AlertError> {
    require_manager(scope)?;
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let existing = get(&txn, scope).await?;
    let mut created_secret = None;
    let sealed = match existing
        .as_ref()
        .and_then(|r| Some((r.secret_nonce.clone()?, r.secret_ciphertext.clone()?)))
    {
        Some(kept) => Some(kept),
        None if new.webhook_url.is_some() => {
            let secret = signature::new_secret();
            let Sealed { nonce, ciphertext } =
                master_key.seal(scope.org_id(), SEAL_PURPOSE, &secret);
            created_secret = Some(secret);
            Some((nonce, ciphertext))
        }
        None => None,
    };
    let (nonce, ciphertext) = sealed.unzip();
    let row = alert_setting::ActiveModel {
        org_id: Set(scope.org_id().to_owned()),
        webhook_url: Set(new.webhook_url.clone()),
        secret_nonce: Set(nonce),
        secret_ciphertext: Set(ciphertext),
        low_balance_threshold_nanos: Set(new.low_balance_threshold.map(Nanos::as_nanos)),
        key_spend_alerts: Set(new.key_spend_alerts),
        created_at: Set(existing.as_ref().map_or(now, |r| r.created_at)),
        updated_at: Set(now),
    };
    let row = if existing.is_some() {
        row.update(&txn).await?
    } else {
        row.insert(&txn).await?
    };
    let details = json!({
        "webhook_url_set": new.webhook_url.is_some(),
        "low_balance_threshold": new.low_balance_threshold.map(|n| n.to_string()),
        "key_spend_alerts": new.key_spend_alerts,
        "secret_created": created_secret.is_some(),
    });
    audit::record_by(
        &txn,
        actor,
        "alerts.settings_update",
        "organization",
        scope.org_id(),
        details,
    )
    .await?;
    txn.commit().await?;
    Ok((row, created_secret))
}

/// A new signing secret (owner, admin or management key), returned once; the old one stops
/// signing at once. Needs settings with a webhook URL.
pub async fn rotate_secret(
    db: &DatabaseConnection,
    master_key: &MasterKey,
    scope: &OrgScope,
    actor: Actor<'_>,
) -> Result<String, AlertError> {
    require_manager(scope)?;
    let txn = crate::db::begin_write(db).await?;
    let Some(existing) = get(&txn, scope).await? else {
        return Err(no_webhook());
    };
    if existing.webhook_url.is_none() {
        return Err(no_webhook());
    }
    let secret = signature::new_secret();
    let Sealed { nonce, ciphertext } = master_key.seal(scope.org_id(), SEAL_PURPOSE, &secret);
    let mut row: alert_setting::ActiveModel = existing.into();
    row.secret_nonce = Set(Some(nonce));
    row.secret_ciphertext = Set(Some(ciphertext));
    row.updated_at = Set(Utc::now());
    row.update(&txn).await?;
    audit::record_by(
        &txn,
        actor,
        "alerts.webhook_secret_rotate",
        "organization",
        scope.org_id(),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(secret)
}

pub(super) fn no_webhook() -> AlertError {
    AlertError::Conflict(
        "No webhook URL is set: PUT /api/v1/alerts/settings with a webhook_url first".into(),
    )
}

/// The row's signing secret in plain text (`None`: none set, or it does not open under this
/// master key).
pub(super) fn open_secret(master_key: &MasterKey, row: &alert_setting::Model) -> Option<String> {
    let sealed = Sealed {
        nonce: row.secret_nonce.clone()?,
        ciphertext: row.secret_ciphertext.clone()?,
    };
    master_key.open(&row.org_id, SEAL_PURPOSE, &sealed).ok()
}

/// Re-encrypts every webhook signing secret in `txn`, for a master key rotation (see
/// `accounts::byok::rotate`); rows are named by their organization.
pub async fn reseal_secrets(
    txn: &sea_orm::DatabaseTransaction,
    old: &MasterKey,
    new: &MasterKey,
) -> Result<Tally, DbErr> {
    let mut tally = Tally::default();
    for row in alert_setting::Entity::find().all(txn).await? {
        let (Some(nonce), Some(ciphertext)) =
            (row.secret_nonce.clone(), row.secret_ciphertext.clone())
        else {
            continue;
        };
        let sealed = Sealed { nonce, ciphertext };
        if let Some(resealed) =
            tally.reseal((old, new), &row.org_id, &row.org_id, SEAL_PURPOSE, &sealed)
        {
            let mut active: alert_setting::ActiveModel = row.into();
            active.secret_nonce = Set(Some(resealed.nonce));
            active.secret_ciphertext = Set(Some(resealed.ciphertext));
            active.update(txn).await?;
        }
    }
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_exact_positive_and_bounded() {
        let ok = |input: UsdInput| parse_threshold(&input).unwrap().as_nanos();
        assert_eq!(ok(UsdInput::Number(5.0)), 5_000_000_000);
        assert_eq!(ok(UsdInput::Number(0.1)), 100_000_000);
        assert_eq!(ok(UsdInput::Text("2.50".into())), 2_500_000_000);
        assert_eq!(ok(UsdInput::Text("0.000000001".into())), 1);
        for bad in [
            UsdInput::Number(0.0),
            UsdInput::Number(-1.0),
            UsdInput::Number(1e10),
            UsdInput::Text("0".into()),
            UsdInput::Text("-1".into()),
            UsdInput::Text("1e3".into()),
            UsdInput::Text("0.0000000001".into()),
            UsdInput::Text("abc".into()),
        ] {
            let err = parse_threshold(&bad).unwrap_err().to_string();
            assert!(err.starts_with("low_balance_threshold: "), "{bad:?}: {err}");
        }
    }
}
