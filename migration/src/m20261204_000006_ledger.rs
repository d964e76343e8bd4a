//! Money: the append-only credit ledger, each organization's cached balance (derived from the
//! ledger, checked by the reconcile command), the credit leases that let several replicas
//! spend one balance without a round trip per request, the output cap a reservation
//! applied to a generation, and each key's spend per day, week and month (key limits).
//!
//! No foreign key to `organizations`: money records outlive an organization, and a debit
//! for a just-deleted organization must not fail the usage writer's whole batch.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LedgerEntries::Table)
                    .col(
                        big_integer(LedgerEntries::Id)
                            .primary_key()
                            .auto_increment(),
                    )
                    .col(string(LedgerEntries::OrgId))
                    .col(string(LedgerEntries::Kind))
                    // Signed: credit positive, debit negative.
                    .col(big_integer(LedgerEntries::AmountNanos))
                    // What the entry is about (a Checkout Session, a generation): with `kind`,
                    // what makes posting it twice harmless.
                    .col(string_null(LedgerEntries::Reference))
                    .col(text_null(LedgerEntries::Reason))
                    .col(string_null(LedgerEntries::ActorUserId))
                    .col(timestamp_with_time_zone(LedgerEntries::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ledger_entries_kind_reference")
                    .table(LedgerEntries::Table)
                    .col(LedgerEntries::Kind)
                    .col(LedgerEntries::Reference)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ledger_entries_org_id")
                    .table(LedgerEntries::Table)
                    .col(LedgerEntries::OrgId)
                    .col(LedgerEntries::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrgCredit::Table)
                    .col(string(OrgCredit::OrgId).primary_key())
                    .col(big_integer(OrgCredit::BalanceNanos))
                    .col(big_integer(OrgCredit::PurchasedNanos))
                    .col(big_integer(OrgCredit::SpentNanos))
                    // Spending in the current UTC day, week and month, with the period each
                    // counter belongs to (as on `api_keys`): budgets and the admins' listing.
                    .col(big_integer(OrgCredit::SpentDay).default(0))
                    .col(big_integer(OrgCredit::SpentDailyNanos).default(0))
                    .col(big_integer(OrgCredit::SpentWeek).default(0))
                    .col(big_integer(OrgCredit::SpentWeeklyNanos).default(0))
                    .col(big_integer(OrgCredit::SpentMonth).default(0))
                    .col(big_integer(OrgCredit::SpentMonthlyNanos).default(0))
                    .col(timestamp_with_time_zone(OrgCredit::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrgBudgets::Table)
                    .col(string(OrgBudgets::OrgId).primary_key())
                    // Caps in nano-dollars on the organization's spending per UTC day, week
                    // (from Monday), month, and ever; null: no cap.
                    .col(big_integer_null(OrgBudgets::DailyNanos))
                    .col(big_integer_null(OrgBudgets::WeeklyNanos))
                    .col(big_integer_null(OrgBudgets::MonthlyNanos))
                    .col(big_integer_null(OrgBudgets::LifetimeNanos))
                    .col(string(OrgBudgets::UpdatedByUserId))
                    .col(timestamp_with_time_zone(OrgBudgets::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CreditLeases::Table)
                    .col(string(CreditLeases::Subject))
                    .col(string(CreditLeases::Holder))
                    .col(big_integer(CreditLeases::AmountNanos))
                    .col(big_integer(CreditLeases::ExpiresAtMs))
                    .primary_key(
                        Index::create()
                            .col(CreditLeases::Subject)
                            .col(CreditLeases::Holder),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Generations::Table)
                    .add_column(big_integer_null(Generations::CappedMaxTokens))
                    .to_owned(),
            )
            .await?;
        // Which API the request came through: chat, completions, embeddings, responses or
        // messages.
        manager
            .alter_table(
                Table::alter()
                    .table(Generations::Table)
                    .add_column(string(Generations::ApiType).default("chat"))
                    .to_owned(),
            )
            .await?;
        // A key's spend in the current UTC day, week (from Monday) and month, with the period
        // each counter belongs to (days since 1970 for the day and the week's Monday, year × 12
        // + month for the month): a counter of an earlier period counts as zero, and the usage
        // writer restarts it with the first spend of a new one. One statement per column:
        // SQLite adds one column per ALTER TABLE.
        for column in KEY_PERIOD_COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(ApiKeys::Table)
                        .add_column(big_integer(column).default(0))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in KEY_PERIOD_COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(ApiKeys::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Generations::Table)
                    .drop_column(Generations::ApiType)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Generations::Table)
                    .drop_column(Generations::CappedMaxTokens)
                    .to_owned(),
            )
            .await?;
        for table in [
            OrgBudgets::Table.into_iden(),
            CreditLeases::Table.into_iden(),
            OrgCredit::Table.into_iden(),
            LedgerEntries::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
    OrgId,
    Kind,
    AmountNanos,
    Reference,
    Reason,
    ActorUserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OrgCredit {
    Table,
    OrgId,
    BalanceNanos,
    PurchasedNanos,
    SpentNanos,
    SpentDay,
    SpentDailyNanos,
    SpentWeek,
    SpentWeeklyNanos,
    SpentMonth,
    SpentMonthlyNanos,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrgBudgets {
    Table,
    OrgId,
    DailyNanos,
    WeeklyNanos,
    MonthlyNanos,
    LifetimeNanos,
    UpdatedByUserId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CreditLeases {
    Table,
    Subject,
    Holder,
    AmountNanos,
    ExpiresAtMs,
}

/// A key's spend per UTC day, week and month, each with the period it counts.
const KEY_PERIOD_COLUMNS: [ApiKeys; 9] = [
    ApiKeys::UsageDay,
    ApiKeys::UsageDailyNanos,
    ApiKeys::ByokUsageDailyNanos,
    ApiKeys::UsageWeek,
    ApiKeys::UsageWeeklyNanos,
    ApiKeys::ByokUsageWeeklyNanos,
    ApiKeys::UsageMonth,
    ApiKeys::UsageMonthlyNanos,
    ApiKeys::ByokUsageMonthlyNanos,
];

#[derive(DeriveIden, Clone, Copy)]
enum ApiKeys {
    Table,
    UsageDay,
    UsageDailyNanos,
    ByokUsageDailyNanos,
    UsageWeek,
    UsageWeeklyNanos,
    ByokUsageWeeklyNanos,
    UsageMonth,
    UsageMonthlyNanos,
    ByokUsageMonthlyNanos,
}

#[derive(DeriveIden)]
enum Generations {
    Table,
    CappedMaxTokens,
    ApiType,
}
