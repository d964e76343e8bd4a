//! Filters, variants, preferences and merging over a small catalog built from TOML.

use rand::SeedableRng as _;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::*;
use crate::billing::price::Price;
use crate::gateway::catalog::{Catalog, CatalogSource, LiveProvider};
use crate::gateway::types::ChatRequest;

/// alpha: keeps nothing, any ZDR; beta: retains prompts; gamma: trains on prompts, no ZDR,
/// no tools; delta: not configured in this deployment.
pub(super) const TOML: &str = r#"
[[providers]]
slug = "alpha"
name = "Alpha"
protocol = "openai"
base_url = "http://alpha.test/v1"
data_policy = { zdr_available = true }

[[providers]]
slug = "beta"
name = "Beta Cloud"
protocol = "openai"
base_url = "http://beta.test/v1"
data_policy = { retains_prompts = true, retention_days = 30, zdr_available = true }

[[providers]]
slug = "gamma"
name = "Gamma"
protocol = "openai"
base_url = "http://gamma.test/v1"
supported_parameters = ["temperature", "max_tokens", "stop", "reasoning", "include_reasoning"]
data_policy = { trains_on_prompts = true, retains_prompts = true }

[[providers]]
slug = "delta"
name = "Delta"
protocol = "openai"
base_url = "http://delta.test/v1"

[[models]]
id = "acme/chat"
name = "Acme Chat"
created = 1700000000
description = "test"
context_length = 10000
supported_parameters = ["tools", "tool_choice", "response_format", "temperature", "max_tokens", "stop", "seed"]

[[models.endpoints]]
provider = "alpha"
upstream_model = "chat-a"
quantization = "fp8"
max_output_tokens = 1000
pricing = { prompt = "1", completion = "2" }

[[models.endpoints]]
provider = "beta"
upstream_model = "chat-b"
quantization = "bf16"
pricing = { prompt = "0.5", completion = "0.5", image = "0.001" }

[[models.endpoints]]
provider = "gamma"
upstream_model = "chat-g"
quantization = "fp8"
context_length = 2000
pricing = { prompt = "3", completion = "3", request = "0.01" }

[[models.endpoints]]
provider = "delta"
upstream_model = "chat-d"
pricing = { prompt = "0.1", completion = "0.1" }

[[models]]
id = "acme/think"
name = "Acme Think"
created = 1700000000
description = "test"
context_length = 10000
supported_parameters = ["temperature", "max_tokens", "reasoning", "include_reasoning"]

[[models.endpoints]]
provider = "alpha"
upstream_model = "think-a"
supported_parameters = ["temperature", "max_tokens"]
pricing = { prompt = "1", completion = "1" }

[[models.endpoints]]
provider = "gamma"
upstream_model = "think-g"
pricing = { prompt = "2", completion = "2" }

[[models]]
id = "acme/chat:free"
name = "Acme Chat (free)"
created = 1700000000
description = "test"
context_length = 4000
supported_parameters = ["temperature", "max_tokens"]

[[models.endpoints]]
provider = "gamma"
upstream_model = "chat-free"
pricing = { prompt = "0", completion = "0" }

[[models]]
id = "acme/embed"
name = "Acme Embed"
created = 1700000000
description = "test"
context_length = 8000
output_modalities = ["embeddings"]

[[models.endpoints]]
provider = "alpha"
upstream_model = "embed-a"
pricing = { prompt = "0.02", completion = "0" }
"#;

pub(super) fn table() -> RoutingTable {
    let catalog = Catalog::build(CatalogSource::from_toml(TOML).unwrap()).unwrap();
    let live = ["alpha", "beta", "gamma"]
        .into_iter()
        .map(|slug| LiveProvider {
            slug: slug.into(),
            base_url: format!("http://{slug}.test/v1"),
            api_key: Some("k".into()),
        })
        .collect();
    RoutingTable::new(catalog, live)
}

pub(super) fn request(body: Value) -> ChatRequest {
    let mut body = body;
    let object = body.as_object_mut().unwrap();
    object
        .entry("messages")
        .or_insert(json!([{ "role": "user", "content": "hello" }]));
    serde_json::from_value(body).unwrap()
}

