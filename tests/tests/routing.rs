//! Routing end to end: the `provider` object, variants, routers, organization defaults,
//! prompt-cache stickiness and the `X-OpenRouter-Metadata` view of the decision. Every
//! catalog provider points at the emulator, so one model has several live endpoints:
//! `meta-llama/llama-3.3-70b-instruct` on Groq (0.59/0.79, no quantization given), Together
//! (0.88/0.88 fp8), DeepInfra (0.10/0.32 fp8, output ≤ 16384), Fireworks (0.90/0.90 fp8) and
//! Cerebras (0.85/1.20 bf16, 65,536-token context).

use reqwest::Method;
use serde_json::{Value, json};
use tests::routing::*;
use tests::{Sse, TestServer};

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn each_provider_field_chooses_and_excludes_endpoints() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let (_, key) = key_for(&api, "prefs").await;

    // No metadata unless asked for.
    let plain = api
        .post("/api/v1/chat/completions", Some(&key), ask(LLAMA, "Hello"))
        .await;
    assert!(plain.expect(200).get("openrouter_metadata").is_none());

    // order + allow_fallbacks: false: only the named providers, in that order.
    let reply = routed(
        &api,
        &key,
        with_provider(
            LLAMA,
            json!({"order": ["cerebras", "Groq"], "allow_fallbacks": false}),
        ),
    )
    .await;
    let body = reply.expect(200);
    assert_eq!(body["provider"], "Cerebras");
    assert_eq!(body["model"], LLAMA);
    assert_eq!(available(body), ["Cerebras", "Groq"]);
    for other in ["Together", "DeepInfra", "Fireworks"] {
        assert_eq!(
            filtered_reason(body, other).as_deref(),
            Some("not_in_order"),
            "{body}"
        );
    }
    let meta = &body["openrouter_metadata"];
    assert_eq!(meta["requested"], LLAMA);
    assert_eq!(meta["strategy"], "direct");
    assert_eq!(meta["endpoints"]["available"][0]["selected"], true);
    assert_eq!(meta["attempts"][0]["provider"], "Cerebras");
    assert_eq!(meta["attempts"][0]["status"], 200);
    // The generation record names the provider that served.
    let generation = body["id"].as_str().unwrap();
    let record = api
        .get(&format!("/api/v1/generation?id={generation}"), Some(&key))
        .await;
    assert_eq!(record.expect(200)["data"]["provider_name"], "Cerebras");

    // order with fallbacks: the named ones first, then the rest.
    let reply = routed(
        &api,
        &key,
        with_provider(LLAMA, json!({"order": ["fireworks"]})),
    )
    .await;
    let body = reply.expect(200);
    assert_eq!(body["provider"], "Fireworks");
    assert_eq!(available(body).len(), 5);

    // only / ignore, by slug or display name, any case.
    let reply = routed(
        &api,
        &key,
        with_provider(LLAMA, json!({"only": ["deepinfra"]})),
    )
    .await;
    let body = reply.expect(200);
    assert_eq!(body["provider"], "DeepInfra");
    assert_eq!(
        filtered_reason(body, "Groq").as_deref(),
        Some("not_in_only")
    );
    let reply = routed(
        &api,
        &key,
        with_provider(
            LLAMA,
            json!({"ignore": ["GROQ", "Together", "deepinfra", "fireworks"]}),
        ),
    )
    .await;
    let body = reply.expect(200);
    assert_eq!(available(body), ["Cerebras"]);
    assert_eq!(
        filtered_reason(body, "Together").as_deref(),
        Some("ignored")
    );

    // quantizations.
    let reply = routed(
        &api,
        &key,
        with_provider(LLAMA, json!({"quantizations": ["bf16"]})),
    )
    .await;
    assert_eq!(available(reply.expect(200)), ["Cerebras"]);

    // sort: price — cheapest first, no load balancing.
    let reply = routed(&api, &key, with_provider(LLAMA, json!({"sort": "price"}))).await;
    let body = reply.expect(200);
    assert_eq!(body["provider"], "DeepInfra");
    assert_eq!(
        available(body),
        ["DeepInfra", "Groq", "Together", "Fireworks", "Cerebras"]
    );

    // max_price (USD per million tokens, exact decimals).
    let reply = routed(
        &api,
        &key,
        with_provider(
            LLAMA,
            json!({"max_price": {"prompt": "0.59", "completion": "0.79"}}),
        ),
    )
    .await;
    let body = reply.expect(200);
    assert_eq!(sorted(available(body)), ["DeepInfra", "Groq"]);
    assert_eq!(
        filtered_reason(body, "Cerebras").as_deref(),
        Some("max_price")
    );
    let reply = routed(
        &api,
        &key,
        with_provider(LLAMA, json!({"max_price": {"prompt": "0.01"}})),
    )
    .await;
    let message = reply.expect_error(404);
    assert!(message.contains("max_price"), "{message}");
    let filtered = reply.body["error"]["metadata"]["filtered"]
        .as_array()
        .unwrap();
    assert_eq!(filtered.len(), 5, "{}", reply.text);

    // require_parameters: logit_bias is not accepted by Groq or Cerebras.
    let mut body = with_provider(LLAMA, json!({"require_parameters": true}));
    body["logit_bias"] = json!({"50256": -100});
    let reply = routed(&api, &key, body.clone()).await;
    let got = reply.expect(200);
    assert_eq!(
        sorted(available(got)),
        ["DeepInfra", "Fireworks", "Together"]
    );
    assert_eq!(
        filtered_reason(got, "Groq").as_deref(),
        Some("require_parameters")
    );
    // Without it they stay candidates.
    body["provider"] = json!({});
    assert_eq!(
        available(routed(&api, &key, body).await.expect(200)).len(),
        5
    );

    // max_tokens above an endpoint's output cap excludes it.
    let mut body = ask(LLAMA, "Hello");
    body["max_tokens"] = json!(20000);
    let reply = routed(&api, &key, body).await;
    assert_eq!(
        filtered_reason(reply.expect(200), "DeepInfra").as_deref(),
        Some("max_tokens")
    );

    // A prompt above an endpoint's context (Cerebras: 65,536 tokens ≈ 262,144 bytes).
    let long = "word ".repeat(60_000);
    let reply = routed(&api, &key, ask(LLAMA, &long)).await;
    assert_eq!(
        filtered_reason(reply.expect(200), "Cerebras").as_deref(),
        Some("context_length")
    );

    // Bad values: 400 naming the field.
    for (provider, field) in [
        (json!({"sort": "fastest"}), "provider.sort"),
        (
            json!({"max_price": {"prompt": "cheap"}}),
            "provider.max_price.prompt",
        ),
        (json!({"order": "groq"}), "provider.order"),
        (
            json!({"data_collection": "maybe"}),
            "provider.data_collection",
        ),
        (json!({"nope": true}), "provider.nope"),
    ] {
        let reply = routed(&api, &key, with_provider(LLAMA, provider)).await;
        let message = reply.expect_error(400);
        assert!(message.starts_with(field), "{field}: {message}");
    }
}

