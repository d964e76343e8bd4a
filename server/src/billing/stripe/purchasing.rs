//! The purchasing service the API calls: start a checkout, confirm one from the return page,
//! and handle a webhook delivery.

use super::PurchaseError;
use super::client::{NewCheckout, StripeApi};
use super::events::{self, Event, RefundedCharge, SessionState};
use super::purchases::{self, Credited, Payment, Refunded};
use super::settings::StripeSettings;
use super::signature;
use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::billing::credit::CreditView;
use crate::billing::money::Nanos;
use crate::billing::reservations::CreditAccounts;

/// A checkout just started: where to send the customer.
pub struct Checkout {
    pub session_id: String,
    pub url: String,
    pub credit_cents: u64,
    pub fee_cents: u64,
}

/// What the return page learns about a session.
pub struct Confirmation {
    pub session_id: String,
    pub status: Option<String>,
    pub paid: bool,
    /// The session's credit is in the ledger (now or before).
    pub credited: bool,
}

pub struct Purchasing {
    pub(super) settings: StripeSettings,
    pub(super) api: Option<StripeApi>,
    pub(super) db: DatabaseConnection,
    /// Told of each purchase credited here, so that it counts at once on this process.
    pub(super) credit_view: Arc<CreditView>,
    pub(super) accounts: CreditAccounts,
}

impl Purchasing {
    pub fn new(
        settings: StripeSettings,
        db: DatabaseConnection,
        credit_view: Arc<CreditView>,
        accounts: CreditAccounts,
    ) -> Result<Self, PurchaseError> {
        let api = match &settings.secret_key {
            Some(key) => Some(StripeApi::new(key, settings.api_base.as_deref())?),
            None => None,
        };
        Ok(Purchasing {
            settings,
            api,
            db,
            credit_view,
            accounts,
        })
    }

    pub fn settings(&self) -> &StripeSettings {
        &self.settings
    }

    fn api(&self) -> Result<&StripeApi, PurchaseError> {
        self.api.as_ref().ok_or(PurchaseError::NotConfigured)
    }

    /// Validates `amount_usd` (whole cents within the bounds), then creates a Checkout
    /// Session for it plus the fee and records it.
    pub async fn start_checkout(
        &self,
        org_id: &str,
        user_id: Option<&str>,
        amount_usd: f64,
        save_card: bool,
    ) -> Result<Checkout, PurchaseError> {
        let credit_cents = whole_cents(amount_usd)?;
        self.settings
            .rules
            .check(credit_cents)
            .map_err(PurchaseError::Invalid)?;
        let api = self.api()?;
        let fee_cents = self.settings.rules.fee_cents(credit_cents);
        let base = &self.settings.public_url;
        let created = api
            .create_checkout(NewCheckout {
                org_id,
                credit_cents,
                fee_cents,
                // Stripe fills in `{CHECKOUT_SESSION_ID}` itself.
                success_url: format!(
                    "{base}/app/credits?checkout_session_id={{CHECKOUT_SESSION_ID}}"
                ),
                cancel_url: format!("{base}/app/credits?checkout=cancelled"),
                idempotency_key: format!("checkout-{}", crate::ids::new_id("ck")),
                save_card,
            })
            .await?;
        purchases::record(
            &self.db,
            &created.id,
            org_id,
            user_id,
            credit_cents,
            fee_cents,
            save_card,
        )
        .await?;
        tracing::info!(org_id, session_id = %created.id, credit_cents, fee_cents, "checkout started");
        Ok(Checkout {
            session_id: created.id,
            url: created.url,
            credit_cents,
            fee_cents,
        })
    }

    /// The return page: asks Stripe about one of the organization's sessions and credits it
    /// if paid (once, whether or not the webhook came first).
    pub async fn confirm(
        &self,
        org_id: &str,
        session_id: &str,
    ) -> Result<Confirmation, PurchaseError> {
        let row = purchases::find_for_org(&self.db, org_id, session_id)
            .await?
            .ok_or(PurchaseError::NotFound)?;
        if row.status == "credited" {
            return Ok(Confirmation {
                session_id: row.session_id,
                status: Some("complete".into()),
                paid: true,
                credited: true,
            });
        }
        let session = self.api()?.retrieve_session(session_id).await?;
        let outcome = self.credit(&session).await?;
        Ok(Confirmation {
            session_id: session.id,
            status: session.status,
            paid: session.paid,
            credited: matches!(
                outcome,
                Credited::Applied { .. } | Credited::AlreadyCredited
            ),
        })
    }

    async fn credit(&self, session: &SessionState) -> Result<Credited, PurchaseError> {
        let outcome = purchases::credit(&self.db, session).await?;
        match &outcome {
            Credited::Applied {
                org_id,
                credit,
                balance,
                save_card,
            } => {
                self.credited_here(org_id, *credit);
                tracing::info!(org_id, session_id = %session.id, credit = %credit, balance = %balance, "purchase credited");
                if *save_card {
                    self.keep_card(org_id, session).await;
                }
            }
            Credited::NotOurs(why) => {
                tracing::warn!(session_id = %session.id, why, "checkout session not credited");
            }
            Credited::AlreadyCredited | Credited::NotPaid => {}
        }
        Ok(outcome)
    }

