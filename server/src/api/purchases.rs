//! Buying credit: start a Stripe Checkout (`POST /credits/checkout`), confirm it from the
//! return page (`GET /credits/checkout/{session_id}`), Stripe's webhook
//! (`POST /stripe/webhook`), and the organization's purchases (`GET /credits/purchases`).

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use api_types::credits::{
    AutoTopup, AutoTopupRequest, AutoTopupResponse, Checkout, CheckoutRequest, CheckoutResponse,
    CheckoutStatus, CheckoutStatusResponse, Purchase, PurchasePage,
};
use serde::Deserialize;

use super::error::{ApiError, extractors};
use super::extract::OrgCaller;
use super::openapi::ErrorBody;
use super::paging::PerPage;
use crate::accounts::organizations;
use crate::billing::money::Nanos;
use crate::billing::stripe::auto_topup;
use crate::billing::stripe::history::{self, Cursor};
use crate::state::AppState;

/// Start buying credit: a Stripe Checkout Session for `amount` plus the platform fee.
/// Owners and admins of the organization, or a management key.
#[utoipa::path(tag = "credits", request_body = CheckoutRequest, responses(
    (status = 201, body = CheckoutResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
    (status = 403, body = ErrorBody), (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
#[post("/credits/checkout")]
pub async fn checkout(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    organizations::require_manager(&caller.scope)?;
    // Read only now, after the caller is judged.
    let request: CheckoutRequest = super::json::body(&req, payload).await?;
    let started = state
        .purchasing
        .start_checkout(
            caller.scope.org_id(),
            caller.user.as_ref().map(|u| u.id.as_str()),
            request.amount,
            request.save_card,
        )
        .await?;
    let credit = Nanos::from_cents(started.credit_cents);
    let fee = Nanos::from_cents(started.fee_cents);
    Ok(HttpResponse::Created().json(CheckoutResponse {
        data: Checkout {
            id: started.session_id,
            url: started.url,
            amount: credit.into(),
            fee: fee.into(),
            total: credit.saturating_add(fee).into(),
        },
    }))
}

/// The return page's check: asks Stripe about the session and credits it if it was paid
/// (exactly once, together with the webhook).
#[utoipa::path(tag = "credits", params(("session_id" = String, Path)), responses(
    (status = 200, body = CheckoutStatusResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 404, body = ErrorBody), (status = 502, body = ErrorBody), (status = 503, body = ErrorBody)))]
#[get("/credits/checkout/{session_id}")]
pub async fn checkout_status(
    state: web::Data<AppState>,
    caller: OrgCaller,
    path: web::Path<String>,
) -> Result<web::Json<CheckoutStatusResponse>, ApiError> {
    let confirmed = state
        .purchasing
        .confirm(caller.scope.org_id(), &path)
        .await?;
    Ok(web::Json(CheckoutStatusResponse {
        data: CheckoutStatus {
            id: confirmed.session_id,
            status: confirmed.status,
            paid: confirmed.paid,
            credited: confirmed.credited,
        },
    }))
}

/// Stripe's webhook. Verifies `Stripe-Signature` over the raw body; credits a paid Checkout
/// Session once (`checkout.session.completed`, `checkout.session.async_payment_succeeded`),
/// takes back refunded credit (`charge.refunded`); other events are acknowledged and ignored.
#[utoipa::path(tag = "credits", request_body(content = super::stripe_doc::StripeEvent, description = "A Stripe event, as Stripe signs and sends it"), responses(
    (status = 200, body = WebhookReceived, description = "Handled or ignored"), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
#[post("/stripe/webhook")]
pub async fn webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let header = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let outcome = state.purchasing.webhook(header, &body).await?;
    Ok(HttpResponse::Ok().json(WebhookReceived {
        received: true,
        result: outcome,
    }))
}

/// The webhook's answer (Stripe reads only the status).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct WebhookReceived {
    received: bool,
    /// What was done: `credited`, `already credited`, `not paid yet`, `refunded`, `ignored`, ...
    result: &'static str,
}

