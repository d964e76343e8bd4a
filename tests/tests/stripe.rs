//! Buying credit with Stripe, end to end against the fake Stripe (`tests::stripe_fake`):
//! checkout, the webhook (signed by our code and by Stripe's official Python library),
//! exactly-once crediting through duplicates, replays, out-of-order deliveries and the return
//! page, refunds, and refusals of bad signatures and bodies. The reconcile check passes after
//! each.

use std::path::PathBuf;
use std::sync::OnceLock;

use reqwest::Method;
use serde_json::{Value, json};
use server::billing::money::Nanos;
use server::billing::stripe::signature;
use tests::stripe_fake::{FakeStripe, SECRET_KEY, WEBHOOK_SECRET};
use tests::{ADMIN_EMAIL, Api, TestServer, User, email, usd};

const PUBLIC_URL: &str = "https://switchboard.test";

struct Shop {
    fake: FakeStripe,
    server: TestServer,
    api: Api,
    owner: User,
}

fn sell_through(fake: &FakeStripe) -> impl FnOnce(&mut server::config::Config) {
    let base = fake.base.clone();
    move |config| {
        config.stripe_secret_key = Some(SECRET_KEY.into());
        config.stripe_webhook_secret = Some(WEBHOOK_SECRET.into());
        config.stripe_api_base = Some(base);
        config.public_url = Some(PUBLIC_URL.into());
    }
}

async fn shop() -> Shop {
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

fn dollars(text: &str) -> Nanos {
    let negative = text.starts_with('-');
    let magnitude = Nanos::from_usd_str(text.trim_start_matches('-')).unwrap();
    if negative {
        Nanos::ZERO.saturating_sub(magnitude)
    } else {
        magnitude
    }
}

/// The organization's balance as `/credits` reports it.
async fn balance(api: &Api, token: &str) -> Nanos {
    let reply = api.get("/api/v1/credits", Some(token)).await;
    let data = &reply.expect(200)["data"];
    usd(&data["total_credits"]).saturating_sub(usd(&data["total_usage"]))
}

async fn ledger(api: &Api, token: &str) -> Vec<Value> {
    let reply = api
        .get("/api/v1/credits/ledger?per_page=100", Some(token))
        .await;
    reply.expect(200)["data"].as_array().unwrap().clone()
}

async fn assert_reconciled(api: &Api) {
    let admin = api.login(ADMIN_EMAIL).await;
    let reply = api
        .get("/api/v1/admin/credits/reconcile", Some(&admin.token))
        .await;
    let body = reply.expect(200);
    assert_eq!(body["mismatches"], json!([]), "{body}");
}

/// Starts a checkout of `amount` USD; returns the session id.
async fn checkout(shop: &Shop, amount: f64) -> String {
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
async fn paid_checkout(shop: &Shop, amount: f64) -> Value {
    let id = checkout(shop, amount).await;
    shop.fake.pay(&id).await
}

/// Delivers `body` to the webhook with `signature` as `Stripe-Signature`.
async fn deliver(api: &Api, body: &str, signature: Option<&str>) -> reqwest::StatusCode {
    deliver_reply(api, body, signature).await.status
}

async fn deliver_reply(api: &Api, body: &str, signature: Option<&str>) -> tests::Reply {
    let mut request = api
        .request(Method::POST, "/api/v1/stripe/webhook", None)
        .header("content-type", "application/json; charset=utf-8")
        .body(body.to_owned());
    if let Some(signature) = signature {
        request = request.header("Stripe-Signature", signature);
    }
    api.send(request).await
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Signed by our code, as Stripe signs.
fn signed(body: &str) -> String {
    signature::sign(body.as_bytes(), WEBHOOK_SECRET, now())
}

async fn deliver_signed(api: &Api, body: &str) -> Value {
    let reply = deliver_reply(api, body, Some(&signed(body))).await;
    reply.expect(200).clone()
}

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
    let entries = ledger(api, token).await;
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
async fn bad_deliveries_are_refused_and_change_nothing() {
    let shop = shop().await;
    let (api, token) = (&shop.api, &shop.owner.token);
    let session = paid_checkout(&shop, 20.0).await;
    let body = FakeStripe::event("checkout.session.completed", &session);

    let wrong_secret = signature::sign(body.as_bytes(), "whsec_wrong", now());
    let reply = deliver_reply(api, &body, Some(&wrong_secret)).await;
    assert!(
        reply
            .expect_error(400)
            .contains("No signatures found matching")
    );
    let stale = signature::sign(body.as_bytes(), WEBHOOK_SECRET, now() - 301);
    let reply = deliver_reply(api, &body, Some(&stale)).await;
    assert!(
        reply
            .expect_error(400)
            .contains("Timestamp outside the tolerance zone")
    );
    assert_eq!(deliver(api, &body, None).await, 400);
    assert_eq!(deliver(api, &body, Some("nonsense")).await, 400);
    let t = now();
    assert_eq!(
        deliver(api, &body, Some(&format!("t={t},v0=abc"))).await,
        400
    );
    // A signed body altered on the way.
    let tampered = body.replace("\"paid\"", "\"paid\" ");
    assert_eq!(deliver(api, &tampered, Some(&signed(&body))).await, 400);
    // Correctly signed, but not an event.
    for malformed in [
        "not json",
        "{}",
        r#"{"type":"charge.refunded","data":{"object":{}}}"#,
    ] {
        let reply = deliver_reply(api, malformed, Some(&signed(malformed))).await;
        assert!(reply.expect_error(400).contains("Malformed"), "{malformed}");
    }
    assert_eq!(balance(api, token).await, Nanos::ZERO);

    // Unknown events and unpaid sessions are acknowledged and ignored.
    let unknown = FakeStripe::event("customer.created", &json!({ "id": "cus_1" }));
    assert_eq!(deliver_signed(api, &unknown).await["result"], "ignored");
    let mut unpaid = session.clone();
    unpaid["payment_status"] = json!("unpaid");
    let unpaid = FakeStripe::event("checkout.session.completed", &unpaid);
    assert_eq!(deliver_signed(api, &unpaid).await["result"], "not paid yet");
    // A session that is not ours, or whose amount or organization was changed, credits
    // nothing.
    let mut foreign = session.clone();
    foreign["id"] = json!("cs_test_not_ours");
    let foreign = FakeStripe::event("checkout.session.completed", &foreign);
    assert_eq!(deliver_signed(api, &foreign).await["result"], "ignored");
    let mut inflated = session.clone();
    inflated["amount_total"] = json!(1);
    let inflated = FakeStripe::event("checkout.session.completed", &inflated);
    assert_eq!(deliver_signed(api, &inflated).await["result"], "ignored");
    let mut moved = session.clone();
    moved["metadata"]["org_id"] = json!("org_someone_else");
    let moved = FakeStripe::event("checkout.session.completed", &moved);
    assert_eq!(deliver_signed(api, &moved).await["result"], "ignored");
    assert_eq!(balance(api, token).await, Nanos::ZERO);

    // The genuine delivery still credits.
    assert_eq!(deliver_signed(api, &body).await["result"], "credited");
    assert_eq!(balance(api, token).await, dollars("20"));
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
    let refunds: Vec<Nanos> = ledger(api, token)
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

/// The official `stripe` Python library, in a virtual environment under ~/.cache.
fn stripe_python() -> &'static PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let home = std::env::var("HOME").expect("HOME");
        let venv = PathBuf::from(home).join(".cache/switchboard-clients/stripe-venv");
        let python = venv.join("bin/python");
        let run = |cmd: &mut std::process::Command| {
            let status = cmd.status().expect("run");
            assert!(status.success(), "{cmd:?} failed");
        };
        if !python.exists() {
            run(std::process::Command::new("python3")
                .arg("-m")
                .arg("venv")
                .arg(&venv));
        }
        let requirements = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/clients/stripe/requirements.txt"
        );
        run(std::process::Command::new(venv.join("bin/pip")).args([
            "install",
            "-q",
            "--disable-pip-version-check",
            "-r",
            requirements,
        ]));
        python
    })
}

