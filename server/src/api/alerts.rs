//! `/alerts`: the organization's alert settings (webhook URL, low-balance threshold, key-spend
//! alerts), its webhook signing secret (shown only when created or rotated), a test event, and
//! the list of alert events with their delivery state. Any member (or a management key) reads;
//! owners and admins (or a management key) change settings, rotate the secret and send tests.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use api_types::alerts::{
    AlertEventPage, AlertEventResponse, AlertSettingsRequest, AlertSettingsResponse,
    WebhookSecretResponse,
};
use serde::Deserialize;

use super::error::{ApiError, extractors};
use super::extract::OrgCaller;
use super::openapi::ErrorBody;
use super::paging::PerPage;
use crate::accounts::audit::Actor;
use crate::accounts::organizations::require_manager;
use crate::alerts::{detect, events, settings};
use crate::billing::money::MAX_SETTABLE_USD;
use crate::state::AppState;

fn actor(caller: &OrgCaller) -> Result<Actor<'_>, ApiError> {
    match (&caller.user, &caller.key_hash) {
        (Some(user), _) => Ok(Actor::User(user)),
        (None, Some(hash)) => Ok(Actor::ManagementKey(hash)),
        (None, None) => Err(ApiError::internal("alerts caller without a user or key")),
    }
}

/// The organization's alert settings (never the signing secret).
#[utoipa::path(tag = "alerts", responses(
    (status = 200, body = AlertSettingsResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/alerts/settings")]
pub async fn get_settings(
    state: web::Data<AppState>,
    caller: OrgCaller,
) -> Result<web::Json<AlertSettingsResponse>, ApiError> {
    let row = settings::get(&state.db, &caller.scope).await?;
    Ok(web::Json(AlertSettingsResponse {
        data: settings::view(row.as_ref()),
        webhook_secret: None,
    }))
}

/// Replace the alert settings (owner or admin, or a management key). The first call that sets
/// a webhook URL creates the signing secret and returns it once, in `webhook_secret`. The URL
/// must point at a public host unless the operator allows private addresses.
#[utoipa::path(tag = "alerts", request_body = AlertSettingsRequest, responses(
    (status = 200, body = AlertSettingsResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[put("/alerts/settings")]
pub async fn put_settings(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<web::Json<AlertSettingsResponse>, ApiError> {
    require_manager(&caller.scope)?;
    let body: AlertSettingsRequest = super::json::body(&req, payload).await?;
    let threshold = body
        .low_balance_threshold
        .as_ref()
        .map(settings::parse_threshold)
        .transpose()?;
    let webhook_url = match body.webhook_url.as_deref() {
        Some(url) => Some(settings::check_url(url, state.alerts.options.allow_private).await?),
        None => None,
    };
    let new = settings::NewSettings {
        webhook_url,
        low_balance_threshold: threshold,
        key_spend_alerts: body.key_spend_alerts,
    };
    let (row, secret) = settings::put(
        &state.db,
        &state.master_key,
        &caller.scope,
        actor(&caller)?,
        new,
    )
    .await?;
    state
        .alerts
        .watch_org(caller.scope.org_id(), row.webhook_url.is_some());
    // A threshold already crossed is reported now, not at the next spend.
    if let Err(err) = detect::check_org(&state.alerts, caller.scope.org_id()).await {
        tracing::warn!(%err, "checking alert thresholds after a settings change failed");
    }
    Ok(web::Json(AlertSettingsResponse {
        data: settings::view(Some(&row)),
        webhook_secret: secret,
    }))
}

/// Replace the webhook signing secret (owner or admin, or a management key); the new secret
/// is shown once and signs every delivery from now on. 409 without a webhook URL.
#[utoipa::path(tag = "alerts", responses(
    (status = 201, body = WebhookSecretResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
#[post("/alerts/webhook-secret")]
pub async fn rotate_secret(
    state: web::Data<AppState>,
    caller: OrgCaller,
) -> Result<HttpResponse, ApiError> {
    let secret =
        settings::rotate_secret(&state.db, &state.master_key, &caller.scope, actor(&caller)?)
            .await?;
    Ok(HttpResponse::Created().json(WebhookSecretResponse {
        webhook_secret: secret,
    }))
}

/// Queue a `test` event to the webhook (owner or admin, or a management key); it is delivered,
/// signed and retried like any alert and listed with them. 409 without a webhook URL; 429
/// (with `Retry-After`) past `ALERT_TESTS_PER_MINUTE` (default 5) test alerts a minute.
#[utoipa::path(tag = "alerts", responses(
    (status = 202, body = AlertEventResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
    (status = 429, body = ErrorBody, description = "Too many test alerts in the last minute (`ALERT_TESTS_PER_MINUTE`)")))]
#[post("/alerts/test")]
pub async fn send_test(
    state: web::Data<AppState>,
    caller: OrgCaller,
) -> Result<HttpResponse, ApiError> {
    let row = events::send_test(&state.alerts, &caller.scope).await?;
    Ok(HttpResponse::Accepted().json(AlertEventResponse {
        data: events::view(row),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertEventsQuery {
    /// Events older than this cursor (the previous page's `next_before`).
    pub before: Option<String>,
    /// Events per page, 1 to 100 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub per_page: Option<PerPage>,
}

/// The organization's alert events, newest first, with their delivery status and attempts
/// (cursor paged). Any member, or a management key.
#[utoipa::path(tag = "alerts", params(AlertEventsQuery), responses(
    (status = 200, body = AlertEventPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/alerts")]
pub async fn list(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
) -> Result<web::Json<AlertEventPage>, ApiError> {
    let query: AlertEventsQuery = extractors::query(&req)?;
    let before = query
        .before
        .as_deref()
        .map(|text| {
            events::Cursor::decode(text).ok_or_else(|| {
                ApiError::bad_request("before: not a cursor of this listing (use next_before)")
            })
        })
        .transpose()?;
    let limit = query.per_page.map_or(50, PerPage::get);
    let mut rows = events::list(&state.db, &caller.scope, before.as_ref(), limit + 1).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_before = if more {
        rows.last().map(|r| events::cursor(r).encode())
    } else {
        None
    };
    Ok(web::Json(AlertEventPage {
        data: rows.into_iter().map(events::view).collect(),
        next_before,
    }))
}

/// What `UsdInput` (the low-balance threshold) accepts, which utoipa cannot say of an untagged
/// enum's variants: a number above 0 and at most [`MAX_SETTABLE_USD`], or a plain decimal
/// string (white space around it is trimmed) of at most 9 places and at most that much.
/// That the amount is not zero after rounding to nano-dollars is stated in words.
pub(crate) fn document_rules(doc: &mut serde_json::Value) {
    use serde_json::json;
    let ws = crate::gateway::catalog::spec_doc::WHITE_SPACE_CLASS;
    let forms = &mut doc["components"]["schemas"]["UsdInput"]["oneOf"];
    if let Some([number, text]) = forms.as_array_mut().map(Vec::as_mut_slice) {
        number["exclusiveMinimum"] = json!(0);
        number["maximum"] = json!(MAX_SETTABLE_USD);
        text["pattern"] = json!(format!(
            r"^{ws}*(0*[0-9]{{1,9}}(\.[0-9]{{0,9}}0*)?|0*1000000000(\.0*)?|\.[0-9]{{1,9}}0*){ws}*$"
        ));
    }
}
