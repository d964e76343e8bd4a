//! Alerts end to end: real spend through the provider emulator crosses a key's 80 % level and
//! the organization's low-balance threshold, and each crossing reaches a webhook receiver in
//! the test exactly once, signed (checked with the test's own HMAC); crossings re-arm; a
//! failing receiver gets retries with backoff and finally the event; settings and events are
//! the organization's own; a loopback URL is refused unless the operator allows it.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{Value, json};
use server::billing::money::Nanos;
use server::config::Config;
use tests::money::{ask, one_request_cost, usd};
use tests::webhook::Receiver;
use tests::{Api, TestServer, User, email};

/// The operator's settings the tests run with: the receiver is on 127.0.0.1, retries and
/// sweeps are quick.
fn quick(config: &mut Config) {
    config.alert_webhook_allow_private = true;
    config.alert_retry_first_ms = 200;
    config.alert_check_secs = 1;
}

async fn put_settings(api: &Api, user: &User, body: Value) -> tests::Reply {
    api.put("/api/v1/alerts/settings", Some(&user.token), body)
        .await
}

/// The organization's events, newest first (all pages).
async fn events(api: &Api, token: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut path = "/api/v1/alerts?per_page=2".to_owned();
    loop {
        let reply = api.get(&path, Some(token)).await;
        let page = reply.expect(200).clone();
        all.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_before"].as_str() {
            Some(next) => path = format!("/api/v1/alerts?per_page=2&before={next}"),
            None => return all,
        }
    }
}

fn count(deliveries: &[tests::webhook::Delivery], kind: &str) -> usize {
    deliveries
        .iter()
        .filter(|d| d.json()["type"] == kind)
        .count()
}

