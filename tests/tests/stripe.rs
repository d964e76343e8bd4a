//! Buying credit with Stripe, end to end against the fake Stripe (`tests::stripe_fake`):
//! checkout, the webhook (signed by our code and by Stripe's official Python library),
//! exactly-once crediting through duplicates, replays, out-of-order deliveries and the return
//! page, refunds, and refusals of bad signatures and bodies. The reconcile check passes after
//! each.

use reqwest::Method;
use serde_json::json;
use server::billing::money::Nanos;
use tests::shop::*;
use tests::stripe_fake::FakeStripe;
use tests::{ADMIN_EMAIL, TestServer, email};

#[tokio::test]
async fn checkout_creates_a_session_with_the_credit_and_the_fee() {
    let shop = shop().await;
    let reply = shop
        .api
        .post(
            "/api/v1/credits/checkout",
            Some(&shop.owner.token),
            json!({ "amount": 20 }),
        )
        .await;
    let data = reply.expect(201)["data"].clone();
    assert_eq!(usd(&data["amount"]), dollars("20"));
    assert_eq!(usd(&data["fee"]), dollars("1.10"));
    assert_eq!(usd(&data["total"]), dollars("21.10"));
    let id = data["id"].as_str().unwrap();
    assert!(id.starts_with("cs_"), "{data}");
    assert_eq!(data["url"], shop.fake.session(id).unwrap()["url"]);

    // What Stripe received: form-encoded, two line items, the organization in metadata.
    let form = shop.fake.creates().pop().unwrap();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("{name} missing from {form:?}"))
    };
    assert_eq!(field("mode"), "payment");
    assert_eq!(field("line_items[0][price_data][unit_amount]"), "2000");
    assert_eq!(field("line_items[0][price_data][currency]"), "usd");
    assert_eq!(field("line_items[0][quantity]"), "1");
    assert_eq!(field("line_items[1][price_data][unit_amount]"), "110");
    assert_eq!(field("metadata[org_id]"), shop.owner.personal_org);
    assert_eq!(field("client_reference_id"), shop.owner.personal_org);
    assert_eq!(
        field("success_url"),
        format!("{PUBLIC_URL}/app/credits?checkout_session_id={{CHECKOUT_SESSION_ID}}")
    );
    assert!(field("cancel_url").starts_with(PUBLIC_URL));

    // The minimum fee applies to small purchases. Nothing is credited before payment.
    let reply = shop
        .api
        .post(
            "/api/v1/credits/checkout",
            Some(&shop.owner.token),
            json!({ "amount": 5 }),
        )
        .await;
    assert_eq!(usd(&reply.expect(201)["data"]["fee"]), dollars("0.80"));
    assert_eq!(balance(&shop.api, &shop.owner.token).await, Nanos::ZERO);

    // Bad amounts are refused before Stripe is called.
    let before = shop.fake.creates().len();
    for (body, needle) in [
        (json!({ "amount": 4.99 }), "$5.00 to $10000.00"),
        (json!({ "amount": 10000.01 }), "$5.00 to $10000.00"),
        (json!({ "amount": 12.345 }), "whole cents"),
        (json!({ "amount": -10 }), "amount"),
        (json!({ "amount": "ten" }), "amount"),
        (json!({}), "amount"),
        (json!({ "amount": 10, "currency": "eur" }), "currency"),
    ] {
        let reply = shop
            .api
            .post(
                "/api/v1/credits/checkout",
                Some(&shop.owner.token),
                body.clone(),
            )
            .await;
        let message = reply.expect_error(400);
        assert!(message.contains(needle), "{body}: {message}");
    }
    assert_eq!(shop.fake.creates().len(), before);

    // A management key may buy; an inference key and an anonymous caller may not.
    let management = shop
        .api
        .post(
            "/api/v1/management-keys",
            Some(&shop.owner.token),
            json!({ "name": "billing" }),
        )
        .await;
    let management = management.expect(201)["key"].as_str().unwrap().to_owned();
    let reply = shop
        .api
        .post(
            "/api/v1/credits/checkout",
            Some(&management),
            json!({ "amount": 10 }),
        )
        .await;
    reply.expect(201);
    let (inference, _) = shop
        .api
        .create_key(&shop.owner, None, json!({ "name": "inference" }))
        .await;
    let reply = shop
        .api
        .post(
            "/api/v1/credits/checkout",
            Some(&inference),
            json!({ "amount": 10 }),
        )
        .await;
    reply.expect_error(403);
    let reply = shop
        .api
        .post("/api/v1/credits/checkout", None, json!({ "amount": 10 }))
        .await;
    reply.expect_error(401);
    shop.server.stop().await;
}

