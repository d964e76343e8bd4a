//! The database side of purchasing: the Checkout Sessions this server created, crediting a
//! paid one exactly once, and taking refunded credit back.
//!
//! # How a payment is recorded
//!
//! A purchase of `C` cents of credit costs the customer `C + F` (F the platform fee). Once
//! Stripe says the session is paid, one transaction appends two ledger entries, both
//! referenced by the Checkout Session id:
//! - `purchase` **+(C + F)**: what the customer paid, gross;
//! - `purchase_fee` **−F**: the platform's fee.
//!
//! The balance and lifetime purchases therefore rise by exactly `C`. The ledger's unique
//! `(kind, reference)` makes the `purchase` entry the gate: the webhook, its retries and the
//! return page may all try, one appends and the others find [`Posted::Duplicate`] and change
//! nothing. The amounts come from our `stripe_checkouts` row, fixed when the session was
//! created; a session whose `amount_total` or `metadata.org_id` disagrees with the row is
//! not credited.
//!
//! A refund (`charge.refunded`, whose `amount_refunded` is the running total) takes back the
//! refunded share of the credit: `C × refunded / (C + F)`, in nano-dollars rounded half up,
//! so a full refund takes back exactly `C`. Each step is a `refund` entry referenced by
//! `<charge id>:<running total>`, and the row's `refunded_cents` (updated under a row lock in
//! the same transaction) makes a repeated or older event a no-op. The balance may go
//! negative. Auto top-ups are refunded the same way, from their `stripe_topup_charges` row.

use chrono::Utc;
use entity::{stripe_checkout, stripe_topup_charge};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    DbErr, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect,
};

use super::events::{RefundedCharge, SessionState};
use crate::billing::ledger::{self, EntryKind, LedgerError, NewEntry, Posted};
use crate::billing::money::Nanos;

const OPEN: &str = "open";
/// A session's `status` once its credit is in the ledger.
pub(super) const CREDITED: &str = "credited";

/// What crediting a session did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credited {
    /// Credited now: `credit` added, the organization's balance after it.
    Applied {
        org_id: String,
        credit: Nanos,
        balance: Nanos,
        /// The customer asked to keep the card.
        save_card: bool,
    },
    /// Credited before (by the webhook, a retry, or the return page).
    AlreadyCredited,
    /// Not paid yet (a delayed payment method): nothing to do until it is.
    NotPaid,
    /// Not a session this server created, or it disagrees with what was created.
    NotOurs(&'static str),
}

/// What a refund did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refunded {
    Applied {
        org_id: String,
        debit: Nanos,
        balance: Nanos,
    },
    /// This running total (or a later one) was applied before.
    Duplicate,
    /// The charge is not a purchase of ours.
    NotOurs,
}