#[tokio::test]
async fn spending_past_a_keys_levels_and_the_balance_threshold_alerts_once_per_crossing() {
    let (server, _emulator) = TestServer::with_emulator(quick).await;
    let api = server.api();
    let cost = one_request_cost(&api).await;
    let times = |n: i64| Nanos::from_nanos(cost.as_nanos() * n);
    let owner = api.signup_unfunded(&email("alerted")).await;
    api.fund(&owner.personal_org, &times(100).to_string()).await;
    let limit = times(40);
    let (key, hash) = api
        .create_key(
            &owner,
            None,
            json!({ "name": "watched", "limit": limit.to_usd_f64() }),
        )
        .await;
    let receiver = Receiver::start(0).await;
    // The balance falls below the threshold with the 21st request; as an exact decimal string.
    let threshold = times(100).saturating_sub(Nanos::from_nanos(cost.as_nanos() * 41 / 2));
    let reply = put_settings(
        &api,
        &owner,
        json!({ "webhook_url": receiver.url, "low_balance_threshold": threshold.to_string(), "key_spend_alerts": true }),
    )
    .await;
    let body = reply.expect(200);
    let secret = body["webhook_secret"]
        .as_str()
        .expect("the secret, once")
        .to_owned();
    assert_eq!(body["data"]["webhook_secret_set"], true);
    assert_eq!(usd(&body["data"]["low_balance_threshold"]), threshold);
    // Shown once: reading or replacing the settings never shows it again.
    let again = api.get("/api/v1/alerts/settings", Some(&owner.token)).await;
    assert!(again.expect(200).get("webhook_secret").is_none());

    // Concurrent requests, four at a time, until the key's limit refuses one.
    let mut spent = Nanos::ZERO;
    let mut last_served = Instant::now();
    let mut refused = false;
    for wave in 0..20 {
        let replies = join_all((0..4).map(|n| {
            api.post(
                "/api/v1/chat/completions",
                Some(&key),
                ask(&format!("Request {wave}{n}"), Some(20)),
            )
        }))
        .await;
        for reply in replies {
            match reply.status.as_u16() {
                200 => {
                    spent = spent.saturating_add(usd(&reply.body["usage"]["cost"]));
                    last_served = Instant::now();
                }
                402 => refused = true,
                other => panic!("unexpected {other}: {}", reply.text),
            }
        }
        if refused {
            break;
        }
    }
    assert!(refused, "the key's limit never refused a request");
    assert!(
        spent.as_nanos() * 100 >= limit.as_nanos() * 80 && spent < limit,
        "spent {spent} of {limit}"
    );
    // The refusal for the key's limit, past its 80 % level, counts as 100 % reached:
    // reservations never let the spend itself reach the limit.
    let delivered = receiver.wait_for(3, Duration::from_secs(10)).await;
    let latency = delivered
        .iter()
        .map(|d| d.at.saturating_duration_since(last_served))
        .max()
        .unwrap();
    eprintln!("alert delivery after the crossing request's answer: at most {latency:?}");
    assert_eq!(count(&delivered, "low_balance"), 1);
    assert_eq!(count(&delivered, "key_spend_80"), 1);
    assert_eq!(count(&delivered, "key_spend_100"), 1);
    let key_alert = |kind: &str| {
        delivered
            .iter()
            .find(|d| d.json()["type"] == kind)
            .unwrap()
            .json()
    };
    let at_80 = key_alert("key_spend_80");
    assert_eq!(at_80["organization_id"], owner.personal_org.as_str());
    assert_eq!(at_80["data"]["key_hash"], hash.as_str());
    assert_eq!(at_80["data"]["percent"], 80);
    assert_eq!(at_80["data"]["refused"], false);
    assert_eq!(usd(&at_80["data"]["limit"]), limit);
    let at_100 = key_alert("key_spend_100");
    assert_eq!(at_100["data"]["percent"], 100);
    assert_eq!(at_100["data"]["refused"], true);
    assert!(usd(&at_100["data"]["usage"]) < limit);
    let balance_alert = key_alert("low_balance");
    assert_eq!(usd(&balance_alert["data"]["threshold"]), threshold);
    assert!(usd(&balance_alert["data"]["balance"]) < threshold);

    // Undone crossings re-arm: a raised limit and credit added; then crossed again, the key's
    // 100 % by its spend (the limit lowered to it, found by the sweep).
    api.patch(
        &format!("/api/v1/keys/{hash}"),
        Some(&owner.token),
        json!({ "limit": times(1000).to_usd_f64() }),
    )
    .await
    .expect(200);
    api.fund(&owner.personal_org, &times(100).to_string()).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert_eq!(receiver.delivered().len(), 3, "re-arming sends nothing");
    api.patch(
        &format!("/api/v1/keys/{hash}"),
        Some(&owner.token),
        json!({ "limit": spent.to_usd_f64() }),
    )
    .await
    .expect(200);
    put_settings(
        &api,
        &owner,
        json!({ "webhook_url": receiver.url, "low_balance_threshold": times(1000).to_usd_f64(), "key_spend_alerts": true }),
    )
    .await
    .expect(200);
    let delivered = receiver.wait_for(6, Duration::from_secs(10)).await;
    // Nothing more arrives: each crossing once.
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let delivered_finally = receiver.delivered();
    assert_eq!(
        delivered_finally.len(),
        6,
        "{:?}",
        delivered_finally
            .iter()
            .map(|d| d.json())
            .collect::<Vec<_>>()
    );
    for kind in ["low_balance", "key_spend_80", "key_spend_100"] {
        assert_eq!(count(&delivered, kind), 2, "{kind}");
    }
    for delivery in &delivered_finally {
        assert!(delivery.signed_with(&secret), "{:?}", delivery.headers);
        assert!(!delivery.signed_with("whsec_another"));
        let body = delivery.json();
        assert_eq!(
            delivery.headers["x-switchboard-event-id"],
            body["id"].as_str().unwrap()
        );
    }
    let listed = events(&api, &owner.token).await;
    assert_eq!(listed.len(), 6);
    for event in &listed {
        assert_eq!(event["status"], "delivered", "{event}");
        assert_eq!(event["attempts"], 1, "{event}");
        assert_eq!(event["last_status_code"], 200);
    }
    let mut ids: Vec<&str> = listed.iter().map(|e| e["id"].as_str().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 6, "cursor pages neither repeat nor skip");
    server.stop().await;
}

