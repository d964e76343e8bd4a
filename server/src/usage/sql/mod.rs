//! Where the usage writer's batches go: one module per database dialect, each writing a whole
//! batch of mixed records in one transaction, each kind with one statement (per chunk).
//!
//! This is the one place that bypasses SeaORM's query builder, for cost: a batch through
//! `insert_many` built 28 boxed values per row and copied them again on execution, which made
//! recording a generation cost about a quarter of the gateway's CPU under load. The dialect
//! modules bind each row's fields by reference instead. The entities stay the schema's
//! description; a test keeps [`GENERATION_COLUMNS`] in step with them.

mod postgres;
mod sqlite;

use std::collections::BTreeMap;
use std::str::FromStr;

use entity::{generation, generation_content};
use sea_orm::sqlx::PgPool;
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::{DatabaseBackend, DbErr};

use super::record::{Debit, UsageRecord};
use super::rollup::{self, Grain, Hourly, Period, Rollups};
use crate::billing::leases::{budget_key, key_key, org_key};
use crate::billing::money::Nanos;

/// The generation table's columns, in bind order (both dialects).
const GENERATION_COLUMNS: [&str; 37] = [
    "id",
    "org_id",
    "api_key_hash",
    "requested_model",
    "model",
    "provider",
    "upstream_id",
    "streamed",
    "cancelled",
    "finish_reason",
    "native_finish_reason",
    "tokens_prompt",
    "tokens_completion",
    "tokens_reasoning",
    "tokens_cached",
    "tokens_cache_write",
    "cost_nanos",
    "is_byok",
    "upstream_cost_nanos",
    "latency_ms",
    "generation_time_ms",
    "http_referer",
    "app_title",
    "user_agent",
    "external_user",
    "attempts",
    "error",
    "created_at",
    "capped_max_tokens",
    "api_type",
    "request_id",
    "status",
    "byok_fee_nanos",
    "native_tokens_prompt",
    "native_tokens_completion",
    "native_tokens_reasoning",
    "native_tokens_cached",
];

/// The generation contents' columns, in bind order (both dialects).
const CONTENT_COLUMNS: [&str; 7] = [
    "generation_id",
    "org_id",
    "request_body",
    "response_body",
    "request_truncated",
    "response_truncated",
    "created_at",
];

/// A batch's records grouped by kind, as the dialect modules write them.
#[derive(Debug, Default, PartialEq)]
struct ByKind<'a> {
    generations: Vec<&'a generation::Model>,
    /// Stored request and response bodies (opted-in organizations only).
    contents: Vec<&'a generation_content::Model>,
    /// Each key's spend summed over the batch, so that a busy key costs one update. In key
    /// order, so that the statements do not depend on arrival order.
    key_usage: BTreeMap<&'a str, KeySpend>,
    /// One ledger entry each.
    debits: Vec<&'a Debit>,
    /// Each organization's debits summed (its balance and spending change once per batch), in
    /// organization order: the lease acquisition locks the same rows in the same order.
    org_spend: BTreeMap<&'a str, Nanos>,
    /// Each lease's debits summed: (subject, holder) → amount (`org:<id>`, `key:<hash>`).
    lease_spend: BTreeMap<(String, &'a str), Nanos>,
    /// The generations summed per rollup row (each period and grain), one upsert each.
    rollups: Rollups<'a>,
}

/// One key's spend summed over a batch.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct KeySpend {
    usage: Nanos,
    byok_usage: Nanos,
}

