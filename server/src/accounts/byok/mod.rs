//! Organizations' own provider keys (BYOK): the data layer behind `/byok` and the loader of
//! the hot path's in-memory view. Rules:
//! - any member (and a management key) of the organization lists and reads its keys; only an
//!   owner or admin (or a management key) adds, changes or removes one;
//! - the key is encrypted before it is stored ([`crypto`]) and never leaves again: views carry
//!   `...` and its last four characters;
//! - filters are `null` (no restriction) or a non-empty list; API key hashes must name keys of
//!   the same organization;
//! - adding and removing a key (and changing one) writes an audit entry, which never holds it.

pub mod crypto;
pub mod rotate;
#[cfg(test)]
mod schema_tests;

use std::collections::{HashMap, HashSet};

use api_types::byok::{ByokKeyList, ByokKeyView};
use chrono::{Datelike, TimeZone, Utc};
use entity::{api_key, byok_key, generation};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};

use self::crypto::{MasterKey, Sealed};
use super::audit::{self, Actor};
use super::{AccountError, tenant::OrgScope};
use crate::gateway::routing::ByokCredential;
use crate::ids::new_id;

/// Longest accepted provider key, name, and allowlist.
const MAX_KEY_CHARS: usize = 4096;
const MAX_NAME_CHARS: usize = 255;
const MAX_LIST: usize = 100;
/// Shortest accepted key: the four characters shown again must not be most of it.
const MIN_KEY_CHARS: usize = 8;

/// A key to add, as the API received it.
#[derive(Default)]
pub struct NewByok {
    pub provider: String,
    pub key: String,
    pub name: Option<String>,
    pub is_fallback: bool,
    pub always_use: bool,
    pub disabled: bool,
    pub allowed_models: Option<Vec<String>>,
    pub allowed_api_key_hashes: Option<Vec<String>>,
}

/// A change: `None` leaves a field alone; for the nullable ones `Some(None)` clears it.
#[derive(Default)]
pub struct ByokPatch {
    pub key: Option<String>,
    pub name: Option<Option<String>>,
    pub is_fallback: Option<bool>,
    pub always_use: Option<bool>,
    pub disabled: Option<bool>,
    pub allowed_models: Option<Option<Vec<String>>>,
    pub allowed_api_key_hashes: Option<Option<Vec<String>>>,
}

/// The caller may add, change or remove keys (owner or admin, or a management key). The
/// handlers call it before reading a body, so a plain member gets 403 whatever it holds.
pub fn require_manager(scope: &OrgScope) -> Result<(), AccountError> {
    if scope.role().is_manager() {
        Ok(())
    } else {
        Err(AccountError::Forbidden(
            "Managing BYOK keys needs the owner or admin role in the organization".into(),
        ))
    }
}

/// `...` and the last four characters.
fn label_of(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("...{tail}")
}

fn check_key(key: &str) -> Result<String, AccountError> {
    let key = key.trim();
    let count = key.chars().count();
    if count < MIN_KEY_CHARS {
        return Err(AccountError::invalid(format!(
            "key: must be at least {MIN_KEY_CHARS} characters"
        )));
    }
    if count > MAX_KEY_CHARS {
        return Err(AccountError::invalid(format!(
            "key: must be at most {MAX_KEY_CHARS} characters"
        )));
    }
    // It is sent in an HTTP header.
    if key.chars().any(|c| c.is_control() || !c.is_ascii()) {
        return Err(AccountError::invalid(
            "key: must be printable ASCII (it is sent in an HTTP header)",
        ));
    }
    Ok(key.to_owned())
}

