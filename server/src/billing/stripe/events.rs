//! The webhook events purchasing acts on, read from the verified body. Only the fields used
//! are parsed (Stripe adds fields to its objects freely); every other event type is
//! [`Event::Ignored`].

use std::collections::HashMap;

use serde::Deserialize;

/// A Checkout Session as the webhook and the return page see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionState {
    pub id: String,
    /// Stripe says the money arrived (`payment_status` `paid`, or `no_payment_required`
    /// which a purchase never is).
    pub paid: bool,
    /// `metadata.org_id`, set when the session was created.
    pub org_id: Option<String>,
    /// The Stripe customer (created when the card is to be saved).
    pub customer: Option<String>,
    pub payment_intent: Option<String>,
    /// What the customer paid, in cents (credit + fee).
    pub amount_total: Option<i64>,
    /// `open`, `complete` or `expired`.
    pub status: Option<String>,
}

/// A charge that was (partly) refunded: `amount_refunded` is the running total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundedCharge {
    pub id: String,
    pub payment_intent: Option<String>,
    pub amount: i64,
    pub amount_refunded: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// `checkout.session.completed` or `checkout.session.async_payment_succeeded`; credit
    /// only if `paid` (a delayed payment method completes unpaid first).
    SessionCompleted(SessionState),
    /// `charge.refunded`.
    ChargeRefunded(RefundedCharge),
    /// `payment_intent.succeeded` of an auto top-up (metadata `kind: auto_topup`).
    TopupSucceeded(TopupPaid),
    /// Any other type: answered 200 and ignored.
    Ignored(String),
}

#[derive(Debug, thiserror::Error)]
#[error("Malformed event: {0}")]
pub struct MalformedEvent(String);

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    kind: String,
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    object: serde_json::Value,
}

/// The wire shape of a Checkout Session (the fields we read; Stripe sends more).
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = StripeCheckoutSession)]
pub(crate) struct SessionObject {
    pub id: String,
    /// `paid` (or `no_payment_required`) credits the session.
    pub payment_status: String,
    /// `org_id`: the organization the purchase is for (set when the session was created).
    #[serde(default)]
    pub metadata: Option<HashMap<String, String>>,
    /// An id, or the expanded object (its `id` is read).
    #[serde(default)]
    pub payment_intent: Option<serde_json::Value>,
    /// An id, or the expanded object (its `id` is read).
    #[serde(default)]
    pub customer: Option<serde_json::Value>,
    /// In cents.
    #[serde(default)]
    pub amount_total: Option<i64>,
    #[serde(default)]
    pub status: Option<String>,
}

impl From<SessionObject> for SessionState {
    fn from(s: SessionObject) -> Self {
        SessionState {
            paid: matches!(s.payment_status.as_str(), "paid" | "no_payment_required"),
            org_id: s.metadata.and_then(|mut m| m.remove("org_id")),
            payment_intent: s.payment_intent.and_then(expandable_id),
            customer: s.customer.and_then(expandable_id),
            amount_total: s.amount_total,
            status: s.status,
            id: s.id,
        }
    }
}

/// An id, or the expanded object's id.
fn expandable_id(value: serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(id) => Some(id),
        serde_json::Value::Object(o) => o.get("id")?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// An off-session top-up payment that succeeded (its metadata says what it bought).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopupPaid {
    pub payment_intent: String,
    pub org_id: String,
    pub credit_cents: u64,
    pub fee_cents: u64,
}

/// The wire shape of a PaymentIntent (the fields we read).
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = StripePaymentIntent)]
pub(crate) struct IntentObject {
    id: String,
    /// An auto top-up's intent carries `kind: auto_topup`, `org_id`, `credit_cents` and
    /// `fee_cents`; any other intent is ignored.
    #[serde(default)]
    metadata: HashMap<String, String>,
}

