//! Alerts: an organization's webhook settings (the signing secret stored only encrypted, as
//! BYOK keys are), the armed/fired state of each alert (so that a crossing is reported at most
//! once and re-armed when it is undone), and the outbox of events to deliver.
//!
//! `alert_events.dedupe_key` is unique: the event of one crossing (`<org>:<kind>:<subject>:<n>`,
//! `n` the state row's crossing count) cannot be inserted twice, by two processes or a retry.
//! Times the delivery worker compares (`next_attempt_ms`, `claimed_until_ms`) are Unix
//! milliseconds, compared the same way on SQLite and PostgreSQL.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let org_fk = |table: AlertTable| {
            ForeignKey::create()
                .from(table, Col::OrgId)
                .to(Organizations::Table, Organizations::Id)
                .on_delete(ForeignKeyAction::Cascade)
                .to_owned()
        };
        manager
            .create_table(
                Table::create()
                    .table(AlertTable::Settings)
                    .col(string(Col::OrgId).primary_key())
                    .col(string_null(Col::WebhookUrl))
                    .col(string_null(Col::SecretNonce))
                    .col(text_null(Col::SecretCiphertext))
                    .col(big_integer_null(Col::LowBalanceThresholdNanos))
                    .col(boolean(Col::KeySpendAlerts))
                    .col(timestamp_with_time_zone(Col::CreatedAt))
                    .col(timestamp_with_time_zone(Col::UpdatedAt))
                    .foreign_key(&mut org_fk(AlertTable::Settings))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AlertTable::States)
                    .col(string(Col::OrgId))
                    .col(string(Col::Kind))
                    .col(string(Col::Subject))
                    .col(boolean(Col::Fired))
                    .col(big_integer(Col::Crossings))
                    .col(timestamp_with_time_zone(Col::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(Col::OrgId)
                            .col(Col::Kind)
                            .col(Col::Subject),
                    )
                    .foreign_key(&mut org_fk(AlertTable::States))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AlertTable::Events)
                    .col(string(Col::Id).primary_key())
                    .col(string(Col::OrgId))
                    .col(string(Col::Kind))
                    .col(string(Col::Subject))
                    .col(string(Col::DedupeKey).unique_key())
                    .col(text(Col::Payload))
                    .col(string(Col::Status))
                    .col(integer(Col::Attempts))
                    .col(big_integer(Col::NextAttemptMs))
                    .col(big_integer(Col::ClaimedUntilMs))
                    .col(integer_null(Col::LastStatusCode))
                    .col(string_null(Col::LastError))
                    .col(timestamp_with_time_zone(Col::CreatedAt))
                    .col(timestamp_with_time_zone_null(Col::DeliveredAt))
                    .foreign_key(&mut org_fk(AlertTable::Events))
                    .to_owned(),
            )
            .await?;
        // The dashboard's list: one organization's events, newest first, cursor paged.
        manager
            .create_index(
                Index::create()
                    .name("idx_alert_events_org_created")
                    .table(AlertTable::Events)
                    .col(Col::OrgId)
                    .col(Col::CreatedAt)
                    .col(Col::Id)
                    .to_owned(),
            )
            .await?;
        // The delivery worker's scan: due pending events.
        manager
            .create_index(
                Index::create()
                    .name("idx_alert_events_due")
                    .table(AlertTable::Events)
                    .col(Col::Status)
                    .col(Col::NextAttemptMs)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [AlertTable::Events, AlertTable::States, AlertTable::Settings] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum AlertTable {
    #[sea_orm(iden = "alert_settings")]
    Settings,
    #[sea_orm(iden = "alert_states")]
    States,
    #[sea_orm(iden = "alert_events")]
    Events,
}

#[derive(DeriveIden)]
enum Col {
    Id,
    OrgId,
    WebhookUrl,
    SecretNonce,
    SecretCiphertext,
    LowBalanceThresholdNanos,
    KeySpendAlerts,
    Kind,
    Subject,
    Fired,
    Crossings,
    DedupeKey,
    Payload,
    Status,
    Attempts,
    NextAttemptMs,
    ClaimedUntilMs,
    LastStatusCode,
    LastError,
    CreatedAt,
    UpdatedAt,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}
