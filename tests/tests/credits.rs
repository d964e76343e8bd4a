//! Credit end to end: organizations start at $0, admins grant credit (audited), requests
//! reserve their worst case and are charged their cost in the ledger, a request without
//! `max_tokens` is capped to what the balance affords, and concurrent requests (on one server
//! and on three sharing a database) never spend more than the organization holds.

use futures_util::future::join_all;
use serde_json::{Value, json};
use server::billing::money::Nanos;
use tests::{ADMIN_EMAIL, Api, TestServer, User, email};

const MODEL: &str = "openai/gpt-4o-mini";

fn ask(text: &str, max_tokens: Option<u32>) -> Value {
    let mut body = json!({ "model": MODEL, "messages": [{ "role": "user", "content": text }] });
    if let Some(max) = max_tokens {
        body["max_tokens"] = json!(max);
    }
    body
}

/// A USD figure of the API as exact nano-dollars (either sign).
fn usd(value: &Value) -> Nanos {
    let figure = value.as_f64().expect("a USD number");
    let magnitude = Nanos::from_usd_f64(figure.abs()).expect("an amount");
    if figure < 0.0 {
        Nanos::ZERO.saturating_sub(magnitude)
    } else {
        magnitude
    }
}

async fn credits(api: &Api, token: &str) -> (Nanos, Nanos) {
    let reply = api.get("/api/v1/credits", Some(token)).await;
    let data = &reply.expect(200)["data"];
    (usd(&data["total_credits"]), usd(&data["total_usage"]))
}

/// Every ledger entry of the caller's organization (of `kind`, if given), newest first.
async fn ledger(api: &Api, token: &str, kind: Option<&str>) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let mut path = "/api/v1/credits/ledger?per_page=100".to_owned();
        if let Some(kind) = kind {
            path += &format!("&kind={kind}");
        }
        if let Some(before) = before {
            path += &format!("&before={before}");
        }
        let reply = api.get(&path, Some(token)).await;
        let page = reply.expect(200).clone();
        entries.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_before"].as_i64() {
            Some(next) => before = Some(next),
            None => return entries,
        }
    }
}

