//! Inference rate limits end to end: per key, per organization, `:free` variants with their
//! daily cap, admins' per-organization overrides, the 429 shape and its headers.

use std::time::Duration;

use chrono::{DateTime, Days, NaiveTime, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use tests::{ADMIN_EMAIL, Reply, TestServer, User, email};

fn ask(model: &str) -> Value {
    json!({ "model": model, "messages": [{ "role": "user", "content": "Hello" }] })
}

fn header(reply: &Reply, name: &str) -> String {
    reply
        .headers
        .get(name)
        .unwrap_or_else(|| panic!("missing {name}; headers: {:?}", reply.headers))
        .to_str()
        .unwrap()
        .to_owned()
}

fn number(reply: &Reply, name: &str) -> i64 {
    header(reply, name).parse().unwrap()
}

fn next_midnight_ms(now: DateTime<Utc>) -> i64 {
    now.date_naive()
        .checked_add_days(Days::new(1))
        .unwrap()
        .and_time(NaiveTime::MIN)
        .and_utc()
        .timestamp_millis()
}

/// Asserts a 429 in the error shape with every rate-limit header, and returns its body.
#[track_caller]
fn assert_limited(reply: &Reply, limit: i64, which: &str) -> Value {
    let message = reply.expect_error(429);
    assert!(message.contains(which), "{message}");
    assert_eq!(number(reply, "x-ratelimit-limit"), limit);
    assert_eq!(number(reply, "x-ratelimit-remaining"), 0);
    let retry_after = number(reply, "retry-after");
    assert!(retry_after >= 1, "Retry-After {retry_after}");
    let metadata = &reply.body["error"]["metadata"];
    assert_eq!(metadata["limit"], which, "{}", reply.text);
    assert_eq!(metadata["retry_after_seconds"], json!(retry_after));
    // The headers are in the metadata too, as OpenRouter sends them.
    assert_eq!(
        metadata["headers"]["X-RateLimit-Reset"],
        json!(header(reply, "x-ratelimit-reset"))
    );
    reply.body.clone()
}

async fn chat(api: &tests::Api, key: &str, model: &str) -> Reply {
    api.post("/api/v1/chat/completions", Some(key), ask(model))
        .await
}

async fn keys(api: &tests::Api, user: &User, n: usize) -> Vec<String> {
    let mut keys = Vec::new();
    for i in 0..n {
        keys.push(
            api.create_key(user, None, json!({ "name": format!("k{i}") }))
                .await
                .0,
        );
    }
    keys
}

#[tokio::test]
async fn key_and_organization_limits_answer_429_with_headers() {
    let (server, emulator) = TestServer::with_emulator(|c| {
        c.rate_limit_window_secs = 60;
        c.rate_limit_key_requests_per_window = 2;
        c.rate_limit_org_requests_per_window = 3;
    })
    .await;
    let api = server.api();
    let tenant = api.signup(&email("limited")).await;
    let other = api.signup(&email("other")).await;
    let k = keys(&api, &tenant, 2).await;
    let other_key = keys(&api, &other, 1).await.remove(0);
    let model = "openai/gpt-4o-mini";

    // Successful responses carry the tightest limit's figures: the key's 2.
    let before = Utc::now().timestamp_millis();
    let first = chat(&api, &k[0], model).await;
    first.expect(200);
    assert_eq!(number(&first, "x-ratelimit-limit"), 2);
    assert_eq!(number(&first, "x-ratelimit-remaining"), 1);
    // One request refills every 30 s: the bucket is full again 30 s from now (Unix ms).
    let reset = number(&first, "x-ratelimit-reset");
    assert!(
        reset >= before + 29_000 && reset <= Utc::now().timestamp_millis() + 30_000,
        "{reset} vs {before}"
    );
    let second = chat(&api, &k[0], model).await;
    second.expect(200);
    assert_eq!(number(&second, "x-ratelimit-remaining"), 0);

    emulator.clear_requests();
    let before = Utc::now().timestamp_millis();
    let refused = chat(&api, &k[0], model).await;
    let body = assert_limited(&refused, 2, "requests-per-key");
    assert_eq!(body["error"]["metadata"]["scope"], "key");
    // The next request fits in 30 s (rounded up to whole seconds).
    let retry_after = number(&refused, "retry-after");
    assert!((29..=30).contains(&retry_after), "{retry_after}");
    let reset = number(&refused, "x-ratelimit-reset");
    assert!(
        reset >= before + 28_000 && reset <= Utc::now().timestamp_millis() + 30_000,
        "{reset} vs {before}"
    );
    assert!(
        emulator.requests().is_empty(),
        "a refused request reached the provider"
    );

    // Another key of the organization is not bound by the first key's limit...
    chat(&api, &k[1], model).await.expect(200);
    // ...but by the organization's 3 requests.
    let refused = chat(&api, &k[1], model).await;
    let body = assert_limited(&refused, 3, "requests-per-organization");
    assert_eq!(body["error"]["metadata"]["scope"], "organization");
    // Another organization is untouched.
    chat(&api, &other_key, model).await.expect(200);

    // Legacy completions and embeddings count against the same buckets.
    let other_keys = keys(&api, &other, 1).await;
    api.post(
        "/api/v1/embeddings",
        Some(&other_keys[0]),
        json!({ "model": "openai/text-embedding-3-small", "input": "x" }),
    )
    .await
    .expect(200);
    // That organization has made 2 requests, its new key 1: this one fits both buckets...
    api.post(
        "/api/v1/completions",
        Some(&other_keys[0]),
        json!({ "model": model, "prompt": "Hi" }),
    )
    .await
    .expect(200);
    // ...and now both are empty; the key's is checked (and reported) first.
    let refused = api
        .post(
            "/api/v1/embeddings",
            Some(&other_keys[0]),
            json!({ "model": "openai/text-embedding-3-small", "input": "x" }),
        )
        .await;
    assert_limited(&refused, 2, "requests-per-key");
}

#[tokio::test]
async fn streams_carry_the_headers_and_limits_reset_after_the_window() {
    // 2 requests per 3 s: one refills every 1.5 s, ample time for three requests in a row.
    let (server, _emulator) = TestServer::with_emulator(|c| {
        c.rate_limit_window_secs = 3;
        c.rate_limit_key_requests_per_window = 2;
        c.rate_limit_org_requests_per_window = 0;
    })
    .await;
    let api = server.api();
    let tenant = api.signup(&email("reset")).await;
    let key = keys(&api, &tenant, 1).await.remove(0);
    let mut body = ask("openai/gpt-4o-mini");
    body["stream"] = json!(true);
    let stream = api
        .request(Method::POST, "/api/v1/chat/completions", Some(&key))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["x-ratelimit-limit"], "2");
    assert_eq!(stream.headers()["x-ratelimit-remaining"], "1");
    stream.text().await.unwrap();

    chat(&api, &key, "openai/gpt-4o-mini").await.expect(200);
    let refused = chat(&api, &key, "openai/gpt-4o-mini").await;
    assert_limited(&refused, 2, "requests-per-key");
    let retry_after = number(&refused, "retry-after");
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    // Waiting until the announced reset lets requests through again.
    let reset = number(&refused, "x-ratelimit-reset");
    let wait = (reset - Utc::now().timestamp_millis()).max(0) as u64 + 50;
    tokio::time::sleep(Duration::from_millis(wait)).await;
    chat(&api, &key, "openai/gpt-4o-mini").await.expect(200);
    // After a whole window idle, the full burst is available again.
    tokio::time::sleep(Duration::from_millis(3_100)).await;
    let first = chat(&api, &key, "openai/gpt-4o-mini").await;
    first.expect(200);
    assert_eq!(number(&first, "x-ratelimit-remaining"), 1);
    chat(&api, &key, "openai/gpt-4o-mini").await.expect(200);
    assert_limited(
        &chat(&api, &key, "openai/gpt-4o-mini").await,
        2,
        "requests-per-key",
    );
}

