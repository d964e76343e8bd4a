//! Auto top-up against the fake Stripe: a card saved by a purchase, one off-session charge
//! when the balance falls below the threshold — never two, with two server processes on one
//! database checking every second — credited once (the webhook's report of the same payment
//! changes nothing), and a declining card recorded and turned off after three declines.

use std::time::Duration;

use serde_json::{Value, json};
use server::billing::money::Nanos;
use tests::shop::*;
use tests::stripe_fake::FakeStripe;
use tests::{ADMIN_EMAIL, Api, TestServer, email};

async fn adjust(api: &Api, org: &str, usd_amount: i64) {
    let admin = api.login(ADMIN_EMAIL).await;
    api.post(
        &format!("/api/v1/admin/organizations/{org}/credits"),
        Some(&admin.token),
        json!({ "amount": usd_amount, "kind": "adjustment", "reason": "usage stand-in" }),
    )
    .await
    .expect(201);
}

async fn settings(api: &Api, token: &str) -> Value {
    let reply = api.get("/api/v1/credits/auto-topup", Some(token)).await;
    reply.expect(200)["data"].clone()
}

#[tokio::test]
async fn auto_top_up_charges_once_across_processes_and_stops_after_declines() {
    let fake = FakeStripe::start();
    fn configure(
        fake: &FakeStripe,
        database_url: Option<String>,
    ) -> impl FnOnce(&mut server::config::Config) + use<> {
        let sell = sell_through(fake);
        move |config: &mut server::config::Config| {
            sell(config);
            config.auto_topup_check_secs = 1;
            config.auto_topup_retry_secs = 0;
            if let Some(url) = database_url {
                config.database_url = Some(url);
            }
        }
    }
    let server = TestServer::start_with(configure(&fake, None)).await;
    let second = TestServer::start_with(configure(&fake, Some(server.database_url.clone()))).await;
    let api = server.api();
    let owner = api.signup_unfunded(&email("topup")).await;
    let shop = Shop {
        fake,
        server,
        api: api.clone(),
        owner: owner.clone(),
    };
    let token = &owner.token;
    let put = |body: Value| {
        let api = api.clone();
        let token = token.clone();
        async move {
            api.put("/api/v1/credits/auto-topup", Some(&token), body)
                .await
        }
    };

    // No card yet: the request is fine, the organization's state is not (409).
    let reply = put(json!({ "enabled": true, "threshold": 10, "amount": 25 })).await;
    assert!(reply.expect_error(409).contains("save_card"));
    assert_eq!(settings(&api, token).await["card_saved"], false);

    // A purchase that saves the card.
    let reply = api
        .post(
            "/api/v1/credits/checkout",
            Some(token),
            json!({ "amount": 20, "save_card": true }),
        )
        .await;
    let id = reply.expect(201)["data"]["id"].as_str().unwrap().to_owned();
    let session = shop.fake.pay(&id).await;
    let body = FakeStripe::event("checkout.session.completed", &session);
    assert_eq!(deliver_signed(&api, &body).await["result"], "credited");
    assert_eq!(settings(&api, token).await["card_saved"], true);
    let method = shop.fake.payment_method_of(&session);

    // Bad settings are refused; good ones stored.
    for bad in [
        json!({ "enabled": true, "threshold": 10, "amount": 1 }),
        json!({ "enabled": true, "threshold": -1, "amount": 25 }),
        json!({ "enabled": true, "threshold": 10 }),
    ] {
        put(bad.clone()).await.expect_error(400);
    }
    let data = put(json!({ "enabled": true, "threshold": 10, "amount": 25 })).await;
    let data = data.expect(200)["data"].clone();
    assert_eq!(data["enabled"], true);
    assert_eq!(usd(&data["threshold"]), dollars("10"));

    // Above the threshold: nothing is charged.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(shop.fake.off_session_intents().is_empty());

    // Below it: exactly one charge of $25 + fee, credited once, with two processes checking.
    adjust(&api, &owner.personal_org, -15).await;
    eventually(|| async { balance(&api, token).await == dollars("30") }).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let intents = shop.fake.off_session_intents();
    assert_eq!(intents.len(), 1, "{intents:?}");
    assert_eq!(intents[0]["amount"], json!(2500 + 138));
    assert_eq!(intents[0]["metadata"]["org_id"], json!(owner.personal_org));
    assert_eq!(balance(&api, token).await, dollars("30"));
    let entries = ledger(&api, token, None).await;
    let pi = intents[0]["id"].as_str().unwrap();
    let topup: Vec<(&str, Nanos)> = entries
        .iter()
        .filter(|e| e["reference"] == json!(pi))
        .map(|e| (e["kind"].as_str().unwrap(), usd(&e["amount"])))
        .collect();
    assert_eq!(
        topup,
        vec![
            ("purchase_fee", dollars("-1.38")),
            ("auto_topup", dollars("26.38"))
        ]
    );
    // Stripe's own report of the payment credits nothing more.
    let succeeded = FakeStripe::event("payment_intent.succeeded", &intents[0]);
    assert_eq!(
        deliver_signed(&api, &succeeded).await["result"],
        "already credited"
    );
    assert_eq!(balance(&api, token).await, dollars("30"));

    // The card starts declining: each attempt is recorded, and after three auto top-up
    // turns itself off. Nothing is credited.
    shop.fake.decline(&method, true).await;
    adjust(&api, &owner.personal_org, -25).await;
    eventually(|| async { settings(&api, token).await["enabled"] == false }).await;
    let data = settings(&api, token).await;
    assert_eq!(data["failures"], 3, "{data}");
    assert_eq!(data["last_error"], "Your card was declined.");
    assert_eq!(balance(&api, token).await, dollars("5"));
    assert_eq!(shop.fake.off_session_intents().len(), 1);

    // Turned on again (a new card would be saved the same way), it charges again.
    shop.fake.decline(&method, false).await;
    put(json!({ "enabled": true, "threshold": 10, "amount": 25 }))
        .await
        .expect(200);
    eventually(|| async { balance(&api, token).await == dollars("30") }).await;
    assert_eq!(settings(&api, token).await["failures"], 0);
    assert_reconciled(&api).await;
    second.stop().await;
    shop.server.stop().await;
}
