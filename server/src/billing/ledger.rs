//! The credit ledger: every change of an organization's credit is one appended entry, and the
//! balance is their sum. `org_credit` caches the sums, updated in the same transaction as each
//! entry (here for purchases, grants and refunds; in the usage writer's batch for generation
//! debits), and [`reconcile`] proves the cache equals the ledger.
//!
//! Posting is idempotent per `(kind, reference)`: a Stripe event delivered twice, or a
//! Checkout Session confirmed by both the webhook and the return page, credits once. Spending
//! (`is_spend`) is the exception: a generation's debit commits with the generation, whose
//! primary key refuses a second write, so the unique index leaves those kinds out (one index
//! fewer for the writer to maintain per request).

use chrono::Utc;
use entity::{ledger_entry, org_credit};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, SqlErr, Statement,
    TransactionTrait,
};

use super::money::Nanos;

/// What an entry records. Amounts are signed: credit positive, spending negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// What the customer paid for credit, gross (the fee is a separate, negative entry).
    Purchase,
    /// The platform's fee on a purchase or top-up (negative): purchase + fee = credit bought.
    PurchaseFee,
    /// Credit taken back because the payment was refunded (negative).
    Refund,
    /// Credit a platform admin gave (positive), with a reason.
    Grant,
    /// A platform admin's correction (either sign), with a reason.
    Adjustment,
    /// A generation's cost (negative), referenced by the generation id.
    Generation,
    /// The fee for a generation served with the organization's own provider key (negative).
    ByokFee,
    /// An automatic top-up's payment, gross (positive).
    AutoTopup,
}

impl EntryKind {
    pub const ALL: [EntryKind; 8] = [
        EntryKind::Purchase,
        EntryKind::PurchaseFee,
        EntryKind::Refund,
        EntryKind::Grant,
        EntryKind::Adjustment,
        EntryKind::Generation,
        EntryKind::ByokFee,
        EntryKind::AutoTopup,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Purchase => "purchase",
            EntryKind::PurchaseFee => "purchase_fee",
            EntryKind::Refund => "refund",
            EntryKind::Grant => "grant",
            EntryKind::Adjustment => "adjustment",
            EntryKind::Generation => "generation",
            EntryKind::ByokFee => "byok_fee",
            EntryKind::AutoTopup => "auto_topup",
        }
    }

    pub fn parse(name: &str) -> Option<EntryKind> {
        EntryKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Counts toward lifetime purchases (the free tier and the `:free` daily cap follow them).
    pub fn is_purchase(self) -> bool {
        matches!(
            self,
            EntryKind::Purchase | EntryKind::PurchaseFee | EntryKind::AutoTopup
        )
    }

    /// Counts as spending (`total_usage` of `/credits`).
    pub fn is_spend(self) -> bool {
        matches!(self, EntryKind::Generation | EntryKind::ByokFee)
    }
}

