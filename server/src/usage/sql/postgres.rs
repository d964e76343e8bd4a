//! PostgreSQL: a batch is one transaction of one statement per record kind, each binding one
//! array per column (`UNNEST`), so a batch costs the same few round trips however many rows
//! it holds.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use entity::{generation, generation_content};
use sea_orm::sqlx::{self, Executor, Postgres};

use super::{ByKind, CONTENT_COLUMNS, GENERATION_COLUMNS, rollup_tables, upsert_rollups};
use crate::billing::periods::Periods;
use crate::usage::rollup::{self, Grain, Period};

/// The PostgreSQL array type a generation column is bound as, for `UNNEST` (a new column of
/// another type fails the round-trip tests until it is added here).
fn array_type(column: &str) -> &'static str {
    match column {
        "streamed" | "cancelled" | "is_byok" => "bool[]",
        "tokens_prompt"
        | "tokens_completion"
        | "tokens_reasoning"
        | "tokens_cached"
        | "tokens_cache_write"
        | "cost_nanos"
        | "upstream_cost_nanos"
        | "latency_ms"
        | "generation_time_ms"
        | "capped_max_tokens"
        | "byok_fee_nanos"
        | "native_tokens_prompt"
        | "native_tokens_completion"
        | "native_tokens_reasoning"
        | "native_tokens_cached" => "int8[]",
        "status" => "int4[]",
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

/// Each rollup table's upsert, binding one array per column.
static UPSERT_ROLLUPS: LazyLock<Vec<((Period, Grain), String)>> = LazyLock::new(|| {
    let params: Vec<String> = rollup::columns()
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let ty = if rollup::KEY_COLUMNS.contains(&column.as_str()) && column != "bucket" {
                "text[]"
            } else {
                "int8[]"
            };
            format!("${}::{ty}", i + 1)
        })
        .collect();
    let source = format!("SELECT * FROM UNNEST({})", params.join(","));
    rollup_tables()
        .map(|(period, grain)| {
            (
                (period, grain),
                upsert_rollups(period.table(grain), &source),
            )
        })
        .collect()
});

/// Generations' stored bodies, one array per column.
static INSERT_CONTENTS: LazyLock<String> = LazyLock::new(|| {
    let types = [
        "text[]",
        "text[]",
        "text[]",
        "text[]",
        "bool[]",
        "bool[]",
        "timestamptz[]",
    ];
    let params: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(i, ty)| format!("${}::{ty}", i + 1))
        .collect();
    format!(
        "INSERT INTO generation_contents ({cols}) SELECT * FROM UNNEST({params})",
        cols = CONTENT_COLUMNS.join(","),
        params = params.join(","),
    )
});

/// Adds each key's summed spend (the keys are distinct, see `ByKind::key_usage`).
const ADD_KEY_USAGE: &str = "UPDATE api_keys AS k SET \
     usage_nanos = k.usage_nanos + u.usage, \
     byok_usage_nanos = k.byok_usage_nanos + u.byok_usage, \
     last_used_at = $4, \
     usage_daily_nanos = CASE WHEN k.usage_day = $5 THEN k.usage_daily_nanos ELSE 0 END + u.usage, \
     byok_usage_daily_nanos = CASE WHEN k.usage_day = $5 THEN k.byok_usage_daily_nanos ELSE 0 END + u.byok_usage, \
     usage_day = $5, \
     usage_weekly_nanos = CASE WHEN k.usage_week = $6 THEN k.usage_weekly_nanos ELSE 0 END + u.usage, \
     byok_usage_weekly_nanos = CASE WHEN k.usage_week = $6 THEN k.byok_usage_weekly_nanos ELSE 0 END + u.byok_usage, \
     usage_week = $6, \
     usage_monthly_nanos = CASE WHEN k.usage_month = $7 THEN k.usage_monthly_nanos ELSE 0 END + u.usage, \
     byok_usage_monthly_nanos = CASE WHEN k.usage_month = $7 THEN k.byok_usage_monthly_nanos ELSE 0 END + u.byok_usage, \
     usage_month = $7 \
     FROM UNNEST($1::text[], $2::int8[], $3::int8[]) AS u(hash, usage, byok_usage) \
     WHERE k.hash = u.hash";

