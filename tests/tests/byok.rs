//! BYOK end to end, on the request path: organizations' own provider keys stored encrypted,
//! used before (or after) the platform's capacity, charged a fee, and refused when rejected.
//! Helpers and the emulator setup: `tests::byok`.

use reqwest::Method;
use serde_json::{Value, json};
use tests::byok::*;

#[tokio::test]
async fn the_key_is_stored_encrypted_used_first_and_charged_a_fee() {
    let Setup { server, any, .. } = setup(|_| {}).await;
    let api = server.api();
    let (user, key, _) = user_with_key(&api, "byok-owner").await;

    let created = add_byok(
        &api,
        &user.token,
        json!({ "provider": "openai", "key": ORG_KEY, "name": "mine" }),
    )
    .await;
    assert_eq!(created["label"], "...4321");
    assert_eq!(created["provider"], "openai");
    assert_eq!(created["workspace_id"], json!(user.personal_org));
    assert_eq!(created["is_fallback"], false);
    assert_eq!(created["allowed_models"], Value::Null);
    let listed = api.get("/api/v1/byok", Some(&user.token)).await;
    assert_eq!(listed.expect(200)["total_count"], 1);
    assert!(
        !listed.text.contains("organization-own-key"),
        "{}",
        listed.text
    );

    // The raw row holds neither the key nor any recognizable part of it.
    let rows = raw_rows(&server.database_url).await;
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].contains("organization-own"), "{}", rows[0]);
    assert!(!rows[0].contains(&ORG_KEY[..12]), "{}", rows[0]);

    // A whole answer: the organization's key went upstream, first and only.
    let reply = chat(&api, &key, ask("openai/gpt-4o-mini")).await;
    let body = reply.expect(200).clone();
    assert_eq!(keys_sent(&any), [ORG_KEY]);
    let usage = &body["usage"];
    assert_eq!(usage["is_byok"], true, "{body}");
    let upstream = usage["cost_details"]["upstream_inference_cost"]
        .as_f64()
        .expect("upstream_inference_cost");
    let fee = usage["cost"].as_f64().unwrap();
    assert!(upstream > 0.0, "{body}");
    assert!(
        (fee - upstream * 0.05).abs() < 1e-9,
        "fee {fee} of {upstream}"
    );
    let parts = usage["cost_details"]["upstream_inference_prompt_cost"]
        .as_f64()
        .unwrap()
        + usage["cost_details"]["upstream_inference_completions_cost"]
            .as_f64()
            .unwrap();
    assert!((parts - upstream).abs() < 1e-9, "{body}");

    // The generation says the same.
    let id = body["id"].as_str().unwrap();
    let generation = api
        .get(&format!("/api/v1/generation?id={id}"), Some(&key))
        .await;
    let generation = generation.expect(200)["data"].clone();
    assert_eq!(generation["is_byok"], true);
    assert!((generation["total_cost"].as_f64().unwrap() - fee).abs() < 1e-12);
    assert!(
        (generation["upstream_inference_cost"].as_f64().unwrap() - upstream).abs() < 1e-12,
        "{generation}"
    );

    // The key's spend: the fee from credit, the provider's price as BYOK spend.
    let mut figures = Value::Null;
    for _ in 0..50 {
        figures = api.get("/api/v1/key", Some(&key)).await.expect(200)["data"].clone();
        if figures["byok_usage"].as_f64().unwrap_or(0.0) > 0.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        (figures["usage"].as_f64().unwrap() - fee).abs() < 1e-12,
        "{figures}"
    );
    assert!(
        (figures["byok_usage"].as_f64().unwrap() - upstream).abs() < 1e-12,
        "{figures}"
    );

    // A stream: its usage chunk reports BYOK and the fee too.
    any.clear_requests();
    let mut streamed = ask("openai/gpt-4o-mini");
    streamed["stream"] = json!(true);
    let response = api
        .request(Method::POST, "/api/v1/chat/completions", Some(&key))
        .json(&streamed)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let sse = tests::Sse::parse(&response.text().await.unwrap());
    let last = sse.data.last().expect("usage chunk");
    assert_eq!(last["usage"]["is_byok"], true, "{}", sse.raw);
    assert!(
        last["usage"]["cost_details"]["upstream_inference_cost"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert_eq!(keys_sent(&any), [ORG_KEY]);

    // Adding and removing are audited, without the key.
    let id = created["id"].as_str().unwrap();
    api.delete(&format!("/api/v1/byok/{id}"), Some(&user.token))
        .await
        .expect(200);
    let admin = api.login(tests::ADMIN_EMAIL).await;
    let audit = api.get("/api/v1/admin/audit", Some(&admin.token)).await;
    let audit = audit.expect(200);
    let actions: Vec<&str> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target_id"] == json!(id))
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["byok.remove", "byok.add"]);
    assert!(!audit.to_string().contains("organization-own"));

    // Removed: the platform's key serves again.
    any.clear_requests();
    chat(&api, &key, ask("openai/gpt-4o-mini"))
        .await
        .expect(200);
    assert_eq!(keys_sent(&any), [PLATFORM_KEY]);
}

