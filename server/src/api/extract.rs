//! Who is calling: extractors for browser/program sessions, management callers, platform
//! admins and API keys. Authentication is decided here, once, for every handler.
//!
//! - A session is a JWT in `Authorization: Bearer <jwt>` or in the `sb_access` cookie.
//!   Cookie-authenticated requests that change state must carry `X-CSRF-Token` equal to the
//!   `sb_csrf` cookie (double-submit), which a cross-site page cannot read.
//! - API keys (`sk-or-v1-...`) come as `Authorization: Bearer`.
//! - Organization-scoped endpoints act in the organization named by `X-Organization-Id`,
//!   or in the caller's personal organization when the header is absent.

use std::net::IpAddr;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpRequest, web};
use entity::user;
use futures_util::future::LocalBoxFuture;

use super::cookies;
use super::error::ApiError;
use crate::accounts::api_keys::KeyKind;
use crate::accounts::key_cache::AuthKey;
use crate::accounts::organizations;
use crate::accounts::tenant::OrgScope;
use crate::state::AppState;

pub const ORG_HEADER: &str = "X-Organization-Id";
pub const CSRF_HEADER: &str = "X-CSRF-Token";

enum Credential {
    None,
    Jwt { token: String, from_cookie: bool },
    ApiKey(String),
}

fn credential(req: &HttpRequest) -> Credential {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.trim().split_once(' ')?;
            scheme
                .eq_ignore_ascii_case("bearer")
                .then(|| token.trim().to_owned())
        })
        .filter(|t| !t.is_empty());
    match bearer {
        Some(token) if token.starts_with("sk-") => Credential::ApiKey(token),
        Some(token) => Credential::Jwt {
            token,
            from_cookie: false,
        },
        None => match req.cookie(cookies::ACCESS) {
            Some(c) => Credential::Jwt {
                token: c.value().to_owned(),
                from_cookie: true,
            },
            None => Credential::None,
        },
    }
}

pub(crate) fn state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state missing"))
}

/// The client's address, from the socket or, behind a trusted proxy, `X-Forwarded-For`.
pub fn client_ip(req: &HttpRequest, trust_forwarded_for: bool) -> IpAddr {
    let forwarded = trust_forwarded_for
        .then(|| {
            req.connection_info()
                .realip_remote_addr()
                .map(str::to_owned)
        })
        .flatten()
        .and_then(|a| {
            a.parse::<IpAddr>()
                .ok()
                .or_else(|| a.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        });
    forwarded
        .or_else(|| req.peer_addr().map(|a| a.ip()))
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// Double-submit check for cookie-authenticated requests that change state.
pub(crate) fn check_csrf(req: &HttpRequest) -> Result<(), ApiError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let cookie = req.cookie(cookies::CSRF);
    let header = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    match (cookie, header) {
        (Some(c), Some(h))
            if !h.is_empty() && constant_time_eq(c.value().as_bytes(), h.as_bytes()) =>
        {
            Ok(())
        }
        _ => Err(ApiError::Forbidden(format!(
            "CSRF check failed: cookie-authenticated requests that change state must send the {CSRF_HEADER} header"
        ))),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A logged-in user (browser cookie or program bearer JWT).
pub struct SessionUser {
    pub user: user::Model,
    pub session_id: String,
}

impl SessionUser {
    pub(crate) async fn authenticate(req: HttpRequest) -> Result<Self, ApiError> {
        let state = state(&req)?;
        let (token, from_cookie) = match credential(&req) {
            Credential::Jwt { token, from_cookie } => (token, from_cookie),
            Credential::ApiKey(_) => {
                return Err(ApiError::Forbidden(
                    "API keys cannot call this endpoint; it needs a user session".into(),
                ));
            }
            Credential::None => {
                return Err(ApiError::Unauthorized(
                    "Authentication required: log in, or send Authorization: Bearer <token>".into(),
                ));
            }
        };
        let claims = state.sessions.verify_access(&token)?;
        if from_cookie {
            check_csrf(&req)?;
        }
        let user = state.sessions.live_user(&state.db, &claims).await?;
        Ok(SessionUser {
            user,
            session_id: claims.sid,
        })
    }
}

impl FromRequest for SessionUser {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(SessionUser::authenticate(req).await?) })
    }
}

/// A caller of the key-management API: a member's session acting in an organization,
/// or a management key (which acts in its own organization).
pub struct OrgCaller {
    pub scope: OrgScope,
    /// The user, for session callers.
    pub user: Option<user::Model>,
    /// The management key's hash, for management-key callers.
    pub key_hash: Option<String>,
}

