//! Credit leases in the database: how several server processes share one balance without a
//! round trip per request.
//!
//! A process (a *holder*) takes a slice of a subject's credit with [`acquire`]: in one write
//! transaction that first locks the subject's `org_credit` row, it grants at most the balance
//! minus every other holder's live lease minus its own. It then spends the slice in memory
//! (`billing::reservations`); each debit the usage writer commits subtracts from the balance
//! and from the holder's lease together, so "balance − live leases" stays the credit nobody
//! holds. Leases live `ttl` and are renewed while the holder runs ([`renew`]); a crashed
//! holder's lease is ignored once expired and deleted by the next acquisition, so its credit
//! comes back. A holder hands back what it no longer needs with [`give_back`].
//!
//! Invariant: at any instant, the live leases of a subject sum to at most its balance at the
//! moment each was granted, less what has been spent from them since. So together, every
//! holder can spend at most the balance.

use std::time::{SystemTime, UNIX_EPOCH};

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, TransactionTrait,
};

use entity::{api_key, credit_lease, org_budget, org_credit};

use super::budgets::Budgets;
use crate::accounts::api_keys::KeyUsage;

use super::money::Nanos;

/// What a lease is taken from: an organization's balance, or a key's limit (its remainder in
/// the current reset window).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    Org(String),
    Key(String),
    /// An organization's remaining budget (the tightest of its caps).
    Budget(String),
}

impl Subject {
    /// The `credit_leases.subject` key.
    pub fn key(&self) -> String {
        match self {
            Subject::Org(id) => org_key(id),
            Subject::Key(hash) => key_key(hash),
            Subject::Budget(org_id) => budget_key(org_id),
        }
    }
}

/// The lease subject of an organization's budgets.
pub fn budget_key(org_id: &str) -> String {
    format!("budget:{org_id}")
}

/// The lease subject of an API key's limit.
pub fn key_key(hash: &str) -> String {
    format!("key:{hash}")
}

/// The lease subject of an organization's balance (the usage writer builds it per debit).
pub fn org_key(org_id: &str) -> String {
    format!("org:{org_id}")
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A grant takes this share of the free credit (at least what the request needs): enough to
/// serve many requests from memory, while leaving most of it to the other holders.
pub const SHARE_OF_FREE: i64 = 4;

/// What [`acquire`] granted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Added to the holder's lease.
    pub granted: Nanos,
    /// The credit nobody held before this grant (what a refusal can honestly name).
    pub free_before: Nanos,
    /// The holder's lease had expired and was dropped: whatever the holder still counted
    /// as leased is gone.
    pub lost_expired: bool,
    /// What bounds the subject, for a refusal to name ("monthly budget of $500.00").
    pub limited_by: Option<String>,
}

