//! The organization's purchases (`GET /credits/purchases`) against the fake Stripe: paid,
//! pending and refunded Checkout Sessions and an auto top-up, with their exact amounts, cursor
//! paging, and who may see them.

use serde_json::{Value, json};
use server::billing::money::Nanos;
use tests::shop::*;
use tests::stripe_fake::FakeStripe;
use tests::{ADMIN_EMAIL, Api, TestServer, email};

/// Every purchase the caller sees, page by page (`per_page` each); asserts that every page
/// but the last is full and names the next.
async fn all_purchases(api: &Api, token: &str, per_page: u64) -> Vec<Value> {
    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/credits/purchases?per_page={per_page}");
        if let Some(cursor) = &before {
            path += &format!("&before={cursor}");
        }
        let reply = api.get(&path, Some(token)).await;
        let page = reply.expect(200).clone();
        let data = page["data"].as_array().unwrap();
        seen.extend(data.iter().cloned());
        match page["next_before"].as_str() {
            Some(next) => {
                assert_eq!(data.len() as u64, per_page, "{page}");
                before = Some(next.to_owned());
            }
            None => return seen,
        }
    }
}

fn ids(purchases: &[Value]) -> Vec<&str> {
    purchases
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect()
}

/// (amount, fee, total, refunded) of a listed purchase.
fn figures(purchase: &Value) -> (Nanos, Nanos, Nanos, Nanos) {
    (
        usd(&purchase["amount"]),
        usd(&purchase["fee"]),
        usd(&purchase["total"]),
        usd(&purchase["refunded"]),
    )
}

#[tokio::test]
async fn paid_pending_and_refunded_purchases_are_listed_to_their_organization_only() {
    let shop = shop().await;
    let (api, token) = (&shop.api, &shop.owner.token);
    let empty = api.get("/api/v1/credits/purchases", Some(token)).await;
    assert_eq!(
        empty.expect(200).clone(),
        json!({ "data": [], "next_before": null })
    );

    // $20 paid (fee 5.5 %: $1.10), $10 left unpaid (fee at its $0.80 minimum).
    let paid = paid_checkout(&shop, 20.0).await;
    let body = FakeStripe::event("checkout.session.completed", &paid);
    assert_eq!(deliver_signed(api, &body).await["result"], "credited");
    let pending = checkout(&shop, 10.0).await;

    let listed = all_purchases(api, token, 50).await;
    assert_eq!(
        ids(&listed),
        [pending.as_str(), paid["id"].as_str().unwrap()]
    );
    let (newest, oldest) = (&listed[0], &listed[1]);
    assert_eq!(newest["source"], "checkout");
    assert_eq!(newest["status"], "pending");
    assert_eq!(newest["credited_at"], Value::Null);
    assert_eq!(
        figures(newest),
        (
            dollars("10"),
            dollars("0.80"),
            dollars("10.80"),
            Nanos::ZERO
        )
    );
    assert_eq!(oldest["source"], "checkout");
    assert_eq!(oldest["status"], "paid");
    assert!(oldest["credited_at"].is_string(), "{oldest}");
    assert_eq!(
        figures(oldest),
        (
            dollars("20"),
            dollars("1.10"),
            dollars("21.10"),
            Nanos::ZERO
        )
    );

    // Half of the payment refunded: the listing shows the money returned.
    let half = FakeStripe::refunded_charge(&paid, "ch_listed", 1055);
    let half = FakeStripe::event("charge.refunded", &half);
    assert_eq!(deliver_signed(api, &half).await["result"], "refund debited");
    let listed = all_purchases(api, token, 50).await;
    assert_eq!(listed[1]["status"], "paid");
    assert_eq!(
        figures(&listed[1]),
        (
            dollars("20"),
            dollars("1.10"),
            dollars("21.10"),
            dollars("10.55")
        )
    );

    // A management key of the organization sees the same; an inference key may not look.
    let management = api
        .post(
            "/api/v1/management-keys",
            Some(token),
            json!({ "name": "billing" }),
        )
        .await;
    let management = management.expect(201)["key"].as_str().unwrap().to_owned();
    assert_eq!(all_purchases(api, &management, 1).await, listed);
    let (inference, _) = api
        .create_key(&shop.owner, None, json!({ "name": "inference" }))
        .await;
    let reply = api.get("/api/v1/credits/purchases", Some(&inference)).await;
    reply.expect_error(403);
    api.get("/api/v1/credits/purchases", None)
        .await
        .expect_error(401);

    // Another organization sees none of them, and cannot ask for this one's.
    let stranger = api.signup_unfunded(&email("stranger")).await;
    assert!(all_purchases(api, &stranger.token, 50).await.is_empty());
    let request = api
        .request(
            reqwest::Method::GET,
            "/api/v1/credits/purchases",
            Some(&stranger.token),
        )
        .header("X-Organization-Id", &shop.owner.personal_org);
    // Not a member: the organization is not found, as if it did not exist.
    let reply = api.send(request).await;
    reply.expect_error(404);
    assert!(!reply.text.contains(&pending), "{}", reply.text);
    // Nor can its management key, whatever organization it names.
    let theirs = api
        .post(
            "/api/v1/management-keys",
            Some(&stranger.token),
            json!({ "name": "theirs" }),
        )
        .await;
    let theirs = theirs.expect(201)["key"].as_str().unwrap().to_owned();
    assert!(all_purchases(api, &theirs, 50).await.is_empty());
    let request = api
        .request(
            reqwest::Method::GET,
            "/api/v1/credits/purchases",
            Some(&theirs),
        )
        .header("X-Organization-Id", &shop.owner.personal_org);
    api.send(request).await.expect_error(403);
    shop.server.stop().await;
}

