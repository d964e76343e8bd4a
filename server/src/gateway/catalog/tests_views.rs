//! The OpenRouter views against tests/fixtures/openrouter/CLIENT-REQUIREMENTS.md:
//! every key a client requires is present, `null` only where allowed.

use serde_json::{Value, json};

use super::views::{self, EndpointStats, PercentileStats};
use super::*;

/// Values at a dotted path where `key[]` walks every array item. A path
/// under an absent or `null` object is skipped (such keys are required only
/// once their object is present). Returns (concrete path, value if present).
fn at<'a>(root: &'a Value, path: &str) -> Vec<(String, Option<&'a Value>)> {
    let mut frontier = vec![(String::new(), root)];
    let mut out = Vec::new();
    let segments: Vec<&str> = path.split('.').collect();
    for (i, seg) in segments.iter().enumerate() {
        let (key, each) = seg.strip_suffix("[]").map_or((*seg, false), |k| (k, true));
        let mut next = Vec::new();
        for (here, v) in frontier {
            if v.is_null() {
                continue;
            }
            let name = format!("{here}.{key}");
            match v.get(key) {
                None => out.push((name, None)),
                Some(child) if i + 1 == segments.len() => out.push((name, Some(child))),
                Some(Value::Array(items)) if each => next.extend(
                    items
                        .iter()
                        .enumerate()
                        .map(|(n, item)| (format!("{name}[{n}]"), item)),
                ),
                Some(child) => next.push((name, child)),
            }
        }
        frontier = next;
    }
    out
}

/// `required` keys must be present; those not in `nullable` must not be null.
fn check(doc: &Value, required: &[&str], nullable: &[&str]) {
    for path in required {
        for (name, value) in at(doc, path) {
            let value = value.unwrap_or_else(|| panic!("missing required `{name}`"));
            assert!(
                !value.is_null() || nullable.contains(path),
                "`{name}` is null but the clients require a value"
            );
        }
    }
}

