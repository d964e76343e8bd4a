//! Only credit's references are unique in the ledger: a generation's debit and BYOK fee are
//! written in the usage writer's transaction with the generation itself, whose primary key
//! already makes a second write of them fail (and a replay count as written). The unique
//! index over every entry had the writer maintain a second index per recorded request for
//! nothing; partial, it holds purchases, fees, refunds and top-ups (Stripe's idempotency).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One call, so one connection: on SQLite a second pooled connection may still see
        // the index it replaces.
        manager
            .get_connection()
            .execute_unprepared(
                "DROP INDEX IF EXISTS ledger_entries_kind_reference; \
                 CREATE UNIQUE INDEX ledger_entries_kind_reference \
                 ON ledger_entries (kind, reference) \
                 WHERE kind NOT IN ('generation', 'byok_fee')",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DROP INDEX IF EXISTS ledger_entries_kind_reference; \
                 CREATE UNIQUE INDEX ledger_entries_kind_reference \
                 ON ledger_entries (kind, reference)",
            )
            .await?;
        Ok(())
    }
}
