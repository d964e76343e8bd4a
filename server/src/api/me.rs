//! The current user and the organizations they belong to.

use actix_web::{get, web};
use api_types::account::MeResponse;

use super::error::ApiError;
use super::extract::SessionUser;
use super::openapi::ErrorBody;
use crate::accounts::{organizations, users};
use crate::state::AppState;

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
    Ok(web::Json(MeResponse {
        user: users::view(&session.user),
        organizations: organizations::list_for_user(&state.db, &session.user.id).await?,
    }))
}
