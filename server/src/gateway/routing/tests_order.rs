//! Ordering: health, load balancing, sorts, soft preferences, stickiness.

use std::collections::HashMap;

use rand::SeedableRng as _;
use rand::rngs::StdRng;
use serde_json::json;

use super::tests::{providers, request, table};
use super::*;

/// Health figures by provider slug (the test catalog has one endpoint per provider).
struct Board(HashMap<&'static str, EndpointHealth>);

impl HealthSource for Board {
    fn health(&self, _model_id: &str, endpoint_tag: &str) -> EndpointHealth {
        self.0.get(endpoint_tag).copied().unwrap_or_default()
    }
}

fn figures(tps: Option<f32>, ttft: Option<u32>) -> EndpointHealth {
    EndpointHealth {
        throughput_tps_p50: tps,
        ttft_ms_p50: ttft,
        ..EndpointHealth::default()
    }
}

fn with_health(board: &Board, body: serde_json::Value) -> Plan {
    let ctx = PlanContext {
        health: board,
        ..PlanContext::bare()
    };
    table()
        .plan_with_rng(&request(body), &ctx, &mut StdRng::seed_from_u64(1))
        .unwrap()
}

#[test]
fn default_order_balances_by_inverse_square_price() {
    // alpha: 3 (prompt + completion), beta: 1, gamma: 6 USD per million tokens, so weights
    // 1/9 : 1 : 1/36 and beta should come first about 36/41 of the time.
    let t = table();
    let req = request(json!({ "model": "acme/chat" }));
    let mut rng = StdRng::seed_from_u64(42);
    let mut first = HashMap::new();
    for _ in 0..4000 {
        let p = t
            .plan_with_rng(&req, &PlanContext::bare(), &mut rng)
            .unwrap();
        *first.entry(p.targets[0].provider_slug.clone()).or_insert(0) += 1;
    }
    let share = |s: &str| f64::from(*first.get(s).unwrap_or(&0)) / 4000.0;
    assert!((share("beta") - 36.0 / 41.0).abs() < 0.03, "{first:?}");
    assert!((share("alpha") - 4.0 / 41.0).abs() < 0.03, "{first:?}");
    assert!((share("gamma") - 1.0 / 41.0).abs() < 0.02, "{first:?}");
}

#[test]
fn outages_then_unavailable_go_last() {
    let board = Board(HashMap::from([
        (
            "beta",
            EndpointHealth {
                available: false,
                ..EndpointHealth::default()
            },
        ),
        (
            "alpha",
            EndpointHealth {
                recent_outage: true,
                ..EndpointHealth::default()
            },
        ),
    ]));
    for _ in 0..10 {
        let p = with_health(&board, json!({ "model": "acme/chat" }));
        assert_eq!(providers(&p), ["gamma", "alpha", "beta"]);
    }
    // An explicit order wins over a past outage, but an unavailable endpoint stays the last
    // resort even when named first.
    let p = with_health(
        &board,
        json!({ "model": "acme/chat", "provider": {"order": ["beta", "alpha"]} }),
    );
    assert_eq!(providers(&p), ["alpha", "gamma", "beta"]);
}

#[test]
fn throughput_and_latency_sorts_put_unmeasured_last() {
    let board = Board(HashMap::from([
        ("alpha", figures(Some(50.0), Some(900))),
        ("gamma", figures(Some(200.0), Some(300))),
    ]));
    let p = with_health(
        &board,
        json!({ "model": "acme/chat", "provider": {"sort": "throughput"} }),
    );
    assert_eq!(providers(&p), ["gamma", "alpha", "beta"]);
    let p = with_health(&board, json!({ "model": "acme/chat:nitro" }));
    assert_eq!(providers(&p), ["gamma", "alpha", "beta"]);
    let p = with_health(
        &board,
        json!({ "model": "acme/chat", "provider": {"sort": "latency"} }),
    );
    assert_eq!(providers(&p), ["gamma", "alpha", "beta"]);
    let p = with_health(
        &board,
        json!({ "model": "acme/chat", "provider": {"sort": "price"} }),
    );
    assert_eq!(providers(&p), ["beta", "alpha", "gamma"]);
}

#[test]
fn soft_preferences_deprioritize_but_never_exclude() {
    let board = Board(HashMap::from([
        ("beta", figures(Some(10.0), Some(5000))),
        ("alpha", figures(Some(100.0), Some(200))),
    ]));
    let p = with_health(
        &board,
        json!({ "model": "acme/chat",
        "provider": {"sort": "price", "preferred_min_throughput": 50} }),
    );
    // beta is cheapest but too slow: after alpha and the unmeasured gamma, still present.
    assert_eq!(providers(&p), ["alpha", "gamma", "beta"]);
    let p = with_health(
        &board,
        json!({ "model": "acme/chat",
        "provider": {"sort": "price", "preferred_max_latency": {"p50": 1}} }),
    );
    assert_eq!(providers(&p), ["alpha", "gamma", "beta"]);
}

#[test]
fn tools_prefer_endpoints_that_support_them() {
    let tools = json!([{"type": "function", "function": {"name": "f"}}]);
    for seed in 0..20 {
        let p = table()
            .plan_with_rng(
                &request(
                    json!({ "model": "acme/chat", "tools": tools, "provider": {"sort": "price"} }),
                ),
                &PlanContext::bare(),
                &mut StdRng::seed_from_u64(seed),
            )
            .unwrap();
        assert_eq!(providers(&p), ["beta", "alpha", "gamma"]);
    }
    let p = table()
        .plan(
            &request(
                json!({ "model": "acme/chat", "provider": {"sort": "price", "order": ["gamma"]},
                "response_format": {"type": "json_object"} }),
            ),
            &PlanContext::bare(),
        )
        .unwrap();
    // An explicit order outranks the feature preference.
    assert_eq!(providers(&p)[0], "gamma");
}

#[test]
fn sticky_provider_after_a_cache_hit_unless_order_is_set() {
    let t = table();
    let cache = StickyCache::default();
    let ctx = PlanContext {
        org_id: "org_1",
        sticky: Some(&cache),
        ..PlanContext::bare()
    };
    let body = json!({ "model": "acme/chat", "provider": {"sort": "price"},
        "messages": [{"role": "system", "content": "a long shared prefix"}, {"role": "user", "content": "q1"}] });
    let p = t.plan(&request(body.clone()), &ctx).unwrap();
    assert_eq!(providers(&p)[0], "beta");
    assert!(p.stuck_to.is_none());
    cache.remember(p.sticky_key.unwrap(), "gamma");

    let again = t.plan(&request(body.clone()), &ctx).unwrap();
    assert_eq!(again.sticky_key, p.sticky_key);
    assert_eq!(providers(&again), ["gamma", "beta", "alpha"]);
    assert_eq!(again.stuck_to.as_deref(), Some("gamma"));

    // Another organization, another prompt, or an explicit order: not stuck.
    let other_org = PlanContext {
        org_id: "org_2",
        ..ctx
    };
    let p2 = t.plan(&request(body.clone()), &other_org).unwrap();
    assert_eq!(providers(&p2)[0], "beta");
    let other_prompt = json!({ "model": "acme/chat", "provider": {"sort": "price"},
        "messages": [{"role": "user", "content": "something else"}] });
    assert_eq!(
        providers(&t.plan(&request(other_prompt), &ctx).unwrap())[0],
        "beta"
    );
    let mut ordered = body;
    ordered["provider"]["order"] = json!(["alpha"]);
    assert_eq!(
        providers(&t.plan(&request(ordered), &ctx).unwrap())[0],
        "alpha"
    );
}

#[test]
fn sticky_key_covers_the_prefix_up_to_the_breakpoint() {
    let turn = |extra: &str| {
        request(json!({ "model": "m", "messages": [
            {"role": "system", "content": [{"type": "text", "text": "rules", "cache_control": {"type": "ephemeral"}}]},
            {"role": "user", "content": extra}] }))
    };
    // Later turns differ after the breakpoint: same key.
    assert_eq!(
        sticky::key("o", "m", &turn("a")),
        sticky::key("o", "m", &turn("b"))
    );
    // Without a breakpoint, the first 4 KB count.
    let long = "y".repeat(5000);
    let plain = |tail: &str| {
        request(
            json!({ "model": "m", "messages": [{"role": "user", "content": format!("{long}{tail}")}] }),
        )
    };
    assert_eq!(
        sticky::key("o", "m", &plain("1")),
        sticky::key("o", "m", &plain("2"))
    );
    assert_ne!(
        sticky::key("o", "m", &plain("1")),
        sticky::key("o", "other", &plain("1"))
    );
}