pub(super) fn plan(body: Value) -> Result<Plan, RouteError> {
    table().plan_with_rng(
        &request(body),
        &PlanContext::bare(),
        &mut StdRng::seed_from_u64(7),
    )
}

pub(super) fn providers(plan: &Plan) -> Vec<&str> {
    plan.targets
        .iter()
        .map(|t| t.provider_slug.as_str())
        .collect()
}

pub(super) fn sorted(mut v: Vec<&str>) -> Vec<&str> {
    v.sort_unstable();
    v
}

pub(super) fn reason_of<'a>(plan: &'a Plan, slug: &str) -> Option<&'a filters::Reason> {
    plan.filtered
        .iter()
        .find(|(t, _)| t.provider_slug == slug)
        .map(|(_, r)| r)
}

pub(super) fn invalid(body: Value) -> String {
    match plan(body) {
        Err(RouteError::Invalid(message)) => message,
        Err(other) => panic!("expected 400, got {other}"),
        Ok(p) => panic!("expected 400, got {:?}", providers(&p)),
    }
}

pub(super) fn no_route(body: Value) -> NoRoute {
    match plan(body) {
        Err(RouteError::NoRoute(n)) => n,
        Err(other) => panic!("expected 404, got {other}"),
        Ok(p) => panic!("expected 404, got {:?}", providers(&p)),
    }
}

#[test]
fn every_live_endpoint_without_preferences() {
    let p = plan(json!({ "model": "acme/chat" })).unwrap();
    assert_eq!(sorted(providers(&p)), ["alpha", "beta", "gamma"]);
    assert_eq!(p.strategy, Strategy::Direct);
    assert!(!p.is_free);
    // The unconfigured provider is reported, never routed to.
    let filtered = p.filtered_json();
    assert_eq!(filtered[0]["provider"], "Delta");
    assert_eq!(filtered[0]["reason"], "not_configured");
    assert!(
        filtered[0]["message"]
            .as_str()
            .unwrap()
            .contains("DELTA_API_KEY")
    );
}

#[test]
fn preferences_parse_and_reject_bad_fields() {
    let p = ProviderPreferences::from_request(Some(&json!({
        "order": ["Alpha", "beta"], "allow_fallbacks": false, "only": ["ALPHA"],
        "ignore": ["gamma"], "require_parameters": true, "data_collection": "deny",
        "zdr": true, "quantizations": ["fp8"], "sort": {"by": "latency", "partition": "none"},
        "max_price": {"prompt": "1.5", "completion": 2, "request": "0.001", "image": "0.01"},
        "preferred_min_throughput": {"p50": 50, "p90": 10}, "preferred_max_latency": 2.5,
        "enforce_distillable_text": false
    })))
    .unwrap();
    assert_eq!(
        p.order.as_deref(),
        Some(&["alpha".to_owned(), "beta".to_owned()][..])
    );
    assert_eq!(p.allow_fallbacks, Some(false));
    let max = p.max_price.unwrap();
    // Exact: USD per million tokens -> nano-dollars per million.
    assert_eq!(
        max.prompt,
        Some(Price::from_nanos_per_million(1_500_000_000))
    );
    assert_eq!(
        max.completion,
        Some(Price::from_nanos_per_million(2_000_000_000))
    );
    // Per request: USD per unit -> nano-dollars per million units.
    assert_eq!(
        max.request,
        Some(Price::parse_usd_per_unit("0.001").unwrap())
    );
    assert_eq!(p.preferred_min_throughput, Some(50.0));
    assert_eq!(p.preferred_max_latency, Some(2.5));
    assert_eq!(
        p.sort,
        Some(preferences::Sort {
            by: preferences::SortBy::Latency,
            partition: preferences::Partition::None
        })
    );

    for (body, field) in [
        (json!({"order": "alpha"}), "provider.order"),
        (json!({"order": [""]}), "provider.order[0]"),
        (json!({"allow_fallbacks": "no"}), "provider.allow_fallbacks"),
        (
            json!({"data_collection": "never"}),
            "provider.data_collection",
        ),
        (
            json!({"quantizations": ["fp9"]}),
            "provider.quantizations[0]",
        ),
        (json!({"sort": "speed"}), "provider.sort"),
        (
            json!({"sort": {"by": "price", "partition": "all"}}),
            "provider.sort.partition",
        ),
        (
            json!({"max_price": {"prompt": "-1"}}),
            "provider.max_price.prompt",
        ),
        (
            json!({"max_price": {"prompt": "1e-3"}}),
            "provider.max_price.prompt",
        ),
        (
            json!({"max_price": {"prompt": "0.0000000001"}}),
            "provider.max_price.prompt",
        ),
        (
            json!({"max_price": {"tokens": "1"}}),
            "provider.max_price.tokens",
        ),
        (
            json!({"preferred_max_latency": -1}),
            "provider.preferred_max_latency",
        ),
        (
            json!({"preferred_min_throughput": {"p95": 1}}),
            "provider.preferred_min_throughput.p95",
        ),
        (json!({"colour": "red"}), "provider.colour"),
        (json!(["alpha"]), "provider"),
    ] {
        let message = invalid(json!({ "model": "acme/chat", "provider": body }));
        assert!(
            message.starts_with(&format!("{field}:")),
            "{field}: {message}"
        );
    }
    assert!(plan(json!({ "model": "acme/chat", "provider": null })).is_ok());
}