/// `:free` variants: a per-key rate (OpenRouter's 20 a minute) and a per-organization daily
/// cap that resets at 00:00 UTC. The limits decide "free" from the requested names; the
/// catalog's free endpoints serve the request.
#[tokio::test]
async fn free_variants_have_a_rate_and_a_daily_cap() {
    let (server, _emulator) = TestServer::with_emulator(|c| {
        c.free_model_requests_per_window = 2;
        c.free_model_requests_per_day = 3;
    })
    .await;
    let api = server.api();
    let tenant = api.signup(&email("free")).await;
    let k = keys(&api, &tenant, 2).await;
    let free = "meta-llama/llama-3.3-70b-instruct:free";

    chat(&api, &k[0], free).await.expect(200);
    let second = chat(&api, &k[0], free).await;
    second.expect(200);
    assert_eq!(number(&second, "x-ratelimit-limit"), 2);
    assert_eq!(number(&second, "x-ratelimit-remaining"), 0);
    let refused = chat(&api, &k[0], free).await;
    let body = assert_limited(&refused, 2, "free-models-per-min");
    assert_eq!(body["error"]["metadata"]["scope"], "key");
    // Paid models are not bound by the free limits.
    chat(&api, &k[0], "openai/gpt-4o-mini").await.expect(200);

    // The daily cap is the organization's: the other key gets the third and last one.
    let third = chat(&api, &k[1], free).await;
    third.expect(200);
    assert_eq!(number(&third, "x-ratelimit-limit"), 3);
    assert_eq!(number(&third, "x-ratelimit-remaining"), 0);
    let before = Utc::now();
    let refused = chat(&api, &k[1], free).await;
    let after = Utc::now();
    let body = assert_limited(&refused, 3, "free-models-per-day");
    assert_eq!(body["error"]["metadata"]["scope"], "organization");
    // It resets at the next 00:00 UTC, in Unix milliseconds; Retry-After counts down to it.
    let reset = number(&refused, "x-ratelimit-reset");
    assert!(
        reset == next_midnight_ms(before) || reset == next_midnight_ms(after),
        "{reset}"
    );
    let until = (reset - before.timestamp_millis()) / 1000;
    let retry_after = number(&refused, "retry-after");
    assert!(
        (until - 2..=until + 1).contains(&retry_after),
        "{retry_after} vs {until}"
    );
    // Buying credits raises the cap (stripe_free_tier.rs proves it after a Stripe purchase).
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("1000 free model requests per day"),
        "{message}"
    );
    // A `:free` model among the fallbacks counts as a free request too.
    let mut fallback = ask("openai/gpt-4o-mini");
    fallback["models"] = json!(["openai/gpt-4o-mini", free]);
    let refused = api
        .post("/api/v1/chat/completions", Some(&k[1]), fallback)
        .await;
    assert_limited(&refused, 3, "free-models-per-day");

    // GET /key reports the organization's daily count.
    let current = api.get("/api/v1/key", Some(&k[0])).await;
    let daily = &current.expect(200)["data"]["free_model_daily_requests"];
    assert_eq!(daily, &json!({ "limit": 3, "remaining": 0, "used": 3 }));
}