#[tokio::test]
async fn data_policy_filters() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let (_, key) = key_for(&api, "policy").await;
    // DeepSeek's own API may train on prompts and offers no ZDR; it alone serves V3.2.
    let model = "deepseek/deepseek-v3.2";
    let reply = routed(&api, &key, with_provider(model, json!({}))).await;
    assert_eq!(reply.expect(200)["provider"], "DeepSeek");
    for (provider, why) in [
        (json!({"data_collection": "deny"}), "retains prompts"),
        (json!({"zdr": true}), "zero data retention"),
    ] {
        let reply = routed(&api, &key, with_provider(model, provider.clone())).await;
        let message = reply.expect_error(404);
        assert!(message.contains(why), "{provider}: {message}");
        let filtered = &reply.body["error"]["metadata"]["filtered"][0];
        assert_eq!(filtered["provider"], "DeepSeek", "{}", reply.text);
    }
    // Hosts that keep nothing pass both filters.
    let reply = routed(
        &api,
        &key,
        with_provider(LLAMA, json!({"data_collection": "deny", "zdr": true})),
    )
    .await;
    assert_eq!(available(reply.expect(200)).len(), 5);
    // OpenAI retains prompts for 30 days (excluded by "deny") but offers ZDR.
    let reply = routed(
        &api,
        &key,
        with_provider("openai/gpt-4o-mini", json!({"zdr": true})),
    )
    .await;
    assert_eq!(reply.expect(200)["provider"], "OpenAI");
    let reply = routed(
        &api,
        &key,
        with_provider("openai/gpt-4o-mini", json!({"data_collection": "deny"})),
    )
    .await;
    reply.expect_error(404);
}

