//! Schema migrations, applied at server start on SQLite and PostgreSQL alike.
//! A landed migration is never edited: add a new file for every change.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_accounts;
mod m20261122_000002_generations;
mod m20261122_000003_catalog_overrides;
mod m20261123_000004_org_routing_defaults;
mod m20261123_000005_rate_limit_policies;
mod m20261204_000006_ledger;
mod m20261204_000007_byok_keys;
mod m20261205_000008_stripe_checkouts;
mod m20261206_000009_generation_details;
mod m20261206_000010_usage_rollups;
mod m20261206_000011_alerts;
mod m20261206_000011_generation_contents;
mod m20261207_000012_rollup_grains;
mod m20261207_000013_key_refusals_index;
mod m20261208_000014_ledger_spend_references;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_accounts::Migration),
            Box::new(m20261122_000002_generations::Migration),
            Box::new(m20261122_000003_catalog_overrides::Migration),
            Box::new(m20261123_000004_org_routing_defaults::Migration),
            Box::new(m20261123_000005_rate_limit_policies::Migration),
            Box::new(m20261204_000006_ledger::Migration),
            Box::new(m20261204_000007_byok_keys::Migration),
            Box::new(m20261205_000008_stripe_checkouts::Migration),
            Box::new(m20261206_000009_generation_details::Migration),
            Box::new(m20261206_000010_usage_rollups::Migration),
            Box::new(m20261206_000011_alerts::Migration),
            Box::new(m20261206_000011_generation_contents::Migration),
            Box::new(m20261207_000012_rollup_grains::Migration),
            Box::new(m20261207_000013_key_refusals_index::Migration),
            Box::new(m20261208_000014_ledger_spend_references::Migration),
        ]
    }
}