#[tokio::test]
async fn members_cannot_buy_for_their_organization() {
    let shop = shop().await;
    let org = shop
        .api
        .post(
            "/api/v1/organizations",
            Some(&shop.owner.token),
            json!({ "name": "Team" }),
        )
        .await;
    let org_id = org.expect(201)["id"].as_str().unwrap().to_owned();
    let member_email = email("member");
    shop.api
        .post(
            &format!("/api/v1/organizations/{org_id}/invites"),
            Some(&shop.owner.token),
            json!({ "email": member_email, "role": "member" }),
        )
        .await
        .expect(201);
    let member = shop.api.signup_unfunded(&member_email).await;
    let reply = shop
        .api
        .send(
            shop.api
                .request(
                    Method::POST,
                    "/api/v1/credits/checkout",
                    Some(&member.token),
                )
                .header("X-Organization-Id", &org_id)
                // An invalid body too: the role is judged first.
                .json(&json!({ "amount": "nonsense" })),
        )
        .await;
    reply.expect_error(403);
    assert!(shop.fake.creates().is_empty());
    shop.server.stop().await;
}

#[tokio::test]
async fn without_stripe_purchasing_is_not_configured() {
    let server = TestServer::start().await;
    let api = server.api();
    let owner = api.signup_unfunded(&email("nostripe")).await;
    let reply = api
        .post(
            "/api/v1/credits/checkout",
            Some(&owner.token),
            json!({ "amount": 20 }),
        )
        .await;
    let message = reply.expect_error(503);
    assert!(message.contains("not configured"), "{message}");
    let body = FakeStripe::event("customer.created", &json!({ "id": "cus_1" }));
    assert_eq!(deliver(&api, &body, Some(&signed(&body))).await, 503);
    // Admins can still grant credit.
    let admin = api.login(ADMIN_EMAIL).await;
    api.post(
        &format!("/api/v1/admin/organizations/{}/credits", owner.personal_org),
        Some(&admin.token),
        json!({ "amount": 5, "reason": "welcome" }),
    )
    .await
    .expect(201);
    assert_eq!(balance(&api, &owner.token).await, dollars("5"));
    server.stop().await;
}

#[tokio::test]
async fn a_paid_session_is_credited_exactly_once() {
    let shop = shop().await;
    let (api, token) = (&shop.api, &shop.owner.token);
    let session = paid_checkout(&shop, 20.0).await;
    let id = session["id"].as_str().unwrap().to_owned();

    let body = FakeStripe::event("checkout.session.completed", &session);
    assert_eq!(deliver_signed(api, &body).await["result"], "credited");
    assert_eq!(balance(api, token).await, dollars("20"));

    // The same delivery again (Stripe retries), a replay with a fresh signature, and the
    // async-payment event for the same session: nothing more.
    let header = signed(&body);
    assert_eq!(deliver(api, &body, Some(&header)).await, 200);
    assert_eq!(deliver(api, &body, Some(&header)).await, 200);
    assert_eq!(
        deliver_signed(api, &body).await["result"],
        "already credited"
    );
    let again = FakeStripe::event("checkout.session.async_payment_succeeded", &session);
    assert_eq!(
        deliver_signed(api, &again).await["result"],
        "already credited"
    );
    // Concurrent deliveries of a new event for the same session.
    let bodies: Vec<String> = (0..8)
        .map(|_| FakeStripe::event("checkout.session.completed", &session))
        .collect();
    let results =
        futures_util::future::join_all(bodies.iter().map(|b| deliver(api, b, None))).await;
    assert!(results.iter().all(|s| *s == 400), "unsigned: {results:?}");
    let results = futures_util::future::join_all(
        bodies
            .iter()
            .map(|b| async { deliver_signed(api, b).await }),
    )
    .await;
    assert!(results.iter().all(|r| r["result"] == "already credited"));

    // The return page agrees, and credits nothing more.
    let reply = api
        .get(&format!("/api/v1/credits/checkout/{id}"), Some(token))
        .await;
    let data = reply.expect(200)["data"].clone();
    assert_eq!(data["credited"], true, "{data}");
    assert_eq!(data["paid"], true, "{data}");
    assert_eq!(balance(api, token).await, dollars("20"));

    // The ledger: the gross payment and the fee, both referenced by the session.
    let entries = ledger(api, token, None).await;
    let kinds: Vec<(&str, Nanos, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap(),
                usd(&e["amount"]),
                e["reference"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("purchase_fee", dollars("-1.10"), id.as_str()),
            ("purchase", dollars("21.10"), id.as_str()),
        ]
    );
    let credits = api.get("/api/v1/credits", Some(token)).await;
    assert_eq!(
        usd(&credits.expect(200)["data"]["total_credits"]),
        dollars("20")
    );
    assert_reconciled(api).await;
    shop.server.stop().await;
}