/// One ledger entry per debit (negative amounts: spending).
const INSERT_DEBITS: &str = "INSERT INTO ledger_entries \
     (org_id, kind, amount_nanos, reference, created_at) \
     SELECT o, k, -a, r, $5 FROM UNNEST($1::text[], $2::text[], $3::int8[], $4::text[]) AS u(o, k, a, r)";

/// Each organization's summed debits off its cached balance (a row is created for an
/// organization spending before any credit, which a lease never allows but a
/// zero-completion refusal path must not fail on).
const SPEND_BALANCES: &str = "INSERT INTO org_credit \
     (org_id, balance_nanos, purchased_nanos, spent_nanos, spent_day, spent_daily_nanos, \
      spent_week, spent_weekly_nanos, spent_month, spent_monthly_nanos, updated_at) \
     SELECT o, -s, 0, s, $4, s, $5, s, $6, s, $3 FROM UNNEST($1::text[], $2::int8[]) AS u(o, s) \
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

/// Each lease's summed debits off the lease they were spent from.
const SPEND_LEASES: &str = "UPDATE credit_leases AS l SET amount_nanos = l.amount_nanos - u.s \
     FROM UNNEST($1::text[], $2::text[], $3::int8[]) AS u(subject, holder, s) \
     WHERE l.subject = u.subject AND l.holder = u.holder";

/// Writes the batch in one transaction.
/// How many of `ids` the generations table holds.
pub(super) async fn count_generations(
    pool: &sqlx::PgPool,
    ids: &[&str],
) -> Result<usize, sqlx::Error> {
    let (found,): (i64,) = sqlx::query_as("SELECT count(*) FROM generations WHERE id = ANY($1)")
        .bind(ids)
        .fetch_one(pool)
        .await?;
    Ok(usize::try_from(found).unwrap_or(0))
}

pub(super) async fn write(
    pool: &sqlx::PgPool,
    batch: &ByKind<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let mut txn = pool.begin().await?;
    if !batch.generations.is_empty() {
        txn.execute(insert_generations(&batch.generations)).await?;
    }
    if !batch.contents.is_empty() {
        let rows = &batch.contents;
        let text = |f: fn(&generation_content::Model) -> &str| -> Vec<&str> {
            rows.iter().map(|r| f(r)).collect()
        };
        let body = |f: fn(&generation_content::Model) -> Option<&str>| -> Vec<Option<&str>> {
            rows.iter().map(|r| f(r)).collect()
        };
        let flag = |f: fn(&generation_content::Model) -> bool| -> Vec<bool> {
            rows.iter().map(|r| f(r)).collect()
        };
        let query = sqlx::query::<Postgres>(sqlx::AssertSqlSafe(INSERT_CONTENTS.as_str()))
            .bind(text(|r| &r.generation_id))
            .bind(text(|r| &r.org_id))
            .bind(body(|r| r.request_body.as_deref()))
            .bind(body(|r| r.response_body.as_deref()))
            .bind(flag(|r| r.request_truncated))
            .bind(flag(|r| r.response_truncated))
            .bind(rows.iter().map(|r| r.created_at).collect::<Vec<_>>());
        txn.execute(query).await?;
    }
    for ((period, grain), sql) in UPSERT_ROLLUPS.iter() {
        let rows: Vec<_> = batch
            .rollups
            .iter()
            .filter(|((p, g, _), _)| (p, g) == (period, grain))
            .map(|((_, _, key), sums)| (key, sums.values().collect::<Vec<i64>>()))
            .collect();
        if rows.is_empty() {
            continue;
        }
        let text = |f: for<'k> fn(&'k rollup::RollupKey<'k>) -> &'k str| -> Vec<&str> {
            rows.iter().map(|(k, _)| f(k)).collect()
        };
        let mut query = sqlx::query::<Postgres>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(text(|k| k.org_id))
            .bind(rows.iter().map(|(k, _)| k.bucket).collect::<Vec<i64>>())
            .bind(text(|k| k.api_key_hash))
            .bind(text(|k| k.model))
            .bind(text(|k| k.provider))
            .bind(text(|k| k.app));
        for column in 0..rows[0].1.len() {
            query = query.bind(rows.iter().map(|(_, v)| v[column]).collect::<Vec<i64>>());
        }
        txn.execute(query).await?;
    }
    if !batch.key_usage.is_empty() {
        let periods = Periods::at(now);
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
            .bind(now)
            .bind(periods.day)
            .bind(periods.week)
            .bind(periods.month);
        txn.execute(query).await?;
    }
    if !batch.debits.is_empty() {
        write_debits(&mut txn, batch, now).await?;
    }
    txn.commit().await
}