fn topup_view(row: Option<entity::auto_topup::Model>) -> AutoTopupResponse {
    let row = row.unwrap_or_else(|| entity::auto_topup::Model {
        org_id: String::new(),
        enabled: false,
        threshold_cents: 0,
        amount_cents: 0,
        stripe_customer: None,
        payment_method: None,
        claimed_until_ms: 0,
        failures: 0,
        last_error: None,
        updated_at: chrono::Utc::now(),
    });
    let usd = |cents: i64| Nanos::from_cents(cents.max(0) as u64).into();
    AutoTopupResponse {
        data: AutoTopup {
            enabled: row.enabled,
            threshold: usd(row.threshold_cents),
            amount: usd(row.amount_cents),
            card_saved: row.payment_method.is_some(),
            failures: row.failures,
            last_error: row.last_error,
        },
    }
}

/// The organization's auto top-up settings and its last decline.
#[utoipa::path(tag = "credits", responses(
    (status = 200, body = AutoTopupResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/credits/auto-topup")]
pub async fn get_auto_topup(
    state: web::Data<AppState>,
    caller: OrgCaller,
) -> Result<web::Json<AutoTopupResponse>, ApiError> {
    let row = auto_topup::get(&state.db, caller.scope.org_id()).await?;
    Ok(web::Json(topup_view(row)))
}

/// Turn auto top-up on or off and set its threshold and amount (owners and admins, or a
/// management key). Turning it on needs a card saved by a purchase with `save_card`.
#[utoipa::path(tag = "credits", request_body = AutoTopupRequest, responses(
    (status = 200, body = AutoTopupResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    (status = 409, body = ErrorBody, description = "Turning it on before a card was saved"), (status = 503, body = ErrorBody)))]
#[put("/credits/auto-topup")]
pub async fn put_auto_topup(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<AutoTopupResponse>, ApiError> {
    organizations::require_manager(&caller.scope)?;
    let request: AutoTopupRequest = super::json::body(&req, payload).await?;
    let row = state
        .purchasing
        .configure_auto_topup(
            caller.scope.org_id(),
            request.enabled,
            request.threshold,
            request.amount,
        )
        .await?;
    Ok(web::Json(topup_view(Some(row))))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PurchasesQuery {
    /// Purchases older than this cursor (the previous page's `next_before`).
    pub before: Option<String>,
    /// Purchases per page, 1 to 100 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub per_page: Option<PerPage>,
}

/// The organization's purchases of credit, paid or pending, Checkout Sessions and auto
/// top-ups, newest first, with cursor paging. Any member, or a management key.
#[utoipa::path(tag = "credits", params(PurchasesQuery), responses(
    (status = 200, body = PurchasePage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/credits/purchases")]
pub async fn list(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
) -> Result<web::Json<PurchasePage>, ApiError> {
    let query: PurchasesQuery = extractors::query(&req)?;
    let before = query
        .before
        .as_deref()
        .map(|text| {
            Cursor::decode(text).ok_or_else(|| {
                ApiError::bad_request("before: not a cursor of this listing (use next_before)")
            })
        })
        .transpose()?;
    let limit = query.per_page.map_or(50, PerPage::get);
    let mut rows = history::list(&state.db, &caller.scope, before.as_ref(), limit + 1).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_before = if more {
        rows.last().map(|p| p.cursor().encode())
    } else {
        None
    };
    let data = rows
        .into_iter()
        .map(|p| Purchase {
            amount: p.credit.into(),
            fee: p.fee.into(),
            total: p.total().into(),
            refunded: p.refunded.into(),
            source: p.source.as_str().to_owned(),
            status: p.status.as_str().to_owned(),
            created_at: p.created_at,
            credited_at: p.credited_at,
            id: p.id,
        })
        .collect();
    Ok(web::Json(PurchasePage { data, next_before }))
}

/// The purchase bounds the operator configured (`CHECKOUT_MIN_CENTS`, `CHECKOUT_MAX_CENTS`),
/// written into the served document. That an amount is whole cents is stated in words.
pub(crate) fn document_bounds(doc: &mut serde_json::Value, config: &crate::config::Config) {
    // The document's numbers only: the amounts themselves are read exactly (`whole_cents`).
    let usd = |cents: u64| serde_json::json!(cents as f64 / 100.0);
    let (min, max) = (config.checkout_min_cents, config.checkout_max_cents);
    let schemas = &mut doc["components"]["schemas"];
    for (schema, field, low) in [
        ("CheckoutRequest", "amount", min),
        ("AutoTopupRequest", "amount", min),
        ("AutoTopupRequest", "threshold", 0),
    ] {
        let property = &mut schemas[schema]["properties"][field];
        if property.is_object() {
            property["minimum"] = usd(low);
            property["maximum"] = usd(max);
        }
    }
}
