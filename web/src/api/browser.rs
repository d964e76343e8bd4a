//! The browser half of [`super`]: fetch, cookies, storage, clipboard.

use gloo_net::http::{Request, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;

use super::{API_BASE, ApiFailure, Method};
use api_types::error::ErrorBody;

/// The CSRF cookie the server sets at login; readable by scripts on purpose.
const CSRF_COOKIE: &str = "sb_csrf";
const CSRF_HEADER: &str = "X-CSRF-Token";
const ORG_HEADER: &str = "X-Organization-Id";

fn cookie(name: &str) -> Option<String> {
    let document = web_sys::window()?.document()?;
    let cookies = document
        .dyn_into::<web_sys::HtmlDocument>()
        .ok()?
        .cookie()
        .ok()?;
    cookies.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then(|| value.to_owned())
    })
}

pub(super) fn has_session() -> bool {
    cookie(CSRF_COOKIE).is_some_and(|v| !v.is_empty())
}

/// A request to `path` with the headers every call carries.
pub(super) fn request(method: Method, path: &str) -> RequestBuilder {
    let url = format!("{API_BASE}{path}");
    let builder = match method {
        Method::Get => Request::get(&url),
        Method::Post => Request::post(&url),
        Method::Put => Request::put(&url),
        Method::Patch => Request::patch(&url),
        Method::Delete => Request::delete(&url),
    };
    let builder = builder.header("Accept", "application/json");
    let builder = match cookie(CSRF_COOKIE) {
        Some(token) if method != Method::Get => builder.header(CSRF_HEADER, &token),
        _ => builder,
    };
    match super::selected_org() {
        Some(org) => builder.header(ORG_HEADER, &org),
        None => builder,
    }
}

fn network_failure(err: impl std::fmt::Display) -> ApiFailure {
    ApiFailure {
        status: 0,
        message: format!("The server could not be reached: {err}"),
    }
}

/// The API's error message of a failed response.
pub(super) async fn failure(response: gloo_net::http::Response) -> ApiFailure {
    let status = response.status();
    let message = match response.json::<ErrorBody>().await {
        Ok(body) => body.error.message,
        Err(_) => format!("The server answered {status}"),
    };
    ApiFailure { status, message }
}

pub(super) async fn call<B: Serialize, T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: Option<&B>,
) -> Result<T, ApiFailure> {
    let builder = request(method, path);
    let sent = match body {
        Some(body) => builder.json(body).map_err(network_failure)?.send().await,
        None => builder.send().await,
    };
    let response = sent.map_err(network_failure)?;
    if !response.ok() {
        return Err(failure(response).await);
    }
    let text = response.text().await.map_err(network_failure)?;
    let text = if text.trim().is_empty() {
        "null"
    } else {
        &text
    };
    serde_json::from_str(text).map_err(|err| ApiFailure {
        status: response.status(),
        message: format!("Unexpected answer from the server: {err}"),
    })
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub(super) fn storage_get(key: &str) -> Option<String> {
    storage()?.get_item(key).ok()?
}

pub(super) fn storage_set(key: &str, value: &str) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(key, value);
    }
}

pub(super) fn go_to(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(url);
    }
}

pub(super) fn origin() -> Option<String> {
    web_sys::window()?.location().origin().ok()
}

pub(super) async fn copy(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let promise = window.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}

pub(super) async fn download(path: &str, filename: &str) -> Result<(), ApiFailure> {
    let response = request(Method::Get, path)
        .send()
        .await
        .map_err(network_failure)?;
    if !response.ok() {
        return Err(failure(response).await);
    }
    let bytes = response.binary().await.map_err(network_failure)?;
    let failed = |_| ApiFailure {
        status: 0,
        message: "The browser could not save the file".into(),
    };
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(
        response
            .headers()
            .get("content-type")
            .as_deref()
            .unwrap_or("application/octet-stream"),
    );
    let blob =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(failed)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(failed)?;
    let anchor = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        .ok_or_else(|| failed(wasm_bindgen::JsValue::NULL))?;
    anchor.set_href(&url);
    anchor.set_download(filename);
    anchor.click();
    // Revoked once the browser has surely read it (revoking at once can cancel the download).
    leptos::prelude::set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(60),
    );
    Ok(())
}