/// Records a session just created at Stripe.
pub async fn record(
    db: &DatabaseConnection,
    session_id: &str,
    org_id: &str,
    user_id: Option<&str>,
    credit_cents: u64,
    fee_cents: u64,
    save_card: bool,
) -> Result<(), DbErr> {
    stripe_checkout::ActiveModel {
        session_id: Set(session_id.to_owned()),
        org_id: Set(org_id.to_owned()),
        user_id: Set(user_id.map(str::to_owned)),
        credit_cents: Set(cents_i64(credit_cents)),
        fee_cents: Set(cents_i64(fee_cents)),
        payment_intent: Set(None),
        status: Set(OPEN.to_owned()),
        refunded_cents: Set(0),
        save_card: Set(save_card),
        created_at: Set(Utc::now()),
        credited_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

fn cents_i64(cents: u64) -> i64 {
    i64::try_from(cents).unwrap_or(i64::MAX)
}

fn nanos_of_cents(cents: i64) -> Nanos {
    Nanos::from_cents(cents.max(0) as u64)
}

/// One of the organization's sessions (`None` if it is not the organization's).
pub async fn find_for_org(
    db: &DatabaseConnection,
    org_id: &str,
    session_id: &str,
) -> Result<Option<stripe_checkout::Model>, DbErr> {
    stripe_checkout::Entity::find_by_id(session_id)
        .filter(stripe_checkout::Column::OrgId.eq(org_id))
        .one(db)
        .await
}

/// Credits `session` if Stripe says it is paid, exactly once however often it is called.
pub async fn credit(
    db: &DatabaseConnection,
    session: &SessionState,
) -> Result<Credited, LedgerError> {
    if !session.paid {
        return Ok(Credited::NotPaid);
    }
    let Some(row) = stripe_checkout::Entity::find_by_id(&session.id)
        .one(db)
        .await?
    else {
        return Ok(Credited::NotOurs("unknown session"));
    };
    if session
        .org_id
        .as_deref()
        .is_some_and(|org| org != row.org_id)
    {
        return Ok(Credited::NotOurs("metadata.org_id differs"));
    }
    let total = row.credit_cents + row.fee_cents;
    if session.amount_total.is_some_and(|paid| paid != total) {
        return Ok(Credited::NotOurs("amount_total differs"));
    }
    let txn = crate::db::begin_write(db).await?;
    let entry = |kind, amount| NewEntry {
        org_id: row.org_id.clone(),
        kind,
        amount,
        reference: Some(row.session_id.clone()),
        reason: None,
        actor_user_id: row.user_id.clone(),
    };
    let gross = nanos_of_cents(total);
    if ledger::post_in(&txn, entry(EntryKind::Purchase, gross)).await? == Posted::Duplicate {
        txn.rollback().await?;
        return Ok(Credited::AlreadyCredited);
    }
    let fee = Nanos::ZERO.saturating_sub(nanos_of_cents(row.fee_cents));
    let Posted::Applied { balance, .. } =
        ledger::post_in(&txn, entry(EntryKind::PurchaseFee, fee)).await?
    else {
        // A fee without its purchase cannot exist: both are only ever posted together.
        txn.rollback().await?;
        return Ok(Credited::AlreadyCredited);
    };
    let org_id = row.org_id.clone();
    let credit = nanos_of_cents(row.credit_cents);
    let save_card = row.save_card;
    let mut active = row.into_active_model();
    active.status = Set(CREDITED.to_owned());
    active.credited_at = Set(Some(Utc::now()));
    if let Some(pi) = &session.payment_intent {
        active.payment_intent = Set(Some(pi.clone()));
    }
    active.update(&txn).await?;
    txn.commit().await?;
    Ok(Credited::Applied {
        org_id,
        credit,
        balance,
        save_card,
    })
}

/// The session a payment intent paid, if it is ours.
pub async fn find_by_payment_intent(
    db: &DatabaseConnection,
    payment_intent: &str,
) -> Result<Option<stripe_checkout::Model>, DbErr> {
    stripe_checkout::Entity::find()
        .filter(stripe_checkout::Column::PaymentIntent.eq(payment_intent))
        .one(db)
        .await
}

/// Notes the payment intent of one of our sessions (learnt from Stripe before its
/// completion event arrived).
pub async fn link_payment_intent(
    db: &DatabaseConnection,
    session_id: &str,
    payment_intent: &str,
) -> Result<Option<stripe_checkout::Model>, DbErr> {
    let Some(row) = stripe_checkout::Entity::find_by_id(session_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let mut active = row.into_active_model();
    active.payment_intent = Set(Some(payment_intent.to_owned()));
    Ok(Some(active.update(db).await?))
}

/// The credit share of `refunded` cents of a `total`-cent payment that bought `credit`.
fn refunded_credit(credit: Nanos, refunded_cents: i64, total_cents: i64) -> Nanos {
    if total_cents <= 0 {
        return Nanos::ZERO;
    }
    let num = i128::from(credit.as_nanos()) * i128::from(refunded_cents.clamp(0, total_cents));
    let den = i128::from(total_cents);
    Nanos::from_nanos(((num + den / 2) / den) as i64)
}

/// A payment of ours that refunds can take credit back from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payment<'a> {
    /// A Checkout purchase, by its session id.
    Checkout(&'a str),
    /// An auto top-up, by its PaymentIntent id.
    Topup(&'a str),
}

/// What a payment bought and how far it has been refunded, read under a row lock.
struct Refundable {
    org_id: String,
    credit_cents: i64,
    fee_cents: i64,
    refunded_cents: i64,
}

impl Payment<'_> {
    /// The row lock (PostgreSQL; SQLite's write transaction holds the database) orders
    /// concurrent deliveries of the same charge's refunds.
    async fn lock(self, txn: &DatabaseTransaction) -> Result<Option<Refundable>, DbErr> {
        Ok(match self {
            Payment::Checkout(id) => stripe_checkout::Entity::find_by_id(id)
                .lock_exclusive()
                .one(txn)
                .await?
                .map(|row| Refundable {
                    org_id: row.org_id,
                    credit_cents: row.credit_cents,
                    fee_cents: row.fee_cents,
                    refunded_cents: row.refunded_cents,
                }),
            Payment::Topup(id) => stripe_topup_charge::Entity::find_by_id(id)
                .lock_exclusive()
                .one(txn)
                .await?
                .map(|row| Refundable {
                    org_id: row.org_id,
                    credit_cents: row.credit_cents,
                    fee_cents: row.fee_cents,
                    refunded_cents: row.refunded_cents,
                }),
        })
    }

    async fn set_refunded(self, txn: &DatabaseTransaction, cents: i64) -> Result<(), DbErr> {
        match self {
            Payment::Checkout(id) => {
                stripe_checkout::Entity::update_many()
                    .col_expr(stripe_checkout::Column::RefundedCents, Expr::value(cents))
                    .filter(stripe_checkout::Column::SessionId.eq(id))
                    .exec(txn)
                    .await?;
            }
            Payment::Topup(id) => {
                stripe_topup_charge::Entity::update_many()
                    .col_expr(
                        stripe_topup_charge::Column::RefundedCents,
                        Expr::value(cents),
                    )
                    .filter(stripe_topup_charge::Column::PaymentIntent.eq(id))
                    .exec(txn)
                    .await?;
            }
        }
        Ok(())
    }
}

/// The auto top-up paid by `payment_intent`, if it was credited here.
pub async fn find_topup(
    db: &DatabaseConnection,
    payment_intent: &str,
) -> Result<Option<stripe_topup_charge::Model>, DbErr> {
    stripe_topup_charge::Entity::find_by_id(payment_intent)
        .one(db)
        .await
}

/// Takes back the credit share of `charge`'s refunds on `payment`, once per running total.
pub async fn refund(
    db: &DatabaseConnection,
    payment: Payment<'_>,
    charge: &RefundedCharge,
) -> Result<Refunded, LedgerError> {
    let txn = crate::db::begin_write(db).await?;
    let Some(row) = payment.lock(&txn).await? else {
        txn.rollback().await?;
        return Ok(Refunded::NotOurs);
    };
    let total = row.credit_cents + row.fee_cents;
    let now_refunded = charge.amount_refunded.clamp(0, total);
    if now_refunded <= row.refunded_cents {
        txn.rollback().await?;
        return Ok(Refunded::Duplicate);
    }
    let credit = nanos_of_cents(row.credit_cents);
    let debit = refunded_credit(credit, now_refunded, total).saturating_sub(refunded_credit(
        credit,
        row.refunded_cents,
        total,
    ));
    let posted = ledger::post_in(
        &txn,
        NewEntry {
            org_id: row.org_id.clone(),
            kind: EntryKind::Refund,
            amount: Nanos::ZERO.saturating_sub(debit),
            reference: Some(format!("{}:{now_refunded}", charge.id)),
            reason: Some(format!("Stripe refund of charge {}", charge.id)),
            actor_user_id: None,
        },
    )
    .await?;
    let Posted::Applied { balance, .. } = posted else {
        txn.rollback().await?;
        return Ok(Refunded::Duplicate);
    };
    payment.set_refunded(&txn, now_refunded).await?;
    txn.commit().await?;
    Ok(Refunded::Applied {
        org_id: row.org_id,
        debit,
        balance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_refund_takes_back_exactly_the_credit() {
        let credit = Nanos::from_cents(1_000);
        assert_eq!(refunded_credit(credit, 1_080, 1_080), credit);
        assert_eq!(refunded_credit(credit, 2_000, 1_080), credit);
        assert_eq!(refunded_credit(credit, 0, 1_080), Nanos::ZERO);
        // Half of the payment: half of the credit.
        assert_eq!(refunded_credit(credit, 540, 1_080), Nanos::from_cents(500));
        // Two partial steps add up to the whole.
        let first = refunded_credit(credit, 333, 1_080);
        let rest = refunded_credit(credit, 1_080, 1_080).saturating_sub(first);
        assert_eq!(first.saturating_add(rest), credit);
    }
}