#[tokio::test]
async fn admins_override_an_organizations_limits_at_once_and_audited() {
    let (server, _emulator) = TestServer::with_emulator(|c| {
        c.rate_limit_key_requests_per_window = 100;
        c.rate_limit_org_requests_per_window = 100;
    })
    .await;
    let api = server.api();
    let admin = api.login(ADMIN_EMAIL).await;
    let tenant = api.signup(&email("override")).await;
    let bystander = api.signup(&email("bystander")).await;
    let key = keys(&api, &tenant, 1).await.remove(0);
    let bystander_key = keys(&api, &bystander, 1).await.remove(0);
    let path = format!(
        "/api/v1/admin/organizations/{}/rate-limits",
        tenant.personal_org
    );

    let view = api.get(&path, Some(&admin.token)).await;
    let data = &view.expect(200)["data"];
    assert_eq!(data["override"], Value::Null);
    assert_eq!(data["effective"]["key_requests_per_window"], 100);
    assert_eq!(data["effective"]["window_seconds"], 60);
    assert_eq!(data["effective"]["free_requests_per_day"], 50);

    chat(&api, &key, "openai/gpt-4o-mini").await.expect(200);
    let set = api
        .call(
            Method::PUT,
            &path,
            Some(&admin.token),
            Some(json!({ "key_requests_per_window": 1, "free_requests_per_day": 7 })),
        )
        .await;
    let data = set.expect(200)["data"].clone();
    assert_eq!(
        data["override"],
        json!({ "key_requests_per_window": 1, "org_requests_per_window": null,
                "free_requests_per_window": null, "free_requests_per_day": 7 })
    );
    assert_eq!(data["effective"]["key_requests_per_window"], 1);
    assert_eq!(data["effective"]["org_requests_per_window"], 100);
    assert_eq!(data["effective"]["free_requests_per_day"], 7);

    // In force at once: the next request fills the new bucket of 1, the one after is refused.
    let ok = chat(&api, &key, "openai/gpt-4o-mini").await;
    ok.expect(200);
    assert_eq!(number(&ok, "x-ratelimit-limit"), 1);
    assert_limited(
        &chat(&api, &key, "openai/gpt-4o-mini").await,
        1,
        "requests-per-key",
    );
    // The key's own view follows the override; other organizations keep the plan.
    let current = api.get("/api/v1/key", Some(&key)).await;
    let d = &current.expect(200)["data"];
    assert_eq!(d["rate_limit"]["requests"], 1);
    assert_eq!(d["rate_limit"]["interval"], "1m");
    assert_eq!(d["free_model_daily_requests"]["limit"], 7);
    chat(&api, &bystander_key, "openai/gpt-4o-mini")
        .await
        .expect(200);
    chat(&api, &bystander_key, "openai/gpt-4o-mini")
        .await
        .expect(200);

    // Removing the override restores the plan.
    api.delete(&path, Some(&admin.token)).await.expect(204);
    chat(&api, &key, "openai/gpt-4o-mini").await.expect(200);
    api.delete(&path, Some(&admin.token))
        .await
        .expect_error(404);

    // Both changes are in the audit log, with what changed.
    let audit = api
        .get("/api/v1/admin/audit?per_page=100", Some(&admin.token))
        .await;
    let entries = audit.expect(200)["data"].as_array().unwrap().clone();
    let mine: Vec<&Value> = entries
        .iter()
        .filter(|e| e["target_id"] == json!(tenant.personal_org))
        .collect();
    let actions: Vec<&str> = mine.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(
        actions.contains(&"organization.rate_limits.set")
            && actions.contains(&"organization.rate_limits.remove"),
        "{actions:?}"
    );
    let set = mine
        .iter()
        .find(|e| e["action"] == "organization.rate_limits.set")
        .unwrap();
    assert_eq!(set["actor_email"], ADMIN_EMAIL);
    assert_eq!(set["details"]["after"]["key_requests_per_window"], 1);
    assert_eq!(set["details"]["before"], Value::Null);
}

