//! The usage writer's statements, in plain SQL. This is the one place that bypasses SeaORM's
//! query builder, for cost: a batch through `insert_many` built 28 boxed values per row and
//! copied them again on execution, which made recording a generation cost about a quarter of
//! the gateway's CPU under load. Here each row's fields are bound by reference: one `UNNEST`
//! insert per batch on PostgreSQL (below), fixed-size multi-row `INSERT`s on SQLite
//! ([`super::sqlite_batch`]). The entity stays the schema's description; a test keeps
//! [`COLUMNS`] in step with it.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use entity::generation;
use sea_orm::sqlx::{self, Executor, Postgres};

/// The generation table's columns, in bind order.
pub const COLUMNS: [&str; 27] = [
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
    "latency_ms",
    "generation_time_ms",
    "http_referer",
    "app_title",
    "user_agent",
    "external_user",
    "attempts",
    "error",
    "created_at",
];

/// PostgreSQL array types of the columns, in order, for `UNNEST`.
const PG_ARRAY_TYPES: [&str; 27] = [
    "text[]",
    "text[]",
    "text[]",
    "text[]",
    "text[]",
    "text[]",
    "text[]",
    "bool[]",
    "bool[]",
    "text[]",
    "text[]",
    "int8[]",
    "int8[]",
    "int8[]",
    "int8[]",
    "int8[]",
    "int8[]",
    "bool[]",
    "int8[]",
    "int8[]",
    "text[]",
    "text[]",
    "text[]",
    "text[]",
    "text[]",
    "text[]",
    "timestamptz[]",
];

static PG_INSERT: LazyLock<String> = LazyLock::new(|| {
    let params: Vec<String> = PG_ARRAY_TYPES
        .iter()
        .enumerate()
        .map(|(i, ty)| format!("${}::{ty}", i + 1))
        .collect();
    let select: Vec<String> = COLUMNS
        .iter()
        .map(|c| match *c {
            "attempts" => "attempts::json".to_owned(),
            c => c.to_owned(),
        })
        .collect();
    format!(
        "INSERT INTO generations ({cols}) SELECT {select} FROM UNNEST({params}) AS u({cols})",
        cols = COLUMNS.join(","),
        select = select.join(","),
        params = params.join(","),
    )
});

pub(super) const KEY_USAGE_SQLITE: &str = "UPDATE api_keys SET usage_nanos = usage_nanos + ?, \
     byok_usage_nanos = byok_usage_nanos + ?, last_used_at = ? WHERE hash = ?";
const KEY_USAGE_PG: &str = "UPDATE api_keys SET usage_nanos = usage_nanos + $1, \
     byok_usage_nanos = byok_usage_nanos + $2, last_used_at = $3 WHERE hash = $4";

/// Each key's spend in the batch: `(credit nanos, BYOK nanos)`.
pub(super) fn spend_per_key(batch: &[generation::Model]) -> HashMap<&str, (i64, i64)> {
    let mut per_key: HashMap<&str, (i64, i64)> = HashMap::new();
    for record in batch {
        let entry = per_key.entry(record.api_key_hash.as_str()).or_default();
        if record.is_byok {
            entry.1 += record.cost_nanos;
        } else {
            entry.0 += record.cost_nanos;
        }
    }
    per_key
}

/// Writes the batch's generation rows and each key's usage counters in one transaction, on
/// PostgreSQL (SQLite's counterpart is [`super::sqlite_batch`]).
pub async fn write_postgres(
    pool: &sqlx::PgPool,
    batch: &[generation::Model],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let text = |f: fn(&generation::Model) -> &str| -> Vec<&str> { batch.iter().map(f).collect() };
    let opt = |f: fn(&generation::Model) -> Option<&str>| -> Vec<Option<&str>> {
        batch.iter().map(f).collect()
    };
    let int = |f: fn(&generation::Model) -> i64| -> Vec<i64> { batch.iter().map(f).collect() };
    let opt_int = |f: fn(&generation::Model) -> Option<i64>| -> Vec<Option<i64>> {
        batch.iter().map(f).collect()
    };
    let flag = |f: fn(&generation::Model) -> bool| -> Vec<bool> { batch.iter().map(f).collect() };
    let attempts: Vec<String> = batch.iter().map(|r| r.attempts.to_string()).collect();
    let created: Vec<DateTime<Utc>> = batch.iter().map(|r| r.created_at).collect();
    let query = sqlx::query::<Postgres>(sqlx::AssertSqlSafe(PG_INSERT.as_str()))
        .bind(text(|r| &r.id))
        .bind(text(|r| &r.org_id))
        .bind(text(|r| &r.api_key_hash))
        .bind(text(|r| &r.requested_model))
        .bind(text(|r| &r.model))
        .bind(opt(|r| r.provider.as_deref()))
        .bind(opt(|r| r.upstream_id.as_deref()))
        .bind(flag(|r| r.streamed))
        .bind(flag(|r| r.cancelled))
        .bind(opt(|r| r.finish_reason.as_deref()))
        .bind(opt(|r| r.native_finish_reason.as_deref()))
        .bind(int(|r| r.tokens_prompt))
        .bind(int(|r| r.tokens_completion))
        .bind(int(|r| r.tokens_reasoning))
        .bind(int(|r| r.tokens_cached))
        .bind(int(|r| r.tokens_cache_write))
        .bind(int(|r| r.cost_nanos))
        .bind(flag(|r| r.is_byok))
        .bind(opt_int(|r| r.latency_ms))
        .bind(opt_int(|r| r.generation_time_ms))
        .bind(opt(|r| r.http_referer.as_deref()))
        .bind(opt(|r| r.app_title.as_deref()))
        .bind(opt(|r| r.user_agent.as_deref()))
        .bind(opt(|r| r.external_user.as_deref()))
        .bind(attempts)
        .bind(opt(|r| r.error.as_deref()))
        .bind(created);
    let mut txn = pool.begin().await?;
    txn.execute(query).await?;
    for (hash, (usage, byok)) in spend_per_key(batch) {
        let query = sqlx::query::<Postgres>(KEY_USAGE_PG)
            .bind(usage)
            .bind(byok)
            .bind(now)
            .bind(hash);
        txn.execute(query).await?;
    }
    txn.commit().await
}

#[cfg(test)]
mod tests {
    use sea_orm::Iterable;

    use super::*;

    #[test]
    fn columns_follow_the_entity() {
        let entity: Vec<String> = generation::Column::iter()
            .map(|c| sea_orm::IdenStatic::as_str(&c).to_owned())
            .collect();
        assert_eq!(entity, COLUMNS);
        assert_eq!(PG_ARRAY_TYPES.len(), COLUMNS.len());
    }

    #[test]
    fn the_postgres_insert_binds_one_array_per_column() {
        assert!(PG_INSERT.contains("$27::timestamptz[]"));
        assert!(!PG_INSERT.contains("$28"));
    }
}
