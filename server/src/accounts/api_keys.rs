//! API keys: inference keys (call models) and management keys (call the key management API).
//! Keys look like OpenRouter's, `sk-or-v1-` + 64 hex characters; only their SHA-256 is stored.
//! The reads and writes here are reachable only inside `accounts`: callers go through
//! [`super::key_rules`], which checks who may act and invalidates the key cache.

use chrono::{DateTime, Utc};
use entity::api_key;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{AccountError, tenant::OrgScope};
use crate::billing::money::Nanos;
use crate::ids::{random_hex_secret, sha256_hex};

pub use api_types::keys::LimitReset;

use crate::billing::periods::Periods;

pub const KEY_PREFIX: &str = "sk-or-v1-";
pub const MAX_KEY_NAME_CHARS: usize = 200;
pub const PAGE_SIZE: u64 = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyKind {
    Inference,
    Management,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Inference => "inference",
            KeyKind::Management => "management",
        }
    }

    pub fn of(model: &api_key::Model) -> KeyKind {
        if model.kind == "management" {
            KeyKind::Management
        } else {
            KeyKind::Inference
        }
    }
}

/// Is this string shaped like one of our keys? (Cheap check before any lookup.)
pub fn looks_like_key(text: &str) -> bool {
    text.strip_prefix(KEY_PREFIX)
        .is_some_and(|rest| rest.len() == 64 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub fn hash_key(plaintext: &str) -> String {
    sha256_hex(plaintext)
}

/// The masked form shown in lists: `sk-or-v1-abc...f12`.
pub fn mask(plaintext: &str) -> String {
    let secret = &plaintext[KEY_PREFIX.len()..];
    format!(
        "{KEY_PREFIX}{}...{}",
        &secret[..3],
        &secret[secret.len() - 3..]
    )
}

pub struct NewKey {
    pub name: String,
    pub limit: Option<Nanos>,
    pub limit_reset: Option<LimitReset>,
    pub include_byok_in_limit: bool,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Changes to a key; `None` leaves a field as it is (`Some(None)` clears a nullable one).
#[derive(Default)]
pub struct KeyPatch {
    pub name: Option<String>,
    pub disabled: Option<bool>,
    pub include_byok_in_limit: Option<bool>,
    pub limit: Option<Option<Nanos>>,
    pub limit_reset: Option<Option<LimitReset>>,
}

pub fn check_name(name: &str) -> Result<String, AccountError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AccountError::invalid("name: must not be empty"));
    }
    if name.chars().count() > MAX_KEY_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(AccountError::invalid(format!(
            "name: must be at most {MAX_KEY_NAME_CHARS} printable characters"
        )));
    }
    Ok(name.to_owned())
}

/// Creates a key and returns it with its plaintext, which is never available again.
pub(super) async fn create(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
    kind: KeyKind,
    creator_user_id: Option<String>,
    new: NewKey,
) -> Result<(api_key::Model, String), AccountError> {
    let name = check_name(&new.name)?;
    let now = Utc::now();
    if new.expires_at.is_some_and(|at| at <= now) {
        return Err(AccountError::invalid("expires_at: must be in the future"));
    }
    let plaintext = format!("{KEY_PREFIX}{}", random_hex_secret());
    let model = api_key::ActiveModel {
        hash: Set(hash_key(&plaintext)),
        org_id: Set(scope.org_id().to_owned()),
        kind: Set(kind.as_str().to_owned()),
        name: Set(name),
        label: Set(mask(&plaintext)),
        limit_nanos: Set(new.limit.map(Nanos::as_nanos)),
        limit_reset: Set(new.limit_reset.map(|r| r.as_str().to_owned())),
        include_byok_in_limit: Set(new.include_byok_in_limit),
        disabled: Set(false),
        expires_at: Set(new.expires_at),
        creator_user_id: Set(creator_user_id),
        usage_nanos: Set(0),
        byok_usage_nanos: Set(0),
        last_used_at: Set(None),
        usage_day: Set(0),
        usage_daily_nanos: Set(0),
        byok_usage_daily_nanos: Set(0),
        usage_week: Set(0),
        usage_weekly_nanos: Set(0),
        byok_usage_weekly_nanos: Set(0),
        usage_month: Set(0),
        usage_monthly_nanos: Set(0),
        byok_usage_monthly_nanos: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok((model, plaintext))
}

pub(super) async fn list(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
    kind: KeyKind,
    include_disabled: bool,
    offset: u64,
) -> Result<Vec<api_key::Model>, AccountError> {
    let mut query = api_key::Entity::find()
        .filter(api_key::Column::OrgId.eq(scope.org_id()))
        .filter(api_key::Column::Kind.eq(kind.as_str()));
    if !include_disabled {
        query = query.filter(api_key::Column::Disabled.eq(false));
    }
    Ok(query
        .order_by_desc(api_key::Column::CreatedAt)
        .order_by_asc(api_key::Column::Hash)
        .offset(offset)
        .limit(PAGE_SIZE)
        .all(db)
        .await?)
}

pub(super) async fn get(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
    kind: KeyKind,
    hash: &str,
) -> Result<api_key::Model, AccountError> {
    api_key::Entity::find_by_id(hash.to_owned())
        .filter(api_key::Column::OrgId.eq(scope.org_id()))
        .filter(api_key::Column::Kind.eq(kind.as_str()))
        .one(db)
        .await?
        .ok_or(AccountError::NotFound("API key"))
}

/// A key of either kind in the organization (for a key reading its own record).
pub(super) async fn get_any_kind(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
    hash: &str,
) -> Result<api_key::Model, AccountError> {
    api_key::Entity::find_by_id(hash.to_owned())
        .filter(api_key::Column::OrgId.eq(scope.org_id()))
        .one(db)
        .await?
        .ok_or(AccountError::NotFound("API key"))
}

/// Applies a patch to a key already read through the caller's scope.
pub(super) async fn update(
    db: &impl ConnectionTrait,
    existing: api_key::Model,
    patch: KeyPatch,
) -> Result<api_key::Model, AccountError> {
    let name = patch.name.as_deref().map(check_name).transpose()?;
    let mut row: api_key::ActiveModel = existing.into();
    if let Some(name) = name {
        row.name = Set(name);
    }
    if let Some(disabled) = patch.disabled {
        row.disabled = Set(disabled);
    }
    if let Some(include) = patch.include_byok_in_limit {
        row.include_byok_in_limit = Set(include);
    }
    if let Some(limit) = patch.limit {
        row.limit_nanos = Set(limit.map(Nanos::as_nanos));
    }
    if let Some(reset) = patch.limit_reset {
        row.limit_reset = Set(reset.map(|r| r.as_str().to_owned()));
    }
    row.updated_at = Set(Utc::now());
    Ok(row.update(db).await?)
}

pub(super) async fn delete(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
    kind: KeyKind,
    hash: &str,
) -> Result<(), AccountError> {
    let deleted = api_key::Entity::delete_many()
        .filter(api_key::Column::Hash.eq(hash))
        .filter(api_key::Column::OrgId.eq(scope.org_id()))
        .filter(api_key::Column::Kind.eq(kind.as_str()))
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(AccountError::NotFound("API key"));
    }
    Ok(())
}

