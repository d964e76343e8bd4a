//! Credit end to end: organizations start at $0, admins grant credit (audited), every
//! generation is debited once in the ledger, a request without `max_tokens` is capped to what
//! the balance affords, and endpoints the balance cannot afford leave the plan.

use serde_json::{Value, json};
use server::billing::money::Nanos;
use tests::money::*;
use tests::{ADMIN_EMAIL, TestServer, email};

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
