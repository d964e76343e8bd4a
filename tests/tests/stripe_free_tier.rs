//! Buying credit through Stripe ends the free tier: `is_free_tier` on `/key` turns false with
//! the first paid purchase (an admin's grant is not one), and the daily `:free` cap rises once
//! lifetime purchases reach the unlock amount — at once on the process that credited the
//! payment, and within seconds on another process sharing the database.

use std::time::Duration;

use serde_json::{Value, json};
use tests::shop::*;
use tests::stripe_fake::FakeStripe;
use tests::{ADMIN_EMAIL, Api, Reply, TestServer, email};

const FREE: &str = "meta-llama/llama-3.3-70b-instruct:free";

/// A `:free` cap of 2 a day, 4 once $10 of credit was bought (the default unlock amount).
fn caps(config: &mut server::config::Config) {
    config.free_model_requests_per_window = 100;
    config.free_model_requests_per_day = 2;
    config.free_model_requests_per_day_purchased = 4;
    config.free_model_unlock_purchase_cents = 1_000;
}

async fn free_chat(api: &Api, key: &str) -> Reply {
    api.post(
        "/api/v1/chat/completions",
        Some(key),
        json!({ "model": FREE, "messages": [{ "role": "user", "content": "Hi" }] }),
    )
    .await
}

async fn current_key(api: &Api, key: &str) -> Value {
    api.get("/api/v1/key", Some(key)).await.expect(200)["data"].clone()
}

/// A refusal by the daily `:free` cap of `limit` requests.
#[track_caller]
fn assert_capped(reply: &Reply, limit: u32) {
    reply.expect_error(429);
    assert_eq!(
        reply.body["error"]["metadata"]["limit"], "free-models-per-day",
        "{}",
        reply.text
    );
    let header = reply.headers.get("x-ratelimit-limit").unwrap();
    assert_eq!(header.to_str().unwrap(), limit.to_string());
}

/// Buys `amount` USD through Checkout, paid and delivered by the webhook.
async fn buy(shop: &Shop, amount: f64) {
    let session = paid_checkout(shop, amount).await;
    let body = FakeStripe::event("checkout.session.completed", &session);
    assert_eq!(deliver_signed(&shop.api, &body).await["result"], "credited");
}

#[tokio::test]
async fn a_stripe_purchase_ends_the_free_tier_and_lifetime_purchases_raise_the_free_cap() {
    let fake = FakeStripe::start();
    let sell = sell_through(&fake);
    let (server, emulator) = TestServer::with_emulator(|config| {
        sell(config);
        caps(config);
    })
    .await;
    // Started before any purchase: it learns of them only through the database.
    let other_process = server.replica(&emulator, caps).await;
    let api = server.api();
    let owner = api.signup_unfunded(&email("free-tier")).await;
    let (key, _) = api.create_key(&owner, None, json!({ "name": "k" })).await;
    let shop = Shop {
        fake,
        server,
        api: api.clone(),
        owner: owner.clone(),
    };

    let data = current_key(&api, &key).await;
    assert_eq!(data["is_free_tier"], true, "{data}");
    assert_eq!(
        data["free_model_daily_requests"],
        json!({ "limit": 2, "remaining": 2, "used": 0 })
    );
    free_chat(&api, &key).await.expect(200);
    free_chat(&api, &key).await.expect(200);
    let refused = free_chat(&api, &key).await;
    assert_capped(&refused, 2);
    let message = refused.expect_error(429);
    assert!(
        message.contains("4 free model requests per day"),
        "{message}"
    );

    // An admin's grant is credit, not a purchase: still the free tier, still capped.
    let admin = api.login(ADMIN_EMAIL).await;
    api.post(
        &format!("/api/v1/admin/organizations/{}/credits", owner.personal_org),
        Some(&admin.token),
        json!({ "amount": 20, "reason": "not a purchase" }),
    )
    .await
    .expect(201);
    assert_eq!(current_key(&api, &key).await["is_free_tier"], true);
    assert_capped(&free_chat(&api, &key).await, 2);

    // A $9.50 purchase ends the free tier at once. Its fee is not credit bought: $9.50 of
    // lifetime purchases (though $10.30 was paid) leave the cap at 2.
    buy(&shop, 9.5).await;
    let data = current_key(&api, &key).await;
    assert_eq!(data["is_free_tier"], false, "{data}");
    assert_eq!(
        data["free_model_daily_requests"],
        json!({ "limit": 2, "remaining": 0, "used": 2 })
    );
    assert_capped(&free_chat(&api, &key).await, 2);

    // Another $5 passes $10 of purchases: 4 a day, so 2 more today.
    buy(&shop, 5.0).await;
    let data = current_key(&api, &key).await;
    assert_eq!(
        data["free_model_daily_requests"],
        json!({ "limit": 4, "remaining": 2, "used": 2 }),
        "{data}"
    );
    free_chat(&api, &key).await.expect(200);
    free_chat(&api, &key).await.expect(200);
    assert_capped(&free_chat(&api, &key).await, 4);

    // The other process learns of the purchases from the database within seconds.
    let other = other_process.api();
    let mut data = Value::Null;
    for _ in 0..150 {
        data = current_key(&other, &key).await;
        if data["free_model_daily_requests"]["limit"] == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(data["is_free_tier"], false, "{data}");
    assert_eq!(data["free_model_daily_requests"]["limit"], 4, "{data}");
    assert_reconciled(&api).await;
    other_process.stop().await;
    shop.server.stop().await;
}
