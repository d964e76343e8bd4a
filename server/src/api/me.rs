//! The current user and the organizations they belong to.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use entity::user;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::SessionUser;
use super::openapi::ErrorBody;
use super::organizations::OrganizationView;
use crate::accounts::organizations;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub name: Option<String>,
    pub is_platform_admin: bool,
    pub personal_organization_id: String,
    pub created_at: DateTime<Utc>,
}

impl From<&user::Model> for UserView {
    fn from(u: &user::Model) -> Self {
        UserView {
            id: u.id.clone(),
            email: u.email.clone(),
            name: u.name.clone(),
            is_platform_admin: u.is_platform_admin,
            personal_organization_id: u.personal_org_id.clone(),
            created_at: u.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    pub user: UserView,
    /// Personal organization first.
    pub organizations: Vec<OrganizationView>,
}

/// The logged-in user and their organizations with roles.
#[utoipa::path(tag = "account", responses(
    (status = 200, body = MeResponse),
    (status = 401, body = ErrorBody),
))]
#[get("/me")]
pub async fn me(
    state: web::Data<AppState>,
    session: SessionUser,
) -> Result<web::Json<MeResponse>, ApiError> {
    let orgs = organizations::list_for_user(&state.db, &session.user.id).await?;
    Ok(web::Json(MeResponse {
        user: UserView::from(&session.user),
        organizations: orgs
            .into_iter()
            .map(|(org, role)| OrganizationView::new(&org, role))
            .collect(),
    }))
}
