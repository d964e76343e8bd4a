//! Stripe purchases: the Checkout Sessions this server created (organization and amounts
//! fixed at creation, the payment intent once known, how much was refunded). The credit
//! itself is in `ledger_entries`, referenced by the session id.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StripeCheckouts::Table)
                    .col(string(StripeCheckouts::SessionId).primary_key())
                    .col(string(StripeCheckouts::OrgId))
                    .col(string_null(StripeCheckouts::UserId))
                    .col(big_integer(StripeCheckouts::CreditCents))
                    .col(big_integer(StripeCheckouts::FeeCents))
                    .col(string_null(StripeCheckouts::PaymentIntent))
                    .col(string(StripeCheckouts::Status))
                    .col(big_integer(StripeCheckouts::RefundedCents).default(0))
                    .col(timestamp_with_time_zone(StripeCheckouts::CreatedAt))
                    .col(timestamp_with_time_zone_null(StripeCheckouts::CreditedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("stripe_checkouts_org_id")
                    .table(StripeCheckouts::Table)
                    .col(StripeCheckouts::OrgId)
                    .col(StripeCheckouts::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("stripe_checkouts_payment_intent")
                    .table(StripeCheckouts::Table)
                    .col(StripeCheckouts::PaymentIntent)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StripeCheckouts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum StripeCheckouts {
    Table,
    SessionId,
    OrgId,
    UserId,
    CreditCents,
    FeeCents,
    PaymentIntent,
    Status,
    RefundedCents,
    CreatedAt,
    CreditedAt,
}