    /// Validates and stores an organization's auto top-up settings.
    pub async fn configure_auto_topup(
        &self,
        org_id: &str,
        enabled: bool,
        threshold_usd: f64,
        amount_usd: f64,
    ) -> Result<entity::auto_topup::Model, PurchaseError> {
        let threshold = match whole_cents(threshold_usd) {
            Ok(cents) => cents,
            Err(_) if threshold_usd == 0.0 => 0,
            Err(PurchaseError::Invalid(m)) => {
                return Err(PurchaseError::Invalid(m.replacen("amount", "threshold", 1)));
            }
            Err(other) => return Err(other),
        };
        let amount = whole_cents(amount_usd)?;
        if enabled && self.api.is_none() {
            return Err(PurchaseError::NotConfigured);
        }
        super::auto_topup::configure(
            &self.db,
            &self.settings.rules,
            org_id,
            enabled,
            threshold,
            amount,
        )
        .await
    }

    /// Tells this process's in-memory views of credit added to `org_id`.
    pub(super) fn credited_here(&self, org_id: &str, credit: Nanos) {
        // This replica's `:free` cap sees the purchase at once; others within seconds.
        if let Err(err) = self.credit_view.record_purchase(org_id, credit) {
            tracing::warn!(%err, "lifetime purchases not updated in memory");
        }
        // A request refused a moment ago may lease the new credit at once.
        self.accounts.credit_added(org_id);
    }

    /// Saves the card a purchase paid with, for auto top-up. A failure is logged: the credit
    /// is in already, and the customer can save a card again with the next purchase.
    async fn keep_card(&self, org_id: &str, session: &SessionState) {
        let (Some(api), Some(pi)) = (&self.api, &session.payment_intent) else {
            return;
        };
        let saved = match api.payment_method_of(pi).await {
            Ok((customer, Some(method))) => {
                let Some(customer) = customer.or_else(|| session.customer.clone()) else {
                    return;
                };
                super::auto_topup::save_card(&self.db, org_id, &customer, &method)
                    .await
                    .map_err(|e| e.to_string())
            }
            Ok((_, None)) => Err("the payment has no payment method".into()),
            Err(err) => Err(err.to_string()),
        };
        if let Err(err) = saved {
            tracing::warn!(org_id, %err, "card not saved for auto top-up");
        }
    }

    /// One webhook delivery: verifies the signature over the raw body, then acts on the
    /// event. `Ok` means "answer 200" (including events that are ignored); an `Err` that is
    /// not about the request itself makes Stripe deliver it again later.
    pub async fn webhook(
        &self,
        signature_header: Option<&str>,
        body: &[u8],
    ) -> Result<&'static str, PurchaseError> {
        let secret = self
            .settings
            .webhook_secret
            .as_deref()
            .ok_or(PurchaseError::WebhookNotConfigured)?;
        let header = signature_header.ok_or(signature::SignatureError::Malformed)?;
        let now = chrono::Utc::now().timestamp();
        signature::verify(header, body, secret, now, signature::TOLERANCE_SECS)?;
        match events::parse(body)? {
            Event::SessionCompleted(session) => Ok(match self.credit(&session).await? {
                Credited::Applied { .. } => "credited",
                Credited::AlreadyCredited => "already credited",
                Credited::NotPaid => "not paid yet",
                Credited::NotOurs(_) => "ignored",
            }),
            Event::ChargeRefunded(charge) => self.refund(&charge).await,
            Event::TopupSucceeded(paid) => self.credit_topup(&paid).await,
            Event::Ignored(_) => Ok("ignored"),
        }
    }

    async fn refund(&self, charge: &RefundedCharge) -> Result<&'static str, PurchaseError> {
        let db = &self.db;
        let Some(pi) = charge.payment_intent.as_deref() else {
            return Ok("ignored");
        };
        let mut row = purchases::find_by_payment_intent(db, pi).await?;
        if row.is_none() && purchases::find_topup(db, pi).await?.is_some() {
            return self.refund_payment(Payment::Topup(pi), charge).await;
        }
        if row.is_none()
            && let Some(api) = &self.api
            && let Some(session) = api.session_for_payment_intent(pi).await?
        {
            // The refund arrived before the session's completion: learn the link from Stripe.
            row = purchases::link_payment_intent(db, &session.id, pi).await?;
        }
        let Some(row) = row else {
            return Ok("ignored");
        };
        self.refund_payment(Payment::Checkout(&row.session_id), charge)
            .await
    }

    async fn refund_payment(
        &self,
        payment: Payment<'_>,
        charge: &RefundedCharge,
    ) -> Result<&'static str, PurchaseError> {
        Ok(match purchases::refund(&self.db, payment, charge).await? {
            Refunded::Applied {
                org_id,
                debit,
                balance,
            } => {
                tracing::info!(org_id, charge = %charge.id, debit = %debit, balance = %balance, "refund debited");
                "refund debited"
            }
            Refunded::Duplicate => "refund already debited",
            Refunded::NotOurs => "ignored",
        })
    }
}

/// A USD amount as whole cents: more precision than a cent is refused, not rounded.
fn whole_cents(amount_usd: f64) -> Result<u64, PurchaseError> {
    let invalid = |why: &str| PurchaseError::Invalid(format!("amount: {why}"));
    let nanos = Nanos::from_usd_f64(amount_usd).map_err(|e| invalid(&e.to_string()))?;
    let per_cent = Nanos::from_cents(1).as_nanos();
    if nanos.as_nanos() <= 0 {
        return Err(invalid("must be positive"));
    }
    if nanos.as_nanos() % per_cent != 0 {
        return Err(invalid("must be whole cents"));
    }
    Ok((nanos.as_nanos() / per_cent) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_whole_cents() {
        assert_eq!(whole_cents(10.0).unwrap(), 1_000);
        assert_eq!(whole_cents(12.34).unwrap(), 1_234);
        assert!(whole_cents(12.345).is_err());
        assert!(whole_cents(-5.0).is_err());
        assert!(whole_cents(0.0).is_err());
        assert!(whole_cents(f64::NAN).is_err());
    }
}
