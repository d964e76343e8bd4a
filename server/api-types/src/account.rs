//! Sign-up, login, sessions and the current user (`/auth/*`, `/me`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::organizations::OrganizationView;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    #[cfg_attr(
        feature = "openapi",
        schema(example = "ada@example.com", format = Email, max_length = 254)
    )]
    pub email: String,
    /// 10 to 512 bytes, at least 4 different characters, not the email.
    #[cfg_attr(feature = "openapi", schema(min_length = 10, max_length = 128))]
    pub password: String,
    /// At most 100 printable characters.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 100, pattern = r"^[^\u0000-\u001f\u007f-\u009f]*$")
    )]
    pub name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token; browsers send it as the `sb_refresh` cookie instead.
    pub refresh_token: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthResponse {
    pub user: UserView,
    /// Access token for `Authorization: Bearer`; also set as the `sb_access` cookie.
    pub token: String,
    pub token_type: String,
    /// Seconds until `token` expires.
    pub expires_in: i64,
    /// Exchange at `/api/v1/auth/refresh` for a new token; single use (rotated).
    pub refresh_token: String,
    pub session_expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub is_platform_admin: bool,
    pub personal_organization_id: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeResponse {
    pub user: UserView,
    /// Personal organization first.
    pub organizations: Vec<OrganizationView>,
}
