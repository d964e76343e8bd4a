//! Which providers this deployment can call, from its environment.

use std::fmt;

use super::types::Provider;

/// A provider with credentials (or a local one the operator pointed at).
#[derive(Clone, PartialEq, Eq)]
pub struct LiveProvider {
    pub slug: String,
    /// `<PROVIDER>_BASE_URL` if set, else the catalog default; no trailing
    /// slash.
    pub base_url: String,
    /// `<PROVIDER>_API_KEY`; `None` only for providers that need no key.
    pub api_key: Option<String>,
}

// Hand-written so the key never reaches a log line.
impl fmt::Debug for LiveProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveProvider")
            .field("slug", &self.slug)
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// The providers that are live under `env` (a lookup such as
/// `|k| std::env::var(k).ok()`; taking a closure keeps this testable and
/// lets the config layer supply values from its TOML file too).
///
/// A provider is live when its API key variable is set and non-blank. A
/// provider that needs no key (a self-hosted Ollama or vLLM) is live when
/// either its key or its base URL variable is set: its default localhost
/// URL is only a guess, so it stays off until the operator names it.
/// Values are trimmed; blank counts as unset.
pub fn live_providers(
    providers: &[Provider],
    env: impl Fn(&str) -> Option<String>,
) -> Vec<LiveProvider> {
    let get = |name: &str| {
        env(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    providers
        .iter()
        .filter_map(|p| {
            let api_key = get(&p.api_key_env);
            let base_override = get(&p.base_url_env);
            let live = if p.requires_api_key {
                api_key.is_some()
            } else {
                api_key.is_some() || base_override.is_some()
            };
            live.then(|| LiveProvider {
                slug: p.slug.clone(),
                base_url: base_override
                    .map(|u| u.trim_end_matches('/').to_owned())
                    .unwrap_or_else(|| p.base_url.clone()),
                api_key,
            })
        })
        .collect()
}
