//! SQLite: the usage writer's own connection to the database file, through rusqlite (the same
//! SQLite library that sqlx links), driven synchronously on the writer's thread.
//!
//! Why not the sqlx pool: sqlx runs every SQLite statement on a worker thread of its own and
//! hands each command and result across threads. For the writer that meant two threads
//! waking each other for every statement, and under load those context switches cost more
//! CPU than SQLite's own work (about a fifth of the gateway's CPU went to recording).
//! Here a batch is a handful of calls into SQLite on the thread that already holds it.
//!
//! Values are stored exactly as sqlx stores them, so SeaORM reads these rows like its own:
//! text, integers, booleans as 0/1, timestamps as RFC 3339 text (`to_rfc3339_opts(AutoSi)`).

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use entity::generation;
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use super::{ByKind, CONTENT_COLUMNS, GENERATION_COLUMNS, rollup_tables, upsert_rollups};
use crate::billing::periods::Periods;
use crate::usage::rollup::{self, Grain, Period};
use crate::usage::writer::give_way;

/// Rows per statement, largest first: a batch's generations are cut into these so that only
/// three statement texts exist and each is prepared once. Small enough that a statement takes
/// about a tenth of a millisecond, after which the writer gives way (see
/// [`crate::usage::writer::give_way`]).
const CHUNKS: [usize; 3] = [16, 4, 1];

/// One statement per key: SQLite runs in-process, so a prepared update per key costs no round
/// trip, and it is simpler than an `UPDATE ... FROM (VALUES ...)` in chunk sizes.
const ADD_KEY_USAGE: &str = "UPDATE api_keys SET usage_nanos = usage_nanos + ?1, \
     byok_usage_nanos = byok_usage_nanos + ?2, last_used_at = ?3, \
     usage_daily_nanos = CASE WHEN usage_day = ?5 THEN usage_daily_nanos ELSE 0 END + ?1, \
     byok_usage_daily_nanos = CASE WHEN usage_day = ?5 THEN byok_usage_daily_nanos ELSE 0 END + ?2, \
     usage_day = ?5, \
     usage_weekly_nanos = CASE WHEN usage_week = ?6 THEN usage_weekly_nanos ELSE 0 END + ?1, \
     byok_usage_weekly_nanos = CASE WHEN usage_week = ?6 THEN byok_usage_weekly_nanos ELSE 0 END + ?2, \
     usage_week = ?6, \
     usage_monthly_nanos = CASE WHEN usage_month = ?7 THEN usage_monthly_nanos ELSE 0 END + ?1, \
     byok_usage_monthly_nanos = CASE WHEN usage_month = ?7 THEN byok_usage_monthly_nanos ELSE 0 END + ?2, \
     usage_month = ?7 \
     WHERE hash = ?4";

/// Debits' ledger entries (spending is negative), `rows` a statement. `OR ROLLBACK` and
/// several rows a statement for the reasons given at [`insert_generations`]; here also because
/// the table's `AUTOINCREMENT` writes `sqlite_sequence` once per statement, not per row.
/// Measured with callgrind at concurrency 4: about 9 % fewer writer instructions per request
/// than one statement per debit (the per-statement bind, step and reset of each one-row insert).
fn insert_debits(rows: usize) -> String {
    format!(
        "INSERT OR ROLLBACK INTO ledger_entries \
         (org_id, kind, amount_nanos, reference, created_at) VALUES {}",
        vec!["(?, ?, -?, ?, ?)"; rows].join(",")
    )
}

/// An organization's summed debits off its cached balance.
const SPEND_BALANCE: &str = "INSERT INTO org_credit \
     (org_id, balance_nanos, purchased_nanos, spent_nanos, spent_day, spent_daily_nanos, \
      spent_week, spent_weekly_nanos, spent_month, spent_monthly_nanos, updated_at) \
     VALUES (?1, -?2, 0, ?2, ?4, ?2, ?5, ?2, ?6, ?2, ?3) \
     ON CONFLICT (org_id) DO UPDATE SET \
     balance_nanos = org_credit.balance_nanos - excluded.spent_nanos, \
     spent_nanos = org_credit.spent_nanos + excluded.spent_nanos, \
     spent_daily_nanos = CASE WHEN org_credit.spent_day = excluded.spent_day \
       THEN org_credit.spent_daily_nanos ELSE 0 END + excluded.spent_nanos, \
     spent_day = excluded.spent_day, \
     spent_weekly_nanos = CASE WHEN org_credit.spent_week = excluded.spent_week \
       THEN org_credit.spent_weekly_nanos ELSE 0 END + excluded.spent_nanos, \
     spent_week = excluded.spent_week, \
     spent_monthly_nanos = CASE WHEN org_credit.spent_month = excluded.spent_month \
       THEN org_credit.spent_monthly_nanos ELSE 0 END + excluded.spent_nanos, \
     spent_month = excluded.spent_month, \
     updated_at = excluded.updated_at";

