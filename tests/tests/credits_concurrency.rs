//! Concurrency never overspends: 500 simultaneous requests at a balance (on one server and on
//! three sharing a database) and at a key limit that each cover about 50 of them.

use serde_json::{Value, json};
use server::billing::money::Nanos;
use tests::money::*;
use tests::{TestServer, email};

#[tokio::test]
async fn five_hundred_concurrent_requests_never_overspend_a_small_balance() {
    let (server, _emulator) = TestServer::with_emulator(|config| {
        config.rate_limit_key_requests_per_window = 0;
        config.rate_limit_org_requests_per_window = 0;
    })
    .await;
    let api = server.api();
    let cost = one_request_cost(&api).await;
    let balance = Nanos::from_nanos(cost.as_nanos() * 50);
    let user = api.signup_unfunded(&email("burst")).await;
    api.fund(&user.personal_org, &balance.to_string()).await;
    let (key, _) = api.create_key(&user, None, json!({ "name": "k" })).await;

    let (served, refused) = burst(std::slice::from_ref(&api), &key, 500).await;
    eprintln!(
        "one server: {} served, {refused} refused (balance for 50)",
        served.len()
    );
    assert_eq!(served.len() + refused, 500);
    assert!(refused > 0, "a balance for about 50 cannot serve 500");
    assert!(
        served.len() >= 25,
        "requests that settle free credit for waiting ones: {} served",
        served.len()
    );
    assert_never_overspent(&api, &user, balance, &served).await;
    server.stop().await;
}

#[tokio::test]
async fn three_servers_on_one_database_never_overspend_together() {
    let (first, emulator) = TestServer::with_emulator(|config| {
        config.rate_limit_key_requests_per_window = 0;
        config.rate_limit_org_requests_per_window = 0;
    })
    .await;
    let replica = |database_url: String| {
        let emulator_key = emulator.api_key().unwrap_or("test-key").to_owned();
        let (openai, root) = (emulator.openai_base(), emulator.base_url.clone());
        TestServer::start_with(move |config| {
            config.database_url = Some(database_url);
            config.rate_limit_key_requests_per_window = 0;
            config.rate_limit_org_requests_per_window = 0;
            for provider in tests::PROVIDER_ENV_PREFIXES {
                let base = match *provider {
                    "ANTHROPIC" | "GEMINI" => root.clone(),
                    _ => openai.clone(),
                };
                config
                    .provider_env
                    .insert(format!("{provider}_API_KEY"), emulator_key.clone());
                config
                    .provider_env
                    .insert(format!("{provider}_BASE_URL"), base);
            }
        })
    };
    let second = replica(first.database_url.clone()).await;
    let third = replica(first.database_url.clone()).await;
    let apis = [first.api(), second.api(), third.api()];
    let api = &apis[0];
    let cost = one_request_cost(api).await;
    let balance = Nanos::from_nanos(cost.as_nanos() * 50);
    let user = api.signup_unfunded(&email("replicas")).await;
    api.fund(&user.personal_org, &balance.to_string()).await;
    let (key, _) = api.create_key(&user, None, json!({ "name": "k" })).await;

    let (served, refused) = burst(&apis, &key, 500).await;
    eprintln!(
        "three servers: {} served, {refused} refused (balance for 50)",
        served.len()
    );
    assert_eq!(served.len() + refused, 500);
    assert!(refused > 0);
    assert!(!served.is_empty());
    assert_never_overspent(api, &user, balance, &served).await;
    third.stop().await;
    second.stop().await;
    first.stop().await;
}

#[tokio::test]
async fn five_hundred_concurrent_requests_never_overspend_a_key_limit() {
    let (server, _emulator) = TestServer::with_emulator(|config| {
        config.rate_limit_key_requests_per_window = 0;
        config.rate_limit_org_requests_per_window = 0;
    })
    .await;
    let api = server.api();
    let cost = one_request_cost(&api).await;
    let user = api.signup(&email("limited")).await; // funded far beyond the key's limit
    let limit_usd = Nanos::from_nanos(cost.as_nanos() * 50).to_usd_f64();
    let limit = Nanos::from_usd_f64(limit_usd).unwrap();
    let (key, hash) = api
        .create_key(
            &user,
            None,
            json!({ "name": "limited", "limit": limit_usd, "limit_reset": "daily" }),
        )
        .await;

    let (served, refused) = burst(std::slice::from_ref(&api), &key, 500).await;
    eprintln!(
        "key limit: {} served, {refused} refused (limit for 50)",
        served.len()
    );
    assert_eq!(served.len() + refused, 500);
    assert!(refused > 0 && served.len() >= 25, "{} served", served.len());
    let spent = served
        .iter()
        .fold(Nanos::ZERO, |sum, c| sum.saturating_add(*c));
    assert!(spent <= limit, "spent {spent} of a {limit} limit");
    wait_for_debits(&api, &user.token, served.len()).await;
    // The key reports what it spent, today's share, and what is left, never below zero.
    let mut view = Value::Null;
    for _ in 0..100 {
        view = api
            .get(&format!("/api/v1/keys/{hash}"), Some(&user.token))
            .await
            .expect(200)
            .clone();
        if usd(&view["data"]["usage"]) == spent {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let data = &view["data"];
    assert_eq!(usd(&data["usage"]), spent, "{view}");
    assert_eq!(usd(&data["usage_daily"]), spent, "{view}");
    assert_eq!(usd(&data["usage_monthly"]), spent, "{view}");
    assert_eq!(
        usd(&data["limit_remaining"]),
        limit.saturating_sub(spent),
        "{view}"
    );
    // Refusals name the key's limit, not the organization's credit.
    let reply = api
        .post(
            "/api/v1/chat/completions",
            Some(&key),
            ask("one more", Some(5_000)),
        )
        .await;
    let message = reply.expect_error(402);
    assert!(message.starts_with("Key limit exceeded"), "{message}");
    assert_reconciled(&api).await;
    server.stop().await;
}