/// Waits until the usage writer has committed `count` generation debits.
async fn wait_for_debits(api: &Api, token: &str, count: usize) -> Vec<Value> {
    for _ in 0..200 {
        let debits = ledger(api, token, Some("generation")).await;
        if debits.len() >= count {
            return debits;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the generation debits were not written");
}

async fn assert_reconciled(api: &Api) {
    let admin = api.login(ADMIN_EMAIL).await;
    let reply = api
        .get("/api/v1/admin/credits/reconcile", Some(&admin.token))
        .await;
    let body = reply.expect(200);
    assert_eq!(body["mismatches"], json!([]), "{body}");
    assert!(body["organizations"].as_u64().unwrap() >= 1, "{body}");
}

async fn grant(api: &Api, admin: &User, org: &str, body: Value) -> tests::Reply {
    api.post(
        &format!("/api/v1/admin/organizations/{org}/credits"),
        Some(&admin.token),
        body,
    )
    .await
}

#[tokio::test]
async fn new_organizations_start_at_zero_and_pay_for_paid_models_only() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let user = api.signup_unfunded(&email("zero")).await;
    let (key, _) = api.create_key(&user, None, json!({ "name": "k" })).await;
    assert_eq!(credits(&api, &user.token).await, (Nanos::ZERO, Nanos::ZERO));

    let refused = api
        .post(
            "/api/v1/chat/completions",
            Some(&key),
            ask("Hello", Some(50)),
        )
        .await;
    let message = refused.expect_error(402);
    assert!(
        message.starts_with("This request requires more credits, or fewer max_tokens. You requested up to 50 tokens, but can only afford 0."),
        "{message}"
    );
    // Without max_tokens the request cannot afford even a minimal answer either.
    let refused = api
        .post("/api/v1/chat/completions", Some(&key), ask("Hello", None))
        .await;
    let message = refused.expect_error(402);
    assert!(
        message.contains("You requested up to 16384 tokens"),
        "{message}"
    );

    // A free model costs nothing, so it needs no credit.
    let free = api
        .post(
            "/api/v1/chat/completions",
            Some(&key),
            json!({ "model": "meta-llama/llama-3.3-70b-instruct:free", "messages": [{ "role": "user", "content": "Hi" }] }),
        )
        .await;
    free.expect(200);
    server.stop().await;
}

#[tokio::test]
async fn admins_grant_and_adjust_credit_with_a_reason_and_it_is_audited() {
    let server = TestServer::start().await;
    let api = server.api();
    let admin = api.login(ADMIN_EMAIL).await;
    let tenant = api.signup_unfunded(&email("tenant")).await;
    let org = tenant.personal_org.clone();

    // Only platform admins, whatever the body.
    grant(
        &api,
        &tenant,
        &org,
        json!({ "amount": 5, "reason": "self-service" }),
    )
    .await
    .expect_error(403);
    grant(&api, &tenant, &org, json!("not even an object"))
        .await
        .expect_error(403);
    for (body, field) in [
        (json!({ "amount": 0, "reason": "r" }), "amount"),
        (json!({ "amount": -1, "reason": "r" }), "amount"),
        (json!({ "amount": 5, "reason": "  " }), "reason"),
        (
            json!({ "amount": 5, "reason": "r", "kind": "gift" }),
            "kind",
        ),
        (
            json!({ "amount": 0, "kind": "adjustment", "reason": "r" }),
            "amount",
        ),
    ] {
        let message = grant(&api, &admin, &org, body.clone())
            .await
            .expect_error(400);
        assert!(message.starts_with(field), "{body}: {message}");
    }
    grant(
        &api,
        &admin,
        "org_nope",
        json!({ "amount": 5, "reason": "r" }),
    )
    .await
    .expect_error(404);

    let granted = grant(
        &api,
        &admin,
        &org,
        json!({ "amount": 12.5, "reason": "welcome" }),
    )
    .await;
    let body = granted.expect(201);
    assert_eq!(body["data"]["kind"], "grant");
    assert_eq!(body["data"]["reason"], "welcome");
    assert_eq!(body["balance"], json!(12.5));
    let adjusted = grant(
        &api,
        &admin,
        &org,
        json!({ "amount": -2.25, "kind": "adjustment", "reason": "correction" }),
    )
    .await;
    assert_eq!(adjusted.expect(201)["balance"], json!(10.25));

    let (total, used) = credits(&api, &tenant.token).await;
    assert_eq!(
        (total, used),
        (Nanos::from_usd_str("10.25").unwrap(), Nanos::ZERO)
    );
    let entries = ledger(&api, &tenant.token, None).await;
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["adjustment", "grant"]);
    assert_eq!(entries[0]["amount"], json!(-2.25));

    let audit = api.get("/api/v1/admin/audit", Some(&admin.token)).await;
    let actions: Vec<String> = audit.expect(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(actions, ["credit.adjustment", "credit.grant"]);

    // Another organization sees none of it.
    let other = api.signup_unfunded(&email("other")).await;
    assert_eq!(
        credits(&api, &other.token).await,
        (Nanos::ZERO, Nanos::ZERO)
    );
    assert!(ledger(&api, &other.token, None).await.is_empty());
    // Bad paging is refused by name.
    for query in [
        "per_page=0",
        "per_page=101",
        "before=0",
        "before=x",
        "kind=salary",
    ] {
        let reply = api
            .get(
                &format!("/api/v1/credits/ledger?{query}"),
                Some(&tenant.token),
            )
            .await;
        let message = reply.expect_error(400);
        let field = query.split('=').next().unwrap();
        assert!(
            message.contains(&format!("{field}: ")),
            "{query}: {message}"
        );
    }
    assert_reconciled(&api).await;
    server.stop().await;
}

#[tokio::test]
async fn each_generation_is_debited_once_and_the_ledger_reconciles() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let user = api.signup(&email("spend")).await;
    let (key, _) = api.create_key(&user, None, json!({ "name": "k" })).await;
    let (before, _) = credits(&api, &user.token).await;

    let mut costs = Nanos::ZERO;
    let mut ids = Vec::new();
    for (n, stream) in [(0, false), (1, true), (2, false)] {
        let mut body = ask(&format!("Count to {n}"), Some(40));
        if stream {
            body["stream"] = json!(true);
            let response = api
                .request(
                    reqwest::Method::POST,
                    "/api/v1/chat/completions",
                    Some(&key),
                )
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            let sse = tests::Sse::parse(&response.text().await.unwrap());
            let last = sse
                .data
                .iter()
                .rev()
                .find(|c| c.get("usage").is_some_and(|u| !u.is_null()))
                .unwrap();
            costs = costs.saturating_add(usd(&last["usage"]["cost"]));
            ids.push(last["id"].as_str().unwrap().to_owned());
        } else {
            let reply = api.post("/api/v1/chat/completions", Some(&key), body).await;
            let response = reply.expect(200);
            costs = costs.saturating_add(usd(&response["usage"]["cost"]));
            ids.push(response["id"].as_str().unwrap().to_owned());
        }
    }
    assert!(costs.is_positive());
    let debits = wait_for_debits(&api, &user.token, 3).await;
    assert_eq!(debits.len(), 3);
    let mut referenced: Vec<String> = debits
        .iter()
        .map(|d| d["reference"].as_str().unwrap().to_owned())
        .collect();
    referenced.sort();
    ids.sort();
    assert_eq!(
        referenced, ids,
        "one debit per generation, referenced by its id"
    );
    let debited = debits
        .iter()
        .fold(Nanos::ZERO, |sum, d| sum.saturating_sub(usd(&d["amount"])));
    assert_eq!(
        debited, costs,
        "the ledger holds exactly the reported costs"
    );
    let (total, used) = credits(&api, &user.token).await;
    assert_eq!(total, before);
    assert_eq!(used, costs);
    assert_reconciled(&api).await;
    server.stop().await;
}

