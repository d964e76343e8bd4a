//! Helpers of the purchasing tests (tests/tests/stripe*.rs): a server selling through the fake
//! Stripe, a buyer, checkouts, and webhook deliveries signed as Stripe signs them.

use reqwest::Method;
use serde_json::{Value, json};
use server::billing::money::Nanos;
use server::billing::stripe::signature;

pub use crate::money::{assert_reconciled, ledger, usd};
use crate::stripe_fake::{FakeStripe, SECRET_KEY, WEBHOOK_SECRET};
use crate::{Api, Reply, TestServer, User, email};

pub const PUBLIC_URL: &str = "https://switchboard.test";

pub struct Shop {
    pub fake: FakeStripe,
    pub server: TestServer,
    pub api: Api,
    pub owner: User,
}

pub fn sell_through(fake: &FakeStripe) -> impl FnOnce(&mut server::config::Config) + use<> {
    let base = fake.base.clone();
    move |config| {
        config.stripe_secret_key = Some(SECRET_KEY.into());
        config.stripe_webhook_secret = Some(WEBHOOK_SECRET.into());
        config.stripe_api_base = Some(base);
        config.public_url = Some(PUBLIC_URL.into());
    }
}

pub async fn shop() -> Shop {
    let fake = FakeStripe::start();
    let server = TestServer::start_with(sell_through(&fake)).await;
    let api = server.api();
    let owner = api.signup_unfunded(&email("buyer")).await;
    Shop {
        fake,
        server,
        api,
        owner,
    }
}

pub fn dollars(text: &str) -> Nanos {
    let negative = text.starts_with('-');
    let magnitude = Nanos::from_usd_str(text.trim_start_matches('-')).unwrap();
    if negative {
        Nanos::ZERO.saturating_sub(magnitude)
    } else {
        magnitude
    }
}

/// The organization's balance as `/credits` reports it.
pub async fn balance(api: &Api, token: &str) -> Nanos {
    let reply = api.get("/api/v1/credits", Some(token)).await;
    let data = &reply.expect(200)["data"];
    usd(&data["total_credits"]).saturating_sub(usd(&data["total_usage"]))
}

/// Starts a checkout of `amount` USD; returns the session id.
pub async fn checkout(shop: &Shop, amount: f64) -> String {
    let reply = shop
        .api
        .post(
            "/api/v1/credits/checkout",
            Some(&shop.owner.token),
            json!({ "amount": amount }),
        )
        .await;
    reply.expect(201)["data"]["id"].as_str().unwrap().to_owned()
}

/// Starts a checkout of `amount` USD and pays it at the fake Stripe; returns the session.
pub async fn paid_checkout(shop: &Shop, amount: f64) -> Value {
    let id = checkout(shop, amount).await;
    shop.fake.pay(&id).await
}

/// Delivers `body` to the webhook with `signature` as `Stripe-Signature`.
pub async fn deliver(api: &Api, body: &str, signature: Option<&str>) -> reqwest::StatusCode {
    deliver_reply(api, body, signature).await.status
}

pub async fn deliver_reply(api: &Api, body: &str, signature: Option<&str>) -> Reply {
    let mut request = api
        .request(Method::POST, "/api/v1/stripe/webhook", None)
        .header("content-type", "application/json; charset=utf-8")
        .body(body.to_owned());
    if let Some(signature) = signature {
        request = request.header("Stripe-Signature", signature);
    }
    api.send(request).await
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Signed by our code, as Stripe signs.
pub fn signed(body: &str) -> String {
    signature::sign(body.as_bytes(), WEBHOOK_SECRET, now())
}

pub async fn deliver_signed(api: &Api, body: &str) -> Value {
    let reply = deliver_reply(api, body, Some(&signed(body))).await;
    reply.expect(200).clone()
}

/// Polls `check` every 100 ms for up to 15 s (what another process or a periodic task does).
pub async fn eventually<F: std::future::Future<Output = bool>>(mut check: impl FnMut() -> F) {
    for _ in 0..150 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("condition not reached within 15 s");
}
