//! Per-organization routing end to end: an organization's routing defaults (its API, their
//! merge with the request, other replicas picking them up) and prompt-cache stickiness. Every
//! catalog provider points at the emulator; see routing.rs for the endpoints of
//! `meta-llama/llama-3.3-70b-instruct`.

use reqwest::Method;
use serde_json::{Value, json};
use tests::routing::*;
use tests::{Api, TestServer, email};

#[tokio::test]
async fn organization_routing_defaults() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let (owner, key) = key_for(&api, "org-owner").await;
    let path = format!("/api/v1/organizations/{}/routing", owner.personal_org);

    let got = api.get(&path, Some(&owner.token)).await;
    assert_eq!(got.expect(200)["preferences"], json!({}));

    // Bad defaults: 400 naming the field; fields only a request may set are refused.
    let put = |body: Value| {
        let api = api.clone();
        let path = path.clone();
        let token = owner.token.clone();
        async move {
            api.send(api.request(Method::PUT, &path, Some(&token)).json(&body))
                .await
        }
    };
    assert!(
        put(json!({"order": ["groq"]}))
            .await
            .expect_error(400)
            .starts_with("routing.order")
    );
    assert!(
        put(json!({"zdr": "yes"}))
            .await
            .expect_error(400)
            .starts_with("routing.zdr")
    );

    let saved = put(json!({"ignore": ["deepinfra"], "sort": "price"})).await;
    assert_eq!(saved.expect(200)["preferences"]["ignore"][0], "deepinfra");
    assert_eq!(
        api.get(&path, Some(&owner.token)).await.expect(200)["preferences"]["sort"],
        "price"
    );

    // Applied at once to the organization's requests: cheapest without DeepInfra is Groq.
    let reply = routed(&api, &key, ask(LLAMA, "Hello")).await;
    let body = reply.expect(200);
    assert_eq!(body["provider"], "Groq");
    assert_eq!(
        filtered_reason(body, "DeepInfra").as_deref(),
        Some("ignored")
    );
    // The request's own fields win, but the organization's deny list always applies.
    let reply = routed(
        &api,
        &key,
        with_provider(
            LLAMA,
            json!({"only": ["deepinfra", "cerebras"], "sort": "throughput"}),
        ),
    )
    .await;
    let body = reply.expect(200);
    assert_eq!(available(body), ["Cerebras"]);

    // Another user's key is not affected.
    let (_, other_key) = key_for(&api, "org-other").await;
    let reply = routed(
        &api,
        &other_key,
        with_provider(LLAMA, json!({"sort": "price"})),
    )
    .await;
    assert_eq!(reply.expect(200)["provider"], "DeepInfra");

    // Members read but cannot change; strangers see nothing.
    let org_id = api
        .post(
            "/api/v1/organizations",
            Some(&owner.token),
            json!({"name": "Routing Co"}),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member_email = email("org-member");
    api.post(
        &format!("/api/v1/organizations/{org_id}/invites"),
        Some(&owner.token),
        json!({"email": member_email, "role": "member"}),
    )
    .await
    .expect(201);
    let member = api.signup(&member_email).await;
    let team_path = format!("/api/v1/organizations/{org_id}/routing");
    api.get(&team_path, Some(&member.token)).await.expect(200);
    let reply = api
        .send(
            api.request(Method::PUT, &team_path, Some(&member.token))
                .json(&json!({"zdr": true})),
        )
        .await;
    reply.expect_error(403);
    let stranger = api.signup(&email("org-stranger")).await;
    api.get(&team_path, Some(&stranger.token))
        .await
        .expect_error(404);

    // `{}` clears the defaults.
    put(json!({})).await.expect(200);
    let reply = routed(&api, &key, with_provider(LLAMA, json!({"sort": "price"}))).await;
    assert_eq!(reply.expect(200)["provider"], "DeepInfra");
}

#[tokio::test]
async fn prompt_cache_hits_stick_to_the_provider() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let (_, key) = key_for(&api, "sticky").await;
    // A shared prefix longer than the 4 KB the key covers, then a varying question carrying
    // the emulator's cache-hit knob.
    let prefix = "You are a careful assistant. ".repeat(200);
    let turn = |question: &str, provider: Value| {
        json!({
            "model": LLAMA,
            "messages": [
                {"role": "system", "content": prefix},
                {"role": "user", "content": format!("[[emulator: cached-tokens=1024]] {question}")}
            ],
            "provider": provider,
        })
    };
    // Cerebras is the least likely pick of the price-weighted default (about 3%), so landing
    // on it five times in a row is stickiness, not chance.
    let first = routed(&api, &key, turn("first", json!({"order": ["cerebras"]}))).await;
    let body = first.expect(200);
    assert_eq!(body["provider"], "Cerebras");
    assert!(
        body["usage"]["prompt_tokens_details"]["cached_tokens"].as_u64() > Some(0),
        "{body}"
    );
    for i in 0..5 {
        let reply = routed(&api, &key, turn(&format!("question {i}"), json!({}))).await;
        let body = reply.expect(200);
        assert_eq!(body["provider"], "Cerebras", "turn {i}: {body}");
        assert_eq!(
            body["openrouter_metadata"]["params"]["sticky_provider"],
            "cerebras"
        );
    }
    // An explicit order wins over stickiness.
    let reply = routed(&api, &key, turn("ordered", json!({"order": ["groq"]}))).await;
    assert_eq!(reply.expect(200)["provider"], "Groq");
    // Another organization with the same prompt is not stuck.
    let (_, other) = key_for(&api, "sticky-other").await;
    let reply = routed(&api, &other, turn("first", json!({"sort": "price"}))).await;
    assert_eq!(reply.expect(200)["provider"], "DeepInfra");
}

/// Two replicas on one database: routing defaults changed through one apply on the other
/// after its next fingerprint poll (every 5 s), with no restart.
#[tokio::test]
async fn routing_defaults_reach_another_replica() {
    let (first, _e1) = TestServer::with_emulator(|_| {}).await;
    let database_url = first.database_url.clone();
    let (second, _e2) = TestServer::with_emulator(|c| c.database_url = Some(database_url)).await;
    let (a, b) = (first.api(), second.api());
    let (owner, key) = key_for(&a, "replica-routing").await;
    let cheapest = |api: Api| {
        let key = key.clone();
        async move {
            routed(&api, &key, with_provider(LLAMA, json!({"sort": "price"})))
                .await
                .expect(200)["provider"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(cheapest(b.clone()).await, "DeepInfra");
    let path = format!("/api/v1/organizations/{}/routing", owner.personal_org);
    a.send(
        a.request(Method::PUT, &path, Some(&owner.token))
            .json(&json!({"ignore": ["deepinfra"]})),
    )
    .await
    .expect(200);
    assert_eq!(cheapest(a.clone()).await, "Groq");
    let changed = std::time::Instant::now();
    let mut seen = false;
    while changed.elapsed() < std::time::Duration::from_secs(12) {
        if cheapest(b.clone()).await == "Groq" {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(
        seen,
        "the second replica kept routing without the organization's defaults"
    );
}
