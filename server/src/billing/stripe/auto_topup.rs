//! Auto top-up: an owner saves a card (a purchase with `save_card`) and sets a threshold and
//! an amount; when the organization's balance falls below the threshold, one off-session
//! PaymentIntent for the amount plus the fee is charged and credited.
//!
//! - **One at a time, across processes.** Every process checks periodically; to charge, it
//!   must first win a conditional update of the organization's `auto_topups` row
//!   (`claimed_until_ms` in the past → now + the claim's lifetime). Only one process wins;
//!   it reads the balance again after winning (another process's top-up commits its ledger
//!   entries before it gives the claim up), charges, credits, and releases the claim.
//! - **Credited exactly once**: ledger entries `auto_topup` +(credit + fee) and
//!   `purchase_fee` −fee, both referenced by the PaymentIntent id, posted by whichever of the
//!   charging process and the `payment_intent.succeeded` webhook comes first, with a
//!   `stripe_topup_charges` row that lets a later refund take back its share.
//! - **Declines** are recorded (`last_error`, `failures`); the claim then holds for the retry
//!   pause, and after [`MAX_FAILURES`] declines in a row auto top-up turns itself off.

use chrono::Utc;
use entity::{auto_topup, stripe_topup_charge};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, QueryFilter,
};

use super::PurchaseError;
use super::settings::PurchaseRules;
use crate::billing::ledger::{self, EntryKind, LedgerError, NewEntry, Posted};
use crate::billing::money::Nanos;

/// Declines in a row after which auto top-up turns itself off.
pub const MAX_FAILURES: i32 = 3;

/// An organization's auto top-up row, if it ever saved a card or set one up.
pub async fn get(
    db: &DatabaseConnection,
    org_id: &str,
) -> Result<Option<auto_topup::Model>, DbErr> {
    auto_topup::Entity::find_by_id(org_id).one(db).await
}

