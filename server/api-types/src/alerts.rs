//! Alerts (`/alerts/...`): the organization's webhook settings, its signing secret (shown only
//! when created or rotated), and the alert events with their delivery state.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Usd;

/// A USD amount as the caller may write it: a JSON number (`5`, `2.5`) or an exact decimal
/// string (`"2.50"`, at most 9 decimal places).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum UsdInput {
    /// More than 0, at most 1000000000.
    Number(f64),
    /// Digits with an optional fraction of at most 9 places (`^[0-9]+(\.[0-9]{1,9})?$`).
    Text(String),
}

/// `PUT /alerts/settings`: the whole settings (an absent field counts as `null`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AlertSettingsRequest {
    /// Where alerts are POSTed: `https://` (or `http://`), a public host, no user
    /// information, at most 2048 characters. `null` turns alerts off.
    #[cfg_attr(feature = "openapi", schema(max_length = 2048, format = "uri"))]
    pub webhook_url: Option<String>,
    /// Alert once when the balance falls below this many USD (more than 0, at most one
    /// billion); `null`: no low-balance alert.
    pub low_balance_threshold: Option<UsdInput>,
    /// Alert when a key's spend in its limit period reaches 80 % and 100 % of its limit.
    #[serde(default)]
    pub key_spend_alerts: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertSettings {
    pub webhook_url: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub low_balance_threshold: Option<Usd>,
    pub key_spend_alerts: bool,
    /// A signing secret exists (it is shown only when created or rotated).
    pub webhook_secret_set: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertSettingsResponse {
    pub data: AlertSettings,
    /// The signing secret, only in the answer that created it (the first `PUT` with a
    /// webhook URL): store it now, it is not shown again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<String>,
}

/// `POST /alerts/webhook-secret`: the new secret, shown once. The old one stops signing at once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookSecretResponse {
    pub webhook_secret: String,
}

/// One alert and its delivery.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertEvent {
    pub id: String,
    /// `low_balance`, `key_spend_80`, `key_spend_100` or `test`.
    pub kind: String,
    /// `pending` (being delivered or waiting to retry), `delivered` or `failed`.
    pub status: String,
    /// Delivery attempts made so far.
    pub attempts: i32,
    /// When the next attempt is due (pending events).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The webhook's HTTP status on the last attempt, when it answered.
    pub last_status_code: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The JSON body the webhook receives.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub payload: serde_json::Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertEventPage {
    /// Newest first.
    pub data: Vec<AlertEvent>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertEventResponse {
    pub data: AlertEvent,
}