#[tokio::test]
async fn purchases_page_by_cursor_newest_first() {
    let shop = shop().await;
    let (api, token) = (&shop.api, &shop.owner.token);
    let mut started = Vec::new();
    for amount in [5.0, 6.0, 7.0, 8.0, 9.0] {
        started.push(checkout(&shop, amount).await);
    }
    started.reverse();

    // Pages of two, of one, and one page of everything list the same purchases in the
    // same order, each once.
    for per_page in [2, 1, 100] {
        let listed = all_purchases(api, token, per_page).await;
        assert_eq!(ids(&listed), started, "per_page={per_page}");
    }
    let amounts: Vec<Nanos> = all_purchases(api, token, 3)
        .await
        .iter()
        .map(|p| usd(&p["amount"]))
        .collect();
    let expected: Vec<Nanos> = ["9", "8", "7", "6", "5"].map(dollars).into();
    assert_eq!(amounts, expected);

    // The last page has no cursor; a cursor past the oldest gives an empty page.
    let first = api
        .get("/api/v1/credits/purchases?per_page=4", Some(token))
        .await;
    let cursor = first.expect(200)["next_before"]
        .as_str()
        .unwrap()
        .to_owned();
    let rest = api
        .get(
            &format!("/api/v1/credits/purchases?per_page=4&before={cursor}"),
            Some(token),
        )
        .await;
    let rest = rest.expect(200).clone();
    assert_eq!(ids(rest["data"].as_array().unwrap()), [started[4].as_str()]);
    assert_eq!(rest["next_before"], Value::Null);
    let oldest = rest["data"][0].clone();
    let created = chrono::DateTime::parse_from_rfc3339(oldest["created_at"].as_str().unwrap())
        .unwrap()
        .timestamp_nanos_opt()
        .unwrap();
    let past_oldest = format!("{created}.{}", oldest["id"].as_str().unwrap());
    let none = api
        .get(
            &format!("/api/v1/credits/purchases?before={past_oldest}"),
            Some(token),
        )
        .await;
    assert_eq!(none.expect(200)["data"], json!([]));

    // Bad paging is refused, naming the field.
    for (query, field) in [
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=-1", "per_page"),
        ("before=7", "before"),
        ("before=x.cs_1", "before"),
        ("before=", "before"),
    ] {
        let reply = api
            .get(&format!("/api/v1/credits/purchases?{query}"), Some(token))
            .await;
        let message = reply.expect_error(400);
        assert!(message.contains(field), "{query}: {message}");
    }
    let reply = api
        .get("/api/v1/credits/purchases?page=2", Some(token))
        .await;
    reply.expect_error(400);
    shop.server.stop().await;
}

