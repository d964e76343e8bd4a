//! Document-only schemas of the events `POST /stripe/webhook` reads. Each known event type's
//! `data.object` is the parser's own wire type (`billing/stripe/events.rs`), so the document
//! and the parser cannot drift; any other type is acknowledged and ignored. [`document_rules`]
//! adds what utoipa cannot say: that "any other type" excludes the known ones, which makes the
//! `oneOf` exact.

#![allow(dead_code)] // types for the document, never built

use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use crate::billing::stripe::events::{
    CHARGE_REFUNDED, ChargeObject, IntentObject, PAYMENT_INTENT_SUCCEEDED, SESSION_COMPLETED,
    SessionObject,
};

fn one_of(types: &[&str]) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(types.iter().copied()))
        .into()
}

fn session_types() -> RefOr<Schema> {
    one_of(&SESSION_COMPLETED)
}

fn refund_type() -> RefOr<Schema> {
    one_of(&[CHARGE_REFUNDED])
}

fn intent_type() -> RefOr<Schema> {
    one_of(&[PAYMENT_INTENT_SUCCEEDED])
}

/// An event Stripe signs and sends (Stripe adds more fields, which are ignored).
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum StripeEvent {
    CheckoutSession(StripeCheckoutSessionEvent),
    ChargeRefunded(StripeChargeRefundedEvent),
    PaymentIntentSucceeded(StripePaymentIntentEvent),
    Other(StripeOtherEvent),
}

/// A Checkout Session completed: credited once if `payment_status` is `paid` and the session
/// is one of this server's.
#[derive(Deserialize, ToSchema)]
pub struct StripeCheckoutSessionEvent {
    #[schema(schema_with = session_types)]
    r#type: String,
    data: StripeCheckoutSessionData,
}

#[derive(Deserialize, ToSchema)]
pub struct StripeCheckoutSessionData {
    object: SessionObject,
}

/// A charge was refunded (in part or whole): the refunded credit is taken back once.
#[derive(Deserialize, ToSchema)]
pub struct StripeChargeRefundedEvent {
    #[schema(schema_with = refund_type)]
    r#type: String,
    data: StripeChargeData,
}

#[derive(Deserialize, ToSchema)]
pub struct StripeChargeData {
    object: ChargeObject,
}

/// A PaymentIntent succeeded: an auto top-up's is credited once.
#[derive(Deserialize, ToSchema)]
pub struct StripePaymentIntentEvent {
    #[schema(schema_with = intent_type)]
    r#type: String,
    data: StripePaymentIntentData,
}

#[derive(Deserialize, ToSchema)]
pub struct StripePaymentIntentData {
    object: IntentObject,
}

/// Any other event type: acknowledged (200) and ignored.
#[derive(Deserialize, ToSchema)]
pub struct StripeOtherEvent {
    /// Any type but the ones above.
    r#type: String,
    data: StripeOtherData,
}

#[derive(Deserialize, ToSchema)]
pub struct StripeOtherData {
    /// Not read (any value).
    object: serde_json::Value,
}

/// Keeps the known event types out of [`StripeOtherEvent`].
pub(crate) fn document_rules(doc: &mut serde_json::Value) {
    let mut known: Vec<&str> = SESSION_COMPLETED.to_vec();
    known.extend([CHARGE_REFUNDED, PAYMENT_INTENT_SUCCEEDED]);
    let other = &mut doc["components"]["schemas"]["StripeOtherEvent"]["properties"]["type"];
    if other.is_object() {
        other["not"] = json!({ "enum": known });
    }
}
