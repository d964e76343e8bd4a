//! Variants, router models, fallbacks, organization defaults and the metadata view.

use serde_json::{Value, json};

use super::tests::{invalid, no_route, plan, providers, reason_of, request, table};
use super::*;
use crate::gateway::catalog::LiveProvider;

#[test]
fn free_variant_and_free_router() {
    // An exact `:free` model.
    let p = plan(json!({ "model": "acme/chat:free" })).unwrap();
    assert_eq!(providers(&p), ["gamma"]);
    assert!(p.is_free);
    // `:free` on a model without free endpoints: nothing left, and the 404 says why.
    let n = no_route(json!({ "model": "acme/think:free" }));
    assert!(n.message.contains("not a free endpoint"), "{}", n.message);
    // `openrouter/free`: any free endpoint that fits.
    let p = plan(json!({ "model": "openrouter/free" })).unwrap();
    assert_eq!(p.strategy, Strategy::Free);
    assert_eq!(p.targets[0].model_id, "acme/chat:free");
    assert!(p.is_free);
    // ...and one that fits: the free endpoint's 4,000-token context is too short here.
    let long = "x".repeat(20_000);
    let n = no_route(
        json!({ "model": "openrouter/free", "messages": [{"role": "user", "content": long}] }),
    );
    assert!(n.message.contains("context"), "{}", n.message);
}

#[test]
fn thinking_variant_turns_reasoning_on_and_needs_support() {
    let p = plan(json!({ "model": "acme/think:thinking" })).unwrap();
    assert!(p.enable_reasoning);
    assert_eq!(providers(&p), ["gamma"]);
    assert_eq!(reason_of(&p, "alpha"), Some(&filters::Reason::NoReasoning));
    let p = plan(json!({ "model": "acme/think" })).unwrap();
    assert!(!p.enable_reasoning);
    assert_eq!(p.targets.len(), 2);
}

#[test]
fn floor_variant_sorts_by_price() {
    for _ in 0..20 {
        let p = table()
            .plan(
                &request(json!({ "model": "acme/chat:floor" })),
                &PlanContext::bare(),
            )
            .unwrap();
        assert_eq!(providers(&p), ["beta", "alpha", "gamma"]);
    }
    let message = invalid(json!({ "model": "acme/chat:turbo" }));
    assert!(
        message.contains(":turbo") && message.contains("nitro"),
        "{message}"
    );
}

#[test]
fn models_fallbacks_and_route() {
    let p = plan(
        json!({ "model": "acme/think", "models": ["acme/chat"], "route": "fallback",
        "provider": {"sort": "price"} }),
    )
    .unwrap();
    assert_eq!(p.strategy, Strategy::Fallback);
    let models: Vec<_> = p.targets.iter().map(|t| t.model_id.as_str()).collect();
    assert_eq!(
        models,
        [
            "acme/think",
            "acme/think",
            "acme/chat",
            "acme/chat",
            "acme/chat"
        ]
    );
    // partition "none": all endpoints together by price.
    let p = plan(json!({ "model": "acme/think", "models": ["acme/chat"],
        "provider": {"sort": {"by": "price", "partition": "none"}} }))
    .unwrap();
    assert_eq!(
        (
            p.targets[0].model_id.as_str(),
            p.targets[0].provider_slug.as_str()
        ),
        ("acme/chat", "beta")
    );
    // An unknown fallback is reported but does not fail the request.
    let p = plan(json!({ "model": "nobody/none", "models": ["acme/think"] })).unwrap();
    assert_eq!(p.targets[0].model_id, "acme/think");
    assert!(invalid(json!({ "model": "acme/chat", "route": "cheapest" })).starts_with("route:"));
    let n = no_route(json!({ "model": "nobody/none" }));
    assert_eq!(n.metadata["reasons"][0]["reason"], "unknown model");
}

#[test]
fn embeddings_and_chat_models_are_kept_apart() {
    let message = invalid(json!({ "model": "acme/embed" }));
    assert!(message.contains("embeddings model"), "{message}");
    let t = table();
    match t.plan_models(&["acme/chat".to_owned()], None) {
        Err(RouteError::Invalid(m)) => assert!(m.contains("chat model"), "{m}"),
        _ => panic!("a chat model must be refused for embeddings"),
    }
    let targets = t.plan_models(&["acme/embed".to_owned()], None).unwrap();
    assert_eq!(targets[0].upstream_model, "embed-a");
}

