//! Platform administration (`/admin/*`): organizations, users, suspension, the audit log.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Usd;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PageInfo {
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminOrganization {
    pub id: String,
    pub name: String,
    pub is_personal: bool,
    pub member_count: u64,
    /// The email of its (first) owner: every personal organization is named "Personal".
    pub owner_email: Option<String>,
    /// Its credit balance (USD; negative after a refund of spent credit).
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub balance: Usd,
    /// What it spent in the current UTC month (USD).
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub spent_this_month: Usd,
    pub suspended_at: Option<DateTime<Utc>>,
    pub suspended_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminOrganizationList {
    pub data: Vec<AdminOrganization>,
    pub pagination: PageInfo,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminUser {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub is_platform_admin: bool,
    pub personal_organization_id: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminUserList {
    pub data: Vec<AdminUser>,
    pub pagination: PageInfo,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SuspendRequest {
    /// Shown to the organization's callers in the 403 message.
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: String,
    pub actor_user_id: String,
    pub actor_email: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditList {
    pub data: Vec<AuditEntry>,
    pub pagination: PageInfo,
}

// An admin's change to the shipped model catalog (`/admin/catalog/overrides`). (No doc
// comment: it would become the schema's description.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OverrideView {
    pub id: String,
    pub kind: String,
    pub spec: serde_json::Value,
    pub updated_by_user_id: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OverrideList {
    pub data: Vec<OverrideView>,
}

// The catalog after a change: what changed and how many models and providers it now holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogChanged {
    pub id: String,
    pub models: usize,
    pub providers: usize,
}

/// `GET /admin/organizations/{org_id}`: one organization as platform admins see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminOrganizationDetail {
    pub organization: AdminOrganization,
    /// Its members, oldest first.
    pub members: Vec<crate::organizations::MemberView>,
    /// Its inference keys, newest first, disabled ones included (never the keys themselves).
    pub keys: Vec<crate::keys::KeyView>,
    pub budgets: crate::credits::BudgetsView,
}