#[tokio::test]
async fn a_provider_the_platform_does_not_serve_works_with_the_organizations_key() {
    let Setup { server, any, .. } = setup(|config| {
        config.provider_env.remove("OPENAI_API_KEY");
    })
    .await;
    let api = server.api();
    let (user, key, _) = user_with_key(&api, "byok-only").await;
    chat(&api, &key, ask("openai/gpt-4o-mini"))
        .await
        .expect_error(404);
    add_byok(
        &api,
        &user.token,
        json!({ "provider": "openai", "key": ORG_KEY }),
    )
    .await;
    let body = chat(&api, &key, ask("openai/gpt-4o-mini")).await;
    assert_eq!(body.expect(200)["usage"]["is_byok"], true);
    assert_eq!(keys_sent(&any), [ORG_KEY]);
    // Embeddings too.
    any.clear_requests();
    let embedded = api
        .post(
            "/api/v1/embeddings",
            Some(&key),
            json!({ "model": "openai/text-embedding-3-small", "input": "hello" }),
        )
        .await;
    assert_eq!(
        embedded.expect(200)["usage"]["is_byok"],
        true,
        "{}",
        embedded.text
    );
    assert_eq!(keys_sent(&any), [ORG_KEY]);
}

#[tokio::test]
async fn fallback_keys_come_after_the_platform_and_always_use_keeps_it_out() {
    let Setup { server, any, .. } = setup(|_| {}).await;
    let api = server.api();
    let (user, key, _) = user_with_key(&api, "byok-fallback").await;
    let created = add_byok(
        &api,
        &user.token,
        json!({ "provider": "openai", "key": ORG_KEY, "is_fallback": true }),
    )
    .await;

    // The platform serves while it can.
    let reply = chat(&api, &key, ask("openai/gpt-4o-mini")).await;
    assert_eq!(reply.expect(200)["usage"]["is_byok"], false);
    assert_eq!(keys_sent(&any), [PLATFORM_KEY]);

    // The platform fails: the fallback key serves.
    any.clear_requests();
    let failing = |scenario: &str| {
        json!({ "model": "openai/gpt-4o-mini", "messages": [{ "role": "user",
            "content": format!("[[emulator: status=500 fail-first=1 scenario={scenario}]] hi") }] })
    };
    let reply = chat(&api, &key, failing("fb")).await;
    assert_eq!(
        reply.expect(200)["usage"]["is_byok"],
        true,
        "{}",
        reply.text
    );
    assert_eq!(keys_sent(&any), [PLATFORM_KEY, ORG_KEY]);

    // "Always use this key": first, and no platform capacity behind it.
    let id = created["id"].as_str().unwrap();
    let patched = api
        .patch(
            &format!("/api/v1/byok/{id}"),
            Some(&user.token),
            json!({ "is_fallback": false, "always_use": true }),
        )
        .await;
    assert_eq!(patched.expect(200)["data"]["always_use"], true);
    any.clear_requests();
    chat(&api, &key, ask("openai/gpt-4o-mini"))
        .await
        .expect(200);
    assert_eq!(keys_sent(&any), [ORG_KEY]);
    any.clear_requests();
    let failed = chat(&api, &key, failing("au")).await;
    assert!(failed.status.is_server_error(), "{}", failed.text);
    assert_eq!(keys_sent(&any), [ORG_KEY]);

    // A fallback key cannot be "always use" as well.
    let both = api
        .patch(
            &format!("/api/v1/byok/{id}"),
            Some(&user.token),
            json!({ "is_fallback": true }),
        )
        .await;
    both.expect_error(400);
}

