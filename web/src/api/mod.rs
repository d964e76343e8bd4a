//! The pages' one path to the server: the JSON API under `/api/v1`, called from the browser
//! with the session cookie, the `X-CSRF-Token` header (double-submit of the `sb_csrf`
//! cookie) on every mutation, and `X-Organization-Id` for the organization picked in the
//! switcher. Bodies are the shared `api_types`.
//!
//! Only the browser calls the API: on the server (feature `ssr`) the pages render their
//! loading state, and these functions answer [`ApiFailure::not_in_browser`].

#[cfg(feature = "hydrate")]
mod browser;
pub mod chat;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// Where the JSON API lives.
pub const API_BASE: &str = "/api/v1";

/// The `localStorage` entry holding the organization picked in the switcher.
pub const ORG_STORAGE_KEY: &str = "sb_org";

/// A failed call: the API's status and message, or status 0 when no answer came.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiFailure {
    pub status: u16,
    pub message: String,
}

impl ApiFailure {
    pub fn not_in_browser() -> ApiFailure {
        ApiFailure {
            status: 0,
            message: "Only the browser calls the API".into(),
        }
    }

    /// The session is missing or expired.
    pub fn is_unauthorized(&self) -> bool {
        self.status == 401
    }
}

impl std::fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The HTTP methods the pages use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

/// `GET {API_BASE}{path}` as `T`.
pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiFailure> {
    call::<(), T>(Method::Get, path, None).await
}

/// `POST {API_BASE}{path}` with a JSON body, answered with `T`.
pub async fn post<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> Result<T, ApiFailure> {
    call(Method::Post, path, Some(body)).await
}

/// `PATCH {API_BASE}{path}` with a JSON body, answered with `T`.
pub async fn patch<B: Serialize, T: DeserializeOwned>(
    path: &str,
    body: &B,
) -> Result<T, ApiFailure> {
    call(Method::Patch, path, Some(body)).await
}

/// `PUT {API_BASE}{path}` with a JSON body, answered with `T`.
pub async fn put<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, ApiFailure> {
    call(Method::Put, path, Some(body)).await
}

/// `DELETE {API_BASE}{path}`, answered with `T`.
pub async fn delete<T: DeserializeOwned>(path: &str) -> Result<T, ApiFailure> {
    call::<(), T>(Method::Delete, path, None).await
}

/// One call; an empty answer (204) reads as JSON `null`.
pub async fn call<B: Serialize, T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: Option<&B>,
) -> Result<T, ApiFailure> {
    #[cfg(feature = "hydrate")]
    {
        browser::call(method, path, body).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (method, path, body);
        Err(ApiFailure::not_in_browser())
    }
}

/// `a=1&b=x%20y`: the non-empty pairs, percent-encoded (RFC 3986 unreserved characters kept).
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    fn encode(text: &str) -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Downloads `GET {API_BASE}{path}` as the file `filename`. A plain link would not carry the
/// `X-Organization-Id` of the organization picked in the switcher, so the page fetches the
/// file itself and hands the browser the bytes.
pub async fn download(path: &str, filename: &str) -> Result<(), ApiFailure> {
    #[cfg(feature = "hydrate")]
    {
        browser::download(path, filename).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (path, filename);
        Err(ApiFailure::not_in_browser())
    }
}

/// The organization picked in the switcher (`None`: the personal one).
pub fn selected_org() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        browser::storage_get(ORG_STORAGE_KEY).filter(|id| !id.is_empty())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

/// Remembers the organization picked in the switcher for the next calls.
pub fn select_org(org_id: &str) {
    #[cfg(feature = "hydrate")]
    browser::storage_set(ORG_STORAGE_KEY, org_id);
    #[cfg(not(feature = "hydrate"))]
    let _ = org_id;
}

/// Whether the browser holds a session: the CSRF cookie (readable by scripts, set at login,
/// cleared at logout) is there. Only a hint; the API decides.
pub fn has_session() -> bool {
    #[cfg(feature = "hydrate")]
    {
        browser::has_session()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        false
    }
}

/// Ends the session and goes to the login page.
pub async fn log_out() {
    let _ = post::<_, serde_json::Value>("/auth/logout", &serde_json::Value::Null).await;
    go_to("/login");
}

/// Sends the browser to `url` (a full page load: the Stripe page, or a page after login).
pub fn go_to(url: &str) {
    #[cfg(feature = "hydrate")]
    browser::go_to(url);
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}

/// Copies `text` to the clipboard; `false` when the browser refused.
pub async fn copy_to_clipboard(text: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        browser::copy(text).await
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = text;
        false
    }
}

/// The origin the browser sees the server at (`http://127.0.0.1:8080`), for snippets.
pub fn browser_origin() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        browser::origin()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

/// Milliseconds since the page started loading (`performance.now()`), for latencies.
pub fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_strings_are_encoded() {
        assert_eq!(
            super::query_string(&[
                ("model", "openai/gpt-4o mini"),
                ("status", ""),
                ("a", "é&=")
            ]),
            "model=openai%2Fgpt-4o%20mini&a=%C3%A9%26%3D"
        );
        assert_eq!(super::query_string(&[]), "");
    }
}