/// Takes a [`SHARE_OF_FREE`] of `subject`'s free credit for `holder`, at least `need` if
/// there is that much (else all there is), valid until `ttl_ms` from now.
pub async fn acquire(
    db: &DatabaseConnection,
    subject: &Subject,
    holder: &str,
    need: Nanos,
    ttl_ms: i64,
) -> Result<Grant, DbErr> {
    let key = subject.key();
    let txn = crate::db::begin_write(db).await?;
    let Some((total, limited_by)) = lock_total(&txn, subject).await? else {
        txn.commit().await?;
        return Ok(Grant {
            granted: Nanos::ZERO,
            free_before: Nanos::ZERO,
            lost_expired: false,
            limited_by: None,
        });
    };
    let now = now_ms();
    let leases = credit_lease::Entity::find()
        .filter(credit_lease::Column::Subject.eq(key.as_str()))
        .all(&txn)
        .await?;
    let mut held = 0i64;
    let mut lost_expired = false;
    for lease in &leases {
        let live = lease.expires_at_ms > now;
        if lease.holder == holder && !live {
            lost_expired = true;
        }
        if live {
            held = held.saturating_add(lease.amount_nanos.max(0));
        }
    }
    if leases.iter().any(|l| l.expires_at_ms <= now) {
        credit_lease::Entity::delete_many()
            .filter(credit_lease::Column::Subject.eq(key.as_str()))
            .filter(credit_lease::Column::ExpiresAtMs.lte(now))
            .exec(&txn)
            .await?;
    }
    let free = total.saturating_sub(held).max(0);
    let granted = (free / SHARE_OF_FREE).max(need.as_nanos()).min(free);
    if granted > 0 {
        credit_lease::Entity::insert(credit_lease::ActiveModel {
            subject: Set(key),
            holder: Set(holder.to_owned()),
            amount_nanos: Set(granted),
            expires_at_ms: Set(now + ttl_ms),
        })
        .on_conflict(
            OnConflict::columns([credit_lease::Column::Subject, credit_lease::Column::Holder])
                .value(
                    credit_lease::Column::AmountNanos,
                    Expr::cust("credit_leases.amount_nanos + excluded.amount_nanos"),
                )
                .update_column(credit_lease::Column::ExpiresAtMs)
                .to_owned(),
        )
        .exec(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(Grant {
        granted: Nanos::from_nanos(granted),
        free_before: Nanos::from_nanos(free),
        lost_expired,
        limited_by,
    })
}

/// Locks the subject's row and reads what it holds in all: an organization's balance, a
/// key's limit less its spend in the current window. `None`: nothing to lease from (no
/// credit row yet, no such key, or a key without a limit).
///
/// The row is locked first (the usage writer takes it in the same order, then the leases): a
/// no-op update takes PostgreSQL's row lock; SQLite's IMMEDIATE transaction already holds the
/// database.
async fn lock_total(
    txn: &DatabaseTransaction,
    subject: &Subject,
) -> Result<Option<(i64, Option<String>)>, DbErr> {
    match subject {
        Subject::Org(org_id) => {
            let locked = org_credit::Entity::update_many()
                .col_expr(
                    org_credit::Column::BalanceNanos,
                    Expr::col(org_credit::Column::BalanceNanos),
                )
                .filter(org_credit::Column::OrgId.eq(org_id.as_str()))
                .exec(txn)
                .await?
                .rows_affected;
            if locked == 0 {
                return Ok(None);
            }
            Ok(org_credit::Entity::find_by_id(org_id.as_str())
                .one(txn)
                .await?
                .map(|row| (row.balance_nanos, None)))
        }
        Subject::Key(hash) => {
            let locked = api_key::Entity::update_many()
                .col_expr(
                    api_key::Column::LimitNanos,
                    Expr::col(api_key::Column::LimitNanos),
                )
                .filter(api_key::Column::Hash.eq(hash.as_str()))
                .exec(txn)
                .await?
                .rows_affected;
            if locked == 0 {
                return Ok(None);
            }
            let Some(key) = api_key::Entity::find_by_id(hash.as_str()).one(txn).await? else {
                return Ok(None);
            };
            Ok(KeyUsage::of(&key, chrono::Utc::now())
                .limit_remaining(&key)
                .map(|left| (left.as_nanos(), None)))
        }
        Subject::Budget(org_id) => {
            let locked = org_budget::Entity::update_many()
                .col_expr(
                    org_budget::Column::UpdatedAt,
                    Expr::col(org_budget::Column::UpdatedAt),
                )
                .filter(org_budget::Column::OrgId.eq(org_id.as_str()))
                .exec(txn)
                .await?
                .rows_affected;
            if locked == 0 {
                return Ok(None);
            }
            let Some(row) = org_budget::Entity::find_by_id(org_id.as_str())
                .one(txn)
                .await?
            else {
                return Ok(None);
            };
            let credit = org_credit::Entity::find_by_id(org_id.as_str())
                .one(txn)
                .await?;
            let budgets = Budgets {
                daily: row.daily_nanos.map(Nanos::from_nanos),
                weekly: row.weekly_nanos.map(Nanos::from_nanos),
                monthly: row.monthly_nanos.map(Nanos::from_nanos),
                lifetime: row.lifetime_nanos.map(Nanos::from_nanos),
            };
            Ok(budgets
                .remaining(credit.as_ref(), chrono::Utc::now())
                .map(|(left, label)| (left.as_nanos(), Some(label))))
        }
    }
}

/// Returns `amount` of `holder`'s lease on `subject` (the holder stopped counting it first).
/// A lease left with nothing and no debit in flight is deleted by the holder's next renewal.
pub async fn give_back(
    db: &impl ConnectionTrait,
    subject: &Subject,
    holder: &str,
    amount: Nanos,
) -> Result<(), DbErr> {
    if amount.as_nanos() <= 0 {
        return Ok(());
    }
    credit_lease::Entity::update_many()
        .col_expr(
            credit_lease::Column::AmountNanos,
            sea_orm::sea_query::ExprTrait::sub(
                Expr::col(credit_lease::Column::AmountNanos),
                amount.as_nanos(),
            ),
        )
        .filter(credit_lease::Column::Subject.eq(subject.key()))
        .filter(credit_lease::Column::Holder.eq(holder))
        .exec(db)
        .await?;
    Ok(())
}

/// Extends every live lease of `holder` to `ttl_ms` from now; returns how many it extended.
/// An expired lease is not revived: another holder may already have been granted its credit.
pub async fn renew(db: &DatabaseConnection, holder: &str, ttl_ms: i64) -> Result<u64, DbErr> {
    let now = now_ms();
    let renewed = credit_lease::Entity::update_many()
        .col_expr(credit_lease::Column::ExpiresAtMs, Expr::value(now + ttl_ms))
        .filter(credit_lease::Column::Holder.eq(holder))
        .filter(credit_lease::Column::ExpiresAtMs.gt(now))
        .exec(db)
        .await?
        .rows_affected;
    Ok(renewed)
}

/// Drops every lease of `holder` (at shutdown, after the usage writer's last batch).
pub async fn release_all(db: &DatabaseConnection, holder: &str) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    credit_lease::Entity::delete_many()
        .filter(credit_lease::Column::Holder.eq(holder))
        .exec(&txn)
        .await?;
    txn.commit().await
}