async fn write_debits(
    txn: &mut sqlx::Transaction<'_, Postgres>,
    batch: &ByKind<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let debits = &batch.debits;
    let entries = sqlx::query::<Postgres>(INSERT_DEBITS)
        .bind(debits.iter().map(|d| d.org_id.as_str()).collect::<Vec<_>>())
        .bind(debits.iter().map(|d| d.kind.as_str()).collect::<Vec<_>>())
        .bind(
            debits
                .iter()
                .map(|d| d.amount.as_nanos())
                .collect::<Vec<_>>(),
        )
        .bind(
            debits
                .iter()
                .map(|d| d.generation_id.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(now);
    txn.execute(entries).await?;
    let periods = Periods::at(now);
    let balances = sqlx::query::<Postgres>(SPEND_BALANCES)
        .bind(batch.org_spend.keys().copied().collect::<Vec<_>>())
        .bind(
            batch
                .org_spend
                .values()
                .map(|n| n.as_nanos())
                .collect::<Vec<_>>(),
        )
        .bind(now)
        .bind(periods.day)
        .bind(periods.week)
        .bind(periods.month);
    txn.execute(balances).await?;
    let leases = sqlx::query::<Postgres>(SPEND_LEASES)
        .bind(
            batch
                .lease_spend
                .keys()
                .map(|(subject, _)| subject.as_str())
                .collect::<Vec<_>>(),
        )
        .bind(
            batch
                .lease_spend
                .keys()
                .map(|(_, h)| *h)
                .collect::<Vec<_>>(),
        )
        .bind(
            batch
                .lease_spend
                .values()
                .map(|n| n.as_nanos())
                .collect::<Vec<_>>(),
        );
    txn.execute(leases).await?;
    Ok(())
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
        .bind(opt_int(|r| r.upstream_cost_nanos))
        .bind(opt_int(|r| r.latency_ms))
        .bind(opt_int(|r| r.generation_time_ms))
        .bind(opt(|r| r.http_referer.as_deref()))
        .bind(opt(|r| r.app_title.as_deref()))
        .bind(opt(|r| r.user_agent.as_deref()))
        .bind(opt(|r| r.external_user.as_deref()))
        .bind(text(|r| r.attempts.get()))
        .bind(opt(|r| r.error.as_deref()))
        .bind(created)
        .bind(opt_int(|r| r.capped_max_tokens))
        .bind(text(|r| &r.api_type))
        .bind(opt(|r| r.request_id.as_deref()))
        .bind(rows.iter().map(|r| r.status).collect::<Vec<i32>>())
        .bind(int(|r| r.byok_fee_nanos))
        .bind(opt_int(|r| r.native_tokens_prompt))
        .bind(opt_int(|r| r.native_tokens_completion))
        .bind(opt_int(|r| r.native_tokens_reasoning))
        .bind(opt_int(|r| r.native_tokens_cached))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generation_insert_binds_one_array_per_column() {
        assert!(INSERT_GENERATIONS.contains("$28::timestamptz[]"));
        assert!(INSERT_GENERATIONS.contains("$29::int8[]"));
        assert!(INSERT_GENERATIONS.contains("$30::text[]"));
        assert!(INSERT_GENERATIONS.contains("$31::text[]"));
        assert!(INSERT_GENERATIONS.contains("$32::int4[]"));
        assert!(INSERT_GENERATIONS.contains("$37::int8[]"));
        assert!(!INSERT_GENERATIONS.contains("$38"));
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
        assert_eq!(count("int8[]"), 15);
        assert_eq!(count("int4[]"), 1);
        assert_eq!(count("timestamptz[]"), 1);
        assert_eq!(count("text[]"), 17);
        assert!(
            INSERT_GENERATIONS.contains("$8::bool[]") && INSERT_GENERATIONS.contains("$17::int8[]")
        );
    }
}