#[tokio::test]
async fn variants_and_router_models() {
    let (server, emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let (_, key) = key_for(&api, "variants").await;

    // :floor = cheapest first.
    let reply = routed(&api, &key, ask(&format!("{LLAMA}:floor"), "Hello")).await;
    let body = reply.expect(200);
    assert_eq!(body["provider"], "DeepInfra");
    assert_eq!(available(body)[0], "DeepInfra");
    assert_eq!(
        body["openrouter_metadata"]["params"]["variants"][0]["variant"],
        "floor"
    );
    // :nitro = throughput first (no figures yet: all endpoints stay, in catalog order).
    let reply = routed(&api, &key, ask(&format!("{LLAMA}:nitro"), "Hello")).await;
    assert_eq!(available(reply.expect(200)).len(), 5);

    // :free: the free variant's zero-priced endpoint.
    let free = format!("{LLAMA}:free");
    let reply = routed(&api, &key, ask(&free, "Hello")).await;
    let body = reply.expect(200);
    assert_eq!(body["model"], free);
    assert_eq!(body["provider"], "Together");
    assert_eq!(body["usage"]["cost"].as_f64(), Some(0.0), "{body}");
    assert_eq!(body["openrouter_metadata"]["params"]["is_free"], true);
    // ...and on a model without free endpoints: 404 saying why.
    let reply = routed(
        &api,
        &key,
        ask("meta-llama/llama-3.1-8b-instruct:free", "Hello"),
    )
    .await;
    let message = reply.expect_error(404);
    assert!(message.contains("not a free endpoint"), "{message}");
    // An unknown variant is the client's mistake.
    let reply = routed(&api, &key, ask(&format!("{LLAMA}:turbo"), "Hello")).await;
    assert!(reply.expect_error(400).contains(":turbo"));

    // openrouter/free: any free endpoint that fits.
    let reply = routed(&api, &key, ask("openrouter/free", "Hello")).await;
    let body = reply.expect(200);
    assert!(body["model"].as_str().unwrap().ends_with(":free"), "{body}");
    assert_eq!(body["openrouter_metadata"]["strategy"], "free");
    assert_eq!(body["usage"]["cost"].as_f64(), Some(0.0));

    // :thinking turns reasoning on (Anthropic: a thinking budget goes upstream).
    emulator.clear_requests();
    let reply = routed(
        &api,
        &key,
        ask("anthropic/claude-sonnet-4.5:thinking", "Hello"),
    )
    .await;
    assert_eq!(reply.expect(200)["provider"], "Anthropic");
    let sent = emulator.requests();
    assert_eq!(
        sent[0].body["thinking"]["type"], "enabled",
        "{:?}",
        sent[0].body
    );
    // ...and refuses a model whose endpoints cannot reason.
    let reply = routed(&api, &key, ask("openai/gpt-4o-mini:thinking", "Hello")).await;
    assert!(reply.expect_error(404).contains("reasoning"));

    // openrouter/auto: the chosen model shows in `model` and in the metadata.
    let reply = routed(&api, &key, ask("openrouter/auto", "Hello")).await;
    let body = reply.expect(200);
    assert_eq!(body["model"], "openai/gpt-5-mini");
    assert_eq!(body["openrouter_metadata"]["strategy"], "auto");
    assert_eq!(
        body["openrouter_metadata"]["params"]["auto_rule"],
        "default"
    );
    let mut tools = ask("openrouter/auto", "What is the weather?");
    tools["tools"] = json!([{"type": "function", "function": {"name": "weather", "parameters": {"type": "object"}}}]);
    let reply = routed(&api, &key, tools).await;
    let body = reply.expect(200);
    assert_eq!(body["model"], "anthropic/claude-sonnet-4.5");
    assert_eq!(body["openrouter_metadata"]["params"]["auto_rule"], "tools");

    // Chat with an embeddings model, embeddings with a chat model: refused, saying why.
    let reply = api
        .post(
            "/api/v1/chat/completions",
            Some(&key),
            ask("openai/text-embedding-3-small", "Hi"),
        )
        .await;
    assert!(reply.expect_error(400).contains("embeddings model"));
    let reply = api
        .post(
            "/api/v1/embeddings",
            Some(&key),
            json!({"model": LLAMA, "input": "hi"}),
        )
        .await;
    assert!(reply.expect_error(400).contains("chat model"));
    let reply = api
        .post(
            "/api/v1/embeddings",
            Some(&key),
            json!({"model": "openai/text-embedding-3-small", "input": "hi"}),
        )
        .await;
    reply.expect(200);
}

#[tokio::test]
async fn fallbacks_attempts_and_streamed_metadata() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let (_, key) = key_for(&api, "fallbacks").await;

    // The first provider fails once: the attempts show the error, the next one serves.
    let body = with_provider(
        LLAMA,
        json!({"order": ["groq", "together"], "allow_fallbacks": false}),
    );
    let mut body = body;
    body["messages"][0]["content"] = json!("[[emulator: fail-first=1 scenario=routing-fb]] Hello");
    let reply = routed(&api, &key, body).await;
    let got = reply.expect(200);
    let attempts = got["openrouter_metadata"]["attempts"].as_array().unwrap();
    assert_eq!(attempts.first().unwrap()["provider"], "Groq");
    assert_eq!(attempts.first().unwrap()["status"], 500);
    assert!(attempts.first().unwrap()["error"].is_string());
    assert_eq!(attempts.last().unwrap()["provider"], got["provider"]);
    assert_eq!(attempts.last().unwrap()["status"], 200);
    let selected: Vec<&Value> = got["openrouter_metadata"]["endpoints"]["available"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["selected"] == true)
        .collect();
    assert_eq!(selected.len(), 1, "{got}");
    assert_eq!(selected[0]["provider"], got["provider"]);

    // Every allowed provider fails: the error carries the decision and the attempts too.
    let mut body = with_provider(LLAMA, json!({"order": ["groq"], "allow_fallbacks": false}));
    body["messages"][0]["content"] = json!("[[emulator: status=500]] Hello");
    let reply = routed(&api, &key, body).await;
    reply.expect_error(502);
    let meta = &reply.body["error"]["metadata"]["openrouter_metadata"];
    assert_eq!(meta["attempts"][0]["provider"], "Groq", "{}", reply.text);
    assert_eq!(meta["attempts"][0]["status"], 500, "{}", reply.text);
    assert_eq!(meta["endpoints"]["available"][0]["selected"], false);

    // `models` fallbacks (and the legacy `route: "fallback"`): an unknown first model falls
    // through; the response names the model that served.
    let mut body = ask("nobody/missing", "Hello");
    body["models"] = json!([LLAMA]);
    body["route"] = json!("fallback");
    let reply = routed(&api, &key, body).await;
    let got = reply.expect(200);
    assert_eq!(got["model"], LLAMA);
    assert_eq!(got["openrouter_metadata"]["strategy"], "fallback");

    // Streams carry the metadata in the final usage chunk.
    let mut body = with_provider(LLAMA, json!({"sort": "price"}));
    body["stream"] = json!(true);
    let response = api
        .request(Method::POST, "/api/v1/chat/completions", Some(&key))
        .header("X-OpenRouter-Metadata", "enabled")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let sse = Sse::parse(&response.text().await.unwrap());
    assert!(sse.done, "{}", sse.raw);
    let last = sse.data.last().unwrap();
    assert!(last["usage"].is_object(), "{last}");
    let meta = &last["openrouter_metadata"];
    assert_eq!(
        meta["endpoints"]["available"][0]["provider"], "DeepInfra",
        "{last}"
    );
    assert_eq!(meta["attempts"][0]["status"], 200);
    // Only the usage chunk carries it.
    assert!(
        sse.data[..sse.data.len() - 1]
            .iter()
            .all(|c| c.get("openrouter_metadata").is_none())
    );
    // Without the header, the stream is unchanged.
    let response = api
        .request(Method::POST, "/api/v1/chat/completions", Some(&key))
        .json(&body)
        .send()
        .await
        .unwrap();
    let sse = Sse::parse(&response.text().await.unwrap());
    assert!(sse.done);
    assert!(
        sse.data
            .iter()
            .all(|c| c.get("openrouter_metadata").is_none())
    );
}