/// An entry to append.
#[derive(Clone, Debug)]
pub struct NewEntry {
    pub org_id: String,
    pub kind: EntryKind,
    pub amount: Nanos,
    /// Unique per kind when given: the same reference posts once.
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub actor_user_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    /// Appended; the organization's balance after it.
    Applied { entry_id: i64, balance: Nanos },
    /// An entry of this kind and reference exists already: nothing changed.
    Duplicate,
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("the organization's {0} would overflow")]
    Overflow(&'static str),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// An organization's credit sums (all zero before its first entry).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CreditSums {
    pub balance: Nanos,
    pub purchased: Nanos,
    pub spent: Nanos,
}

impl From<org_credit::Model> for CreditSums {
    fn from(row: org_credit::Model) -> Self {
        CreditSums {
            balance: Nanos::from_nanos(row.balance_nanos),
            purchased: Nanos::from_nanos(row.purchased_nanos),
            spent: Nanos::from_nanos(row.spent_nanos),
        }
    }
}

/// Appends `entry` and updates the organization's cached sums, in one transaction.
pub async fn post(db: &DatabaseConnection, entry: NewEntry) -> Result<Posted, LedgerError> {
    let txn = crate::db::begin_write(db).await?;
    let posted = post_in(&txn, entry).await;
    match posted {
        Ok(Posted::Applied { .. }) => txn.commit().await?,
        // PostgreSQL has aborted the transaction after the unique violation.
        _ => txn.rollback().await?,
    }
    posted
}

/// [`post`] inside the caller's write transaction (with, say, its audit record). On
/// [`Posted::Duplicate`] or an error the caller must roll back: PostgreSQL has aborted it.
pub async fn post_in(txn: &DatabaseTransaction, entry: NewEntry) -> Result<Posted, LedgerError> {
    let now = Utc::now();
    let (org_id, kind, amount) = (entry.org_id.clone(), entry.kind, entry.amount);
    let inserted = ledger_entry::Entity::insert(ledger_entry::ActiveModel {
        org_id: Set(entry.org_id),
        kind: Set(kind.as_str().to_owned()),
        amount_nanos: Set(amount.as_nanos()),
        reference: Set(entry.reference),
        reason: Set(entry.reason),
        actor_user_id: Set(entry.actor_user_id),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(txn)
    .await;
    let entry_id = match inserted {
        Ok(done) => done.last_insert_id,
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return Ok(Posted::Duplicate);
        }
        Err(err) => return Err(err.into()),
    };
    let before = sums(txn, &org_id).await?;
    let after = CreditSums {
        balance: before
            .balance
            .checked_add(amount)
            .ok_or(LedgerError::Overflow("balance"))?,
        purchased: if kind.is_purchase() {
            before
                .purchased
                .checked_add(amount)
                .ok_or(LedgerError::Overflow("purchases"))?
        } else {
            before.purchased
        },
        spent: if kind.is_spend() {
            before
                .spent
                .checked_sub(amount)
                .ok_or(LedgerError::Overflow("spending"))?
        } else {
            before.spent
        },
    };
    // The write transaction holds the row (PostgreSQL) or the database (SQLite), so the
    // values read above are still current.
    org_credit::Entity::insert(org_credit::ActiveModel {
        org_id: Set(org_id),
        balance_nanos: Set(after.balance.as_nanos()),
        purchased_nanos: Set(after.purchased.as_nanos()),
        spent_nanos: Set(after.spent.as_nanos()),
        // Only the usage writer debits spending; a new row starts its periods empty.
        spent_day: Set(0),
        spent_daily_nanos: Set(0),
        spent_week: Set(0),
        spent_weekly_nanos: Set(0),
        spent_month: Set(0),
        spent_monthly_nanos: Set(0),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(org_credit::Column::OrgId)
            .update_columns([
                org_credit::Column::BalanceNanos,
                org_credit::Column::PurchasedNanos,
                org_credit::Column::SpentNanos,
                org_credit::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(txn)
    .await?;
    Ok(Posted::Applied {
        entry_id,
        balance: after.balance,
    })
}

/// An organization's credit sums as the cache holds them.
pub async fn sums(db: &impl ConnectionTrait, org_id: &str) -> Result<CreditSums, DbErr> {
    Ok(org_credit::Entity::find_by_id(org_id)
        .one(db)
        .await?
        .map(CreditSums::from)
        .unwrap_or_default())
}

/// Every organization's entries created in `[since, until)`, summed per kind (platform
/// analytics: purchases and fees over a range).
pub async fn sums_by_kind(
    db: &impl ConnectionTrait,
    since: chrono::DateTime<Utc>,
    until: chrono::DateTime<Utc>,
) -> Result<Vec<(EntryKind, Nanos)>, DbErr> {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};
    let query = Query::select()
        .column(ledger_entry::Column::Kind)
        .expr(Expr::cust("CAST(SUM(amount_nanos) AS BIGINT)"))
        .from(ledger_entry::Entity)
        .and_where(Expr::col(ledger_entry::Column::CreatedAt).gte(since))
        .and_where(Expr::col(ledger_entry::Column::CreatedAt).lt(until))
        .group_by_col(ledger_entry::Column::Kind)
        .to_owned();
    let mut sums = Vec::new();
    for row in db.query_all(&query).await? {
        let kind: String = row.try_get_by_index(0)?;
        let sum: Option<i64> = row.try_get_by_index(1)?;
        if let Some(kind) = EntryKind::parse(&kind) {
            sums.push((kind, Nanos::from_nanos(sum.unwrap_or(0))));
        }
    }
    Ok(sums)
}

/// Every organization's lifetime purchases that are above zero (the `:free` cap's input).
pub async fn purchases(db: &DatabaseConnection) -> Result<Vec<(String, Nanos)>, DbErr> {
    let rows = org_credit::Entity::find()
        .filter(org_credit::Column::PurchasedNanos.gt(0))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.org_id, Nanos::from_nanos(r.purchased_nanos)))
        .collect())
}

/// A page of an organization's entries, newest first, strictly before the entry id `before`.
pub async fn entries(
    db: &DatabaseConnection,
    org_id: &str,
    kinds: &[EntryKind],
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<ledger_entry::Model>, DbErr> {
    let mut query = ledger_entry::Entity::find().filter(ledger_entry::Column::OrgId.eq(org_id));
    if let Some(before) = before {
        query = query.filter(ledger_entry::Column::Id.lt(before));
    }
    if !kinds.is_empty() {
        query = query.filter(ledger_entry::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())));
    }
    query
        .order_by_desc(ledger_entry::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// An organization whose cached sums disagree with its ledger.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Mismatch {
    pub org_id: String,
    /// What the ledger adds up to.
    pub ledger: SumsView,
    /// What `org_credit` holds.
    pub cached: SumsView,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SumsView {
    pub balance_nanos: i64,
    pub purchased_nanos: i64,
    pub spent_nanos: i64,
}

impl From<CreditSums> for SumsView {
    fn from(s: CreditSums) -> Self {
        SumsView {
            balance_nanos: s.balance.as_nanos(),
            purchased_nanos: s.purchased.as_nanos(),
            spent_nanos: s.spent.as_nanos(),
        }
    }
}

/// The reconcile check's answer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Reconciliation {
    /// Organizations with a ledger or a cached balance.
    pub organizations: u64,
    pub mismatches: Vec<Mismatch>,
}

#[derive(FromQueryResult)]
struct LedgerSums {
    org_id: String,
    balance: i64,
    purchased: i64,
    spent: i64,
}

/// Sums every organization's ledger and compares it with the cached sums, in one read
/// transaction (a consistent snapshot on PostgreSQL; SQLite reads one snapshot per
/// transaction in WAL mode as well).
pub async fn reconcile(db: &DatabaseConnection) -> Result<Reconciliation, DbErr> {
    let purchase_kinds = kinds_sql(EntryKind::is_purchase);
    let spend_kinds = kinds_sql(EntryKind::is_spend);
    // Sums as text-free integers: CAST keeps PostgreSQL's SUM(int8) (a numeric) an int8.
    let sql = format!(
        "SELECT org_id, \
           CAST(COALESCE(SUM(amount_nanos), 0) AS BIGINT) AS balance, \
           CAST(COALESCE(SUM(CASE WHEN kind IN ({purchase_kinds}) THEN amount_nanos ELSE 0 END), 0) AS BIGINT) AS purchased, \
           CAST(COALESCE(SUM(CASE WHEN kind IN ({spend_kinds}) THEN -amount_nanos ELSE 0 END), 0) AS BIGINT) AS spent \
         FROM ledger_entries GROUP BY org_id"
    );
    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    let ledger = LedgerSums::find_by_statement(Statement::from_string(backend, sql))
        .all(&txn)
        .await?;
    let cached = org_credit::Entity::find().all(&txn).await?;
    txn.commit().await?;

    let mut by_org: std::collections::BTreeMap<String, (CreditSums, CreditSums)> =
        Default::default();
    for row in ledger {
        by_org.entry(row.org_id).or_default().0 = CreditSums {
            balance: Nanos::from_nanos(row.balance),
            purchased: Nanos::from_nanos(row.purchased),
            spent: Nanos::from_nanos(row.spent),
        };
    }
    for row in cached {
        let org_id = row.org_id.clone();
        by_org.entry(org_id).or_default().1 = row.into();
    }
    let organizations = by_org.len() as u64;
    let mismatches = by_org
        .into_iter()
        .filter(|(_, (ledger, cached))| ledger != cached)
        .map(|(org_id, (ledger, cached))| Mismatch {
            org_id,
            ledger: ledger.into(),
            cached: cached.into(),
        })
        .collect();
    Ok(Reconciliation {
        organizations,
        mismatches,
    })
}

fn kinds_sql(which: fn(EntryKind) -> bool) -> String {
    EntryKind::ALL
        .into_iter()
        .filter(|k| which(*k))
        .map(|k| format!("'{}'", k.as_str()))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::EntryKind;

    /// The ledger's unique index leaves out exactly the spending kinds, by name (migration
    /// `m20261208_000014_ledger_spend_references`): a new spending kind needs it updated.
    #[test]
    fn the_kinds_without_a_unique_reference_are_the_spending_kinds() {
        let spending: Vec<&str> = EntryKind::ALL
            .into_iter()
            .filter(|k| k.is_spend())
            .map(EntryKind::as_str)
            .collect();
        assert_eq!(spending, ["generation", "byok_fee"]);
    }
}