#[tokio::test]
async fn the_return_page_credits_before_the_webhook_and_only_once() {
    let shop = shop().await;
    let (api, token) = (&shop.api, &shop.owner.token);
    let id = checkout(&shop, 50.0).await;
    let path = format!("/api/v1/credits/checkout/{id}");

    // Not paid yet: nothing.
    let data = api.get(&path, Some(token)).await.expect(200)["data"].clone();
    assert_eq!(
        (data["paid"].clone(), data["credited"].clone()),
        (json!(false), json!(false))
    );
    assert_eq!(data["status"], "open");
    assert_eq!(balance(api, token).await, Nanos::ZERO);

    // Paid: the return page credits, then the webhook finds it done.
    let session = shop.fake.pay(&id).await;
    let data = api.get(&path, Some(token)).await.expect(200)["data"].clone();
    assert_eq!(data["credited"], true, "{data}");
    assert_eq!(balance(api, token).await, dollars("50"));
    let body = FakeStripe::event("checkout.session.completed", &session);
    assert_eq!(
        deliver_signed(api, &body).await["result"],
        "already credited"
    );
    assert_eq!(
        api.get(&path, Some(token)).await.expect(200)["data"]["credited"],
        true
    );
    assert_eq!(balance(api, token).await, dollars("50"));

    // Another organization cannot look at (or credit itself with) the session.
    let other = api.signup_unfunded(&email("other")).await;
    api.get(&path, Some(&other.token)).await.expect_error(404);
    api.get("/api/v1/credits/checkout/cs_test_unknown", Some(token))
        .await
        .expect_error(404);
    assert_eq!(balance(api, &other.token).await, Nanos::ZERO);
    assert_reconciled(api).await;
    shop.server.stop().await;
}

