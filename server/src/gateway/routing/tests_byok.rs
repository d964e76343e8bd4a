//! Organizations' own keys in a plan: prioritized keys first, then the platform, then
//! fallback keys; `always_use`; filters; providers only the organization can call.

use std::sync::Arc;

use serde_json::json;

use super::tests::{request, table};
use super::*;
use crate::billing::money::Nanos;
use crate::gateway::relay::ByokFee;

/// 10 % of the platform price.
struct TenPercent;

impl ByokFee for TenPercent {
    fn fee(&self, platform_price: Nanos) -> Nanos {
        Nanos::from_nanos(platform_price.as_nanos() / 10)
    }

    fn quote(&self, platform_price: Nanos) -> Nanos {
        self.fee(platform_price)
    }
}

fn key(id: &str, provider: &str) -> ByokCredential {
    ByokCredential {
        id: id.into(),
        provider: provider.into(),
        api_key: format!("sk-{id}-secret"),
        label: "...cret".into(),
        is_fallback: false,
        always_use: false,
        allowed_models: None,
        allowed_api_key_hashes: None,
    }
}

fn org(keys: Vec<ByokCredential>) -> OrgByok {
    OrgByok::new(keys, Arc::new(TenPercent))
}

/// A plan context of an organization with `keys`, called with the API key `key_hash`.
fn with_keys<'a>(keys: &'a OrgByok, key_hash: &'a str) -> PlanContext<'a> {
    PlanContext {
        org_id: "org_1",
        byok: Some(ByokContext { keys, key_hash }),
        ..PlanContext::bare()
    }
}

/// `(provider, api key or "platform")` of each target, in order.
fn attempts(keys: Vec<ByokCredential>, key_hash: &str, model: &str) -> Vec<(String, String)> {
    let org = org(keys);
    let ctx = with_keys(&org, key_hash);
    let body = json!({ "model": model, "provider": {"sort": "price"} });
    let plan = table().plan(&request(body), &ctx).unwrap();
    plan.targets
        .iter()
        .map(|t| {
            assert_eq!(t.is_byok, t.byok.is_some());
            let used = if t.is_byok {
                t.api_key.clone()
            } else {
                "platform".into()
            };
            (t.provider_slug.clone(), used)
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn prioritized_keys_come_first_and_fallback_keys_last() {
    let mut fallback = key("a1", "alpha");
    fallback.is_fallback = true;
    let got = attempts(
        vec![key("b1", "beta"), key("b2", "beta"), fallback],
        "h",
        "acme/chat",
    );
    assert_eq!(
        got,
        pairs(&[
            ("beta", "sk-b1-secret"),
            ("beta", "sk-b2-secret"),
            ("beta", "platform"),
            ("alpha", "platform"),
            ("gamma", "platform"),
            ("alpha", "sk-a1-secret"),
        ])
    );
}

#[test]
fn always_use_keeps_the_platform_out_for_that_provider_only() {
    let mut always = key("b1", "beta");
    always.always_use = true;
    let got = attempts(vec![always], "h", "acme/chat");
    assert_eq!(
        got,
        pairs(&[
            ("beta", "sk-b1-secret"),
            ("alpha", "platform"),
            ("gamma", "platform"),
        ])
    );
}

#[test]
fn a_provider_the_platform_cannot_call_serves_with_the_organizations_key() {
    // delta has no platform key in this deployment: only the organization's key reaches it.
    let got = attempts(vec![key("d1", "delta")], "h", "acme/chat");
    assert_eq!(got[0], ("delta".to_string(), "sk-d1-secret".to_string()));
    assert!(!got[1..].iter().any(|(p, _)| p == "delta"), "{got:?}");
    // Not reported as unconfigured for this organization.
    let org = org(vec![key("d1", "delta")]);
    let ctx = with_keys(&org, "h");
    let plan = table()
        .plan(&request(json!({ "model": "acme/chat" })), &ctx)
        .unwrap();
    assert!(
        !plan
            .filtered_json()
            .iter()
            .any(|f| f["reason"] == "not_configured"),
        "{:?}",
        plan.filtered_json()
    );
    // Without a key for it, delta stays out.
    assert!(
        !attempts(vec![key("b1", "beta")], "h", "acme/chat")
            .iter()
            .any(|(p, _)| p == "delta")
    );
}

#[test]
fn model_and_api_key_filters_apply() {
    let mut models = key("b1", "beta");
    models.allowed_models = Some(vec!["acme/other".into()]);
    let mut hashes = key("b2", "beta");
    hashes.allowed_api_key_hashes = Some(vec!["allowed".into()]);
    hashes.always_use = true;
    let got = attempts(vec![models, hashes], "someone-else", "acme/chat");
    assert!(got.iter().all(|(_, k)| k == "platform"), "{got:?}");
    let got = attempts(
        vec![key("b1", "beta"), {
            let mut h = key("b2", "beta");
            h.allowed_api_key_hashes = Some(vec!["allowed".into()]);
            h
        }],
        "allowed",
        "acme/chat",
    );
    assert_eq!(got[0].1, "sk-b1-secret");
    assert_eq!(got[1].1, "sk-b2-secret");
}

#[test]
fn a_byok_target_charges_the_fee_and_reports_the_provider_price() {
    let org = org(vec![key("b1", "beta")]);
    let ctx = with_keys(&org, "h");
    let plan = table()
        .plan(
            &request(json!({"model": "acme/chat", "provider": {"order": ["beta"]}})),
            &ctx,
        )
        .unwrap();
    let (byok, platform) = (&plan.targets[0], &plan.targets[1]);
    let dollar = Nanos::from_nanos(1_000_000_000);
    assert_eq!(byok.quote(dollar), Nanos::from_nanos(100_000_000));
    assert_eq!(platform.quote(dollar), dollar);
    let mut usage = crate::gateway::types::Usage {
        prompt_tokens: 1_000_000,
        completion_tokens: 1_000_000,
        ..Default::default()
    };
    // beta: $0.5 + $0.5 per million.
    let priced = byok.price(&mut usage, 0);
    assert_eq!(priced.cost, Nanos::from_nanos(100_000_000));
    assert_eq!(priced.upstream_cost, Some(Nanos::from_nanos(1_000_000_000)));
    assert_eq!(usage.is_byok, Some(true));
    assert_eq!(usage.cost, Some(json!(0.1)));
    let details = usage.cost_details.clone().unwrap();
    assert_eq!(details["upstream_inference_cost"].as_f64(), Some(1.0));
    assert_eq!(
        details["upstream_inference_prompt_cost"].as_f64(),
        Some(0.5)
    );

    let priced = platform.price(&mut usage, 0);
    assert_eq!(priced.cost, Nanos::from_nanos(1_000_000_000));
    assert_eq!(priced.upstream_cost, None);
    assert_eq!(usage.is_byok, Some(false));
    assert_eq!(
        usage.cost_details.unwrap()["upstream_inference_cost"],
        json!(null)
    );
}
