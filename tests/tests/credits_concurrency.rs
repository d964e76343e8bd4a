//! Concurrency never overspends: 500 simultaneous requests at a balance and at a key limit that
//! each cover about 50 of them, on one server and on three server processes sharing a
//! database (PostgreSQL under `TEST_DATABASE=postgres`).

use serde_json::{Value, json};
use server::billing::money::Nanos;
use tests::money::*;
use tests::{Api, TestServer, email};

#[tokio::test]
async fn five_hundred_concurrent_requests_never_overspend_a_small_balance() {
    let (server, _emulator) = TestServer::with_emulator(credit_only).await;
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

/// No request-rate limits: only credit and key limits may refuse.
fn credit_only(config: &mut server::config::Config) {
    config.rate_limit_key_requests_per_window = 0;
    config.rate_limit_org_requests_per_window = 0;
}

/// Three server processes on one database (the first one's), all calling one emulator.
async fn three_servers() -> ([TestServer; 3], provider_emulator::RunningEmulator) {
    let (first, emulator) = TestServer::with_emulator(credit_only).await;
    let second = first.replica(&emulator, credit_only).await;
    let third = first.replica(&emulator, credit_only).await;
    ([first, second, third], emulator)
}

async fn stop_all(servers: [TestServer; 3]) {
    for server in servers.into_iter().rev() {
        server.stop().await;
    }
}

#[tokio::test]
async fn three_servers_on_one_database_never_overspend_together() {
    let (servers, _emulator) = three_servers().await;
    let apis = servers.each_ref().map(TestServer::api);
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
    stop_all(servers).await;
}

/// 500 requests at once with a key whose limit covers about 50 of them, spread over `apis`
/// (one server, or several on one database); the organization holds far more. Returns how
/// many were served.
async fn burst_at_a_key_limit(apis: &[Api], label: &str) -> usize {
    let api = &apis[0];
    let cost = one_request_cost(api).await;
    let user = api.signup(&email("limited")).await; // funded far beyond the key's limit
    let (org_credit, _) = credits(api, &user.token).await;
    let limit_usd = Nanos::from_nanos(cost.as_nanos() * 50).to_usd_f64();
    let limit = Nanos::from_usd_f64(limit_usd).unwrap();
    let (key, hash) = api
        .create_key(
            &user,
            None,
            json!({ "name": "limited", "limit": limit_usd, "limit_reset": "daily" }),
        )
        .await;

    let (served, refused) = burst(apis, &key, 500).await;
    eprintln!(
        "key limit, {label}: {} served, {refused} refused (limit for 50)",
        served.len()
    );
    // Every request was either served (and is charged below) or refused with 402.
    assert_eq!(served.len() + refused, 500);
    assert!(refused > 0, "a limit for about 50 cannot serve 500");
    let spent = served
        .iter()
        .fold(Nanos::ZERO, |sum, c| sum.saturating_add(*c));
    assert!(spent <= limit, "spent {spent} of a {limit} limit");
    // One debit per served request, of exactly what it reported; the organization paid
    // exactly that and still holds the rest.
    let debits = wait_for_debits(api, &user.token, served.len()).await;
    assert_eq!(debits.len(), served.len(), "one debit per served request");
    let debited = debits
        .iter()
        .fold(Nanos::ZERO, |sum, d| sum.saturating_sub(usd(&d["amount"])));
    assert_eq!(debited, spent);
    assert_eq!(credits(api, &user.token).await, (org_credit, spent));
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
    // Refusals name the key's limit, not the organization's credit, on every server.
    for api in apis {
        let reply = api
            .post(
                "/api/v1/chat/completions",
                Some(&key),
                ask("one more", Some(5_000)),
            )
            .await;
        let message = reply.expect_error(402);
        assert!(message.starts_with("Key limit exceeded"), "{message}");
    }
    assert_reconciled(api).await;
    served.len()
}

#[tokio::test]
async fn five_hundred_concurrent_requests_never_overspend_a_key_limit() {
    let (server, _emulator) = TestServer::with_emulator(credit_only).await;
    let served = burst_at_a_key_limit(&[server.api()], "one server").await;
    assert!(served >= 25, "{served} served");
    server.stop().await;
}

#[tokio::test]
async fn three_servers_on_one_database_never_overspend_a_key_limit_together() {
    let (servers, _emulator) = three_servers().await;
    let apis = servers.each_ref().map(TestServer::api);
    let served = burst_at_a_key_limit(&apis, "three servers").await;
    assert!(served > 0);
    stop_all(servers).await;
}