impl<'a> ByKind<'a> {
    fn of(records: &'a [UsageRecord]) -> Self {
        let mut grouped = ByKind::default();
        let mut hourly = Hourly::default();
        // The leases each debit was spent from: (organization, holder, budget, key).
        let mut spent_from: BTreeMap<(&str, &str, bool, Option<&str>), Nanos> = BTreeMap::new();
        for record in records {
            match record {
                UsageRecord::Generation(generation) => {
                    hourly.add(generation);
                    grouped.generations.push(generation);
                }
                UsageRecord::Content(content) => grouped.contents.push(&content.0),
                UsageRecord::KeyUsage(spent) => {
                    let sum = grouped.key_usage.entry(&spent.key_hash).or_default();
                    sum.usage = sum.usage.saturating_add(spent.usage);
                    sum.byok_usage = sum.byok_usage.saturating_add(spent.byok_usage);
                }
                UsageRecord::Debit(debit) => {
                    grouped.debits.push(debit);
                    let org = grouped.org_spend.entry(&debit.org_id).or_default();
                    *org = org.saturating_add(debit.amount);
                    let leases = (
                        debit.org_id.as_str(),
                        &*debit.lease_holder,
                        debit.budget_lease,
                        debit.key_lease.as_deref(),
                    );
                    let spent = spent_from.entry(leases).or_default();
                    *spent = spent.saturating_add(debit.amount);
                }
            }
        }
        // Subjects are named once per distinct set of leases, not per debit.
        for ((org, holder, budget, key), spent) in spent_from {
            let subjects = std::iter::once(org_key(org))
                .chain(budget.then(|| budget_key(org)))
                .chain(key.map(key_key));
            for subject in subjects {
                let lease = grouped.lease_spend.entry((subject, holder)).or_default();
                *lease = lease.saturating_add(spent);
            }
        }
        grouped.rollups = hourly.fold();
        grouped
    }
}

#[derive(Debug, thiserror::Error)]
pub(super) enum WriteError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] sea_orm::sqlx::Error),
}

/// Every rollup table, in the order a batch writes them (that of [`Rollups`]' keys).
fn rollup_tables() -> impl Iterator<Item = (Period, Grain)> {
    Period::ALL
        .into_iter()
        .flat_map(|period| Grain::ALL.map(|grain| (period, grain)))
}

/// The upsert of one rollup table's rows: new rows inserted, existing rows' sums added to.
/// `values` is the statement's row source (`VALUES (?, ...)` or `SELECT * FROM UNNEST(...)`).
fn upsert_rollups(table: &str, values: &str) -> String {
    let columns = rollup::columns();
    let adds: Vec<String> = columns[rollup::KEY_COLUMNS.len()..]
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect();
    format!(
        "INSERT INTO {table} ({}) {values} ON CONFLICT ({}) DO UPDATE SET {}",
        columns.join(","),
        rollup::KEY_COLUMNS.join(","),
        adds.join(", ")
    )
}

impl WriteError {
    /// Whether the failure is the database's state rather than the records': the connection
    /// or the server is gone, a pool timed out, the file is busy or the disk full, a
    /// serialization failure or deadlock. Such a write is retried as it was; any other
    /// failure (a constraint violation, a value out of range) would fail again the same way.
    pub(super) fn is_transient(&self) -> bool {
        use rusqlite::ErrorCode as Code;
        use sea_orm::sqlx::Error as Sqlx;
        match self {
            WriteError::Sqlite(err) => matches!(
                err.sqlite_error_code(),
                Some(
                    Code::DatabaseBusy
                        | Code::DatabaseLocked
                        | Code::SystemIoFailure
                        | Code::DiskFull
                        | Code::CannotOpen
                        | Code::OutOfMemory
                        | Code::FileLockingProtocolFailed
                        | Code::SchemaChanged
                )
            ),
            WriteError::Postgres(err) => match err {
                // SQLSTATE classes: 08 connection, 40 transaction rollback (serialization,
                // deadlock), 53 insufficient resources, 57 operator intervention (shutdown),
                // 58 system error.
                Sqlx::Database(db) => db.code().is_some_and(|code| {
                    ["08", "40", "53", "57", "58"]
                        .iter()
                        .any(|class| code.starts_with(class))
                }),
                Sqlx::Io(_)
                | Sqlx::Tls(_)
                | Sqlx::Protocol(_)
                | Sqlx::PoolTimedOut
                | Sqlx::PoolClosed
                | Sqlx::WorkerCrashed
                | Sqlx::BeginFailed => true,
                _ => false,
            },
        }
    }
}

/// One connection, as the writer is a single sequential consumer.
pub(super) enum Store {
    /// Written synchronously on the writer's own thread (see [`sqlite`]).
    Sqlite(Box<sqlite::SqliteBatches>),
    Postgres(PgPool),
}

