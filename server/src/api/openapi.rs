//! The OpenAPI 3.1 document, generated from the handlers' annotations. Routes are registered
//! through utoipa-actix-web, which refuses (at compile time) a handler without an annotation,
//! so the document cannot miss a route.

use std::sync::Arc;

use actix_web::{HttpResponse, web};
pub use api_types::error::{ErrorBody, ErrorDetail};
use utoipa::OpenApi;

use crate::config::Config;
use crate::gateway::catalog::spec_doc::WHITE_SPACE_CLASS as WHITE_SPACE;
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
    /// The document of a server configured by `config` (its purchase bounds, say).
    pub fn new(doc: &utoipa::openapi::OpenApi, config: &Config) -> Self {
        let mut value = serde_json::to_value(doc).unwrap_or_default();
        super::purchases::document_bounds(&mut value, config);
        super::analytics::document_query_rules(&mut value);
        crate::ingress::document_rules(&mut value);
        super::stripe_doc::document_rules(&mut value);
        super::alerts::document_rules(&mut value);
        super::privacy::document_rules(&mut value);
        document_integer_widths(&mut value);
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

/// The range of each integer width that serde enforces, by the format utoipa names it with
/// (`non_strict_integers`): without it a `u32` would be documented as int32, and a fuzzer
/// rightly expects 2^31 to be refused.
/// int32 and int64 are OpenAPI's own formats, their ranges implied.
const INTEGER_WIDTHS: [(&str, i128, i128); 6] = [
    ("int8", i8::MIN as i128, i8::MAX as i128),
    ("int16", i16::MIN as i128, i16::MAX as i128),
    ("uint8", 0, u8::MAX as i128),
    ("uint16", 0, u16::MAX as i128),
    ("uint32", 0, u32::MAX as i128),
    ("uint64", 0, u64::MAX as i128),
];

/// States the bounds each integer's width implies as `minimum`/`maximum`, where no tighter
/// bound is declared: every field accepts exactly what its Rust type can hold.
fn document_integer_widths(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(schema) => {
            // utoipa writes the unsigned formats as `u-int32` (its enum in kebab case).
            let width = schema.get("format").and_then(|f| f.as_str()).and_then(|f| {
                let f = f.replacen("u-int", "uint", 1);
                INTEGER_WIDTHS.iter().find(|(name, _, _)| *name == f)
            });
            if let Some(&(name, min, max)) = width {
                schema.insert("format".to_owned(), name.into());
                bound(schema, "minimum", min, |declared, implied| {
                    declared < implied
                });
                bound(schema, "maximum", max, |declared, implied| {
                    declared > implied
                });
            }
            for child in schema.values_mut() {
                document_integer_widths(child);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(document_integer_widths),
        _ => {}
    }
}

/// Sets `key` to `implied` unless a declared bound is at least as tight (`looser` says when a
/// declared value is looser than the implied one).
fn bound(
    schema: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
    implied: i128,
    looser: fn(f64, f64) -> bool,
) {
    let declared = schema.get(key).and_then(|v| v.as_f64());
    if declared.is_none_or(|d| looser(d, implied as f64)) {
        let implied = match (i64::try_from(implied), u64::try_from(implied)) {
            (Ok(v), _) => serde_json::Value::from(v),
            (_, Ok(v)) => serde_json::Value::from(v),
            _ => return,
        };
        schema.insert(key.to_owned(), implied);
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
    let provider =
        &mut doc["components"]["schemas"]["CreateByokKeyRequest"]["properties"]["provider"];
    if provider.is_object() {
        provider["pattern"] = provider_pattern(&slugs).into();
    }
    HttpResponse::Ok().json(doc)
}

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
    fn integers_are_bounded_by_their_width() {
        let doc = super::ApiSpec::new(&crate::api::document(), &crate::config::Config::default());
        let schemas = &doc.json["components"]["schemas"];
        let max_tokens = &schemas["ChatRequest"]["properties"]["max_tokens"];
        assert_eq!(max_tokens["format"], "uint32", "{max_tokens}");
        assert_eq!(max_tokens["minimum"], 1, "{max_tokens}");
        assert_eq!(max_tokens["maximum"], u64::from(u32::MAX), "{max_tokens}");
    }

    #[test]
    fn declared_bounds_tighter_than_the_width_stay() {
        let mut schema = serde_json::json!({"type": "integer", "format": "u-int32", "minimum": 1, "maximum": 100});
        super::document_integer_widths(&mut schema);
        assert_eq!(schema["format"], "uint32");
        assert_eq!(schema["minimum"], 1);
        assert_eq!(schema["maximum"], 100);
        let mut schema =
            serde_json::json!({"type": ["integer", "null"], "format": "uint64", "minimum": -5});
        super::document_integer_widths(&mut schema);
        assert_eq!(schema["minimum"], 0);
        assert_eq!(schema["maximum"], u64::MAX);
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
