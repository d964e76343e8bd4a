//! BYOK (bring your own provider key) credentials in OpenRouter's shapes (`/byok`), plus
//! `always_use`, which OpenRouter's API lacks (its dashboard has "Always use this key").
//! The key itself goes in once (create, or a rotation through update) and never comes back:
//! responses carry `label`, `...` and its last four characters.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::keys::present;

// The rules of `accounts::byok` as patterns. Values are trimmed of Unicode white space (Rust's
// `char::is_whitespace`, spelt out: JSON Schema's `\s` is another set) before they are checked.
/// A provider key: 8 to 4096 printable ASCII characters once trimmed (it goes in an HTTP header).
#[cfg(feature = "openapi")]
pub const KEY_PATTERN: &str = r"^[\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[!-~][ -~]{6,4094}[!-~][\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$";
/// A name: at most 255 characters once trimmed (blank: no name).
#[cfg(feature = "openapi")]
pub const NAME_PATTERN: &str = r"^[\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*(?:[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000](?:[\s\S]{0,253}[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?)?[\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$";
/// An `allowed_models` entry: 1 to 256 characters once trimmed.
#[cfg(feature = "openapi")]
pub const MODEL_ENTRY_PATTERN: &str = r"^[\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000](?:[\s\S]{0,254}[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000])?[\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$";
/// An `allowed_api_key_hashes` entry: 64 lower-case hex characters once trimmed.
#[cfg(feature = "openapi")]
pub const KEY_HASH_PATTERN: &str = r"^[\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[0-9a-f]{64}[\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$";
/// Longest allowlist.
#[cfg(feature = "openapi")]
const MAX_LIST: usize = 100;

/// `null`, or 1 to 100 entries matching `entry` (duplicates are dropped).
#[cfg(feature = "openapi")]
fn allowlist(entry: &str, description: &str) -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(entry)),
        )
        .min_items(Some(1))
        .max_items(Some(MAX_LIST))
        .description(Some(description))
        .build()
}

#[cfg(feature = "openapi")]
fn allowed_models_schema() -> utoipa::openapi::schema::Array {
    allowlist(
        MODEL_ENTRY_PATTERN,
        "Model ids this key may serve; `null`: any model. `[]` is refused (it would allow nothing).",
    )
}

#[cfg(feature = "openapi")]
fn allowed_key_hashes_schema() -> utoipa::openapi::schema::Array {
    allowlist(
        KEY_HASH_PATTERN,
        "Hashes of API keys of the organization that may use this key; `null`: any. `[]` is refused; every hash must name a key of the organization.",
    )
}

#[cfg(feature = "openapi")]
fn string(pattern: &str, nullable: bool, description: &str) -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    let schema_type = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    };
    ObjectBuilder::new()
        .schema_type(schema_type)
        .pattern(Some(pattern))
        .description(Some(description))
        .build()
}

#[cfg(feature = "openapi")]
const KEY_DOC: &str = "The provider key: 8 to 4096 printable ASCII characters, trimmed. Encrypted at rest, never returned.";
#[cfg(feature = "openapi")]
const NAME_DOC: &str = "At most 255 characters, trimmed; blank or `null`: no name.";

#[cfg(feature = "openapi")]
fn key_schema() -> utoipa::openapi::schema::Object {
    string(KEY_PATTERN, false, KEY_DOC)
}

#[cfg(feature = "openapi")]
fn new_key_schema() -> utoipa::openapi::schema::Object {
    string(KEY_PATTERN, true, KEY_DOC)
}

#[cfg(feature = "openapi")]
fn name_schema() -> utoipa::openapi::schema::Object {
    string(NAME_PATTERN, true, NAME_DOC)
}

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
    /// A provider of the gateway's catalog, by slug (trimmed). The served document lists the
    /// catalog's providers as they are when it is fetched.
    pub provider: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = key_schema))]
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = name_schema))]
    pub name: Option<String>,
    #[serde(default)]
    pub is_fallback: bool,
    #[serde(default)]
    pub always_use: bool,
    #[serde(default)]
    pub disabled: bool,
    /// `null` or absent: any model; `[]` is refused (it would allow nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = allowed_models_schema))]
    pub allowed_models: Option<Vec<String>>,
    /// `null` or absent: any API key of the organization; `[]` is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = allowed_key_hashes_schema))]
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
    #[cfg_attr(feature = "openapi", schema(schema_with = new_key_schema))]
    pub key: Option<String>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(schema_with = name_schema))]
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
    #[cfg_attr(feature = "openapi", schema(schema_with = allowed_models_schema))]
    pub allowed_models: Option<Option<Vec<String>>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(schema_with = allowed_key_hashes_schema))]
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