impl Store {
    pub(super) async fn open(url: &str) -> Result<Store, DbErr> {
        if url.starts_with("sqlite:") {
            // The file as sqlx resolves the URL, so both open the same database.
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| DbErr::Custom(format!("invalid SQLite URL: {e}")))?;
            let batches = sqlite::SqliteBatches::open(options.get_filename())
                .map_err(|e| DbErr::Custom(format!("cannot open the SQLite database: {e}")))?;
            return Ok(Store::Sqlite(Box::new(batches)));
        }
        // Short timeouts: while the database is unreachable a write fails within seconds
        // (and is retried, see `usage::commit`) instead of waiting in the pool unseen, so
        // the writer's failing state, which the hot path reads, is true.
        let mut options = sea_orm::ConnectOptions::new(url.to_owned());
        options
            .max_connections(1)
            .min_connections(1)
            .connect_timeout(std::time::Duration::from_secs(2))
            .acquire_timeout(std::time::Duration::from_secs(2))
            .sqlx_logging(false);
        let db = sea_orm::Database::connect(options).await?;
        match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                Ok(Store::Postgres(db.get_postgres_connection_pool().clone()))
            }
            other => Err(DbErr::Custom(format!("unsupported database: {other:?}"))),
        }
    }

    /// Whether every generation among `records` is already stored: after a commit whose
    /// acknowledgement was lost with the connection, the records were written. `false` when
    /// they hold no generation.
    pub(super) async fn committed(&mut self, records: &[UsageRecord]) -> Result<bool, WriteError> {
        let ids: Vec<&str> = ByKind::of(records)
            .generations
            .iter()
            .map(|g| g.id.as_str())
            .collect();
        if ids.is_empty() {
            return Ok(false);
        }
        let found = match self {
            Store::Sqlite(batches) => batches.count_generations(&ids)?,
            Store::Postgres(pool) => postgres::count_generations(pool, &ids).await?,
        };
        Ok(found == ids.len())
    }

    /// Writes all of `records` in one transaction.
    pub(super) async fn write(&mut self, records: &[UsageRecord]) -> Result<(), WriteError> {
        let batch = ByKind::of(records);
        let now = chrono::Utc::now();
        match self {
            Store::Sqlite(batches) => Ok(batches.write(&batch, now)?),
            Store::Postgres(pool) => Ok(postgres::write(pool, &batch, now).await?),
        }
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::Iterable;

    use super::*;
    use crate::usage::record::KeyUsage;
    use crate::usage::tests::generation;

    #[test]
    fn columns_follow_the_entity() {
        let entity: Vec<String> = generation::Column::iter()
            .map(|c| sea_orm::IdenStatic::as_str(&c).to_owned())
            .collect();
        assert_eq!(entity, GENERATION_COLUMNS);
        let entity: Vec<String> = generation_content::Column::iter()
            .map(|c| sea_orm::IdenStatic::as_str(&c).to_owned())
            .collect();
        assert_eq!(entity, CONTENT_COLUMNS);
    }

    #[test]
    fn a_batch_is_grouped_by_kind_with_spend_summed_per_key() {
        let at = chrono::Utc::now();
        let spent = |key: &str, cost, byok: Option<i64>| {
            UsageRecord::KeyUsage(KeyUsage::spent(
                key.into(),
                Nanos::from_nanos(cost),
                byok.map(Nanos::from_nanos),
            ))
        };
        let records = vec![
            UsageRecord::Generation(Box::new(generation(1, at))),
            spent("hot", 5, None),
            spent("cold", 2, Some(20)),
            UsageRecord::Generation(Box::new(generation(2, at))),
            spent("hot", 7, Some(70)),
            spent("hot", 1, None),
        ];
        let grouped = ByKind::of(&records);
        assert_eq!(grouped.generations.len(), 2);
        assert_eq!(grouped.generations[1].id, generation(2, at).id);
        let keys: Vec<_> = grouped.key_usage.into_iter().collect();
        assert_eq!(
            keys,
            [
                (
                    "cold",
                    KeySpend {
                        usage: Nanos::from_nanos(2),
                        byok_usage: Nanos::from_nanos(20)
                    }
                ),
                (
                    "hot",
                    KeySpend {
                        usage: Nanos::from_nanos(13),
                        byok_usage: Nanos::from_nanos(70)
                    }
                ),
            ]
        );
    }
}