#[test]
fn only_and_ignore_match_slugs_names_and_tags_case_insensitively() {
    let p = plan(json!({ "model": "acme/chat", "provider": {"only": ["beta cloud", "GAMMA"]} }))
        .unwrap();
    assert_eq!(sorted(providers(&p)), ["beta", "gamma"]);
    assert_eq!(reason_of(&p, "alpha"), Some(&filters::Reason::NotInOnly));

    let p =
        plan(json!({ "model": "acme/chat", "provider": {"ignore": ["Alpha", "beta"]} })).unwrap();
    assert_eq!(providers(&p), ["gamma"]);
    assert_eq!(reason_of(&p, "beta"), Some(&filters::Reason::Ignored));
}

#[test]
fn order_comes_first_and_fallbacks_follow_unless_disallowed() {
    let p =
        plan(json!({ "model": "acme/chat", "provider": {"order": ["gamma", "alpha"]} })).unwrap();
    assert_eq!(providers(&p), ["gamma", "alpha", "beta"]);

    let p = plan(json!({ "model": "acme/chat",
        "provider": {"order": ["gamma", "alpha"], "allow_fallbacks": false} }))
    .unwrap();
    assert_eq!(providers(&p), ["gamma", "alpha"]);
    assert_eq!(reason_of(&p, "beta"), Some(&filters::Reason::NotInOrder));

    // Without `order`, no fallbacks means the first choice only.
    let p = plan(json!({ "model": "acme/chat",
        "provider": {"sort": "price", "allow_fallbacks": false} }))
    .unwrap();
    assert_eq!(providers(&p), ["beta"]);
    assert_eq!(
        reason_of(&p, "alpha"),
        Some(&filters::Reason::NotFirstChoice)
    );
}

#[test]
fn data_collection_and_zdr() {
    let p = plan(json!({ "model": "acme/chat", "provider": {"data_collection": "deny"} })).unwrap();
    assert_eq!(providers(&p), ["alpha"]);
    assert_eq!(
        reason_of(&p, "beta"),
        Some(&filters::Reason::DataCollection)
    );
    assert_eq!(
        reason_of(&p, "gamma"),
        Some(&filters::Reason::DataCollection)
    );

    let p = plan(json!({ "model": "acme/chat", "provider": {"zdr": true} })).unwrap();
    assert_eq!(sorted(providers(&p)), ["alpha", "beta"]);
    assert_eq!(reason_of(&p, "gamma"), Some(&filters::Reason::NotZdr));
    let p = plan(
        json!({ "model": "acme/chat", "provider": {"data_collection": "allow", "zdr": false} }),
    )
    .unwrap();
    assert_eq!(p.targets.len(), 3);
}