#[tokio::test]
async fn a_request_without_max_tokens_is_capped_to_what_the_balance_affords() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let user = api.signup_unfunded(&email("capped")).await;
    // $0.001 buys about 1,600 output tokens of gpt-4o-mini: far fewer than its 16,384.
    api.fund(&user.personal_org, "0.001").await;
    let (key, _) = api.create_key(&user, None, json!({ "name": "k" })).await;

    let reply = api
        .post(
            "/api/v1/chat/completions",
            Some(&key),
            ask("Hello there", None),
        )
        .await;
    let response = reply.expect(200).clone();
    let id = response["id"].as_str().unwrap();
    // The generation record says it was capped, and by how much.
    let mut record = Value::Null;
    for _ in 0..100 {
        let reply = api
            .get(&format!("/api/v1/generation?id={id}"), Some(&key))
            .await;
        if reply.status == 200 {
            record = reply.body.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let capped = record["data"]["capped_max_tokens"]
        .as_u64()
        .expect("capped_max_tokens");
    assert!((16..16_384).contains(&capped), "{record}");

    // Asking for more than the balance affords is refused with what it can afford.
    let reply = api
        .post(
            "/api/v1/chat/completions",
            Some(&key),
            ask("Hello there", Some(16_000)),
        )
        .await;
    let message = reply.expect_error(402);
    assert!(
        message.contains("You requested up to 16000 tokens, but can only afford "),
        "{message}"
    );
    server.stop().await;
}

/// Fires `count` requests at once, spread over `apis`; returns (served costs, refusals).
async fn burst(apis: &[Api], key: &str, count: usize) -> (Vec<Nanos>, usize) {
    let calls = (0..count).map(|n| {
        let api = &apis[n % apis.len()];
        async move {
            api.post(
                "/api/v1/chat/completions",
                Some(key),
                ask(&format!("Request {n}"), Some(20)),
            )
            .await
        }
    });
    let mut served = Vec::new();
    let mut refused = 0;
    for reply in join_all(calls).await {
        match reply.status.as_u16() {
            200 => served.push(usd(&reply.body["usage"]["cost"])),
            402 => refused += 1,
            other => panic!("unexpected {other}: {}", reply.text),
        }
    }
    (served, refused)
}

/// The balance after a burst: never negative, exactly the grant minus what was served.
async fn assert_never_overspent(api: &Api, user: &User, balance: Nanos, served: &[Nanos]) {
    let spent = served
        .iter()
        .fold(Nanos::ZERO, |sum, c| sum.saturating_add(*c));
    assert!(spent <= balance, "spent {spent} of {balance}");
    let debits = wait_for_debits(api, &user.token, served.len()).await;
    assert_eq!(debits.len(), served.len(), "one debit per served request");
    let (total, used) = credits(api, &user.token).await;
    assert_eq!(total, balance);
    assert_eq!(used, spent);
    assert!(
        used <= total,
        "the balance went negative: {used} of {total}"
    );
    assert_reconciled(api).await;
}

/// The cost of one small request, measured on a funded organization of the same server.
async fn one_request_cost(api: &Api) -> Nanos {
    let probe = api.signup(&email("probe")).await;
    let (key, _) = api
        .create_key(&probe, None, json!({ "name": "probe" }))
        .await;
    let reply = api
        .post(
            "/api/v1/chat/completions",
            Some(&key),
            ask("Request 100", Some(20)),
        )
        .await;
    usd(&reply.expect(200)["usage"]["cost"])
}

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

#[tokio::test]
async fn admins_see_each_organizations_owner_balance_and_spend_and_find_it_by_a_members_email() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let admin = api.login(ADMIN_EMAIL).await;
    let owner_email = email("findme");
    let user = api.signup(&owner_email).await;
    let (key, _) = api.create_key(&user, None, json!({ "name": "k" })).await;
    let reply = api
        .post(
            "/api/v1/chat/completions",
            Some(&key),
            ask("Hello", Some(20)),
        )
        .await;
    let cost = usd(&reply.expect(200)["usage"]["cost"]);
    wait_for_debits(&api, &user.token, 1).await;

    // Every personal organization is named "Personal": the member's email finds it.
    let needle = owner_email.split('@').next().unwrap().to_uppercase();
    let reply = api
        .get(
            &format!("/api/v1/admin/organizations?q={needle}"),
            Some(&admin.token),
        )
        .await;
    let found = reply.expect(200)["data"].as_array().unwrap().clone();
    assert_eq!(found.len(), 1, "{found:?}");
    let org = &found[0];
    assert_eq!(org["id"], json!(user.personal_org));
    assert_eq!(org["owner_email"], json!(owner_email));
    let funded = Nanos::from_usd_str(tests::SIGNUP_FUNDING_USD).unwrap();
    assert_eq!(usd(&org["balance"]), funded.saturating_sub(cost), "{org}");
    assert_eq!(usd(&org["spent_this_month"]), cost, "{org}");
    server.stop().await;
}

