//! API keys in OpenRouter's shapes: inference keys (`/keys`), management keys
//! (`/management-keys`) and a key's own record (`GET /key`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::money::Usd;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum LimitReset {
    Daily,
    Weekly,
    Monthly,
}

impl LimitReset {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitReset::Daily => "daily",
            LimitReset::Weekly => "weekly",
            LimitReset::Monthly => "monthly",
        }
    }

    pub fn parse(text: &str) -> Option<LimitReset> {
        match text {
            "daily" => Some(LimitReset::Daily),
            "weekly" => Some(LimitReset::Weekly),
            "monthly" => Some(LimitReset::Monthly),
            _ => None,
        }
    }

    /// When the current window ends: next UTC midnight, next Monday, or the 1st of next month.
    pub fn next_reset(self, now: DateTime<Utc>) -> DateTime<Utc> {
        use chrono::{Datelike, Days, Months, NaiveTime};
        let today = now.date_naive();
        let next_day = match self {
            LimitReset::Daily => today + Days::new(1),
            LimitReset::Weekly => {
                today + Days::new(7 - u64::from(today.weekday().num_days_from_monday()))
            }
            LimitReset::Monthly => (today.with_day(1).unwrap_or(today)) + Months::new(1),
        };
        next_day.and_time(NaiveTime::MIN).and_utc()
    }
}

/// A key's limit and spend, shared by the key object and `GET /key`. Money is USD.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyFigures {
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub limit: Option<Usd>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub limit_remaining: Option<Usd>,
    pub limit_reset: Option<LimitReset>,
    pub include_byok_in_limit: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub usage: Usd,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub usage_daily: Usd,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub usage_weekly: Usd,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub usage_monthly: Usd,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub byok_usage: Usd,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub byok_usage_daily: Usd,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub byok_usage_weekly: Usd,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub byok_usage_monthly: Usd,
}

/// OpenRouter's key object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyView {
    pub hash: String,
    pub name: String,
    pub label: String,
    pub disabled: bool,
    #[serde(flatten)]
    pub figures: KeyFigures,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub creator_user_id: Option<String>,
    pub external_user: Option<String>,
    /// Our workspaces are organizations.
    pub workspace_id: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyResponse {
    pub data: KeyView,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedKeyResponse {
    pub data: KeyView,
    /// The key itself. Shown once: only its hash is stored.
    pub key: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyList {
    pub data: Vec<KeyView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeletedResponse {
    pub deleted: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateKeyRequest {
    /// 1 to 200 printable characters (trimmed).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
        )
    )]
    pub name: String,
    /// Spending limit in USD; null for none.
    #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1000000000.0))]
    pub limit: Option<f64>,
    pub limit_reset: Option<LimitReset>,
    #[serde(default)]
    pub include_byok_in_limit: bool,
    /// ISO 8601 in UTC (`Z` or `+00:00`); other offsets are rejected. Must be in the future.
    #[cfg_attr(
        feature = "openapi",
        schema(format = DateTime, pattern = r"([Zz]|[+-]00:00)$")
    )]
    pub expires_at: Option<String>,
    /// A member of the organization to record as the key's creator.
    pub creator_user_id: Option<String>,
}

// For a client: `None` leaves a field out of the request; for `limit` and `limit_reset`,
// `Some(None)` sends `null` (clear) and `Some(Some(_))` a new value.
/// Absent fields stay as they are; `null` clears `limit` / `limit_reset`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateKeyRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 1,
            max_length = 200,
            pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
        )
    )]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_byok_in_limit: Option<bool>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<f64>, minimum = 0, maximum = 1000000000.0)
    )]
    pub limit: Option<Option<f64>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<LimitReset>))]
    pub limit_reset: Option<Option<LimitReset>>,
}

/// Marks a field as present (even when `null`), to tell "clear" from "leave alone".
pub(crate) fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// The legacy `rate_limit` object: deprecated upstream (where it always says -1), kept because
/// clients require it. Here it reports the key's real request-rate limit (-1: none).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LegacyRateLimit {
    pub requests: i64,
    pub interval: String,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FreeModelDailyRequests {
    pub limit: i64,
    pub remaining: i64,
    pub used: i64,
}

/// One budget layer that enforcement checks; today only the key's own limit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyBudget {
    pub budget_id: Option<String>,
    pub guardrail_id: Option<String>,
    pub include_byok: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub limit_usd: Usd,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub remaining_usd: Usd,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub spend_usd: Usd,
    pub reset_interval: Option<LimitReset>,
    pub resets_at: Option<DateTime<Utc>>,
    pub scope: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CurrentKey {
    pub label: String,
    pub name: String,
    #[serde(flatten)]
    pub figures: KeyFigures,
    /// True until the organization has bought credits.
    pub is_free_tier: bool,
    pub is_management_key: bool,
    /// OpenRouter's older name for management keys.
    pub is_provisioning_key: bool,
    pub creator_user_id: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub organization_id: Option<String>,
    pub workspace_id: Option<String>,
    pub allowed_data_regions: Vec<String>,
    pub budgets: Vec<KeyBudget>,
    pub effective_budget: Option<KeyBudget>,
    pub free_model_daily_requests: FreeModelDailyRequests,
    pub rate_limit: LegacyRateLimit,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CurrentKeyResponse {
    pub data: CurrentKey,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_windows_end_at_utc_boundaries() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T18:00:00Z")
            .unwrap()
            .to_utc(); // a Sunday
        assert_eq!(
            LimitReset::Daily.next_reset(now).to_rfc3339(),
            "2026-11-23T00:00:00+00:00"
        );
        assert_eq!(
            LimitReset::Weekly.next_reset(now).to_rfc3339(),
            "2026-11-23T00:00:00+00:00"
        );
        assert_eq!(
            LimitReset::Monthly.next_reset(now).to_rfc3339(),
            "2026-12-01T00:00:00+00:00"
        );
        let monday = DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            LimitReset::Weekly.next_reset(monday).to_rfc3339(),
            "2026-11-30T00:00:00+00:00"
        );
    }

    #[test]
    fn an_update_sends_only_what_it_changes() {
        let clear_limit = UpdateKeyRequest {
            limit: Some(None),
            disabled: Some(true),
            ..UpdateKeyRequest::default()
        };
        let json = serde_json::to_string(&clear_limit).unwrap();
        assert_eq!(json, r#"{"disabled":true,"limit":null}"#);
        let back: UpdateKeyRequest = serde_json::from_str(&json).unwrap();
        assert_eq!(back, clear_limit);
        let untouched: UpdateKeyRequest = serde_json::from_str("{}").unwrap();
        assert_eq!(untouched, UpdateKeyRequest::default());
    }
}
