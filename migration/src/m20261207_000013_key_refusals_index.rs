//! The refused requests of each key (records with status 402), for the 100 % key-spend alert:
//! a partial index, so that the writer maintains it only for refusals.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX idx_generations_key_refused \
                 ON generations (api_key_hash, created_at) WHERE status = 402",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS idx_generations_key_refused")
            .await?;
        Ok(())
    }
}
