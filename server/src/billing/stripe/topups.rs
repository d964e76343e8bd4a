//! Running auto top-up (the rules are in [`super::auto_topup`]): the periodic check on every
//! process, and the webhook's `payment_intent.succeeded`.

use std::collections::HashMap;
use std::time::Duration;

use super::auto_topup;
use super::client::StripeApiError;
use super::events::TopupPaid;
use super::{PurchaseError, Purchasing};
use crate::billing::leases::now_ms;
use crate::billing::ledger;
use crate::billing::money::Nanos;

/// How long a claim to charge lasts if its process dies mid-way (Stripe calls time out
/// after 30 s).
const CLAIM_MS: i64 = 120_000;

impl Purchasing {
    /// Checks every enabled auto top-up every `every`, until the process stops.
    pub fn spawn_auto_topups(
        state: actix_web::web::Data<crate::state::AppState>,
        every: Duration,
        retry_after: Duration,
    ) {
        if state.purchasing.api.is_none() {
            return;
        }
        actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(err) = state.purchasing.check_auto_topups(retry_after).await {
                    tracing::warn!(%err, "auto top-up check failed");
                }
            }
        });
    }

    /// One pass: every organization below its threshold whose claim this process wins is
    /// charged once.
    pub async fn check_auto_topups(&self, retry_after: Duration) -> Result<(), PurchaseError> {
        for row in auto_topup::enabled(&self.db).await? {
            let threshold = Nanos::from_cents(row.threshold_cents.max(0) as u64);
            // A cheap look first: most organizations are above their threshold.
            if ledger::sums(&self.db, &row.org_id).await?.balance >= threshold {
                continue;
            }
            let now = now_ms();
            if !auto_topup::claim(&self.db, &row.org_id, now, now + CLAIM_MS).await? {
                continue;
            }
            if let Err(err) = self.top_up(&row, threshold, now, retry_after).await {
                auto_topup::release(&self.db, &row.org_id).await.ok();
                return Err(err);
            }
        }
        Ok(())
    }

    async fn top_up(
        &self,
        row: &entity::auto_topup::Model,
        threshold: Nanos,
        claimed_at: i64,
        retry_after: Duration,
    ) -> Result<(), PurchaseError> {
        let org_id = row.org_id.as_str();
        // Again under the claim: another process's top-up may have just landed.
        let balance = ledger::sums(&self.db, org_id).await?.balance;
        let (Some(api), Some(customer), Some(method)) =
            (&self.api, &row.stripe_customer, &row.payment_method)
        else {
            auto_topup::release(&self.db, org_id).await?;
            return Ok(());
        };
        if balance >= threshold {
            auto_topup::release(&self.db, org_id).await?;
            return Ok(());
        }
        let credit_cents = row.amount_cents.max(0) as u64;
        let fee_cents = self.settings.rules.fee_cents(credit_cents);
        let metadata = HashMap::from([
            ("org_id".to_owned(), org_id.to_owned()),
            ("kind".to_owned(), "auto_topup".to_owned()),
            ("credit_cents".to_owned(), credit_cents.to_string()),
            ("fee_cents".to_owned(), fee_cents.to_string()),
        ]);
        // The claim's start names the attempt: a retried call is the same payment.
        let key = format!("topup-{org_id}-{claimed_at}");
        match api
            .charge_off_session(customer, method, credit_cents + fee_cents, metadata, &key)
            .await
        {
            Ok(charged) if charged.status == "succeeded" => {
                self.credit_topup(&TopupPaid {
                    payment_intent: charged.payment_intent,
                    org_id: org_id.to_owned(),
                    credit_cents,
                    fee_cents,
                })
                .await?;
                auto_topup::succeeded(&self.db, org_id).await?;
            }
            Ok(charged) => {
                // Still processing: the webhook credits it; the claim lapses meanwhile.
                tracing::info!(org_id, payment_intent = %charged.payment_intent, status = %charged.status, "auto top-up pending");
            }
            Err(StripeApiError::Declined(message)) => {
                let retry_at = now_ms() + retry_after.as_millis() as i64;
                let off = auto_topup::declined(&self.db, org_id, &message, retry_at).await?;
                tracing::warn!(org_id, turned_off = off, "auto top-up declined");
            }
            Err(err) => return Err(err.into()),
        }
        Ok(())
    }

    /// Credits a top-up payment once, whoever reports it first.
    pub(super) async fn credit_topup(
        &self,
        paid: &TopupPaid,
    ) -> Result<&'static str, PurchaseError> {
        // Only Stripe can sign the event, but the intent's metadata is only trusted for an
        // organization that set up auto top-up here (never a ledger entry for a stranger).
        if auto_topup::get(&self.db, &paid.org_id).await?.is_none() {
            tracing::warn!(org_id = %paid.org_id, payment_intent = %paid.payment_intent, "auto top-up payment for an organization without auto top-up; ignored");
            return Ok("ignored");
        }
        let credited = auto_topup::credit(
            &self.db,
            &paid.org_id,
            &paid.payment_intent,
            paid.credit_cents,
            paid.fee_cents,
        )
        .await?;
        Ok(match credited {
            Some(balance) => {
                let credit = Nanos::from_cents(paid.credit_cents);
                self.credited_here(&paid.org_id, credit);
                tracing::info!(org_id = %paid.org_id, credit = %credit, balance = %balance, "auto top-up credited");
                "credited"
            }
            None => "already credited",
        })
    }
}