#[tokio::test]
async fn an_organization_over_its_budget_gets_403_naming_the_budget() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let cost = one_request_cost(&api).await;
    let owner = api.signup(&email("budget-owner")).await;
    let org = owner.personal_org.clone();
    let path = format!("/api/v1/organizations/{org}/budgets");
    let (key, _) = api.create_key(&owner, None, json!({ "name": "k" })).await;

    // Validation, then a monthly budget of about ten requests (each reserves its worst case,
    // several times its cost, so fewer are let through).
    for body in [
        json!({ "monthly": 0 }),
        json!({ "daily": -1 }),
        json!({ "hourly": 1 }),
    ] {
        api.call(reqwest::Method::PUT, &path, Some(&owner.token), Some(body))
            .await
            .expect_error(400);
    }
    let budget = Nanos::from_nanos(cost.as_nanos() * 10);
    let set = api
        .call(
            reqwest::Method::PUT,
            &path,
            Some(&owner.token),
            Some(json!({ "monthly": budget.to_usd_f64() })),
        )
        .await;
    assert_eq!(usd(&set.expect(200)["monthly"]), budget);
    assert_eq!(
        api.get(&path, Some(&owner.token)).await.expect(200)["daily"],
        Value::Null
    );

    let mut spent = Nanos::ZERO;
    let mut refusal = None;
    for n in 0..20 {
        let reply = api
            .post(
                "/api/v1/chat/completions",
                Some(&key),
                ask(&format!("Request {n}"), Some(20)),
            )
            .await;
        if reply.status == 403 {
            refusal = Some(reply.expect_error(403));
            break;
        }
        spent = spent.saturating_add(usd(&reply.expect(200)["usage"]["cost"]));
    }
    let message = refusal.expect("the budget binds");
    assert_eq!(
        message,
        format!("Organization monthly budget of ${budget} exceeded")
    );
    assert!(
        spent <= budget && spent.is_positive(),
        "spent {spent} of {budget}"
    );

    // Platform admins set any organization's budgets; removing them lets requests through.
    let admin = api.login(ADMIN_EMAIL).await;
    let admin_path = format!("/api/v1/admin/organizations/{org}/budgets");
    api.call(
        reqwest::Method::PUT,
        &admin_path,
        Some(&owner.token),
        Some(json!({})),
    )
    .await
    .expect_error(403);
    api.call(
        reqwest::Method::PUT,
        &admin_path,
        Some(&admin.token),
        Some(json!({})),
    )
    .await
    .expect(200);
    let reply = api
        .post(
            "/api/v1/chat/completions",
            Some(&key),
            ask("after", Some(20)),
        )
        .await;
    reply.expect(200);
    let audit = api.get("/api/v1/admin/audit", Some(&admin.token)).await;
    let budget_changes = audit.expect(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "organization.budgets")
        .count();
    assert_eq!(budget_changes, 2);
    server.stop().await;
}

#[tokio::test]
async fn endpoints_the_balance_cannot_afford_leave_the_plan_instead_of_refusing_the_request() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let user = api.signup_unfunded(&email("fallbacks")).await;
    // Enough for gpt-4o-mini's worst case at 20 output tokens, not for Claude Opus's.
    api.fund(&user.personal_org, "0.0001").await;
    let (key, _) = api.create_key(&user, None, json!({ "name": "k" })).await;
    let body = json!({
        "models": ["anthropic/claude-opus-4.5", MODEL],
        "max_tokens": 20,
        "messages": [{ "role": "user", "content": "Hello" }],
    });
    let reply = api.post("/api/v1/chat/completions", Some(&key), body).await;
    let response = reply.expect(200);
    assert_eq!(response["model"], MODEL, "{response}");
    // Alone, the dear model is refused with what the balance affords.
    let alone = json!({ "model": "anthropic/claude-opus-4.5", "max_tokens": 20,
        "messages": [{ "role": "user", "content": "Hello" }] });
    let reply = api
        .post("/api/v1/chat/completions", Some(&key), alone)
        .await;
    let message = reply.expect_error(402);
    assert!(
        message.contains("You requested up to 20 tokens"),
        "{message}"
    );
    server.stop().await;
}
