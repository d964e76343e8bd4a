//! Budgets and the platform admins' view of organizations' money.

use serde_json::{Value, json};
use server::billing::money::Nanos;
use tests::money::*;
use tests::{ADMIN_EMAIL, TestServer, email};

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