fn check_name(name: Option<String>) -> Result<Option<String>, AccountError> {
    let name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if name
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NAME_CHARS)
    {
        return Err(AccountError::invalid(format!(
            "name: must be at most {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(name)
}

/// `null` or a non-empty list of at most 100 non-empty strings (duplicates dropped).
fn check_list(field: &str, list: Option<Vec<String>>) -> Result<Option<Vec<String>>, AccountError> {
    let Some(list) = list else { return Ok(None) };
    if list.is_empty() {
        return Err(AccountError::invalid(format!(
            "{field}: must not be empty; use null for no restriction"
        )));
    }
    if list.len() > MAX_LIST {
        return Err(AccountError::invalid(format!(
            "{field}: at most {MAX_LIST} entries"
        )));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let item = item.trim().to_owned();
        if item.is_empty() || item.chars().count() > 256 {
            return Err(AccountError::invalid(format!(
                "{field}: entries must be 1 to 256 characters"
            )));
        }
        if seen.insert(item.clone()) {
            out.push(item);
        }
    }
    Ok(Some(out))
}

/// API key hashes must be 64 lower-case hex characters naming keys of this organization.
async fn check_key_hashes(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
    hashes: Option<Vec<String>>,
) -> Result<Option<Vec<String>>, AccountError> {
    let Some(hashes) = check_list("allowed_api_key_hashes", hashes)? else {
        return Ok(None);
    };
    if let Some(bad) = hashes
        .iter()
        .find(|h| h.len() != 64 || !h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
    {
        return Err(AccountError::invalid(format!(
            "allowed_api_key_hashes: {bad} is not a key hash (64 lower-case hex characters)"
        )));
    }
    let found = api_key::Entity::find()
        .filter(api_key::Column::OrgId.eq(scope.org_id()))
        .filter(api_key::Column::Hash.is_in(hashes.iter().cloned()))
        .count(db)
        .await?;
    if found != hashes.len() as u64 {
        return Err(AccountError::invalid(
            "allowed_api_key_hashes: every hash must name an API key of this organization",
        ));
    }
    Ok(Some(hashes))
}

fn check_flags(is_fallback: bool, always_use: bool) -> Result<(), AccountError> {
    if is_fallback && always_use {
        return Err(AccountError::invalid(
            "always_use: a fallback key (is_fallback: true) cannot also replace the platform's capacity",
        ));
    }
    Ok(())
}

fn list_json(list: &Option<Vec<String>>) -> Option<Value> {
    list.as_ref().map(|l| json!(l))
}

fn parse_list(value: &Option<Value>) -> Option<Vec<String>> {
    value
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

/// The row as the API shows it: never the key.
pub fn view(row: &byok_key::Model) -> ByokKeyView {
    ByokKeyView {
        id: row.id.clone(),
        provider: row.provider.clone(),
        workspace_id: row.org_id.clone(),
        label: row.label.clone(),
        name: row.name.clone(),
        disabled: row.disabled,
        is_fallback: row.is_fallback,
        always_use: row.always_use,
        allowed_models: parse_list(&row.allowed_models),
        allowed_api_key_hashes: parse_list(&row.allowed_api_key_hashes),
        allowed_user_ids: None,
        sort_order: row.sort_order,
        created_at: row.created_at,
    }
}

/// What the audit log keeps of a key: never the key.
fn audit_details(row: &byok_key::Model) -> Value {
    json!({
        "provider": row.provider,
        "label": row.label,
        "name": row.name,
        "is_fallback": row.is_fallback,
        "always_use": row.always_use,
        "disabled": row.disabled,
    })
}

/// Records `action` on `row` in the audit log (never the key) and commits the change with it.
async fn commit_audited(
    txn: DatabaseTransaction,
    actor: Actor<'_>,
    action: &str,
    row: &byok_key::Model,
) -> Result<(), AccountError> {
    audit::record_by(&txn, actor, action, "byok_key", &row.id, audit_details(row)).await?;
    txn.commit().await?;
    Ok(())
}

async fn find(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
    id: &str,
) -> Result<byok_key::Model, AccountError> {
    byok_key::Entity::find_by_id(id.to_owned())
        .filter(byok_key::Column::OrgId.eq(scope.org_id()))
        .one(db)
        .await?
        .ok_or(AccountError::NotFound("BYOK key"))
}

/// The organization's keys (optionally of one provider), by provider and `sort_order`.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
    provider: Option<&str>,
    offset: u64,
    limit: u64,
) -> Result<ByokKeyList, AccountError> {
    let mut query = byok_key::Entity::find().filter(byok_key::Column::OrgId.eq(scope.org_id()));
    if let Some(provider) = provider {
        query = query.filter(byok_key::Column::Provider.eq(provider));
    }
    let total_count = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(byok_key::Column::Provider)
        .order_by_asc(byok_key::Column::SortOrder)
        .order_by_asc(byok_key::Column::CreatedAt)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok(ByokKeyList {
        data: rows.iter().map(view).collect(),
        total_count,
    })
}

pub async fn get(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
    id: &str,
) -> Result<ByokKeyView, AccountError> {
    Ok(view(&find(db, scope, id).await?))
}

/// Validates and stores a new key (encrypted), with its audit entry, in one transaction.
/// `is_provider` tells a catalog provider slug.
pub async fn create(
    db: &DatabaseConnection,
    master: &MasterKey,
    scope: &OrgScope,
    actor: Actor<'_>,
    new: NewByok,
    is_provider: impl Fn(&str) -> bool,
) -> Result<ByokKeyView, AccountError> {
    require_manager(scope)?;
    let provider = new.provider.trim().to_owned();
    if !is_provider(&provider) {
        return Err(AccountError::invalid(format!(
            "provider: {provider:?} is not a provider of this gateway's catalog"
        )));
    }
    let key = check_key(&new.key)?;
    let name = check_name(new.name)?;
    check_flags(new.is_fallback, new.always_use)?;
    let allowed_models = check_list("allowed_models", new.allowed_models)?;
    let allowed_api_key_hashes = check_key_hashes(db, scope, new.allowed_api_key_hashes).await?;
    let sealed = master.seal(scope.org_id(), &provider, &key);
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let position = byok_key::Entity::find()
        .filter(byok_key::Column::OrgId.eq(scope.org_id()))
        .filter(byok_key::Column::Provider.eq(&provider))
        .count(&txn)
        .await?;
    let row = byok_key::ActiveModel {
        id: Set(new_id("byok")),
        org_id: Set(scope.org_id().to_owned()),
        provider: Set(provider),
        name: Set(name),
        label: Set(label_of(&key)),
        nonce: Set(sealed.nonce),
        ciphertext: Set(sealed.ciphertext),
        is_fallback: Set(new.is_fallback),
        always_use: Set(new.always_use),
        disabled: Set(new.disabled),
        allowed_models: Set(list_json(&allowed_models)),
        allowed_api_key_hashes: Set(list_json(&allowed_api_key_hashes)),
        sort_order: Set(i32::try_from(position).unwrap_or(i32::MAX)),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    commit_audited(txn, actor, "byok.add", &row).await?;
    Ok(view(&row))
}

/// Applies a change (a new key is encrypted like a new one), with its audit entry.
pub async fn update(
    db: &DatabaseConnection,
    master: &MasterKey,
    scope: &OrgScope,
    actor: Actor<'_>,
    id: &str,
    patch: ByokPatch,
) -> Result<ByokKeyView, AccountError> {
    require_manager(scope)?;
    let key = patch.key.as_deref().map(check_key).transpose()?;
    let name = patch.name.map(check_name).transpose()?;
    let allowed_models = patch
        .allowed_models
        .map(|l| check_list("allowed_models", l))
        .transpose()?;
    let allowed_api_key_hashes = match patch.allowed_api_key_hashes {
        Some(list) => Some(check_key_hashes(db, scope, list).await?),
        None => None,
    };
    let current = find(db, scope, id).await?;
    check_flags(
        patch.is_fallback.unwrap_or(current.is_fallback),
        patch.always_use.unwrap_or(current.always_use),
    )?;
    let mut row: byok_key::ActiveModel = current.into();
    if let Some(key) = key {
        let sealed = master.seal(scope.org_id(), row.provider.as_ref(), &key);
        row.label = Set(label_of(&key));
        row.nonce = Set(sealed.nonce);
        row.ciphertext = Set(sealed.ciphertext);
    }
    if let Some(name) = name {
        row.name = Set(name);
    }
    if let Some(v) = patch.is_fallback {
        row.is_fallback = Set(v);
    }
    if let Some(v) = patch.always_use {
        row.always_use = Set(v);
    }
    if let Some(v) = patch.disabled {
        row.disabled = Set(v);
    }
    if let Some(list) = allowed_models {
        row.allowed_models = Set(list_json(&list));
    }
    if let Some(list) = allowed_api_key_hashes {
        row.allowed_api_key_hashes = Set(list_json(&list));
    }
    row.updated_at = Set(Utc::now());
    let txn = crate::db::begin_write(db).await?;
    let row = row.update(&txn).await?;
    commit_audited(txn, actor, "byok.update", &row).await?;
    Ok(view(&row))
}

/// Removes a key (the ciphertext goes with the row), with its audit entry.
pub async fn delete(
    db: &DatabaseConnection,
    scope: &OrgScope,
    actor: Actor<'_>,
    id: &str,
) -> Result<(), AccountError> {
    require_manager(scope)?;
    let txn = crate::db::begin_write(db).await?;
    let row = find(&txn, scope, id).await?;
    byok_key::Entity::delete_by_id(row.id.clone())
        .filter(byok_key::Column::OrgId.eq(scope.org_id()))
        .exec(&txn)
        .await?;
    commit_audited(txn, actor, "byok.remove", &row).await
}

/// A row as the hot path uses it: decrypted. A row that does not decrypt (another master
/// key, or copied from another organization or provider) is left out, loudly.
fn credential(master: &MasterKey, row: byok_key::Model) -> Option<ByokCredential> {
    let sealed = Sealed {
        nonce: row.nonce,
        ciphertext: row.ciphertext,
    };
    match master.open(&row.org_id, &row.provider, &sealed) {
        Ok(api_key) => Some(ByokCredential {
            allowed_models: parse_list(&row.allowed_models),
            allowed_api_key_hashes: parse_list(&row.allowed_api_key_hashes),
            id: row.id,
            provider: row.provider,
            api_key,
            label: row.label,
            is_fallback: row.is_fallback,
            always_use: row.always_use,
        }),
        Err(err) => {
            tracing::error!(id = %row.id, org = %row.org_id, %err, "BYOK key skipped");
            None
        }
    }
}

fn enabled_in_order() -> sea_orm::Select<byok_key::Entity> {
    byok_key::Entity::find()
        .filter(byok_key::Column::Disabled.eq(false))
        .order_by_asc(byok_key::Column::OrgId)
        .order_by_asc(byok_key::Column::Provider)
        .order_by_asc(byok_key::Column::SortOrder)
        .order_by_asc(byok_key::Column::CreatedAt)
}

/// The organization's enabled keys, decrypted, in the order they are tried: for the
/// in-memory view after this process changed them.
pub async fn credentials(
    db: &impl ConnectionTrait,
    master: &MasterKey,
    scope: &OrgScope,
) -> Result<Vec<ByokCredential>, AccountError> {
    let rows = enabled_in_order()
        .filter(byok_key::Column::OrgId.eq(scope.org_id()))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| credential(master, r))
        .collect())
}

/// Every organization's enabled keys, decrypted (organization id -> keys in order): the
/// in-memory view at start and after other processes' changes.
pub async fn load_all(
    db: &impl ConnectionTrait,
    master: &MasterKey,
) -> Result<HashMap<String, Vec<ByokCredential>>, sea_orm::DbErr> {
    let rows = enabled_in_order().all(db).await?;
    let mut all: HashMap<String, Vec<ByokCredential>> = HashMap::new();
    for row in rows {
        let org_id = row.org_id.clone();
        if let Some(c) = credential(master, row) {
            all.entry(org_id).or_default().push(c);
        }
    }
    Ok(all)
}

/// BYOK generations per organization in the current UTC month (seeds the fee counters).
pub async fn monthly_counts(
    db: &impl ConnectionTrait,
) -> Result<HashMap<String, u64>, sea_orm::DbErr> {
    let now = Utc::now();
    let month_start = Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now);
    let rows: Vec<(String, i64)> = generation::Entity::find()
        .select_only()
        .column(generation::Column::OrgId)
        .column_as(generation::Column::Id.count(), "n")
        .filter(generation::Column::IsByok.eq(true))
        .filter(generation::Column::CreatedAt.gte(month_start))
        .group_by(generation::Column::OrgId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(org, n)| (org, u64::try_from(n).unwrap_or(0)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_show_only_the_last_four_characters() {
        assert_eq!(label_of("sk-proj-abcdefgh1234"), "...1234");
        assert!(check_key("short").is_err());
        assert!(check_key("sk-with\nnewline-123").is_err());
        assert_eq!(check_key("  sk-trimmed-1234 ").unwrap(), "sk-trimmed-1234");
    }

    #[test]
    fn filters_are_null_or_non_empty() {
        assert_eq!(check_list("f", None).unwrap(), None);
        assert!(check_list("f", Some(vec![])).is_err());
        assert_eq!(
            check_list("f", Some(vec!["a".into(), "a".into()])).unwrap(),
            Some(vec!["a".to_owned()])
        );
        assert!(check_flags(true, true).is_err());
        assert!(check_flags(true, false).is_ok());
    }
}