/// Every `null` in the document must sit at an allowed path (TS rejects
/// `null` for optional keys).
fn nulls_only_at(doc: &Value, allowed: &[&str]) {
    fn walk(v: &Value, path: &str, found: &mut Vec<String>) {
        match v {
            Value::Null => found.push(path.to_owned()),
            Value::Array(items) => items
                .iter()
                .for_each(|i| walk(i, &format!("{path}[]"), found)),
            Value::Object(map) => {
                for (k, v) in map {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(v, &p, found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(doc, "", &mut found);
    for path in found {
        assert!(
            allowed
                .iter()
                .any(|a| path == *a || path.starts_with(&format!("{a}."))),
            "unexpected null at `{path}`"
        );
    }
}

fn shipped() -> Catalog {
    Catalog::load_default().unwrap()
}

const MODELS_REQUIRED: &[&str] = &[
    "data",
    "data[].architecture",
    "data[].architecture.input_modalities",
    "data[].architecture.modality",
    "data[].architecture.output_modalities",
    "data[].canonical_slug",
    "data[].context_length",
    "data[].created",
    "data[].default_parameters",
    "data[].id",
    "data[].links",
    "data[].links.details",
    "data[].name",
    "data[].per_request_limits",
    "data[].per_request_limits.completion_tokens",
    "data[].per_request_limits.prompt_tokens",
    "data[].pricing",
    "data[].pricing.completion",
    "data[].pricing.prompt",
    "data[].supported_parameters",
    "data[].supported_voices",
    "data[].top_provider",
    "data[].top_provider.is_moderated",
    "links",
    "links.next",
    "total_count",
];
const MODELS_NULLABLE: &[&str] = &[
    "data[].architecture.modality",
    "data[].context_length",
    "data[].default_parameters",
    "data[].per_request_limits",
    "data[].supported_voices",
    "links.next",
];

#[test]
fn models_list_has_every_required_key() {
    let cat = shipped();
    let doc = serde_json::to_value(views::models_list(&cat, 0, None)).unwrap();
    check(&doc, MODELS_REQUIRED, MODELS_NULLABLE);
    let mut allowed = MODELS_NULLABLE.to_vec();
    // Nullable in the spec's Model schema (both SDKs accept null).
    allowed.extend([
        "data[].expiration_date",
        "data[].architecture.instruct_type",
        "data[].top_provider.context_length",
        "data[].top_provider.max_completion_tokens",
    ]);
    nulls_only_at(&doc, &allowed);
    assert_eq!(doc["total_count"], cat.models().len());
    assert_eq!(doc["data"].as_array().unwrap().len(), cat.models().len());
    assert!(doc["links"]["next"].is_null());
}

#[test]
fn models_list_has_the_fixture_keys_and_exact_prices() {
    let fixture: Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/openrouter/models_list_response.json"
    ))
    .unwrap();
    let example = &fixture["response"]["data"][0];
    let cat = shipped();
    let doc = serde_json::to_value(views::models_list(&cat, 0, None)).unwrap();
    let mini = doc["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "openai/gpt-4o-mini")
        .unwrap();
    for key in example.as_object().unwrap().keys() {
        assert!(mini.get(key).is_some(), "missing `{key}`");
    }
    for key in example["architecture"].as_object().unwrap().keys() {
        assert!(
            mini["architecture"].get(key).is_some(),
            "missing architecture.{key}"
        );
    }
    assert_eq!(
        mini["pricing"],
        json!({
            "prompt": "0.00000015",
            "completion": "0.0000006",
            "request": "0",
            "image": "0",
            "input_cache_read": "0.000000075"
        })
    );
    assert_eq!(mini["architecture"]["modality"], "text+image+file->text");
    assert_eq!(mini["architecture"]["tokenizer"], "GPT");
    assert_eq!(
        mini["links"]["details"],
        "/api/v1/models/openai/gpt-4o-mini/endpoints"
    );
    assert_eq!(
        mini["top_provider"],
        json!({"context_length": 128000, "max_completion_tokens": 16384, "is_moderated": true})
    );

    let sonnet = views::model_view(&cat, cat.model("anthropic/claude-sonnet-4.5").unwrap());
    assert_eq!(sonnet.pricing.prompt, "0.000003");
    assert_eq!(sonnet.pricing.completion, "0.000015");
    assert_eq!(
        sonnet.pricing.input_cache_read.as_deref(),
        Some("0.0000003")
    );
    assert_eq!(
        sonnet.pricing.input_cache_write.as_deref(),
        Some("0.00000375")
    );
    assert_eq!(
        sonnet.canonical_slug,
        "anthropic/claude-4.5-sonnet-20250929"
    );
}

#[test]
fn models_list_pages() {
    let cat = shipped();
    let first = views::models_list(&cat, 0, Some(10));
    assert_eq!(first.data.len(), 10);
    assert_eq!(
        first.links.next.as_deref(),
        Some("/api/v1/models?offset=10&limit=10")
    );
    assert_eq!(first.total_count, cat.models().len());
    let last = views::models_list(&cat, cat.models().len() - 3, Some(10));
    assert_eq!(last.data.len(), 3);
    assert_eq!(last.links.next, None);
    assert!(views::models_list(&cat, 10_000, Some(5)).data.is_empty());
}

const ENDPOINTS_REQUIRED: &[&str] = &[
    "data",
    "data.architecture",
    "data.architecture.input_modalities",
    "data.architecture.instruct_type",
    "data.architecture.modality",
    "data.architecture.output_modalities",
    "data.architecture.tokenizer",
    "data.created",
    "data.description",
    "data.endpoints",
    "data.endpoints[].context_length",
    "data.endpoints[].latency_last_30m",
    "data.endpoints[].latency_last_30m.p50",
    "data.endpoints[].latency_last_30m.p75",
    "data.endpoints[].latency_last_30m.p90",
    "data.endpoints[].latency_last_30m.p99",
    "data.endpoints[].max_completion_tokens",
    "data.endpoints[].max_prompt_tokens",
    "data.endpoints[].model_id",
    "data.endpoints[].model_name",
    "data.endpoints[].name",
    "data.endpoints[].pricing",
    "data.endpoints[].pricing.completion",
    "data.endpoints[].pricing.prompt",
    "data.endpoints[].provider_name",
    "data.endpoints[].quantization",
    "data.endpoints[].supported_parameters",
    "data.endpoints[].supports_implicit_caching",
    "data.endpoints[].supports_tool_choice",
    "data.endpoints[].supports_tool_choice.auto",
    "data.endpoints[].supports_tool_choice.function",
    "data.endpoints[].supports_tool_choice.none",
    "data.endpoints[].supports_tool_choice.required",
    "data.endpoints[].tag",
    "data.endpoints[].throughput_last_30m",
    "data.endpoints[].throughput_last_30m.p50",
    "data.endpoints[].throughput_last_30m.p75",
    "data.endpoints[].throughput_last_30m.p90",
    "data.endpoints[].throughput_last_30m.p99",
    "data.endpoints[].uptime_last_1d",
    "data.endpoints[].uptime_last_30m",
    "data.endpoints[].uptime_last_5m",
    "data.id",
    "data.name",
    // Python only:
    "data.endpoints[].native_tools",
    "data.endpoints[].service_tier",
    "data.endpoints[].supports_diarization",
];
const ENDPOINTS_NULLABLE: &[&str] = &[
    "data.architecture.instruct_type",
    "data.architecture.modality",
    "data.architecture.tokenizer",
    "data.endpoints[].latency_last_30m",
    "data.endpoints[].max_completion_tokens",
    "data.endpoints[].max_prompt_tokens",
    "data.endpoints[].quantization",
    "data.endpoints[].throughput_last_30m",
    "data.endpoints[].uptime_last_1d",
    "data.endpoints[].uptime_last_30m",
    "data.endpoints[].uptime_last_5m",
    // Nullable in the Python model (`Nullable[PublicServiceTier]`).
    "data.endpoints[].service_tier",
];

#[test]
fn endpoints_have_every_required_key_for_every_model() {
    let cat = shipped();
    for model in cat.models() {
        let doc = serde_json::to_value(views::model_endpoints(&cat, model, |_| {
            EndpointStats::default()
        }))
        .unwrap();
        check(&doc, ENDPOINTS_REQUIRED, ENDPOINTS_NULLABLE);
        nulls_only_at(&doc, ENDPOINTS_NULLABLE);
        // Omitted rather than null (TS).
        assert!(
            doc["data"]["endpoints"][0]
                .get("supports_voice_cloning")
                .is_none()
        );
    }
}

#[test]
fn endpoints_carry_stats_and_exact_prices() {
    let cat = shipped();
    let model = cat.model("meta-llama/llama-3.3-70b-instruct").unwrap();
    let p = PercentileStats {
        p50: 1.0,
        p75: 2.0,
        p90: 3.0,
        p99: 4.0,
    };
    let stats = |e: &Endpoint| EndpointStats {
        status: 0,
        uptime_last_5m: Some(100.0),
        uptime_last_30m: Some(99.5),
        uptime_last_1d: (e.provider == "groq").then_some(99.9),
        latency_last_30m: Some(p),
        throughput_last_30m: Some(p),
    };
    let doc = serde_json::to_value(views::model_endpoints(&cat, model, stats)).unwrap();
    check(&doc, ENDPOINTS_REQUIRED, ENDPOINTS_NULLABLE);
    let fixture: Value = serde_json::from_str(include_str!(
        "../../../../tests/fixtures/openrouter/model_endpoints_response.json"
    ))
    .unwrap();
    let example = &fixture["response"]["data"]["endpoints"][0];
    let groq = &doc["data"]["endpoints"][0];
    for key in example.as_object().unwrap().keys() {
        assert!(groq.get(key).is_some(), "missing `{key}`");
    }
    assert_eq!(groq["tag"], "groq");
    assert_eq!(groq["provider_name"], "Groq");
    assert_eq!(groq["name"], "Groq | meta-llama/llama-3.3-70b-instruct");
    assert_eq!(groq["model_id"], "meta-llama/llama-3.3-70b-instruct");
    assert_eq!(groq["pricing"]["prompt"], "0.00000059");
    assert_eq!(groq["pricing"]["completion"], "0.00000079");
    assert_eq!(groq["quantization"], "unknown");
    assert_eq!(groq["max_completion_tokens"], 32768);
    assert_eq!(groq["uptime_last_1d"], 99.9);
    assert_eq!(groq["latency_last_30m"]["p99"], 4.0);
    assert_eq!(
        groq["supports_tool_choice"],
        json!({"auto": true, "function": true, "none": true, "required": true})
    );
    assert_eq!(groq["native_tools"], json!({}));
    let together = &doc["data"]["endpoints"][1];
    assert_eq!(together["quantization"], "fp8");
    assert!(together["uptime_last_1d"].is_null());
    assert_eq!(doc["data"]["architecture"]["tokenizer"], "Llama3");
    assert_eq!(doc["data"]["architecture"]["instruct_type"], "llama3");
}

#[test]
fn providers_list_has_every_required_key() {
    let cat = shipped();
    let doc = serde_json::to_value(views::providers_list(&cat)).unwrap();
    check(
        &doc,
        &[
            "data",
            "data[].name",
            "data[].privacy_policy_url",
            "data[].slug",
        ],
        &["data[].privacy_policy_url"],
    );
    let data = doc["data"].as_array().unwrap();
    assert_eq!(data.len(), cat.providers().len());
    let openai = data.iter().find(|p| p["slug"] == "openai").unwrap();
    assert_eq!(openai["name"], "OpenAI");
    assert_eq!(openai["headquarters"], "US");
    assert_eq!(openai["datacenters"], json!(["US"]));
    let vllm = data.iter().find(|p| p["slug"] == "vllm").unwrap();
    assert!(vllm["privacy_policy_url"].is_null());
}