/// A lease's summed debits off the lease they were spent from.
const SPEND_LEASE: &str =
    "UPDATE credit_leases SET amount_nanos = amount_nanos - ? WHERE subject = ? AND holder = ?";

/// `OR ROLLBACK`: a duplicate ends the whole transaction (as any failure does: the writer then
/// writes the batch again request by request), so SQLite keeps no statement journal, a copy
/// of every page the statement touches, to undo just the statement's rows.
fn insert_generations(rows: usize) -> String {
    let one = format!("({})", vec!["?"; GENERATION_COLUMNS.len()].join(","));
    format!(
        "INSERT OR ROLLBACK INTO generations ({}) VALUES {}",
        GENERATION_COLUMNS.join(","),
        vec![one; rows].join(",")
    )
}

/// One generation's stored bodies (rare: only organizations that opted in), one row a
/// statement.
fn insert_content() -> String {
    format!(
        "INSERT INTO generation_contents ({}) VALUES ({})",
        CONTENT_COLUMNS.join(","),
        vec!["?"; CONTENT_COLUMNS.len()].join(",")
    )
}

/// How sqlx encodes a `DateTime<Utc>` for SQLite, which is what SeaORM then reads and compares.
fn timestamp(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

pub struct SqliteBatches {
    conn: Connection,
    inserts: [String; 3],
    debits: [String; 3],
    /// The rollup upsert of each table.
    rollups: Vec<((Period, Grain), String)>,
}

impl SqliteBatches {
    /// Opens the database file that migrations already created, with the same settings as the
    /// pool's connections (see `db::connect`).
    pub fn open(path: &Path) -> rusqlite::Result<Self> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // Every statement a batch runs stays prepared (about twenty: three sizes each of the
        // generation and debit inserts, eight rollup upserts, the counters). rusqlite keeps 16
        // by default, and past that each batch parsed its statements again: a third of the
        // writer's instructions in callgrind once the debit inserts came in three sizes.
        conn.set_prepared_statement_cache_capacity(64);
        Ok(SqliteBatches {
            conn,
            inserts: CHUNKS.map(insert_generations),
            debits: CHUNKS.map(insert_debits),
            rollups: rollup_tables()
                .map(|(period, grain)| {
                    let params = vec!["?"; rollup::columns().len()].join(",");
                    let sql = upsert_rollups(period.table(grain), &format!("VALUES ({params})"));
                    ((period, grain), sql)
                })
                .collect(),
        })
    }

    /// How many of `ids` the generations table holds.
    pub(super) fn count_generations(&mut self, ids: &[&str]) -> rusqlite::Result<usize> {
        let mut exists = self
            .conn
            .prepare_cached("SELECT 1 FROM generations WHERE id = ?")?;
        let mut found = 0;
        for id in ids {
            found += usize::from(exists.exists([id])?);
        }
        Ok(found)
    }

    /// Writes the batch in one transaction.
    pub(super) fn write(&mut self, batch: &ByKind<'_>, now: DateTime<Utc>) -> rusqlite::Result<()> {
        // IMMEDIATE: take the write lock at BEGIN (see `db::begin_write`).
        let txn = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        insert_chunked(
            &txn,
            &self.inserts,
            &batch.generations,
            |statement, index, r| bind(statement, index, r),
        )?;
        if !batch.contents.is_empty() {
            let mut insert = txn.prepare_cached(&insert_content())?;
            for c in &batch.contents {
                insert.execute((
                    c.generation_id.as_str(),
                    c.org_id.as_str(),
                    c.request_body.as_deref(),
                    c.response_body.as_deref(),
                    c.request_truncated,
                    c.response_truncated,
                    timestamp(&c.created_at),
                ))?;
            }
        }
        for ((period, grain), sql) in &self.rollups {
            let mut upsert = txn.prepare_cached(sql)?;
            let rows = batch.rollups.iter();
            for ((_, _, key), sums) in rows.filter(|((p, g, _), _)| (p, g) == (period, grain)) {
                upsert.raw_bind_parameter(1, key.org_id)?;
                upsert.raw_bind_parameter(2, key.bucket)?;
                upsert.raw_bind_parameter(3, key.api_key_hash)?;
                upsert.raw_bind_parameter(4, key.model)?;
                upsert.raw_bind_parameter(5, key.provider)?;
                upsert.raw_bind_parameter(6, key.app)?;
                for (i, value) in sums.values().enumerate() {
                    upsert.raw_bind_parameter(7 + i, value)?;
                }
                upsert.raw_execute()?;
            }
        }
        let periods = Periods::at(now);
        if !batch.key_usage.is_empty() {
            let now = timestamp(&now);
            let mut add = txn.prepare_cached(ADD_KEY_USAGE)?;
            for (hash, spend) in &batch.key_usage {
                let (usage, byok) = (spend.usage.as_nanos(), spend.byok_usage.as_nanos());
                let (day, week, month) = (periods.day, periods.week, periods.month);
                add.execute((usage, byok, now.as_str(), hash, day, week, month))?;
            }
        }
        if !batch.debits.is_empty() {
            let now = timestamp(&now);
            insert_chunked(
                &txn,
                &self.debits,
                &batch.debits,
                |entries, index, debit| {
                    entries.raw_bind_parameter(index, debit.org_id.as_str())?;
                    entries.raw_bind_parameter(index + 1, debit.kind.as_str())?;
                    entries.raw_bind_parameter(index + 2, debit.amount.as_nanos())?;
                    entries.raw_bind_parameter(index + 3, debit.generation_id.as_str())?;
                    entries.raw_bind_parameter(index + 4, now.as_str())?;
                    Ok(index + 5)
                },
            )?;
            let mut balance = txn.prepare_cached(SPEND_BALANCE)?;
            let Periods { day, week, month } = periods;
            for (org, spent) in &batch.org_spend {
                balance.execute((org, spent.as_nanos(), now.as_str(), day, week, month))?;
            }
            let mut lease = txn.prepare_cached(SPEND_LEASE)?;
            for ((subject, holder), spent) in &batch.lease_spend {
                lease.execute((spent.as_nanos(), subject, holder))?;
            }
        }
        give_way();
        txn.commit()
    }
}

