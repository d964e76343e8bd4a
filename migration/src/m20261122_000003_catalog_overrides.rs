//! Admin changes to the model catalog (providers, models, endpoints, prices).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CatalogOverrides::Table)
                    .col(string(CatalogOverrides::Id).primary_key())
                    .col(string(CatalogOverrides::Kind))
                    .col(json(CatalogOverrides::Spec))
                    .col(string(CatalogOverrides::UpdatedByUserId))
                    .col(timestamp_with_time_zone(CatalogOverrides::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CatalogOverrides::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum CatalogOverrides {
    Table,
    Id,
    Kind,
    Spec,
    UpdatedByUserId,
    UpdatedAt,
}