/// The wire shape of a Charge (the fields we read).
#[derive(Deserialize, utoipa::ToSchema)]
#[schema(as = StripeCharge)]
pub(crate) struct ChargeObject {
    id: String,
    /// In cents.
    amount: i64,
    /// In cents: the running total of the charge's refunds.
    amount_refunded: i64,
    #[serde(default)]
    payment_intent: Option<String>,
}

/// The event types read; every other type is acknowledged and ignored.
pub const SESSION_COMPLETED: [&str; 2] = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
];
pub const CHARGE_REFUNDED: &str = "charge.refunded";
pub const PAYMENT_INTENT_SUCCEEDED: &str = "payment_intent.succeeded";

/// Reads a verified webhook body.
pub fn parse(body: &[u8]) -> Result<Event, MalformedEvent> {
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|e| MalformedEvent(e.to_string()))?;
    let object = envelope.data.object;
    let malformed = |e: serde_json::Error| MalformedEvent(format!("{}: {e}", envelope.kind));
    Ok(match envelope.kind.as_str() {
        kind if SESSION_COMPLETED.contains(&kind) => {
            let session: SessionObject = serde_json::from_value(object).map_err(malformed)?;
            Event::SessionCompleted(session.into())
        }
        CHARGE_REFUNDED => {
            let charge: ChargeObject = serde_json::from_value(object).map_err(malformed)?;
            Event::ChargeRefunded(RefundedCharge {
                id: charge.id,
                payment_intent: charge.payment_intent,
                amount: charge.amount,
                amount_refunded: charge.amount_refunded,
            })
        }
        PAYMENT_INTENT_SUCCEEDED => {
            let intent: IntentObject = serde_json::from_value(object).map_err(malformed)?;
            let m = &intent.metadata;
            let number = |k: &str| m.get(k).and_then(|v| v.parse::<u64>().ok());
            match (
                m.get("kind").map(String::as_str),
                m.get("org_id"),
                number("credit_cents"),
                number("fee_cents"),
            ) {
                (Some("auto_topup"), Some(org), Some(credit_cents), Some(fee_cents)) => {
                    Event::TopupSucceeded(TopupPaid {
                        payment_intent: intent.id.clone(),
                        org_id: org.clone(),
                        credit_cents,
                        fee_cents,
                    })
                }
                _ => Event::Ignored(envelope.kind),
            }
        }
        _ => Event::Ignored(envelope.kind),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_completed_fixture() {
        let body = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/stripe/checkout_session_completed_event.json"
        ))
        .unwrap();
        let Event::SessionCompleted(session) = parse(&body).unwrap() else {
            panic!("not a completed session");
        };
        assert_eq!(
            session,
            SessionState {
                id: "cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY".into(),
                paid: true,
                org_id: Some("org_123".into()),
                customer: None,
                payment_intent: Some("pi_1PgafyB7WZ01zgkWSjxsAJo3".into()),
                amount_total: Some(1000),
                status: Some("complete".into()),
            }
        );
    }

    #[test]
    fn other_types_are_ignored_and_garbage_is_malformed() {
        let body = br#"{"type":"customer.created","data":{"object":{"id":"cus_1"}}}"#;
        assert_eq!(
            parse(body).unwrap(),
            Event::Ignored("customer.created".into())
        );
        assert!(parse(b"not json").is_err());
        assert!(parse(br#"{"type":"charge.refunded","data":{"object":{}}}"#).is_err());
    }

    #[test]
    fn reads_a_refunded_charge() {
        let body = br#"{"type":"charge.refunded","data":{"object":{"id":"ch_1","amount":1080,"amount_refunded":540,"payment_intent":"pi_1"}}}"#;
        assert_eq!(
            parse(body).unwrap(),
            Event::ChargeRefunded(RefundedCharge {
                id: "ch_1".into(),
                payment_intent: Some("pi_1".into()),
                amount: 1080,
                amount_refunded: 540,
            })
        );
    }
}