#[tokio::test]
async fn a_failing_receiver_gets_retries_with_backoff_then_the_event() {
    let server = TestServer::start_with(|config| {
        quick(config);
        config.alert_max_attempts = 4;
    })
    .await;
    let api = server.api();
    let owner = api.signup_unfunded(&email("retried")).await;
    let receiver = Receiver::start(3).await;
    let reply = put_settings(&api, &owner, json!({ "webhook_url": receiver.url })).await;
    let secret = reply.expect(200)["webhook_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let sent = Instant::now();
    let queued = api
        .post("/api/v1/alerts/test", Some(&owner.token), json!(null))
        .await;
    let event_id = queued.expect(202)["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    receiver.wait_for(1, Duration::from_secs(15)).await;
    let attempts = receiver.all();
    assert_eq!(attempts.len(), 4, "three failures, then the delivery");
    let gaps: Vec<Duration> = attempts.windows(2).map(|w| w[1].at - w[0].at).collect();
    eprintln!(
        "first attempt {:?} after the request; retries after {gaps:?}",
        attempts[0].at - sent
    );
    // Backoff doubles from 200 ms (the worker polls every 250 ms at most late).
    for (gap, floor) in gaps.iter().zip([200, 400, 800]) {
        assert!(gap.as_millis() >= floor, "{gaps:?}");
        assert!(gap.as_millis() < floor + 1_000, "{gaps:?}");
    }
    for attempt in &attempts {
        assert!(attempt.signed_with(&secret));
        assert_eq!(attempt.headers["x-switchboard-event-id"], event_id);
        assert_eq!(
            attempt.body, attempts[0].body,
            "every attempt sends the same body"
        );
    }
    let listed = events(&api, &owner.token).await;
    assert_eq!(listed[0]["id"], event_id.as_str());
    assert_eq!(listed[0]["status"], "delivered");
    assert_eq!(listed[0]["attempts"], 4);

    // A receiver that never succeeds: the event fails after the last attempt.
    let broken = Receiver::start(usize::MAX).await;
    put_settings(&api, &owner, json!({ "webhook_url": broken.url }))
        .await
        .expect(200);
    // The secret is kept across settings changes; rotating replaces it.
    let rotated = api
        .post(
            "/api/v1/alerts/webhook-secret",
            Some(&owner.token),
            json!(null),
        )
        .await;
    let new_secret = rotated.expect(201)["webhook_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_secret, secret);
    api.post("/api/v1/alerts/test", Some(&owner.token), json!(null))
        .await
        .expect(202);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let listed = events(&api, &owner.token).await;
        if listed[0]["status"] == "failed" {
            assert_eq!(listed[0]["attempts"], 4);
            assert_eq!(listed[0]["last_status_code"], 500);
            break;
        }
        assert!(Instant::now() < deadline, "{}", listed[0]);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let tried = broken.all();
    assert_eq!(tried.len(), 4);
    assert!(tried[0].signed_with(&new_secret) && !tried[0].signed_with(&secret));
    server.stop().await;
}

#[tokio::test]
async fn settings_and_events_are_the_organizations_own() {
    let server = TestServer::start_with(quick).await;
    let api = server.api();
    let owner = api.signup_unfunded(&email("alert-owner")).await;
    let (team, member) = api.team(&owner, "Alerting").await;
    let stranger = api.signup_unfunded(&email("alert-stranger")).await;
    let receiver = Receiver::start(0).await;
    let in_team = |user: &User, method: reqwest::Method, path: &str| {
        api.request(method, path, Some(&user.token))
            .header("X-Organization-Id", &team)
    };
    let settings = json!({ "webhook_url": receiver.url, "low_balance_threshold": "2.5", "key_spend_alerts": true });
    let reply = api
        .send(in_team(&owner, reqwest::Method::PUT, "/api/v1/alerts/settings").json(&settings))
        .await;
    reply.expect(200);
    // The team's balance ($0) is below the threshold: reported once, at once.
    let delivered = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(delivered[0].json()["type"], "low_balance");
    assert_eq!(delivered[0].json()["organization_id"], team.as_str());

    // A member reads but does not change.
    let read = api
        .send(in_team(
            &member,
            reqwest::Method::GET,
            "/api/v1/alerts/settings",
        ))
        .await;
    assert_eq!(
        read.expect(200)["data"]["webhook_url"],
        receiver.url.as_str()
    );
    for (method, path) in [
        (reqwest::Method::PUT, "/api/v1/alerts/settings"),
        (reqwest::Method::POST, "/api/v1/alerts/webhook-secret"),
        (reqwest::Method::POST, "/api/v1/alerts/test"),
    ] {
        let refused = api
            .send(in_team(&member, method, path).json(&settings))
            .await;
        refused.expect_error(403);
    }
    let listed = api
        .send(in_team(&member, reqwest::Method::GET, "/api/v1/alerts"))
        .await;
    assert_eq!(listed.expect(200)["data"].as_array().unwrap().len(), 1);

    // Another organization's user can neither read nor change them (nor learn it exists).
    for (method, path) in [
        (reqwest::Method::GET, "/api/v1/alerts/settings"),
        (reqwest::Method::PUT, "/api/v1/alerts/settings"),
        (reqwest::Method::GET, "/api/v1/alerts"),
        (reqwest::Method::POST, "/api/v1/alerts/webhook-secret"),
        (reqwest::Method::POST, "/api/v1/alerts/test"),
    ] {
        let refused = api
            .send(in_team(&stranger, method, path).json(&settings))
            .await;
        refused.expect_error(404);
    }
    // In their own organization they see their own (nothing).
    let own = api
        .get("/api/v1/alerts/settings", Some(&stranger.token))
        .await;
    assert_eq!(own.expect(200)["data"]["webhook_url"], Value::Null);
    let own = api.get("/api/v1/alerts", Some(&stranger.token)).await;
    assert_eq!(own.expect(200)["data"], json!([]));
    api.post("/api/v1/alerts/test", Some(&stranger.token), json!(null))
        .await
        .expect_error(409);
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(receiver.all().len(), 1, "nothing else was sent");

    // The change is audited, without the secret.
    let admin = api.login(tests::ADMIN_EMAIL).await;
    let audit = api.get("/api/v1/admin/audit", Some(&admin.token)).await;
    let text = audit.expect(200).to_string();
    assert!(text.contains("alerts.settings_update"), "{text}");
    assert!(!text.contains("whsec_"));
    server.stop().await;
}

#[tokio::test]
async fn a_loopback_webhook_is_refused_unless_the_operator_allows_it() {
    let server = TestServer::start().await;
    let api = server.api();
    let owner = api.signup_unfunded(&email("loopback")).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.0.0.8/hook",
        "http://169.254.169.254/latest/meta-data",
    ] {
        let reply = put_settings(&api, &owner, json!({ "webhook_url": url })).await;
        let message = reply.expect_error(400);
        assert!(message.starts_with("webhook_url: "), "{url}: {message}");
    }
    for (body, field) in [
        (
            json!({ "low_balance_threshold": "abc" }),
            "low_balance_threshold",
        ),
        (
            json!({ "low_balance_threshold": 0 }),
            "low_balance_threshold",
        ),
        (
            json!({ "low_balance_threshold": "0.0000000001" }),
            "low_balance_threshold",
        ),
        (
            json!({ "webhook_url": "ftp://example.com/" }),
            "webhook_url",
        ),
    ] {
        let message = put_settings(&api, &owner, body.clone())
            .await
            .expect_error(400);
        assert!(message.starts_with(field), "{body}: {message}");
    }
    put_settings(&api, &owner, json!({ "surprise": true }))
        .await
        .expect_error(400);
    let settings = api.get("/api/v1/alerts/settings", Some(&owner.token)).await;
    assert_eq!(settings.expect(200)["data"]["webhook_url"], Value::Null);
    server.stop().await;
}

/// Each test alert is a real delivery to the organization's URL: `ALERT_TESTS_PER_MINUTE` (3
/// here) a minute, then 429 in the API's error shape with `Retry-After`; another organization
/// is not affected.
#[tokio::test]
async fn test_alerts_are_bounded_per_organization() {
    let server = TestServer::start_with(|config| {
        quick(config);
        config.alert_tests_per_minute = 3;
    })
    .await;
    let api = server.api();
    let receiver = Receiver::start(0).await;
    let owner = api.signup_unfunded(&email("alert-tests")).await;
    let other = api.signup_unfunded(&email("alert-tests-other")).await;
    for user in [&owner, &other] {
        put_settings(&api, user, json!({ "webhook_url": receiver.url }))
            .await
            .expect(200);
    }
    for _ in 0..3 {
        api.post("/api/v1/alerts/test", Some(&owner.token), json!(null))
            .await
            .expect(202);
    }
    let refused = api
        .post("/api/v1/alerts/test", Some(&owner.token), json!(null))
        .await;
    let error = &refused.expect(429)["error"];
    assert_eq!(error["code"], 429);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("At most 3 test alerts a minute"),
        "{error}"
    );
    let retry_after: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    api.post("/api/v1/alerts/test", Some(&other.token), json!(null))
        .await
        .expect(202);
    // The three and the other organization's one are delivered; the refused one never is.
    receiver.wait_for(4, Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(count(&receiver.all(), "test"), 4);
    server.stop().await;
}