fn python_stripe(args: &[&str], payload: &str) -> Result<String, String> {
    let python = stripe_python();
    let file =
        std::env::temp_dir().join(format!("stripe-event-{:08x}.json", rand::random::<u32>()));
    std::fs::write(&file, payload).unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/clients/stripe/webhook_signature.py"
    );
    let mut all = vec![script, args[0], args[1], file.to_str().unwrap()];
    all.extend_from_slice(&args[2..]);
    let out = std::process::Command::new(python)
        .args(&all)
        .output()
        .unwrap();
    std::fs::remove_file(&file).ok();
    if out.status.success() {
        Ok(String::from_utf8(out.stdout).unwrap().trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[tokio::test]
async fn deliveries_signed_by_stripes_python_library_are_accepted() {
    let shop = shop().await;
    let (api, token) = (&shop.api, &shop.owner.token);
    let session = paid_checkout(&shop, 25.0).await;
    let body = FakeStripe::event("checkout.session.completed", &session);

    // The library's own header for our body, with the wrong secret and stale: refused.
    let (b, t) = (body.clone(), now().to_string());
    let wrong = tokio::task::spawn_blocking(move || python_stripe(&["sign", "whsec_nope"], &b))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(deliver(api, &body, Some(&wrong)).await, 400);
    let b = body.clone();
    let old = (now() - 400).to_string();
    let stale =
        tokio::task::spawn_blocking(move || python_stripe(&["sign", WEBHOOK_SECRET, &old], &b))
            .await
            .unwrap()
            .unwrap();
    assert_eq!(deliver(api, &body, Some(&stale)).await, 400);
    assert_eq!(balance(api, token).await, Nanos::ZERO);

    // With the right secret: credited once.
    let b = body.clone();
    let header =
        tokio::task::spawn_blocking(move || python_stripe(&["sign", WEBHOOK_SECRET, &t], &b))
            .await
            .unwrap()
            .unwrap();
    assert!(header.starts_with("t="), "{header}");
    let reply = deliver_reply(api, &body, Some(&header)).await;
    assert_eq!(reply.expect(200)["result"], "credited");
    let reply = deliver_reply(api, &body, Some(&header)).await;
    assert_eq!(reply.expect(200)["result"], "already credited");
    assert_eq!(balance(api, token).await, dollars("25"));

    // And the library accepts the headers our code makes (the same scheme both ways).
    let (b, ours) = (body.clone(), signed(&body));
    let verified =
        tokio::task::spawn_blocking(move || python_stripe(&["verify", WEBHOOK_SECRET, &ours], &b))
            .await
            .unwrap();
    assert_eq!(verified.as_deref(), Ok("checkout.session.completed"));
    let (b, ours) = (body.clone(), signed(&body));
    let refused =
        tokio::task::spawn_blocking(move || python_stripe(&["verify", "whsec_nope", &ours], &b))
            .await
            .unwrap();
    assert!(
        refused
            .unwrap_err()
            .contains("No signatures found matching")
    );
    assert_reconciled(api).await;
    shop.server.stop().await;
}