/// Spend figures of a key: totals, and the current UTC day's, week's and month's (the usage
/// writer keeps the counters; one of an earlier period counts as zero).
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyUsage {
    pub total: Nanos,
    pub daily: Nanos,
    pub weekly: Nanos,
    pub monthly: Nanos,
    pub byok_total: Nanos,
    pub byok_daily: Nanos,
    pub byok_weekly: Nanos,
    pub byok_monthly: Nanos,
}

impl KeyUsage {
    /// The key's figures as of `now`.
    pub fn of(model: &api_key::Model, now: DateTime<Utc>) -> KeyUsage {
        let periods = Periods::at(now);
        let current = |period: i64, current: i64, nanos: i64| {
            Nanos::from_nanos(if period == current { nanos } else { 0 })
        };
        KeyUsage {
            total: Nanos::from_nanos(model.usage_nanos),
            daily: current(model.usage_day, periods.day, model.usage_daily_nanos),
            weekly: current(model.usage_week, periods.week, model.usage_weekly_nanos),
            monthly: current(model.usage_month, periods.month, model.usage_monthly_nanos),
            byok_total: Nanos::from_nanos(model.byok_usage_nanos),
            byok_daily: current(model.usage_day, periods.day, model.byok_usage_daily_nanos),
            byok_weekly: current(
                model.usage_week,
                periods.week,
                model.byok_usage_weekly_nanos,
            ),
            byok_monthly: current(
                model.usage_month,
                periods.month,
                model.byok_usage_monthly_nanos,
            ),
        }
    }

    /// Spend counted against the key's limit in the current reset window.
    pub fn in_limit_window(&self, model: &api_key::Model) -> Nanos {
        let (spend, byok) = match model.limit_reset.as_deref().and_then(LimitReset::parse) {
            Some(LimitReset::Daily) => (self.daily, self.byok_daily),
            Some(LimitReset::Weekly) => (self.weekly, self.byok_weekly),
            Some(LimitReset::Monthly) => (self.monthly, self.byok_monthly),
            None => (self.total, self.byok_total),
        };
        if model.include_byok_in_limit {
            spend.saturating_add(byok)
        } else {
            spend
        }
    }

    pub fn limit_remaining(&self, model: &api_key::Model) -> Option<Nanos> {
        model
            .limit_nanos
            .map(|limit| Nanos::from_nanos(limit).remaining_after(self.in_limit_window(model)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_format() {
        let key = format!("{KEY_PREFIX}{}", random_hex_secret());
        assert!(looks_like_key(&key));
        assert!(!looks_like_key("sk-or-v1-xyz"));
        assert!(!looks_like_key(&key.replace("sk-or-v1-", "sk-or-v2-")));
        let label = mask(&key);
        assert!(
            label.starts_with("sk-or-v1-") && label.contains("...") && label.len() == 9 + 3 + 3 + 3
        );
        assert_eq!(hash_key(&key).len(), 64);
    }
}
