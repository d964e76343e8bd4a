//! Per-organization rate-limit overrides set by platform admins (absent: the configured plan).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RateLimitPolicies::Table)
                    .col(string(RateLimitPolicies::OrgId).primary_key())
                    .col(big_integer_null(RateLimitPolicies::KeyRequestsPerWindow))
                    .col(big_integer_null(RateLimitPolicies::OrgRequestsPerWindow))
                    .col(big_integer_null(RateLimitPolicies::FreeRequestsPerWindow))
                    .col(big_integer_null(RateLimitPolicies::FreeRequestsPerDay))
                    .col(string(RateLimitPolicies::UpdatedByUserId))
                    .col(timestamp_with_time_zone(RateLimitPolicies::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RateLimitPolicies::Table, RateLimitPolicies::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RateLimitPolicies::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RateLimitPolicies {
    Table,
    OrgId,
    KeyRequestsPerWindow,
    OrgRequestsPerWindow,
    FreeRequestsPerWindow,
    FreeRequestsPerDay,
    UpdatedByUserId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}