#[test]
fn org_defaults_merge_under_the_request() {
    let org = ProviderPreferences::org_defaults(&json!({
        "ignore": ["gamma"], "only": ["alpha", "gamma"], "data_collection": "deny", "sort": "price"
    }))
    .unwrap();
    let t = table();
    let ctx = PlanContext {
        org_defaults: Some(&org),
        byok: None,
        ..PlanContext::bare()
    };
    let run = |body: Value| t.plan(&request(body), &ctx);
    // The org's defaults apply...
    let p = run(json!({ "model": "acme/chat" })).unwrap();
    assert_eq!(providers(&p), ["alpha"]);
    // ...a field the request sets wins...
    let p = run(json!({ "model": "acme/chat",
        "provider": {"only": ["beta", "gamma"], "data_collection": "allow"} }))
    .unwrap();
    assert_eq!(providers(&p), ["beta"]);
    // ...but the org's ignore list always applies, merged with the request's.
    let p = run(
        json!({ "model": "acme/chat", "provider": {"only": ["gamma", "beta"], "ignore": ["beta"], "data_collection": "allow"} }),
    );
    assert!(matches!(p, Err(RouteError::NoRoute(_))));
    // Org defaults accept only their fields.
    let e = ProviderPreferences::org_defaults(&json!({"order": ["alpha"]})).unwrap_err();
    assert_eq!(e.field, "routing.order");
}

#[test]
fn auto_router_picks_by_features() {
    let auto = AutoRouter {
        default: "acme/chat".into(),
        long_context: "acme/chat".into(),
        vision: "acme/chat".into(),
        reasoning: "acme/think".into(),
        tools: "acme/chat".into(),
        code: "acme/think".into(),
        long_context_tokens: 100,
    };
    let catalog = table().catalog;
    let t = RoutingTable::with_auto(catalog, table_live(), auto);
    let run = |body: Value| t.plan(&request(body), &PlanContext::bare()).unwrap();
    let p = run(json!({ "model": "openrouter/auto" }));
    assert_eq!((p.strategy, p.auto_rule), (Strategy::Auto, Some("default")));
    assert_eq!(p.targets[0].model_id, "acme/chat");
    let p = run(json!({ "model": "openrouter/auto", "reasoning": {"effort": "high"} }));
    assert_eq!(p.auto_rule, Some("reasoning"));
    assert_eq!(p.targets[0].model_id, "acme/think");
    // The default follows as the fallback.
    assert_eq!(p.targets.last().unwrap().model_id, "acme/chat");
    let p = run(json!({ "model": "openrouter/auto",
        "messages": [{"role": "user", "content": "fix this:\n```rust\nfn main() {}\n```"}] }));
    assert_eq!(p.auto_rule, Some("code"));
    let p = run(json!({ "model": "openrouter/auto",
        "messages": [{"role": "user", "content": "x".repeat(1000)}] }));
    assert_eq!(p.auto_rule, Some("long_context"));
    let p = run(
        json!({ "model": "openrouter/auto", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}]}] }),
    );
    assert_eq!(p.auto_rule, Some("vision"));
}

fn table_live() -> Vec<LiveProvider> {
    table().live.into_values().collect()
}

#[test]
fn metadata_names_candidates_filters_and_attempts() {
    let p =
        plan(json!({ "model": "acme/chat", "provider": {"ignore": ["gamma"], "sort": "price"} }))
            .unwrap();
    let attempts = vec![crate::gateway::relay::AttemptRecord {
        provider: "Beta Cloud".into(),
        provider_slug: "beta".into(),
        endpoint: "beta".into(),
        model: "acme/chat".into(),
        status: Some(200),
        started_ms: 0,
        latency_ms: 12,
        error: None,
        error_type: None,
        skipped: None,
        byok_key_id: None,
        byok_key_rejected: false,
    }];
    let m = p.metadata(&attempts, Some(("acme/chat", "Beta Cloud")));
    assert_eq!(m["requested"], "acme/chat");
    assert_eq!(m["strategy"], "direct");
    assert_eq!(m["endpoints"]["available"][0]["provider"], "Beta Cloud");
    assert_eq!(m["endpoints"]["available"][0]["selected"], true);
    assert_eq!(m["endpoints"]["available"][1]["selected"], false);
    assert_eq!(m["endpoints"]["total"], 4);
    let filtered = m["filtered"].as_array().unwrap();
    assert!(
        filtered
            .iter()
            .any(|f| f["provider"] == "Gamma" && f["reason"] == "ignored")
    );
    assert_eq!(m["attempts"][0]["status"], 200);
    assert_eq!(m["attempt"], 1);
    assert_eq!(m["preferences"]["ignore"][0], "gamma");
}