#[tokio::test]
async fn a_rejected_key_is_skipped_once_and_reported() {
    let Setup { server, strict, .. } = setup(|_| {}).await;
    let api = server.api();
    let (user, key, _) = user_with_key(&api, "byok-rejected").await;
    let created = add_byok(
        &api,
        &user.token,
        json!({ "provider": "anthropic", "key": "sk-ant-wrong-key-9999" }),
    )
    .await;
    let model = "anthropic/claude-haiku-4.5";

    // Rejected (401): the platform's key serves; the attempt is on the record.
    let reply = chat(&api, &key, ask(model)).await;
    let body = reply.expect(200).clone();
    assert_eq!(body["usage"]["is_byok"], false);
    assert_eq!(keys_sent(&strict), ["sk-ant-wrong-key-9999", "test-key"]);
    let id = body["id"].as_str().unwrap();
    let generation = api
        .get(&format!("/api/v1/generation?id={id}"), Some(&key))
        .await;
    let responses = generation.expect(200)["data"]["provider_responses"].clone();
    assert_eq!(responses[0]["status"], 401, "{responses}");
    assert_eq!(responses[1]["status"], 200, "{responses}");

    // With "always use", the request fails and says which key was refused, tried once.
    let byok_id = created["id"].as_str().unwrap();
    api.patch(
        &format!("/api/v1/byok/{byok_id}"),
        Some(&user.token),
        json!({ "always_use": true }),
    )
    .await
    .expect(200);
    strict.clear_requests();
    let failed = chat(&api, &key, ask(model)).await;
    failed.expect_error(502);
    let rejected = &failed.body["error"]["metadata"]["byok_keys_rejected"];
    assert_eq!(rejected[0]["id"], json!(byok_id), "{}", failed.text);
    assert_eq!(rejected[0]["status"], 401);
    assert!(!failed.text.contains("sk-ant-wrong"), "{}", failed.text);
    assert_eq!(keys_sent(&strict), ["sk-ant-wrong-key-9999"]);
}

#[tokio::test]
async fn free_byok_requests_need_no_credit_and_later_ones_pay_the_fee() {
    let Setup { server, any, .. } = setup(|config| {
        config.byok_free_requests_per_month = 1;
    })
    .await;
    let api = server.api();
    let user = api.signup_unfunded(&tests::email("byok-unfunded")).await;
    let (key, _) = api.create_key(&user, None, json!({ "name": "k" })).await;
    // "Always use": no platform endpoint whose price would have to be reserved.
    add_byok(
        &api,
        &user.token,
        json!({ "provider": "openai", "key": ORG_KEY, "always_use": true }),
    )
    .await;

    // The month's free request: no fee, so no credit needed.
    let reply = chat(&api, &key, ask("openai/gpt-4o-mini")).await;
    let usage = reply.expect(200)["usage"].clone();
    assert_eq!(usage["is_byok"], true);
    assert_eq!(usage["cost"].as_f64(), Some(0.0), "{usage}");
    assert!(
        usage["cost_details"]["upstream_inference_cost"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    // The next one owes the fee, which an organization at $0 cannot pay.
    chat(&api, &key, ask("openai/gpt-4o-mini"))
        .await
        .expect_error(402);
    assert_eq!(keys_sent(&any), [ORG_KEY]);
    // With credit, it pays the fee.
    api.fund(&user.personal_org, "1").await;
    let mut paid = None;
    for _ in 0..40 {
        let reply = chat(&api, &key, ask("openai/gpt-4o-mini")).await;
        if reply.status == 200 {
            paid = Some(reply.body["usage"]["cost"].as_f64().unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(paid.expect("served once funded") > 0.0);
}
