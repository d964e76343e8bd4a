//! BYOK (bring your own provider key) credentials in OpenRouter's shapes (`/byok`), plus
//! `always_use`, which OpenRouter's API lacks (its dashboard has "Always use this key").
//! The key itself goes in once (create, or a rotation through update) and never comes back:
//! responses carry `label`, `...` and its last four characters.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::present;

/// OpenRouter's `BYOKKey`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ByokKeyView {
    pub id: String,
    /// Catalog provider slug (`openai`, `anthropic`, ...).
    pub provider: String,
    /// The organization (our workspaces are organizations).
    pub workspace_id: String,
    /// `...` and the key's last four characters.
    pub label: String,
    pub name: Option<String>,
    pub disabled: bool,
    /// Tried after the platform's own endpoints instead of before them.
    pub is_fallback: bool,
    /// Switchboard's addition: while this key applies to a request (enabled, model and API
    /// key allowed), the platform's capacity for its provider is never used; the request
    /// fails over only to other models' or providers' endpoints and to fallback keys.
    pub always_use: bool,
    /// Model ids this key may serve; `null`: any.
    pub allowed_models: Option<Vec<String>>,
    /// Hashes of the organization's API keys that may use this key; `null`: any.
    pub allowed_api_key_hashes: Option<Vec<String>>,
    /// Always `null` here (per-user restrictions are not supported).
    pub allowed_user_ids: Option<Vec<String>>,
    /// Order among the organization's keys for one provider (ascending, creation order).
    pub sort_order: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ByokKeyResponse {
    pub data: ByokKeyView,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ByokKeyList {
    pub data: Vec<ByokKeyView>,
    /// Credentials matching the filters, all pages together.
    pub total_count: u64,
}

/// OpenRouter's `CreateBYOKKeyRequest` (with `always_use`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateByokKeyRequest {
    pub provider: String,
    /// The provider key. Encrypted at rest, never returned.
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub is_fallback: bool,
    #[serde(default)]
    pub always_use: bool,
    #[serde(default)]
    pub disabled: bool,
    /// `null` or absent: any model; `[]` is refused (it would allow nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_models: Option<Vec<String>>,
    /// `null` or absent: any API key of the organization; `[]` is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_api_key_hashes: Option<Vec<String>>,
    /// Only `null` is accepted (left out of the document).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub allowed_user_ids: Option<Vec<String>>,
    /// When given, must be the organization the caller acts in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
}

// For a client: `None` leaves a field out; for the nullable ones `Some(None)` sends `null`.
/// OpenRouter's `UpdateBYOKKeyRequest` (with `always_use`). Absent fields stay as they are;
/// `null` clears `name` and the allowlists; `[]` is refused; `key` replaces the key.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateByokKeyRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub name: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_fallback: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub always_use: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<String>>))]
    pub allowed_models: Option<Option<Vec<String>>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<String>>))]
    pub allowed_api_key_hashes: Option<Option<Vec<String>>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(ignore))]
    pub allowed_user_ids: Option<Option<Vec<String>>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_clears_and_absence_keeps() {
        let body: UpdateByokKeyRequest =
            serde_json::from_str(r#"{"allowed_models":null,"disabled":true}"#).unwrap();
        assert_eq!(body.allowed_models, Some(None));
        assert_eq!(body.allowed_api_key_hashes, None);
        assert_eq!(body.disabled, Some(true));
        let back = serde_json::to_string(&body).unwrap();
        assert_eq!(back, r#"{"disabled":true,"allowed_models":null}"#);
        assert!(serde_json::from_str::<UpdateByokKeyRequest>(r#"{"nope":1}"#).is_err());
    }
}