#[tokio::test]
async fn bad_overrides_are_refused_naming_the_field() {
    let server = TestServer::start().await;
    let api = server.api();
    let admin = api.login(ADMIN_EMAIL).await;
    let tenant = api.signup(&email("bad")).await;
    let path = format!(
        "/api/v1/admin/organizations/{}/rate-limits",
        tenant.personal_org
    );
    for (body, field) in [
        (
            json!({ "key_requests_per_window": -1 }),
            "key_requests_per_window",
        ),
        (
            json!({ "org_requests_per_window": "ten" }),
            "org_requests_per_window",
        ),
        (
            json!({ "free_requests_per_day": 100_000_001 }),
            "free_requests_per_day",
        ),
        (json!({ "requests_per_hour": 5 }), "requests_per_hour"),
        (json!({}), "at least one"),
    ] {
        let reply = api
            .call(Method::PUT, &path, Some(&admin.token), Some(body.clone()))
            .await;
        let message = reply.expect_error(400);
        assert!(message.contains(field), "{body}: {message}");
    }
    // Nothing was stored by the refused requests.
    let view = api.get(&path, Some(&admin.token)).await;
    assert_eq!(view.expect(200)["data"]["override"], Value::Null);
    // Unknown organizations are 404, for reading and writing alike.
    let missing = "/api/v1/admin/organizations/org_nope/rate-limits";
    api.get(missing, Some(&admin.token)).await.expect_error(404);
    api.call(
        Method::PUT,
        missing,
        Some(&admin.token),
        Some(json!({ "key_requests_per_window": 5 })),
    )
    .await
    .expect_error(404);
}

