//! The OpenAPI 3.1 document, generated from the handlers' annotations. Routes are registered
//! through utoipa-actix-web, which refuses (at compile time) a handler without an annotation,
//! so the document cannot miss a route.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
pub use api_types::error::{ErrorBody, ErrorDetail};
use utoipa::OpenApi;

use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard API",
        description = "OpenAI- and OpenRouter-compatible LLM gateway: accounts, organizations, API keys, administration."
    ),
    // The stream payloads are named only by the stream events' `contentSchema` (see `stream_doc`).
    components(schemas(ErrorBody, ErrorDetail, crate::gateway::types::ChatChunk,
        crate::ingress::responses::doc::ResponsesStreamPayload,
        crate::ingress::messages::doc::MessagesStreamPayload)),
    tags(
        (name = "auth", description = "Sign-up, login and sessions"),
        (name = "account", description = "The current user"),
        (name = "organizations", description = "Organizations, members and invites"),
        (name = "keys", description = "Inference API keys (OpenRouter-compatible)"),
        (name = "management-keys", description = "Keys that manage keys"),
        (name = "byok", description = "Organizations' own provider keys (OpenRouter-compatible BYOK)"),
        (name = "credits", description = "The organization's credit and its ledger"),
        (name = "alerts", description = "Low-balance and key-spend alerts to a signed webhook"),
        (name = "analytics", description = "Usage analytics: activity, time series, the generations list"),
        (name = "privacy", description = "Opt-in storage of prompts and completions, and their deletion"),
        (name = "admin", description = "Platform administration"),
        (name = "inference", description = "OpenAI-compatible inference (OpenRouter's contract)"),
        (name = "models", description = "The model catalog"),
        (name = "health", description = "Probes"),
    )
)]
pub struct BaseDoc;

/// The document, built once at start; [`serve`] adds what depends on the live catalog.
#[derive(Clone)]
pub struct ApiSpec {
    pub json: Arc<serde_json::Value>,
    /// (method, path template) of every documented operation, for 405 answers.
    pub operations: Arc<Vec<(String, String)>>,
}

impl ApiSpec {
    pub fn new(doc: &utoipa::openapi::OpenApi) -> Self {
        let mut value = serde_json::to_value(doc).unwrap_or_default();
        super::analytics::document_query_rules(&mut value);
        crate::ingress::document_rules(&mut value);
        super::stripe_doc::document_rules(&mut value);
        super::alerts::document_rules(&mut value);
        super::privacy::document_rules(&mut value);
        let mut operations = Vec::new();
        if let Some(paths) = value.get("paths").and_then(|p| p.as_object()) {
            for (path, item) in paths {
                if let Some(item) = item.as_object() {
                    for method in item.keys() {
                        operations.push((method.to_uppercase(), path.clone()));
                    }
                }
            }
        }
        ApiSpec {
            json: Arc::new(value),
            operations: Arc::new(operations),
        }
    }

    /// Methods documented for a concrete path (`{param}` matches one segment).
    pub fn methods_for(&self, path: &str) -> Vec<String> {
        let mut methods: Vec<String> = self
            .operations
            .iter()
            .filter(|(_, template)| template_matches(template, path))
            .map(|(m, _)| m.clone())
            .collect();
        methods.sort();
        methods.dedup();
        methods
    }
}

fn template_matches(template: &str, path: &str) -> bool {
    let mut t = template.trim_end_matches('/').split('/');
    let mut p = path.trim_end_matches('/').split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) if ts.starts_with('{') && ts.ends_with('}') && !ps.is_empty() => {}
            (Some(ts), Some(ps)) if ts == ps => {}
            _ => return false,
        }
    }
}

