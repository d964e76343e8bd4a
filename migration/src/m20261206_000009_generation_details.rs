//! More of each generation: the request id it was served under, the HTTP status it was
//! answered with (refusals are recorded too), the BYOK fee as its own column, and the
//! upstream's native token counts next to ours (ours may be estimates when the upstream
//! reported none, e.g. a client that left mid-stream).
//!
//! One `ALTER TABLE` per column: SQLite adds one column per statement.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Generations {
    Table,
    RequestId,
    Status,
    ByokFeeNanos,
    NativeTokensPrompt,
    NativeTokensCompletion,
    NativeTokensReasoning,
    NativeTokensCached,
}

fn columns() -> Vec<ColumnDef> {
    vec![
        string_null(Generations::RequestId),
        integer(Generations::Status).default(200).to_owned(),
        big_integer(Generations::ByokFeeNanos).default(0).to_owned(),
        big_integer_null(Generations::NativeTokensPrompt),
        big_integer_null(Generations::NativeTokensCompletion),
        big_integer_null(Generations::NativeTokensReasoning),
        big_integer_null(Generations::NativeTokensCached),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for mut column in columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table(Generations::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Generations::RequestId,
            Generations::Status,
            Generations::ByokFeeNanos,
            Generations::NativeTokensPrompt,
            Generations::NativeTokensCompletion,
            Generations::NativeTokensReasoning,
            Generations::NativeTokensCached,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Generations::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