impl FromRequest for OrgCaller {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state(&req)?;
            let requested_org = req
                .headers()
                .get(ORG_HEADER)
                .map(|v| v.to_str().map(|s| s.trim().to_owned()))
                .transpose()
                .map_err(|_| {
                    ApiError::bad_request(format!("{ORG_HEADER}: not a valid header value"))
                })?;
            if let Credential::ApiKey(presented) = credential(&req) {
                let key = state
                    .keys
                    .authenticate(&state.db, &presented)
                    .await
                    .map_err(ApiError::from)?;
                if key.kind() != KeyKind::Management {
                    return Err(ApiError::Forbidden(
                        "Inference API keys cannot call management endpoints; use a management key or a session".into(),
                    )
                    .into());
                }
                if requested_org
                    .as_deref()
                    .is_some_and(|org| org != key.key.org_id)
                {
                    return Err(ApiError::Forbidden(
                        "A management key can only act in its own organization".into(),
                    )
                    .into());
                }
                return Ok(OrgCaller {
                    scope: key.scope(),
                    user: None,
                    key_hash: Some(key.key.hash.clone()),
                });
            }
            let session = SessionUser::authenticate(req.clone()).await?;
            let org_id = requested_org.unwrap_or_else(|| session.user.personal_org_id.clone());
            let scope = organizations::scope_for_member(&state.db, &org_id, &session.user.id)
                .await
                .map_err(ApiError::from)?;
            Ok(OrgCaller {
                scope,
                user: Some(session.user),
                key_hash: None,
            })
        })
    }
}

/// A platform admin's session.
pub struct PlatformAdmin(pub user::Model);

impl FromRequest for PlatformAdmin {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let session = SessionUser::authenticate(req).await?;
            if !session.user.is_platform_admin {
                return Err(ApiError::Forbidden("Platform admins only".into()).into());
            }
            Ok(PlatformAdmin(session.user))
        })
    }
}

/// An inference key (the model-calling endpoints); management keys get 403.
pub struct InferenceKey(pub Arc<AuthKey>);

/// Anthropic's key header, which Anthropic clients send instead of `Authorization`.
const X_API_KEY: header::HeaderName = header::HeaderName::from_static("x-api-key");

impl InferenceKey {
    /// The inference key of a request, for handlers that authenticate themselves so that a
    /// refusal leaves in their protocol's error shape. `x_api_key`: Anthropic's `x-api-key`
    /// header counts as well as `Authorization: Bearer`.
    pub async fn authenticate(req: &HttpRequest, x_api_key: bool) -> Result<Self, ApiError> {
        let presented = match credential(req) {
            Credential::ApiKey(key) => Some(key),
            _ if x_api_key => req
                .headers()
                .get(X_API_KEY)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty()),
            _ => None,
        };
        let Some(presented) = presented else {
            return Err(ApiError::Unauthorized(if x_api_key {
                "Missing API key: send x-api-key: sk-or-v1-... or Authorization: Bearer sk-or-v1-..."
                    .into()
            } else {
                "Missing API key: send Authorization: Bearer sk-or-v1-...".into()
            }));
        };
        let state = state(req)?;
        let key = state.keys.authenticate(&state.db, &presented).await?;
        if key.kind() != KeyKind::Inference {
            return Err(ApiError::Forbidden(
                "Management keys cannot call models; use an inference key".into(),
            ));
        }
        Ok(InferenceKey(key))
    }
}

impl FromRequest for InferenceKey {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let key = ApiKeyCaller::from_request(req, payload);
        Box::pin(async move {
            let ApiKeyCaller(key) = key.await?;
            if key.kind() != KeyKind::Inference {
                return Err(ApiError::Forbidden(
                    "Management keys cannot call models; use an inference key".into(),
                )
                .into());
            }
            Ok(InferenceKey(key))
        })
    }
}

/// An authenticated API key of either kind (for `GET /key`).
pub struct ApiKeyCaller(pub Arc<AuthKey>);

impl FromRequest for ApiKeyCaller {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state(&req)?;
            match credential(&req) {
                Credential::ApiKey(presented) => {
                    let key = state
                        .keys
                        .authenticate(&state.db, &presented)
                        .await
                        .map_err(ApiError::from)?;
                    Ok(ApiKeyCaller(key))
                }
                _ => Err(ApiError::Unauthorized(
                    "Missing API key: send Authorization: Bearer sk-or-v1-...".into(),
                )
                .into()),
            }
        })
    }
}

/// The organization of any caller: an API key of either kind, or a member's session
/// (`X-Organization-Id` as for [`OrgCaller`]). For read endpoints such as `GET /generation`.
pub struct ApiKeyOrOrg(pub OrgScope);

impl FromRequest for ApiKeyOrOrg {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if matches!(credential(req), Credential::ApiKey(_)) {
            let key = ApiKeyCaller::from_request(req, payload);
            Box::pin(async move { Ok(ApiKeyOrOrg(key.await?.0.scope())) })
        } else {
            let caller = OrgCaller::from_request(req, payload);
            Box::pin(async move { Ok(ApiKeyOrOrg(caller.await?.scope)) })
        }
    }
}
