//! Opt-in storage of prompts and completions (issue 17, privacy).
//!
//! - `organizations.store_content`: off by default; an owner or admin turns it on with
//!   explicit consent, recorded as who (`store_content_changed_by`: a user id or
//!   `key:<hash>`) and when (`store_content_changed_at`) next to the audit log's entry.
//! - `generation_contents`: one row per generation whose organization had opted in, written
//!   by the usage writer in the transaction that writes the generation. Bodies are text,
//!   capped at `PROMPT_LOG_MAX_BYTES` each, with a flag when cut. Keyed by the generation id;
//!   `(org_id, created_at)` serves deleting an organization's rows and `created_at` the
//!   retention sweep.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    StoreContent,
    StoreContentChangedBy,
    StoreContentChangedAt,
}

#[derive(DeriveIden)]
enum GenerationContents {
    Table,
    GenerationId,
    OrgId,
    RequestBody,
    ResponseBody,
    RequestTruncated,
    ResponseTruncated,
    CreatedAt,
}

fn org_columns() -> Vec<ColumnDef> {
    vec![
        boolean(Organizations::StoreContent)
            .default(false)
            .to_owned(),
        string_null(Organizations::StoreContentChangedBy),
        timestamp_with_time_zone_null(Organizations::StoreContentChangedAt),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column per `ALTER TABLE`.
        for mut column in org_columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Organizations::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(GenerationContents::Table)
                    .col(string(GenerationContents::GenerationId).primary_key())
                    .col(string(GenerationContents::OrgId))
                    .col(text_null(GenerationContents::RequestBody))
                    .col(text_null(GenerationContents::ResponseBody))
                    .col(boolean(GenerationContents::RequestTruncated).default(false))
                    .col(boolean(GenerationContents::ResponseTruncated).default(false))
                    .col(timestamp_with_time_zone(GenerationContents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_generation_contents_org_created")
                    .table(GenerationContents::Table)
                    .col(GenerationContents::OrgId)
                    .col(GenerationContents::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_generation_contents_created")
                    .table(GenerationContents::Table)
                    .col(GenerationContents::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(GenerationContents::Table).to_owned())
            .await?;
        for column in [
            Organizations::StoreContent,
            Organizations::StoreContentChangedBy,
            Organizations::StoreContentChangedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Organizations::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
