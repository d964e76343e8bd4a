//! Prompt and completion storage (`/organization/privacy`, `/generations/content`): the
//! organization's opt-in and the deletion of what it stored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The organization's privacy setting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PrivacyView {
    pub org_id: String,
    /// Prompts and completions are stored (request and response bodies, each capped at
    /// `PROMPT_LOG_MAX_BYTES`). `false` unless an owner or admin opted in.
    pub store_content: bool,
    /// Who last changed `store_content`: a user id, or `key:<hash>` for a management key.
    pub changed_by: Option<String>,
    /// When `store_content` last changed.
    pub changed_at: Option<DateTime<Utc>>,
}

/// A change of the setting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PrivacyRequest {
    /// Store the organization's prompts and completions from now on (`false`: stop at once;
    /// what is stored stays until deleted or past `GENERATION_RETENTION_DAYS`).
    pub store_content: bool,
    /// Required `true` to turn storing on: the caller's consent, recorded with who and when.
    #[serde(default)]
    pub consent: bool,
}

// `DELETE /generations/content`: how many were deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeletedContents {
    /// How many generations' contents were deleted.
    pub deleted: u64,
}