/// Inserts `rows` with `statements` (the [`CHUNKS`] sizes' texts, largest first): as many
/// of the largest as fit, then the smaller. `bind` binds one row from a parameter index and
/// returns the next. The writer gives way after each statement.
fn insert_chunked<T>(
    txn: &rusqlite::Transaction<'_>,
    statements: &[String; 3],
    rows: &[T],
    mut bind: impl FnMut(&mut rusqlite::CachedStatement<'_>, usize, &T) -> rusqlite::Result<usize>,
) -> rusqlite::Result<()> {
    let mut rest = rows;
    for (size, sql) in CHUNKS.iter().zip(statements) {
        if rest.len() < *size {
            continue;
        }
        let mut statement = txn.prepare_cached(sql)?;
        while rest.len() >= *size {
            let (chunk, tail) = rest.split_at(*size);
            let mut index = 1;
            for row in chunk {
                index = bind(&mut statement, index, row)?;
            }
            statement.raw_execute()?;
            rest = tail;
            give_way();
        }
    }
    Ok(())
}

/// Binds one record's columns in [`GENERATION_COLUMNS`] order from `index`; returns the next
/// index.
fn bind(
    statement: &mut rusqlite::CachedStatement<'_>,
    mut index: usize,
    r: &generation::Model,
) -> rusqlite::Result<usize> {
    let mut put = |value: &dyn rusqlite::ToSql| {
        let bound = statement.raw_bind_parameter(index, value);
        index += 1;
        bound
    };
    put(&r.id.as_str())?;
    put(&r.org_id.as_str())?;
    put(&r.api_key_hash.as_str())?;
    put(&r.requested_model.as_str())?;
    put(&r.model.as_str())?;
    put(&r.provider.as_deref())?;
    put(&r.upstream_id.as_deref())?;
    put(&r.streamed)?;
    put(&r.cancelled)?;
    put(&r.finish_reason.as_deref())?;
    put(&r.native_finish_reason.as_deref())?;
    put(&r.tokens_prompt)?;
    put(&r.tokens_completion)?;
    put(&r.tokens_reasoning)?;
    put(&r.tokens_cached)?;
    put(&r.tokens_cache_write)?;
    put(&r.cost_nanos)?;
    put(&r.is_byok)?;
    put(&r.upstream_cost_nanos)?;
    put(&r.latency_ms)?;
    put(&r.generation_time_ms)?;
    put(&r.http_referer.as_deref())?;
    put(&r.app_title.as_deref())?;
    put(&r.user_agent.as_deref())?;
    put(&r.external_user.as_deref())?;
    put(&r.attempts.get())?;
    put(&r.error.as_deref())?;
    put(&timestamp(&r.created_at))?;
    put(&r.capped_max_tokens)?;
    put(&r.api_type.as_str())?;
    put(&r.request_id.as_deref())?;
    put(&r.status)?;
    put(&r.byok_fee_nanos)?;
    put(&r.native_tokens_prompt)?;
    put(&r.native_tokens_completion)?;
    put(&r.native_tokens_reasoning)?;
    put(&r.native_tokens_cached)?;
    Ok(index)
}

#[cfg(test)]
mod tests {
    use sea_orm::{EntityTrait, QueryOrder};

    use super::*;
    use crate::usage::tests::generation;

    /// A fresh migrated database file in a folder of its own: (folder, file, pool).
    async fn migrated(
        name: &str,
    ) -> (
        std::path::PathBuf,
        std::path::PathBuf,
        sea_orm::DatabaseConnection,
    ) {
        let dir = std::env::temp_dir().join(format!("sqlite-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        std::fs::remove_file(&path).ok();
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let db = crate::db::connect(&url, 1).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        (dir, path, db)
    }

    /// Rows written here read back through SeaORM (sqlx) field for field, across all three
    /// statement sizes.
    #[tokio::test]
    async fn rows_read_back_through_seaorm_exactly() {
        let (dir, path, db) = migrated("batch").await;
        let at = DateTime::parse_from_rfc3339("2026-11-23T01:02:03.000456Z")
            .unwrap()
            .with_timezone(&Utc);
        let rows: Vec<_> = (0..64 + 8 + 3).map(|n| generation(n, at)).collect();
        let batch = ByKind {
            generations: rows.iter().collect(),
            ..ByKind::default()
        };
        let mut batches = SqliteBatches::open(&path).unwrap();
        batches.write(&batch, at).unwrap();

        let read = generation::Entity::find()
            .order_by_asc(generation::Column::Id)
            .all(&db)
            .await
            .unwrap();
        assert_eq!(read, rows);
        std::fs::remove_dir_all(&dir).ok();
    }

    /// Debits in every statement size become one ledger entry each, in batch order, with
    /// their kind, reference and negated amount.
    #[tokio::test]
    async fn debits_in_every_statement_size_are_one_entry_each() {
        use crate::billing::ledger::EntryKind;
        use crate::billing::money::Nanos;
        use crate::usage::record::Debit;
        use entity::ledger_entry;

        let (dir, path, db) = migrated("debits").await;
        let debits: Vec<Debit> = (0..16 + 4 + 3)
            .map(|n| Debit {
                org_id: format!("org_{}", n % 3),
                kind: if n % 5 == 0 {
                    EntryKind::ByokFee
                } else {
                    EntryKind::Generation
                },
                generation_id: format!("gen-{n:03}"),
                amount: Nanos::from_nanos(1_000 + n as i64),
                lease_holder: "holder".into(),
                key_lease: None,
                budget_lease: false,
            })
            .collect();
        let batch = ByKind {
            debits: debits.iter().collect(),
            ..ByKind::default()
        };
        let mut batches = SqliteBatches::open(&path).unwrap();
        batches.write(&batch, Utc::now()).unwrap();

        let read: Vec<_> = ledger_entry::Entity::find()
            .order_by_asc(ledger_entry::Column::Id)
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.org_id, e.kind, e.amount_nanos, e.reference))
            .collect();
        let expected: Vec<_> = debits
            .iter()
            .map(|d| {
                let kind = d.kind.as_str().to_owned();
                let reference = Some(d.generation_id.clone());
                (d.org_id.clone(), kind, -d.amount.as_nanos(), reference)
            })
            .collect();
        assert_eq!(read, expected);
        std::fs::remove_dir_all(&dir).ok();
    }
}