/// Only platform admins read or change limits: a tenant can neither see nor change another
/// organization's (nor its own) through any endpoint, with a session or a key.
#[tokio::test]
async fn tenants_cannot_read_or_change_limits() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let admin = api.login(ADMIN_EMAIL).await;
    let a = api.signup(&email("tenant-a")).await;
    let b = api.signup(&email("tenant-b")).await;
    let a_key = keys(&api, &a, 1).await.remove(0);
    let b_path = format!("/api/v1/admin/organizations/{}/rate-limits", b.personal_org);
    let a_path = format!("/api/v1/admin/organizations/{}/rate-limits", a.personal_org);
    api.call(
        Method::PUT,
        &b_path,
        Some(&admin.token),
        Some(json!({ "key_requests_per_window": 7 })),
    )
    .await
    .expect(200);

    for path in [&a_path, &b_path] {
        api.get(path, Some(&a.token)).await.expect_error(403);
        api.call(
            Method::PUT,
            path,
            Some(&a.token),
            Some(json!({ "key_requests_per_window": 1_000_000 })),
        )
        .await
        .expect_error(403);
        api.delete(path, Some(&a.token)).await.expect_error(403);
        // An API key is no admin session either.
        let status = api.get(path, Some(&a_key)).await.status.as_u16();
        assert!(status == 401 || status == 403, "{status}");
        api.get(path, None).await.expect_error(401);
    }
    // B's override is intact, and A's key reports A's own (plan) limits, not B's.
    let view = api.get(&b_path, Some(&admin.token)).await;
    assert_eq!(
        view.expect(200)["data"]["override"]["key_requests_per_window"],
        7
    );
    let current = api.get("/api/v1/key", Some(&a_key)).await;
    assert_eq!(
        current.expect(200)["data"]["rate_limit"]["requests"],
        json!(server::config::Config::default().rate_limit_key_requests_per_window)
    );
}

/// Two replicas on one database: an override set through one is enforced by the other within
/// seconds (it polls a fingerprint of the overrides).
#[tokio::test]
async fn overrides_reach_another_replica() {
    let (first, _emulator) = TestServer::with_emulator(|_| {}).await;
    let database_url = first.database_url.clone();
    let (second, _emulator2) =
        TestServer::with_emulator(|c| c.database_url = Some(database_url)).await;
    let (a, b) = (first.api(), second.api());
    let admin = a.login(ADMIN_EMAIL).await;
    let tenant = a.signup(&email("replica")).await;
    let key = keys(&a, &tenant, 1).await.remove(0);
    let path = format!(
        "/api/v1/admin/organizations/{}/rate-limits",
        tenant.personal_org
    );
    a.call(
        Method::PUT,
        &path,
        Some(&admin.token),
        Some(json!({ "org_requests_per_window": 1 })),
    )
    .await
    .expect(200);
    let changed = std::time::Instant::now();
    let mut limited = false;
    while changed.elapsed() < Duration::from_secs(10) {
        let reply = chat(&b, &key, "openai/gpt-4o-mini").await;
        if reply.status.as_u16() == 429 {
            assert_limited(&reply, 1, "requests-per-organization");
            limited = true;
            break;
        }
        reply.expect(200);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(limited, "the second replica never applied the override");
}
