//! Calls to Stripe's API through async-stripe: create and retrieve Checkout Sessions, and
//! find the session behind a PaymentIntent (a refund names only the charge's intent).

use std::collections::HashMap;
use std::time::Duration;

use ::stripe::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionCustomerCreation, CreateCheckoutSessionLineItems,
    CreateCheckoutSessionLineItemsPriceData, CreateCheckoutSessionPaymentIntentData,
    CreateCheckoutSessionPaymentIntentDataSetupFutureUsage, ListCheckoutSession, ProductData,
    RetrieveCheckoutSession,
};
use stripe_core::payment_intent::{
    CreatePaymentIntent, CreatePaymentIntentOffSession, RetrievePaymentIntent,
};
use stripe_shared::{CheckoutSession, CheckoutSessionMode};

use super::events::SessionState;

#[derive(Debug, thiserror::Error)]
pub enum StripeApiError {
    #[error("Stripe client: {0}")]
    Config(String),
    /// Stripe answered with an error, or could not be reached: the caller may retry.
    #[error("Stripe: {0}")]
    Upstream(String),
    /// The card was declined (Stripe's 402), with Stripe's message for the customer.
    #[error("{0}")]
    Declined(String),
}

/// An off-session payment Stripe accepted.
pub struct Charged {
    pub payment_intent: String,
    /// `succeeded`, or `processing` for a method that settles later.
    pub status: String,
}

/// What a new Checkout Session is for.
pub struct NewCheckout<'a> {
    pub org_id: &'a str,
    pub credit_cents: u64,
    pub fee_cents: u64,
    pub success_url: String,
    pub cancel_url: String,
    /// Makes a retried creation return the same session.
    pub idempotency_key: String,
    /// Keep the card for off-session payments (auto top-up).
    pub save_card: bool,
}

/// A created session: its id and the hosted page to send the customer to.
pub struct CreatedCheckout {
    pub id: String,
    pub url: String,
}

#[derive(Clone)]
pub struct StripeApi {
    client: ::stripe::Client,
}

impl StripeApi {
    pub fn new(secret_key: &str, api_base: Option<&str>) -> Result<Self, StripeApiError> {
        // async-stripe builds its rustls config from the process-wide crypto provider, and
        // with both aws-lc-rs (ours) and ring (sqlx's) compiled in rustls cannot pick one by
        // itself. Ours, as the upstream client uses; an `Err` means one is installed already.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let mut builder = ::stripe::ClientBuilder::new(secret_key).timeout(Duration::from_secs(30));
        if let Some(base) = api_base {
            builder = builder.url(base);
        }
        let client = builder
            .build()
            .map_err(|e| StripeApiError::Config(e.to_string()))?;
        Ok(StripeApi { client })
    }

    /// A Checkout Session in `payment` mode with two line items, the credit and the fee, and
    /// the organization in `metadata.org_id` and `client_reference_id`.
    pub async fn create_checkout(
        &self,
        new: NewCheckout<'_>,
    ) -> Result<CreatedCheckout, StripeApiError> {
        let item = |name: &str, cents: u64| {
            let mut price =
                CreateCheckoutSessionLineItemsPriceData::new(stripe_types::Currency::USD);
            price.product_data = Some(ProductData::new(name));
            price.unit_amount = Some(cents as i64);
            let mut line = CreateCheckoutSessionLineItems::new();
            line.price_data = Some(price);
            line.quantity = Some(1);
            line
        };
        let metadata = HashMap::from([("org_id".to_owned(), new.org_id.to_owned())]);
        let key = IdempotencyKey::new(&new.idempotency_key)
            .map_err(|e| StripeApiError::Config(e.to_string()))?;
        let mut create = CreateCheckoutSession::new();
        if new.save_card {
            let mut intent = CreateCheckoutSessionPaymentIntentData::new();
            intent.setup_future_usage =
                Some(CreateCheckoutSessionPaymentIntentDataSetupFutureUsage::OffSession);
            create = create
                .customer_creation(CreateCheckoutSessionCustomerCreation::Always)
                .payment_intent_data(intent);
        }
        let session = create
            .mode(CheckoutSessionMode::Payment)
            .success_url(new.success_url)
            .cancel_url(new.cancel_url)
            .client_reference_id(new.org_id)
            .metadata(metadata)
            .line_items(vec![
                item("Credits", new.credit_cents),
                item("Platform fee", new.fee_cents),
            ])
            .customize()
            .request_strategy(RequestStrategy::Idempotent(key))
            .send(&self.client)
            .await
            .map_err(upstream)?;
        let url = session
            .url
            .clone()
            .ok_or_else(|| StripeApiError::Upstream("the session has no url".into()))?;
        Ok(CreatedCheckout {
            id: session.id.to_string(),
            url,
        })
    }

