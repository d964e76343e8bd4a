//! Stripe purchases: the Checkout Sessions this server created (organization and amounts
//! fixed at creation, the payment intent once known, how much was refunded), and each
//! organization's auto top-up (saved card, threshold, amount, the claim that keeps one
//! top-up in flight across processes), and each credited top-up payment (what it bought and
//! how much was refunded). The credit itself is in `ledger_entries`.

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
                    // The customer asked to keep the card for auto top-up.
                    .col(boolean(StripeCheckouts::SaveCard).default(false))
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
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AutoTopups::Table)
                    .col(string(AutoTopups::OrgId).primary_key())
                    .col(boolean(AutoTopups::Enabled).default(false))
                    .col(big_integer(AutoTopups::ThresholdCents).default(0))
                    .col(big_integer(AutoTopups::AmountCents).default(0))
                    .col(string_null(AutoTopups::StripeCustomer))
                    .col(string_null(AutoTopups::PaymentMethod))
                    // Unix ms until which one process holds the right to charge (0: nobody).
                    .col(big_integer(AutoTopups::ClaimedUntilMs).default(0))
                    .col(integer(AutoTopups::Failures).default(0))
                    .col(text_null(AutoTopups::LastError))
                    .col(timestamp_with_time_zone(AutoTopups::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StripeTopupCharges::Table)
                    .col(string(StripeTopupCharges::PaymentIntent).primary_key())
                    .col(string(StripeTopupCharges::OrgId))
                    .col(big_integer(StripeTopupCharges::CreditCents))
                    .col(big_integer(StripeTopupCharges::FeeCents))
                    .col(big_integer(StripeTopupCharges::RefundedCents).default(0))
                    .col(timestamp_with_time_zone(StripeTopupCharges::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("stripe_topup_charges_org_id")
                    .table(StripeTopupCharges::Table)
                    .col(StripeTopupCharges::OrgId)
                    .col(StripeTopupCharges::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StripeTopupCharges::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(AutoTopups::Table).to_owned())
            .await?;
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
    SaveCard,
    CreatedAt,
    CreditedAt,
}

#[derive(DeriveIden)]
enum AutoTopups {
    Table,
    OrgId,
    Enabled,
    ThresholdCents,
    AmountCents,
    StripeCustomer,
    PaymentMethod,
    ClaimedUntilMs,
    Failures,
    LastError,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StripeTopupCharges {
    Table,
    PaymentIntent,
    OrgId,
    CreditCents,
    FeeCents,
    RefundedCents,
    CreatedAt,
}