/// `GET /api/v1/openapi.json`: the document, with the catalog's providers as they are now
/// (an admin may add or remove one at any time).
pub async fn serve(spec: web::Data<ApiSpec>, state: web::Data<AppState>) -> HttpResponse {
    let routing = state.inference.routing();
    let slugs: Vec<&str> = routing
        .catalog
        .providers()
        .iter()
        .map(|p| p.slug.as_str())
        .collect();
    let mut doc = (*spec.json).clone();
    crate::gateway::catalog::spec_doc::live_rules(&mut doc, &routing.catalog);
    super::purchases::document_bounds(&mut doc, &state.config);
    let provider =
        &mut doc["components"]["schemas"]["CreateByokKeyRequest"]["properties"]["provider"];
    if provider.is_object() {
        provider["pattern"] = provider_pattern(&slugs).into();
    }
    HttpResponse::Ok().json(doc)
}

use crate::gateway::catalog::spec_doc::WHITE_SPACE_CLASS as WHITE_SPACE;

/// One of `slugs`, with white space around it (the server trims it); nothing when there are none.
pub(crate) fn provider_pattern(slugs: &[&str]) -> String {
    if slugs.is_empty() {
        return r"[^\s\S]".to_owned();
    }
    let escaped: Vec<String> = slugs
        .iter()
        .map(|slug| {
            slug.chars()
                .map(|c| {
                    if c.is_ascii_punctuation() && c != '-' && c != '_' {
                        format!("\\{c}")
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        })
        .collect();
    format!("^{WHITE_SPACE}*(?:{}){WHITE_SPACE}*$", escaped.join("|"))
}

#[cfg(test)]
mod tests {
    use super::template_matches;

    #[test]
    fn provider_pattern_names_the_catalog_slugs() {
        use super::provider_pattern;
        let pattern = provider_pattern(&["openai", "google-ai-studio", "a.b"]);
        assert!(
            pattern.contains("(?:openai|google-ai-studio|a\\.b)"),
            "{pattern}"
        );
        assert!(pattern.starts_with('^') && pattern.ends_with('$'));
        assert_eq!(provider_pattern(&[]), r"[^\s\S]");
    }

    #[test]
    fn templates() {
        assert!(template_matches("/api/v1/keys/{hash}", "/api/v1/keys/abc"));
        assert!(!template_matches("/api/v1/keys/{hash}", "/api/v1/keys"));
        assert!(!template_matches("/api/v1/keys/{hash}", "/api/v1/keys/a/b"));
        assert!(template_matches("/api/v1/keys", "/api/v1/keys/"));
    }

    /// The paging parameters' documented bounds are literals in the handlers' annotations
    /// (utoipa takes no constants there): they must stay those `paging` enforces.
    #[test]
    fn paging_params_document_the_enforced_bounds() {
        use crate::api::paging::{Bounds, Limit, Offset, PageNumber, PerPage};

        let doc = serde_json::to_value(crate::api::document()).expect("document serializes");
        let bounds: [Bounds; 4] = [
            Offset::BOUNDS,
            PageNumber::BOUNDS,
            PerPage::BOUNDS,
            Limit::BOUNDS,
        ];
        let mut seen = std::collections::BTreeMap::<&str, usize>::new();
        let paths = doc["paths"].as_object().expect("paths");
        for (path, item) in paths {
            for (method, operation) in item.as_object().expect("path item") {
                let Some(params) = operation["parameters"].as_array() else {
                    continue;
                };
                for param in params {
                    let name = param["name"].as_str().expect("parameter name");
                    let Some(b) = bounds.iter().find(|b| b.field == name) else {
                        continue;
                    };
                    let schema = &param["schema"];
                    let at = format!("{method} {path} {name}");
                    assert_eq!(param["in"], "query", "{at}: location");
                    assert_ne!(param["required"], true, "{at}: optional");
                    assert_eq!(
                        schema["minimum"].as_f64(),
                        Some(b.min as f64),
                        "{at}: minimum"
                    );
                    assert_eq!(
                        schema["maximum"].as_f64(),
                        Some(b.max as f64),
                        "{at}: maximum"
                    );
                    *seen.entry(b.field).or_default() += 1;
                }
            }
        }
        for b in bounds {
            assert!(
                seen.contains_key(b.field),
                "no operation documents `{}`",
                b.field
            );
        }
    }
}
