//! PostgreSQL: a batch is one transaction of one statement per record kind, each binding one
//! array per column (`UNNEST`), so a batch costs the same few round trips however many rows
//! it holds.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use entity::generation;
use sea_orm::sqlx::{self, Executor, Postgres};

use super::{ByKind, GENERATION_COLUMNS};

/// The PostgreSQL array type a generation column is bound as, for `UNNEST` (a new column of
/// another type fails the round-trip tests until it is added here).
fn array_type(column: &str) -> &'static str {
    match column {
        "streamed" | "cancelled" | "is_byok" => "bool[]",
        "tokens_prompt" | "tokens_completion" | "tokens_reasoning" | "tokens_cached"
        | "tokens_cache_write" | "cost_nanos" | "latency_ms" | "generation_time_ms" => "int8[]",
        "created_at" => "timestamptz[]",
        _ => "text[]",
    }
}

static INSERT_GENERATIONS: LazyLock<String> = LazyLock::new(|| {
    let params: Vec<String> = GENERATION_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, column)| format!("${}::{}", i + 1, array_type(column)))
        .collect();
    let select: Vec<String> = GENERATION_COLUMNS
        .iter()
        .map(|c| match *c {
            "attempts" => "attempts::json".to_owned(),
            c => c.to_owned(),
        })
        .collect();
    format!(
        "INSERT INTO generations ({cols}) SELECT {select} FROM UNNEST({params}) AS u({cols})",
        cols = GENERATION_COLUMNS.join(","),
        select = select.join(","),
        params = params.join(","),
    )
});

/// Adds each key's summed spend (the keys are distinct, see `ByKind::key_usage`).
const ADD_KEY_USAGE: &str = "UPDATE api_keys AS k SET \
     usage_nanos = k.usage_nanos + u.usage, \
     byok_usage_nanos = k.byok_usage_nanos + u.byok_usage, \
     last_used_at = $4 \
     FROM UNNEST($1::text[], $2::int8[], $3::int8[]) AS u(hash, usage, byok_usage) \
     WHERE k.hash = u.hash";

/// Writes the batch in one transaction.
pub(super) async fn write(
    pool: &sqlx::PgPool,
    batch: &ByKind<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut txn = pool.begin().await?;
    if !batch.generations.is_empty() {
        txn.execute(insert_generations(&batch.generations)).await?;
    }
    if !batch.key_usage.is_empty() {
        let hashes: Vec<&str> = batch.key_usage.keys().copied().collect();
        let usage: Vec<i64> = batch
            .key_usage
            .values()
            .map(|s| s.usage.as_nanos())
            .collect();
        let byok: Vec<i64> = batch
            .key_usage
            .values()
            .map(|s| s.byok_usage.as_nanos())
            .collect();
        let query = sqlx::query::<Postgres>(ADD_KEY_USAGE)
            .bind(hashes)
            .bind(usage)
            .bind(byok)
            .bind(now);
        txn.execute(query).await?;
    }
    txn.commit().await
}

fn insert_generations<'q>(
    rows: &'q [&'q generation::Model],
) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    let text =
        |f: fn(&generation::Model) -> &str| -> Vec<&str> { rows.iter().map(|r| f(r)).collect() };
    let opt = |f: fn(&generation::Model) -> Option<&str>| -> Vec<Option<&str>> {
        rows.iter().map(|r| f(r)).collect()
    };
    let int =
        |f: fn(&generation::Model) -> i64| -> Vec<i64> { rows.iter().map(|r| f(r)).collect() };
    let opt_int = |f: fn(&generation::Model) -> Option<i64>| -> Vec<Option<i64>> {
        rows.iter().map(|r| f(r)).collect()
    };
    let flag =
        |f: fn(&generation::Model) -> bool| -> Vec<bool> { rows.iter().map(|r| f(r)).collect() };
    let attempts: Vec<String> = rows.iter().map(|r| r.attempts.to_string()).collect();
    let created: Vec<DateTime<Utc>> = rows.iter().map(|r| r.created_at).collect();
    sqlx::query::<Postgres>(sqlx::AssertSqlSafe(INSERT_GENERATIONS.as_str()))
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
        .bind(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generation_insert_binds_one_array_per_column() {
        assert!(INSERT_GENERATIONS.contains("$27::timestamptz[]"));
        assert!(!INSERT_GENERATIONS.contains("$28"));
    }

    #[test]
    fn generation_columns_bind_as_their_types() {
        let count = |ty: &str| {
            GENERATION_COLUMNS
                .iter()
                .filter(|c| array_type(c) == ty)
                .count()
        };
        assert_eq!(count("bool[]"), 3);
        assert_eq!(count("int8[]"), 8);
        assert_eq!(count("timestamptz[]"), 1);
        assert_eq!(count("text[]"), 15);
        assert!(
            INSERT_GENERATIONS.contains("$8::bool[]") && INSERT_GENERATIONS.contains("$17::int8[]")
        );
    }
}
