//! The usage writer's SQLite store: its own connection to the database file, through rusqlite
//! (the same SQLite library that sqlx links), driven synchronously on the writer's thread.
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

use super::batch_sql::{COLUMNS, KEY_USAGE_SQLITE, spend_per_key};

/// Rows per statement, largest first: a batch is cut into these so that only three statement
/// texts exist and each is prepared once (64 rows bind 1,728 parameters, far under SQLite's
/// 32,766).
const CHUNKS: [usize; 3] = [64, 8, 1];

fn insert(rows: usize) -> String {
    let one = format!("({})", vec!["?"; COLUMNS.len()].join(","));
    format!(
        "INSERT INTO generations ({}) VALUES {}",
        COLUMNS.join(","),
        vec![one; rows].join(",")
    )
}

/// How sqlx encodes a `DateTime<Utc>` for SQLite, which is what SeaORM then reads and compares.
fn timestamp(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

pub struct SqliteBatches {
    conn: Connection,
    inserts: [String; 3],
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
        Ok(SqliteBatches {
            conn,
            inserts: CHUNKS.map(insert),
        })
    }

    /// Writes the batch's generation rows and each key's usage counters in one transaction.
    pub fn write(
        &mut self,
        batch: &[generation::Model],
        now: DateTime<Utc>,
    ) -> rusqlite::Result<()> {
        // IMMEDIATE: take the write lock at BEGIN (see `db::begin_write`).
        let txn = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut rest = batch;
        for (size, sql) in CHUNKS.iter().zip(self.inserts.iter()) {
            if rest.len() < *size {
                continue;
            }
            let mut statement = txn.prepare_cached(sql)?;
            while rest.len() >= *size {
                let (chunk, tail) = rest.split_at(*size);
                let mut index = 1;
                for record in chunk {
                    index = bind(&mut statement, index, record)?;
                }
                statement.raw_execute()?;
                rest = tail;
            }
        }
        let now = timestamp(&now);
        let mut usage = txn.prepare_cached(KEY_USAGE_SQLITE)?;
        for (hash, (credit, byok)) in spend_per_key(batch) {
            usage.execute((credit, byok, now.as_str(), hash))?;
        }
        drop(usage);
        txn.commit()
    }
}

/// Binds one record's columns in [`COLUMNS`] order from `index`; returns the next index.
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
    put(&r.latency_ms)?;
    put(&r.generation_time_ms)?;
    put(&r.http_referer.as_deref())?;
    put(&r.app_title.as_deref())?;
    put(&r.user_agent.as_deref())?;
    put(&r.external_user.as_deref())?;
    put(&r.attempts.to_string())?;
    put(&r.error.as_deref())?;
    put(&timestamp(&r.created_at))?;
    Ok(index)
}

#[cfg(test)]
mod tests {
    use sea_orm::{EntityTrait, QueryOrder};

    use super::*;

    fn record(n: usize, at: DateTime<Utc>) -> generation::Model {
        generation::Model {
            id: format!("gen-{n:05}"),
            org_id: "org-1".into(),
            api_key_hash: if n.is_multiple_of(2) {
                "key-a"
            } else {
                "key-b"
            }
            .into(),
            requested_model: "openai/gpt-4o-mini".into(),
            model: "openai/gpt-4o-mini".into(),
            provider: (!n.is_multiple_of(3)).then(|| "OpenAI".into()),
            upstream_id: Some(format!("chatcmpl-{n}")),
            streamed: !n.is_multiple_of(2),
            cancelled: n.is_multiple_of(5),
            finish_reason: Some("stop".into()),
            native_finish_reason: None,
            tokens_prompt: n as i64,
            tokens_completion: 2 * n as i64,
            tokens_reasoning: 0,
            tokens_cached: 1,
            tokens_cache_write: 0,
            cost_nanos: 1_000 + n as i64,
            is_byok: n.is_multiple_of(4),
            latency_ms: Some(12),
            generation_time_ms: None,
            http_referer: Some("https://app.example".into()),
            app_title: None,
            user_agent: Some("it's \"quoted\" ✓".into()),
            external_user: None,
            attempts: serde_json::json!([{"provider": "OpenAI", "status": 200}]),
            error: None,
            created_at: at + chrono::Duration::microseconds(n as i64 * 1_234),
        }
    }

    /// Rows written here read back through SeaORM (sqlx) field for field, across all three
    /// statement sizes.
    #[tokio::test]
    async fn rows_read_back_through_seaorm_exactly() {
        let dir = std::env::temp_dir().join(format!("sqlite-batch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.sqlite");
        std::fs::remove_file(&path).ok();
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let db = crate::db::connect(&url, 1).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-23T01:02:03.000456Z")
            .unwrap()
            .with_timezone(&Utc);
        let batch: Vec<_> = (0..64 + 8 + 3).map(|n| record(n, at)).collect();
        let mut batches = SqliteBatches::open(&path).unwrap();
        batches.write(&batch, at).unwrap();

        let read = generation::Entity::find()
            .order_by_asc(generation::Column::Id)
            .all(&db)
            .await
            .unwrap();
        assert_eq!(read, batch);
        std::fs::remove_dir_all(&dir).ok();
    }
}
