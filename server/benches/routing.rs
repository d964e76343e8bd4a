//! The routing decision's cost: one model with 50 endpoints (a synthetic catalog), the full
//! plan from the parsed request, including parsing a typical `provider` object, merging an
//! organization's defaults, the health look-ups and the stickiness key.
//!
//! `cargo bench -p server --bench routing`. Budget: ≤ 10 µs per decision. Measured (median,
//! release, on a shared 2-core machine under load): typical provider object 2.8 µs, no
//! preferences (all 50 endpoints load-balanced) 4.4 µs, `order` + `sort` 3.0 µs.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use server::gateway::catalog::{Catalog, CatalogSource, LiveProvider};
use server::gateway::routing::{
    NoHealthData, PlanContext, ProviderPreferences, RoutingTable, StickyCache,
};
use server::gateway::types::ChatRequest;

const ENDPOINTS: usize = 50;

fn catalog_toml() -> String {
    let mut toml = String::new();
    for i in 0..ENDPOINTS {
        let policy = match i % 3 {
            0 => "{ zdr_available = true }",
            1 => "{ retains_prompts = true, zdr_available = true }",
            _ => "{ trains_on_prompts = true, retains_prompts = true }",
        };
        writeln!(
            toml,
            "[[providers]]\nslug = \"host{i}\"\nname = \"Host {i}\"\nprotocol = \"openai\"\n\
             base_url = \"http://host{i}.test/v1\"\ndata_policy = {policy}\n"
        )
        .unwrap();
    }
    toml.push_str(
        "[[models]]\nid = \"bench/model\"\nname = \"Bench\"\ncreated = 1700000000\n\
         description = \"bench\"\ncontext_length = 131072\n\
         supported_parameters = [\"tools\", \"tool_choice\", \"temperature\", \"max_tokens\", \"stop\"]\n\n",
    );
    for i in 0..ENDPOINTS {
        let quant = ["fp8", "bf16", "fp16", "int8"][i % 4];
        writeln!(
            toml,
            "[[models.endpoints]]\nprovider = \"host{i}\"\nupstream_model = \"m{i}\"\n\
             quantization = \"{quant}\"\nmax_output_tokens = 16384\n\
             pricing = {{ prompt = \"0.{:02}\", completion = \"1.{:02}\" }}\n",
            10 + i,
            20 + i
        )
        .unwrap();
    }
    toml
}

fn table() -> RoutingTable {
    let catalog = Catalog::build(CatalogSource::from_toml(&catalog_toml()).unwrap()).unwrap();
    let live = (0..ENDPOINTS)
        .map(|i| LiveProvider {
            slug: format!("host{i}"),
            base_url: format!("http://host{i}.test/v1"),
            api_key: Some("key".into()),
        })
        .collect();
    RoutingTable::new(catalog, live)
}

fn request(provider: serde_json::Value) -> ChatRequest {
    serde_json::from_value(json!({
        "model": "bench/model",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant. ".repeat(20)},
            {"role": "user", "content": "Summarize the following text in three bullet points: ".repeat(8)}
        ],
        "temperature": 0.7,
        "max_tokens": 1024,
        "provider": provider,
    }))
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let table = table();
    let sticky = StickyCache::default();
    let org = ProviderPreferences::org_defaults(&json!({"ignore": ["host49"]})).unwrap();
    let ctx = PlanContext {
        org_id: "org_bench",
        org_defaults: Some(&org),
        byok: None,
        health: &NoHealthData,
        sticky: Some(&sticky),
    };
    let typical = request(json!({
        "ignore": ["host1", "Host 2"],
        "data_collection": "deny",
        "quantizations": ["fp8", "bf16"],
        "max_price": {"prompt": "0.5", "completion": "2"},
        "require_parameters": true,
    }));
    let plain = request(serde_json::Value::Null);
    let sorted = request(json!({"sort": "price", "order": ["host7", "host3"]}));
    for (name, req) in [
        ("typical_provider_object", &typical),
        ("no_preferences", &plain),
        ("order_and_sort", &sorted),
    ] {
        let plan = table.plan(req, &ctx).unwrap();
        assert!(!plan.targets.is_empty());
        c.bench_function(&format!("plan_50_endpoints/{name}"), |b| {
            b.iter(|| table.plan(black_box(req), black_box(&ctx)).unwrap())
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