/// Keeps the card a purchase saved (replacing an older one).
pub async fn save_card(
    db: &DatabaseConnection,
    org_id: &str,
    customer: &str,
    payment_method: &str,
) -> Result<(), DbErr> {
    auto_topup::Entity::insert(auto_topup::ActiveModel {
        org_id: Set(org_id.to_owned()),
        enabled: Set(false),
        threshold_cents: Set(0),
        amount_cents: Set(0),
        stripe_customer: Set(Some(customer.to_owned())),
        payment_method: Set(Some(payment_method.to_owned())),
        claimed_until_ms: Set(0),
        failures: Set(0),
        last_error: Set(None),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(auto_topup::Column::OrgId)
            .update_columns([
                auto_topup::Column::StripeCustomer,
                auto_topup::Column::PaymentMethod,
                auto_topup::Column::Failures,
                auto_topup::Column::LastError,
                auto_topup::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// Sets the threshold and amount and turns auto top-up on or off. Turning it on needs a
/// saved card, and clears past declines.
pub async fn configure(
    db: &DatabaseConnection,
    rules: &PurchaseRules,
    org_id: &str,
    enabled: bool,
    threshold_cents: u64,
    amount_cents: u64,
) -> Result<auto_topup::Model, PurchaseError> {
    rules.check(amount_cents).map_err(PurchaseError::Invalid)?;
    if threshold_cents > rules.max_cents {
        return Err(PurchaseError::Invalid(format!(
            "threshold: at most ${}",
            super::settings::cents_text(rules.max_cents)
        )));
    }
    let row = get(db, org_id).await?;
    let has_card = row.as_ref().is_some_and(|r| r.payment_method.is_some());
    if enabled && !has_card {
        return Err(PurchaseError::NoSavedCard);
    }
    let Some(row) = row else {
        // Off and no card: nothing to keep.
        return Ok(auto_topup::Model {
            org_id: org_id.to_owned(),
            enabled: false,
            threshold_cents: threshold_cents as i64,
            amount_cents: amount_cents as i64,
            stripe_customer: None,
            payment_method: None,
            claimed_until_ms: 0,
            failures: 0,
            last_error: None,
            updated_at: Utc::now(),
        });
    };
    let mut active = row.into_active_model();
    active.enabled = Set(enabled);
    active.threshold_cents = Set(threshold_cents as i64);
    active.amount_cents = Set(amount_cents as i64);
    if enabled {
        active.failures = Set(0);
        active.last_error = Set(None);
    }
    active.updated_at = Set(Utc::now());
    Ok(active.update(db).await?)
}

/// Every enabled auto top-up (few: one row per organization that turned it on).
pub async fn enabled(db: &DatabaseConnection) -> Result<Vec<auto_topup::Model>, DbErr> {
    auto_topup::Entity::find()
        .filter(auto_topup::Column::Enabled.eq(true))
        .all(db)
        .await
}

/// Takes the right to charge `org_id` until `until_ms`, if nobody holds it: the one
/// conditional update that keeps two processes from charging at once.
pub async fn claim(
    db: &DatabaseConnection,
    org_id: &str,
    now_ms: i64,
    until_ms: i64,
) -> Result<bool, DbErr> {
    let updated = auto_topup::Entity::update_many()
        .col_expr(auto_topup::Column::ClaimedUntilMs, Expr::value(until_ms))
        .filter(auto_topup::Column::OrgId.eq(org_id))
        .filter(auto_topup::Column::Enabled.eq(true))
        .filter(auto_topup::Column::ClaimedUntilMs.lte(now_ms))
        .exec(db)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Gives the claim up after a successful top-up.
pub async fn succeeded(db: &DatabaseConnection, org_id: &str) -> Result<(), DbErr> {
    auto_topup::Entity::update_many()
        .col_expr(auto_topup::Column::ClaimedUntilMs, Expr::value(0i64))
        .col_expr(auto_topup::Column::Failures, Expr::value(0))
        .col_expr(
            auto_topup::Column::LastError,
            Expr::value(Option::<String>::None),
        )
        .col_expr(auto_topup::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(auto_topup::Column::OrgId.eq(org_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a decline; the claim holds until `retry_at_ms`. Returns whether auto top-up was
/// turned off.
pub async fn declined(
    db: &DatabaseConnection,
    org_id: &str,
    message: &str,
    retry_at_ms: i64,
) -> Result<bool, DbErr> {
    let Some(row) = get(db, org_id).await? else {
        return Ok(false);
    };
    let failures = row.failures.saturating_add(1);
    let off = failures >= MAX_FAILURES;
    let mut active = row.into_active_model();
    active.failures = Set(failures);
    active.last_error = Set(Some(message.to_owned()));
    active.claimed_until_ms = Set(if off { 0 } else { retry_at_ms });
    if off {
        active.enabled = Set(false);
    }
    active.updated_at = Set(Utc::now());
    active.update(db).await?;
    Ok(off)
}

/// Gives the claim up without a verdict (Stripe unreachable, balance already fine).
pub async fn release(db: &DatabaseConnection, org_id: &str) -> Result<(), DbErr> {
    auto_topup::Entity::update_many()
        .col_expr(auto_topup::Column::ClaimedUntilMs, Expr::value(0i64))
        .filter(auto_topup::Column::OrgId.eq(org_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Credits a top-up payment once: `auto_topup` +(credit + fee), `purchase_fee` −fee, both
/// referenced by the PaymentIntent. `None` if it was credited before.
pub async fn credit(
    db: &DatabaseConnection,
    org_id: &str,
    payment_intent: &str,
    credit_cents: u64,
    fee_cents: u64,
) -> Result<Option<Nanos>, LedgerError> {
    let txn = crate::db::begin_write(db).await?;
    let entry = |kind, amount| NewEntry {
        org_id: org_id.to_owned(),
        kind,
        amount,
        reference: Some(payment_intent.to_owned()),
        reason: Some("Auto top-up".into()),
        actor_user_id: None,
    };
    let gross = Nanos::from_cents(credit_cents.saturating_add(fee_cents));
    if ledger::post_in(&txn, entry(EntryKind::AutoTopup, gross)).await? == Posted::Duplicate {
        txn.rollback().await?;
        return Ok(None);
    }
    let fee = Nanos::ZERO.saturating_sub(Nanos::from_cents(fee_cents));
    let Posted::Applied { balance, .. } =
        ledger::post_in(&txn, entry(EntryKind::PurchaseFee, fee)).await?
    else {
        txn.rollback().await?;
        return Ok(None);
    };
    // What the payment bought, for its refunds (see `purchases::refund`).
    stripe_topup_charge::ActiveModel {
        payment_intent: Set(payment_intent.to_owned()),
        org_id: Set(org_id.to_owned()),
        credit_cents: Set(cents(credit_cents)),
        fee_cents: Set(cents(fee_cents)),
        refunded_cents: Set(0),
        created_at: Set(Utc::now()),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Some(balance))
}

fn cents(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
