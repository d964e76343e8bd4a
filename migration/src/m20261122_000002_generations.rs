//! Generation records: one row per served inference request.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Generations::Table)
                    .col(string(Generations::Id).primary_key())
                    .col(string(Generations::OrgId))
                    .col(string(Generations::ApiKeyHash))
                    .col(string(Generations::RequestedModel))
                    .col(string(Generations::Model))
                    .col(string_null(Generations::Provider))
                    .col(string_null(Generations::UpstreamId))
                    .col(boolean(Generations::Streamed))
                    .col(boolean(Generations::Cancelled))
                    .col(string_null(Generations::FinishReason))
                    .col(string_null(Generations::NativeFinishReason))
                    .col(big_integer(Generations::TokensPrompt))
                    .col(big_integer(Generations::TokensCompletion))
                    .col(big_integer(Generations::TokensReasoning))
                    .col(big_integer(Generations::TokensCached))
                    .col(big_integer(Generations::TokensCacheWrite))
                    .col(big_integer(Generations::CostNanos))
                    .col(boolean(Generations::IsByok))
                    .col(big_integer_null(Generations::LatencyMs))
                    .col(big_integer_null(Generations::GenerationTimeMs))
                    .col(string_null(Generations::HttpReferer))
                    .col(string_null(Generations::AppTitle))
                    .col(string_null(Generations::UserAgent))
                    .col(string_null(Generations::ExternalUser))
                    .col(json(Generations::Attempts))
                    .col(text_null(Generations::Error))
                    .col(timestamp_with_time_zone(Generations::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_generations_org_created")
                    .table(Generations::Table)
                    .col(Generations::OrgId)
                    .col(Generations::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_generations_key_created")
                    .table(Generations::Table)
                    .col(Generations::ApiKeyHash)
                    .col(Generations::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Generations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Generations {
    Table,
    Id,
    OrgId,
    ApiKeyHash,
    RequestedModel,
    Model,
    Provider,
    UpstreamId,
    Streamed,
    Cancelled,
    FinishReason,
    NativeFinishReason,
    TokensPrompt,
    TokensCompletion,
    TokensReasoning,
    TokensCached,
    TokensCacheWrite,
    CostNanos,
    IsByok,
    LatencyMs,
    GenerationTimeMs,
    HttpReferer,
    AppTitle,
    UserAgent,
    ExternalUser,
    Attempts,
    Error,
    CreatedAt,
}
