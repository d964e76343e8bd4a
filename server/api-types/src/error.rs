//! The one error shape every endpoint answers with.

use serde::{Deserialize, Serialize};

/// The error shape every endpoint uses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Equals the HTTP status.
    pub code: u16,
    pub message: String,
    pub metadata: Option<serde_json::Value>,
}
