//! The OpenAPI 3.1 document, generated from the handlers' annotations. Routes are registered
//! through utoipa-actix-web, which refuses (at compile time) a handler without an annotation,
//! so the document cannot miss a route.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
pub use api_types::error::{ErrorBody, ErrorDetail};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard API",
        description = "OpenAI- and OpenRouter-compatible LLM gateway: accounts, organizations, API keys, administration."
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    tags(
        (name = "auth", description = "Sign-up, login and sessions"),
        (name = "account", description = "The current user"),
        (name = "organizations", description = "Organizations, members and invites"),
        (name = "keys", description = "Inference API keys (OpenRouter-compatible)"),
        (name = "management-keys", description = "Keys that manage keys"),
        (name = "byok", description = "Organizations' own provider keys (OpenRouter-compatible BYOK)"),
        (name = "credits", description = "The organization's credit and its ledger"),
        (name = "admin", description = "Platform administration"),
        (name = "inference", description = "OpenAI-compatible inference (OpenRouter's contract)"),
        (name = "models", description = "The model catalog"),
        (name = "health", description = "Probes"),
    )
)]
pub struct BaseDoc;

/// The rendered document, built once at start.
#[derive(Clone)]
pub struct ApiSpec {
    pub json: Arc<String>,
    /// (method, path template) of every documented operation, for 405 answers.
    pub operations: Arc<Vec<(String, String)>>,
}

impl ApiSpec {
    pub fn new(doc: &utoipa::openapi::OpenApi) -> Self {
        let value = serde_json::to_value(doc).unwrap_or_default();
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
            json: Arc::new(serde_json::to_string(&value).unwrap_or_default()),
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

/// `GET /api/v1/openapi.json`
pub async fn serve(spec: web::Data<ApiSpec>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(spec.json.as_str().to_owned())
}

#[cfg(test)]
mod tests {
    use super::template_matches;

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
