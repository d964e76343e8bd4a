//! Sign-up, login, refresh, logout.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use api_types::account::{AuthResponse, LoginRequest, RefreshRequest, SignupRequest};

use super::cookies;
use super::error::ApiError;
use super::extract::{SessionUser, check_csrf, client_ip, state};
use super::json::Json;
use super::openapi::ErrorBody;
use crate::accounts::sessions::IssuedSession;
use crate::accounts::users::{self, SignupInput};
use crate::state::AppState;

fn session_response(
    status: StatusCode,
    state: &AppState,
    user: entity::user::Model,
    issued: IssuedSession,
) -> HttpResponse {
    let mut builder = HttpResponse::build(status);
    cookies::set_session(&mut builder, &state.config, &issued);
    builder.json(AuthResponse {
        user: users::view(&user),
        token: issued.access_token,
        token_type: "Bearer".into(),
        expires_in: issued.access_expires_in,
        refresh_token: issued.refresh_token,
        session_expires_at: issued.session_expires_at,
    })
}

/// Create an account (and its personal organization) and log in.
#[utoipa::path(tag = "auth", request_body = SignupRequest, responses(
    (status = 201, description = "Account created, session started", body = AuthResponse),
    (status = 400, description = "Invalid email, password or name", body = ErrorBody),
    (status = 409, description = "Email already registered", body = ErrorBody),
    (status = 429, description = "Too many sign-ups from this address", body = ErrorBody),
))]
#[post("/auth/signup")]
pub async fn signup(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<SignupRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .throttle
        .check_signup(client_ip(&req, state.config.trust_forwarded_for))?;
    let body = body.into_inner();
    let user = users::signup(
        &state.db,
        SignupInput {
            email: body.email,
            password: body.password,
            name: body.name,
        },
    )
    .await?;
    let issued = state.sessions.start(&state.db, &user.id).await?;
    Ok(session_response(StatusCode::CREATED, &state, user, issued))
}

/// Log in with email and password.
#[utoipa::path(tag = "auth", request_body = LoginRequest, responses(
    (status = 200, description = "Session started", body = AuthResponse),
    (status = 401, description = "Invalid email or password (same answer for both)", body = ErrorBody),
    (status = 429, description = "Too many attempts for this address or account", body = ErrorBody),
))]
#[post("/auth/login")]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    state.throttle.check_login(
        client_ip(&req, state.config.trust_forwarded_for),
        &body.email,
    )?;
    let user = users::authenticate(&state.db, &body.email, body.password).await?;
    let issued = state.sessions.start(&state.db, &user.id).await?;
    Ok(session_response(StatusCode::OK, &state, user, issued))
}

/// The refresh token from the JSON body, else from the cookie (then CSRF-checked).
fn presented_refresh_token(
    req: &HttpRequest,
    body: &web::Bytes,
) -> Result<Option<(String, bool)>, ApiError> {
    let parsed: RefreshRequest = super::json::parse_optional(body)?;
    if let Some(token) = parsed.refresh_token.filter(|t| !t.is_empty()) {
        return Ok(Some((token, false)));
    }
    Ok(req
        .cookie(cookies::REFRESH)
        .map(|c| (c.value().to_owned(), true)))
}

/// Exchange a refresh token for a new access token and refresh token (rotation).
#[utoipa::path(tag = "auth", request_body(content = Option<RefreshRequest>, description = "Optional when the sb_refresh cookie is sent"), responses(
    (status = 200, description = "New tokens", body = AuthResponse),
    (status = 401, description = "Refresh token unknown, expired, revoked or already used", body = ErrorBody),
))]
#[post("/auth/refresh")]
pub async fn refresh(req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let state = state(&req)?;
    let Some((token, from_cookie)) = presented_refresh_token(&req, &body)? else {
        return Err(ApiError::Unauthorized(
            "No refresh token: send refresh_token or the sb_refresh cookie".into(),
        ));
    };
    if from_cookie {
        check_csrf(&req)?;
    }
    let (issued, user_id) = state.sessions.refresh(&state.db, &token).await?;
    let user = users::find(&state.db, &user_id)
        .await?
        .ok_or(ApiError::Unauthorized(
            "Session expired or revoked; log in again".into(),
        ))?;
    Ok(session_response(StatusCode::OK, &state, user, issued))
}

/// End the session: its refresh token stops working and its access tokens are refused.
#[utoipa::path(tag = "auth", request_body(content = Option<RefreshRequest>, description = "Optional: identify the session by its refresh token instead of the access token"), responses(
    (status = 204, description = "Logged out; cookies cleared"),
    (status = 401, description = "No session to end", body = ErrorBody),
))]
#[post("/auth/logout")]
pub async fn logout(req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let state = state(&req)?;
    let revoked = match presented_refresh_token(&req, &body)? {
        Some((token, from_cookie)) => {
            if from_cookie {
                check_csrf(&req)?;
            }
            state
                .sessions
                .revoke_by_refresh_token(&state.db, &token)
                .await?
        }
        None => false,
    };
    if !revoked {
        let session = SessionUser::authenticate(req.clone()).await?;
        state
            .sessions
            .revoke(&state.db, &session.session_id)
            .await?;
    }
    let mut builder = HttpResponse::NoContent();
    cookies::clear_session(&mut builder);
    Ok(builder.finish())
}
