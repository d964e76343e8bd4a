//! A platform admin's reads of one organization (`/admin/organizations/{org_id}` and its
//! `/ledger`): what the admin organization page shows. Only platform admins read them.

use reqwest::Method;
use serde_json::json;
use tests::{ADMIN_EMAIL, TestServer, email};

#[tokio::test]
async fn an_admin_reads_an_organizations_members_keys_budgets_and_ledger() {
    let server = TestServer::start().await;
    let api = server.api();
    let admin = api.login(ADMIN_EMAIL).await;
    let owner = api.signup(&email("detail-owner")).await;
    let (org, member) = api.team(&owner, "DetailTeam").await;
    let (_, hash) = api
        .create_key(&owner, Some(&org), json!({ "name": "ci", "limit": 5 }))
        .await;
    let (_, disabled) = api
        .create_key(&owner, Some(&org), json!({ "name": "old" }))
        .await;
    let update = api
        .request(
            Method::PATCH,
            &format!("/api/v1/keys/{disabled}"),
            Some(&owner.token),
        )
        .header("X-Organization-Id", &org)
        .json(&json!({ "disabled": true }));
    api.send(update).await.expect(200);
    api.put(
        &format!("/api/v1/organizations/{org}/budgets"),
        Some(&owner.token),
        json!({ "monthly": 25 }),
    )
    .await
    .expect(200);
    for (amount, reason) in [(7.5, "welcome credit"), (2.25, "support gesture")] {
        api.post(
            &format!("/api/v1/admin/organizations/{org}/credits"),
            Some(&admin.token),
            json!({ "amount": amount, "reason": reason }),
        )
        .await
        .expect(201);
    }

    let path = format!("/api/v1/admin/organizations/{org}");
    let detail = api.get(&path, Some(&admin.token)).await.expect(200).clone();
    assert_eq!(detail["organization"]["id"], json!(org));
    assert_eq!(detail["organization"]["name"], json!("DetailTeam"));
    assert_eq!(detail["organization"]["balance"], json!(9.75));
    assert_eq!(detail["organization"]["member_count"], json!(2));
    let members = detail["members"].as_array().unwrap();
    let roles: Vec<_> = members
        .iter()
        .map(|m| (m["email"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        [
            (owner.email.as_str(), "owner"),
            (member.email.as_str(), "member")
        ]
    );
    let keys = detail["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    let ci = keys.iter().find(|k| k["hash"] == json!(hash)).unwrap();
    assert_eq!(ci["name"], json!("ci"));
    assert_eq!(ci["limit"], json!(5));
    assert!(ci.get("key").is_none(), "never the key itself");
    let old = keys.iter().find(|k| k["hash"] == json!(disabled)).unwrap();
    assert_eq!(old["disabled"], json!(true));
    assert_eq!(detail["budgets"]["monthly"], json!(25));
    assert_eq!(detail["budgets"]["daily"], json!(null));

    // The ledger, newest first, a page at a time.
    let ledger = format!("/api/v1/admin/organizations/{org}/ledger");
    let first = api
        .get(&format!("{ledger}?per_page=1"), Some(&admin.token))
        .await
        .expect(200)
        .clone();
    assert_eq!(first["data"].as_array().unwrap().len(), 1);
    assert_eq!(first["data"][0]["reason"], json!("support gesture"));
    assert_eq!(first["data"][0]["amount"], json!(2.25));
    let before = first["next_before"].as_i64().expect("a next page");
    let second = api
        .get(
            &format!("{ledger}?per_page=1&before={before}"),
            Some(&admin.token),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(second["data"][0]["reason"], json!("welcome credit"));
    assert_eq!(second["data"][0]["kind"], json!("grant"));

    // Unknown organizations are 404; bad queries 400.
    api.get("/api/v1/admin/organizations/org_nope", Some(&admin.token))
        .await
        .expect_error(404);
    api.get(
        "/api/v1/admin/organizations/org_nope/ledger",
        Some(&admin.token),
    )
    .await
    .expect_error(404);
    api.get(&format!("{ledger}?per_page=0"), Some(&admin.token))
        .await
        .expect_error(400);
}

#[tokio::test]
async fn only_platform_admins_read_an_organization() {
    let server = TestServer::start().await;
    let api = server.api();
    let owner = api.signup(&email("nosy-owner")).await;
    let org = &owner.personal_org;
    // Not even its own owner: these are the platform admins' views (403 before the query is
    // read, so a bad query does not tell a non-admin anything either).
    for path in [
        format!("/api/v1/admin/organizations/{org}"),
        format!("/api/v1/admin/organizations/{org}/ledger"),
        format!("/api/v1/admin/organizations/{org}/ledger?per_page=0"),
        "/api/v1/admin/organizations/org_nope".to_owned(),
    ] {
        api.get(&path, Some(&owner.token)).await.expect_error(403);
        api.get(&path, None).await.expect_error(401);
    }
}
