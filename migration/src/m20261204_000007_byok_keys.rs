//! Organizations' own provider keys (BYOK). The key itself is stored only encrypted
//! (AES-256-GCM under the deployment's master key, the organization and provider bound as
//! associated data); `label` keeps its last four characters for display. Generations gain
//! `upstream_cost_nanos`: for a BYOK request, the provider's price (its `cost_nanos` is the fee).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ByokKeys::Table)
                    .col(string(ByokKeys::Id).primary_key())
                    .col(string(ByokKeys::OrgId))
                    .col(string(ByokKeys::Provider))
                    .col(string_null(ByokKeys::Name))
                    .col(string(ByokKeys::Label))
                    .col(string(ByokKeys::Nonce))
                    .col(text(ByokKeys::Ciphertext))
                    .col(boolean(ByokKeys::IsFallback))
                    .col(boolean(ByokKeys::AlwaysUse))
                    .col(boolean(ByokKeys::Disabled))
                    .col(json_null(ByokKeys::AllowedModels))
                    .col(json_null(ByokKeys::AllowedApiKeyHashes))
                    .col(integer(ByokKeys::SortOrder))
                    .col(timestamp_with_time_zone(ByokKeys::CreatedAt))
                    .col(timestamp_with_time_zone(ByokKeys::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ByokKeys::Table, ByokKeys::OrgId)
                            .to(Organizations::Table, Organizations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_byok_keys_org_provider")
                    .table(ByokKeys::Table)
                    .col(ByokKeys::OrgId)
                    .col(ByokKeys::Provider)
                    .col(ByokKeys::SortOrder)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Generations::Table)
                    .add_column(big_integer_null(Generations::UpstreamCostNanos))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Generations::Table)
                    .drop_column(Generations::UpstreamCostNanos)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(ByokKeys::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ByokKeys {
    Table,
    Id,
    OrgId,
    Provider,
    Name,
    Label,
    Nonce,
    Ciphertext,
    IsFallback,
    AlwaysUse,
    Disabled,
    AllowedModels,
    AllowedApiKeyHashes,
    SortOrder,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Generations {
    Table,
    UpstreamCostNanos,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}