#[test]
fn quantizations_filter() {
    let p = plan(json!({ "model": "acme/chat", "provider": {"quantizations": ["bf16"]} })).unwrap();
    assert_eq!(providers(&p), ["beta"]);
    assert_eq!(reason_of(&p, "alpha"), Some(&filters::Reason::Quantization));
}

#[test]
fn require_parameters_excludes_endpoints_lacking_one() {
    let tools = json!([{"type": "function", "function": {"name": "f", "parameters": {}}}]);
    let p = plan(json!({ "model": "acme/chat", "tools": tools, "seed": 1,
        "provider": {"require_parameters": true} }))
    .unwrap();
    assert_eq!(sorted(providers(&p)), ["alpha", "beta"]);
    match reason_of(&p, "gamma") {
        Some(r @ filters::Reason::MissingParameters(_)) => {
            let text = r.describe();
            assert!(text.contains("tools") && text.contains("seed"), "{text}");
            assert!(!text.contains("temperature"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    // Without require_parameters the endpoint stays, after those that support the tools.
    let p = plan(json!({ "model": "acme/chat", "tools": tools })).unwrap();
    assert_eq!(providers(&p).last(), Some(&"gamma"));
}

#[test]
fn max_price_compares_exact_integers() {
    // alpha: 1/2, beta: 0.5/0.5, gamma: 3/3 + 0.01 per request.
    let p = plan(json!({ "model": "acme/chat", "provider": {"max_price": {"prompt": "1", "completion": "1.999999999"}} })).unwrap();
    assert_eq!(providers(&p), ["beta"]);
    assert_eq!(
        reason_of(&p, "alpha"),
        Some(&filters::Reason::PriceAbove(
            filters::PriceField::Completion
        ))
    );
    let p = plan(json!({ "model": "acme/chat", "provider": {"max_price": {"prompt": "1", "completion": "2"}} })).unwrap();
    assert_eq!(sorted(providers(&p)), ["alpha", "beta"]);
    let p = plan(json!({ "model": "acme/chat", "provider": {"max_price": {"request": "0.009"}} }))
        .unwrap();
    assert_eq!(
        reason_of(&p, "gamma"),
        Some(&filters::Reason::PriceAbove(filters::PriceField::Request))
    );
    // The image price counts only for a request with images.
    let image_cap = json!({"max_price": {"image": "0.0005"}});
    let p = plan(json!({ "model": "acme/chat", "provider": image_cap })).unwrap();
    assert_eq!(p.targets.len(), 3);
    let p = plan(
        json!({ "model": "acme/chat", "provider": image_cap, "messages": [{"role": "user",
        "content": [{"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}]}] }),
    )
    .unwrap();
    assert_eq!(
        reason_of(&p, "beta"),
        Some(&filters::Reason::PriceAbove(filters::PriceField::Image))
    );
    let n = no_route(json!({ "model": "acme/chat", "provider": {"max_price": {"prompt": "0.1"}} }));
    assert!(n.message.contains("max_price"), "{}", n.message);
    let filtered = n.metadata["filtered"].as_array().unwrap();
    assert!(
        filtered
            .iter()
            .any(|f| f["provider"] == "Alpha" && f["reason"] == "max_price")
    );
}

#[test]
fn context_and_max_tokens_limits() {
    // 10,000 bytes ≈ 2,500 tokens: above gamma's 2,000-token context only.
    let long = "x".repeat(10_000);
    let p = plan(json!({ "model": "acme/chat", "messages": [{"role": "user", "content": long}] }))
        .unwrap();
    assert_eq!(sorted(providers(&p)), ["alpha", "beta"]);
    assert_eq!(
        reason_of(&p, "gamma"),
        Some(&filters::Reason::ContextTooShort {
            needed: 2500,
            limit: 2000
        })
    );
    let p = plan(json!({ "model": "acme/chat", "max_tokens": 1001 })).unwrap();
    assert_eq!(
        reason_of(&p, "alpha"),
        Some(&filters::Reason::MaxTokensAbove {
            requested: 1001,
            limit: 1000
        })
    );
    assert_eq!(p.targets.len(), 2);
}