    pub async fn retrieve_session(&self, id: &str) -> Result<SessionState, StripeApiError> {
        let session = RetrieveCheckoutSession::new(id)
            .send(&self.client)
            .await
            .map_err(upstream)?;
        Ok(state(session))
    }

    /// The Checkout Session that created `payment_intent`, if any.
    pub async fn session_for_payment_intent(
        &self,
        payment_intent: &str,
    ) -> Result<Option<SessionState>, StripeApiError> {
        let list = ListCheckoutSession::new()
            .payment_intent(payment_intent)
            .limit(1)
            .send(&self.client)
            .await
            .map_err(upstream)?;
        Ok(list.data.into_iter().next().map(state))
    }

    /// The customer and the payment method of a (paid) PaymentIntent.
    pub async fn payment_method_of(
        &self,
        payment_intent: &str,
    ) -> Result<(Option<String>, Option<String>), StripeApiError> {
        let intent = RetrievePaymentIntent::new(payment_intent)
            .send(&self.client)
            .await
            .map_err(upstream)?;
        Ok((
            intent.customer.map(|c| c.id().to_string()),
            intent.payment_method.map(|m| m.id().to_string()),
        ))
    }

    /// Charges a saved card without the customer present (auto top-up): one PaymentIntent,
    /// created and confirmed at once. A decline is [`StripeApiError::Declined`].
    pub async fn charge_off_session(
        &self,
        customer: &str,
        payment_method: &str,
        total_cents: u64,
        metadata: HashMap<String, String>,
        idempotency_key: &str,
    ) -> Result<Charged, StripeApiError> {
        let key = IdempotencyKey::new(idempotency_key)
            .map_err(|e| StripeApiError::Config(e.to_string()))?;
        let intent = CreatePaymentIntent::new(total_cents as i64, stripe_types::Currency::USD)
            .customer(customer)
            .payment_method(payment_method)
            .off_session(CreatePaymentIntentOffSession::Bool(true))
            .confirm(true)
            .metadata(metadata)
            .customize()
            .request_strategy(RequestStrategy::Idempotent(key))
            .send(&self.client)
            .await
            .map_err(|err| match err {
                ::stripe::StripeError::Stripe(errors, 402) => StripeApiError::Declined(
                    errors
                        .message
                        .unwrap_or_else(|| "Your card was declined.".into()),
                ),
                other => upstream(other),
            })?;
        Ok(Charged {
            payment_intent: intent.id.to_string(),
            status: intent.status.as_str().to_owned(),
        })
    }
}

fn upstream(err: ::stripe::StripeError) -> StripeApiError {
    StripeApiError::Upstream(err.to_string())
}

fn state(session: CheckoutSession) -> SessionState {
    SessionState {
        id: session.id.to_string(),
        paid: matches!(
            session.payment_status.as_str(),
            "paid" | "no_payment_required"
        ),
        org_id: session.metadata.and_then(|mut m| m.remove("org_id")),
        customer: session.customer.map(|c| c.id().to_string()),
        payment_intent: session.payment_intent.map(|p| p.id().to_string()),
        amount_total: session.amount_total,
        status: session.status.map(|s| s.as_str().to_owned()),
    }
}