#[tokio::test]
async fn an_auto_top_up_is_listed_with_its_fee() {
    let fake = FakeStripe::start();
    let sell = sell_through(&fake);
    let server = TestServer::start_with(|config| {
        sell(config);
        config.auto_topup_check_secs = 1;
    })
    .await;
    let api = server.api();
    let owner = api.signup_unfunded(&email("topup-listed")).await;
    let token = &owner.token;
    let shop = Shop {
        fake,
        server,
        api: api.clone(),
        owner: owner.clone(),
    };

    // A purchase that saves the card, then auto top-up of $25 below $10.
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
    api.put(
        "/api/v1/credits/auto-topup",
        Some(token),
        json!({ "enabled": true, "threshold": 10, "amount": 25 }),
    )
    .await
    .expect(200);
    let admin = api.login(ADMIN_EMAIL).await;
    api.post(
        &format!("/api/v1/admin/organizations/{}/credits", owner.personal_org),
        Some(&admin.token),
        json!({ "amount": -15, "kind": "adjustment", "reason": "usage stand-in" }),
    )
    .await
    .expect(201);
    eventually(|| async { balance(&api, token).await == dollars("30") }).await;

    let intents = shop.fake.off_session_intents();
    assert_eq!(intents.len(), 1, "{intents:?}");
    let listed = all_purchases(&api, token, 1).await;
    assert_eq!(ids(&listed), [intents[0]["id"].as_str().unwrap(), &id]);
    let topup = &listed[0];
    assert_eq!(topup["source"], "auto_topup");
    assert_eq!(topup["status"], "paid");
    assert_eq!(topup["credited_at"], topup["created_at"]);
    assert_eq!(
        figures(topup),
        (
            dollars("25"),
            dollars("1.38"),
            dollars("26.38"),
            Nanos::ZERO
        )
    );
    assert_eq!(listed[1]["source"], "checkout");
    assert_eq!(
        figures(&listed[1]),
        (
            dollars("20"),
            dollars("1.10"),
            dollars("21.10"),
            Nanos::ZERO
        )
    );

    // Half of the top-up's charge refunded: half of its credit taken back, once, and listed
    // (auto top-up off first, or the refunds would set off another).
    api.put(
        "/api/v1/credits/auto-topup",
        Some(token),
        json!({ "enabled": false, "threshold": 10, "amount": 25 }),
    )
    .await
    .expect(200);
    let paid = json!({ "amount_total": intents[0]["amount"], "payment_intent": intents[0]["id"] });
    let half = FakeStripe::refunded_charge(&paid, "ch_topup_1", 1319);
    let half = FakeStripe::event("charge.refunded", &half);
    assert_eq!(
        deliver_signed(&api, &half).await["result"],
        "refund debited"
    );
    assert_eq!(
        deliver_signed(&api, &half).await["result"],
        "refund already debited"
    );
    assert_eq!(balance(&api, token).await, dollars("17.50"));
    let listed = all_purchases(&api, token, 100).await;
    assert_eq!(usd(&listed[0]["refunded"]), dollars("13.19"));
    // The rest: exactly the whole credit is gone, whatever the rounding of the steps.
    let full = FakeStripe::refunded_charge(&paid, "ch_topup_1", 2638);
    let full = FakeStripe::event("charge.refunded", &full);
    assert_eq!(
        deliver_signed(&api, &full).await["result"],
        "refund debited"
    );
    assert_eq!(balance(&api, token).await, dollars("5"));
    assert_reconciled(&api).await;
    shop.server.stop().await;
}

/// Purchases created in the same instant (the cursor's tie-break on the id), across both
/// sources: written straight into the database, as no API call can pin a creation time.
#[tokio::test]
async fn purchases_of_the_same_instant_page_without_skips_or_repeats() {
    use sea_orm::{ConnectionTrait, Database, Statement};

    let shop = shop().await;
    let (api, token) = (&shop.api, &shop.owner.token);
    let org = shop.owner.personal_org.clone();
    let db = Database::connect(&shop.server.database_url).await.unwrap();
    let run = |sql: &str, values: Vec<sea_orm::Value>| {
        let statement = Statement::from_sql_and_values(db.get_database_backend(), sql, values);
        let db = &db;
        async move { db.execute_raw(statement).await.unwrap() }
    };
    let at = chrono::Utc::now();
    let earlier = at - chrono::Duration::seconds(1);
    let checkout_sql = "INSERT INTO stripe_checkouts (session_id, org_id, credit_cents, fee_cents, \
        status, refunded_cents, save_card, created_at) VALUES ($1, $2, 500, 80, 'open', 0, FALSE, $3)";
    for (id, created) in [
        ("cs_tie_a", at),
        ("cs_tie_c", at),
        ("cs_tie_e", at),
        ("cs_tie_z", earlier),
    ] {
        run(
            checkout_sql,
            vec![id.into(), org.clone().into(), created.into()],
        )
        .await;
    }
    // Two auto top-ups' payments (the listing only; this test never reconciles).
    let topup_sql = "INSERT INTO stripe_topup_charges (payment_intent, org_id, credit_cents, \
        fee_cents, refunded_cents, created_at) VALUES ($1, $2, 2500, 138, 0, $3)";
    for id in ["pi_tie_b", "pi_tie_d"] {
        run(topup_sql, vec![id.into(), org.clone().into(), at.into()]).await;
    }

    let expected = [
        "pi_tie_d", "pi_tie_b", "cs_tie_e", "cs_tie_c", "cs_tie_a", "cs_tie_z",
    ];
    for per_page in [1, 2, 4, 100] {
        let listed = all_purchases(api, token, per_page).await;
        assert_eq!(ids(&listed), expected, "per_page={per_page}");
        let topup = listed.iter().find(|p| p["id"] == "pi_tie_b").unwrap();
        assert_eq!(
            figures(topup),
            (
                dollars("25"),
                dollars("1.38"),
                dollars("26.38"),
                Nanos::ZERO
            )
        );
    }
    db.close().await.ok();
    shop.server.stop().await;
}