#[tokio::test]
async fn refunds_take_back_the_refunded_credit_once() {
    let shop = shop().await;
    let (api, token) = (&shop.api, &shop.owner.token);
    let session = paid_checkout(&shop, 20.0).await; // $21.10 charged
    let body = FakeStripe::event("checkout.session.completed", &session);
    deliver_signed(api, &body).await;
    assert_eq!(balance(api, token).await, dollars("20"));

    // Half of the payment refunded: half of the credit taken back, once.
    let half = FakeStripe::refunded_charge(&session, "ch_test_1", 1055);
    let half = FakeStripe::event("charge.refunded", &half);
    assert_eq!(deliver_signed(api, &half).await["result"], "refund debited");
    assert_eq!(
        deliver_signed(api, &half).await["result"],
        "refund already debited"
    );
    assert_eq!(balance(api, token).await, dollars("10"));

    // The organization spends below what remains (an admin adjustment stands in for usage),
    // then the rest is refunded: the balance goes negative.
    let admin = api.login(ADMIN_EMAIL).await;
    api.post(
        &format!(
            "/api/v1/admin/organizations/{}/credits",
            shop.owner.personal_org
        ),
        Some(&admin.token),
        json!({ "amount": -7, "kind": "adjustment", "reason": "usage stand-in" }),
    )
    .await
    .expect(201);
    let full = FakeStripe::refunded_charge(&session, "ch_test_1", 2110);
    let full = FakeStripe::event("charge.refunded", &full);
    assert_eq!(deliver_signed(api, &full).await["result"], "refund debited");
    assert_eq!(balance(api, token).await, dollars("-7"));
    // Older and repeated deliveries change nothing.
    assert_eq!(
        deliver_signed(api, &half).await["result"],
        "refund already debited"
    );
    assert_eq!(
        deliver_signed(api, &full).await["result"],
        "refund already debited"
    );
    assert_eq!(balance(api, token).await, dollars("-7"));
    let refunds: Vec<Nanos> = ledger(api, token, None)
        .await
        .iter()
        .filter(|e| e["kind"] == "refund")
        .map(|e| usd(&e["amount"]))
        .collect();
    assert_eq!(refunds, vec![dollars("-10"), dollars("-10")]);

    // A charge that is not a purchase of ours is ignored.
    let mut stranger = FakeStripe::refunded_charge(&session, "ch_other", 500);
    stranger["payment_intent"] = json!("pi_someone_else");
    let stranger = FakeStripe::event("charge.refunded", &stranger);
    assert_eq!(deliver_signed(api, &stranger).await["result"], "ignored");
    assert_reconciled(api).await;
    shop.server.stop().await;
}

#[tokio::test]
async fn a_refund_delivered_before_the_payment_event_counts_once() {
    let shop = shop().await;
    let (api, token) = (&shop.api, &shop.owner.token);
    let session = paid_checkout(&shop, 30.0).await;
    let total = session["amount_total"].as_i64().unwrap();

    // The refund arrives first: the server learns from Stripe whose payment it was.
    let refund = FakeStripe::refunded_charge(&session, "ch_test_early", total);
    let refund = FakeStripe::event("charge.refunded", &refund);
    assert_eq!(
        deliver_signed(api, &refund).await["result"],
        "refund debited"
    );
    assert_eq!(balance(api, token).await, dollars("-30"));
    let completed = FakeStripe::event("checkout.session.completed", &session);
    assert_eq!(deliver_signed(api, &completed).await["result"], "credited");
    assert_eq!(balance(api, token).await, Nanos::ZERO);
    // Every delivery again, in either order.
    assert_eq!(
        deliver_signed(api, &refund).await["result"],
        "refund already debited"
    );
    assert_eq!(
        deliver_signed(api, &completed).await["result"],
        "already credited"
    );
    assert_eq!(balance(api, token).await, Nanos::ZERO);
    let credits = api.get("/api/v1/credits", Some(token)).await;
    let data = &credits.expect(200)["data"];
    assert_eq!(usd(&data["total_credits"]), Nanos::ZERO);
    assert_reconciled(api).await;
    shop.server.stop().await;
}

#[tokio::test]
async fn bought_credit_is_spendable_at_once() {
    let fake = FakeStripe::start();
    let (server, _emulator) = TestServer::with_emulator(sell_through(&fake)).await;
    let api = server.api();
    let owner = api.signup_unfunded(&email("spender")).await;
    let shop = Shop {
        fake,
        server,
        api: api.clone(),
        owner: owner.clone(),
    };
    let (key, _) = api.create_key(&owner, None, json!({ "name": "app" })).await;
    let ask = json!({
        "model": "openai/gpt-4o-mini",
        "max_tokens": 50,
        "messages": [{ "role": "user", "content": "Hello" }],
    });
    let reply = api
        .post("/api/v1/chat/completions", Some(&key), ask.clone())
        .await;
    reply.expect_error(402);

    let session = paid_checkout(&shop, 10.0).await;
    let body = FakeStripe::event("checkout.session.completed", &session);
    assert_eq!(deliver_signed(&api, &body).await["result"], "credited");
    let reply = api.post("/api/v1/chat/completions", Some(&key), ask).await;
    reply.expect(200);
    shop.server.stop().await;
}
