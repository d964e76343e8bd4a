//! Coarser rollup grains beside the full one (organization × key × model × provider × app):
//! by endpoint (model × provider), by key and by app, hourly and daily, with the full tables'
//! columns and keys; the dimensions a grain folds hold `''`. Filled from the full tables, which
//! hold every sum exactly, so existing history is kept; the usage writer maintains all of them
//! from here on in the same transaction.
//!
//! Why: one organization with 5 keys, 12 models on 2 providers each and 4 apps has about 460
//! full-grain rows an hour, so a week by hour is 77,000 rows of 81 columns and took 70 to 190 ms
//! on PostgreSQL; the same week by endpoint is about 4,000 rows, by key 840.

use sea_orm_migration::prelude::*;

use crate::m20261206_000010_usage_rollups::{HISTOGRAM_BUCKETS, SUMS, create_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (full table, coarser table, the dimensions it keeps).
const GRAINS: [(&str, &str, &[&str]); 6] = [
    (
        "usage_rollups_hourly",
        "usage_rollups_hourly_by_endpoint",
        &["model", "provider"],
    ),
    (
        "usage_rollups_daily",
        "usage_rollups_daily_by_endpoint",
        &["model", "provider"],
    ),
    (
        "usage_rollups_hourly",
        "usage_rollups_hourly_by_key",
        &["api_key_hash"],
    ),
    (
        "usage_rollups_daily",
        "usage_rollups_daily_by_key",
        &["api_key_hash"],
    ),
    (
        "usage_rollups_hourly",
        "usage_rollups_hourly_by_app",
        &["app"],
    ),
    (
        "usage_rollups_daily",
        "usage_rollups_daily_by_app",
        &["app"],
    ),
];

/// The full table's rows summed into the coarser table.
fn fill(full: &str, table: &str, keeps: &[&str]) -> String {
    let dimensions = ["api_key_hash", "model", "provider", "app"];
    let mut columns = vec!["org_id".to_owned(), "bucket".to_owned()];
    let mut select = columns.clone();
    let mut group = columns.clone();
    for dimension in dimensions {
        columns.push(dimension.to_owned());
        if keeps.contains(&dimension) {
            select.push(dimension.to_owned());
            group.push(dimension.to_owned());
        } else {
            select.push("''".to_owned());
        }
    }
    let summed = SUMS.iter().map(|s| (*s).to_owned()).chain(
        ["lat", "ttft"]
            .into_iter()
            .flat_map(|prefix| (0..HISTOGRAM_BUCKETS).map(move |i| format!("{prefix}_{i}"))),
    );
    for column in summed {
        // CAST: PostgreSQL's SUM of bigint is numeric.
        select.push(format!("CAST(SUM({column}) AS BIGINT)"));
        columns.push(column);
    }
    format!(
        "INSERT INTO {table} ({}) SELECT {} FROM {full} GROUP BY {}",
        columns.join(", "),
        select.join(", "),
        group.join(", ")
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        for (full, table, keeps) in GRAINS {
            db.execute_unprepared(&create_table(table, backend)).await?;
            db.execute_unprepared(&format!("CREATE INDEX {table}_bucket ON {table} (bucket)"))
                .await?;
            db.execute_unprepared(&fill(full, table, keeps)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for (_, table, _) in GRAINS {
            db.execute_unprepared(&format!("DROP TABLE IF EXISTS {table}"))
                .await?;
        }
        Ok(())
    }
}
