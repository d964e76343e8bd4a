//! Organizations' routing defaults: provider allow/deny lists, data policy, default sort.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OrgRoutingDefaults::Table)
                    .col(string(OrgRoutingDefaults::OrgId).primary_key())
                    .col(json(OrgRoutingDefaults::Preferences))
                    .col(string(OrgRoutingDefaults::UpdatedByUserId))
                    .col(timestamp_with_time_zone(OrgRoutingDefaults::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OrgRoutingDefaults::Table, OrgRoutingDefaults::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OrgRoutingDefaults::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum OrgRoutingDefaults {
    Table,
    OrgId,
    Preferences,
    UpdatedByUserId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}
