//! Session cookies. `sb_access` (the JWT) and `sb_refresh` are HttpOnly so scripts cannot
//! read them; `sb_csrf` is readable on purpose: the dashboard echoes it in `X-CSRF-Token`.

use actix_web::HttpResponseBuilder;
use actix_web::cookie::{Cookie, SameSite, time::Duration};

use crate::accounts::sessions::IssuedSession;
use crate::config::Config;

pub const ACCESS: &str = "sb_access";
pub const REFRESH: &str = "sb_refresh";
pub const CSRF: &str = "sb_csrf";
/// The refresh cookie is only sent to the auth endpoints.
const REFRESH_PATH: &str = "/api/v1/auth";

pub fn set_session(builder: &mut HttpResponseBuilder, config: &Config, issued: &IssuedSession) {
    let secure = config.cookies_secure();
    let refresh_age = (issued.session_expires_at - chrono::Utc::now())
        .num_seconds()
        .max(0);
    builder.cookie(
        Cookie::build(ACCESS, issued.access_token.clone())
            .path("/")
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .max_age(Duration::seconds(issued.access_expires_in))
            .finish(),
    );
    builder.cookie(
        Cookie::build(REFRESH, issued.refresh_token.clone())
            .path(REFRESH_PATH)
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Strict)
            .max_age(Duration::seconds(refresh_age))
            .finish(),
    );
    builder.cookie(
        Cookie::build(CSRF, crate::ids::random_hex_secret())
            .path("/")
            .http_only(false)
            .secure(secure)
            .same_site(SameSite::Lax)
            .max_age(Duration::seconds(refresh_age))
            .finish(),
    );
}

pub fn clear_session(builder: &mut HttpResponseBuilder) {
    for (name, path) in [(ACCESS, "/"), (REFRESH, REFRESH_PATH), (CSRF, "/")] {
        let mut cookie = Cookie::build(name, "").path(path).finish();
        cookie.make_removal();
        builder.cookie(cookie);
    }
}
