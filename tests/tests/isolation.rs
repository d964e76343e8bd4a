//! Tenant isolation: with two organizations, every endpoint that takes an id is tried with
//! the other organization's ids; all are refused (404 or 403) and nothing leaks or changes.

use reqwest::Method;
use serde_json::{Value, json};
use tests::{Api, TestServer, User, email};

struct Tenant {
    owner: User,
    member: User,
    org_id: String,
    org_name: String,
    key_hash: String,
    key: String,
    key_name: String,
    management_key: String,
    management_hash: String,
    invite_id: String,
}

async fn tenant(api: &Api, name: &str) -> Tenant {
    let owner = api.signup(&email(name)).await;
    let org_name = format!("{name}-secret-org-{:06x}", rand::random::<u32>() & 0xffffff);
    let org_id = api
        .post(
            "/api/v1/organizations",
            Some(&owner.token),
            json!({ "name": org_name }),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member_email = email(&format!("{name}-member"));
    api.post(
        &format!("/api/v1/organizations/{org_id}/invites"),
        Some(&owner.token),
        json!({ "email": member_email }),
    )
    .await
    .expect(201);
    let member = api.signup(&member_email).await;
    let invite_id = api
        .post(
            &format!("/api/v1/organizations/{org_id}/invites"),
            Some(&owner.token),
            json!({ "email": email("pending") }),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let key_name = format!("{name}-secret-key");
    let (key, key_hash) = api
        .create_key(
            &owner,
            Some(&org_id),
            json!({ "name": key_name, "limit": 7 }),
        )
        .await;
    let management = api
        .send(
            api.request(Method::POST, "/api/v1/management-keys", Some(&owner.token))
                .header("X-Organization-Id", &org_id)
                .json(&json!({ "name": format!("{name}-mgmt") })),
        )
        .await;
    let management = management.expect(201).clone();
    Tenant {
        owner,
        member,
        org_id,
        org_name,
        key_hash,
        key,
        key_name,
        management_key: management["key"].as_str().unwrap().to_owned(),
        management_hash: management["data"]["hash"].as_str().unwrap().to_owned(),
        invite_id,
    }
}

/// Sends one request and checks it was refused without leaking the victim's data.
async fn assert_refused(
    api: &Api,
    token: &str,
    org_header: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
    victim: &Tenant,
) {
    let mut request = api.request(method.clone(), path, Some(token));
    if let Some(org) = org_header {
        request = request.header("X-Organization-Id", org);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let reply = api.send(request).await;
    let status = reply.status.as_u16();
    assert!(
        status == 404 || status == 403,
        "{method} {path} (org header {org_header:?}) must be refused, got {status}: {}",
        reply.text
    );
    reply.expect_error(status);
    for secret in [
        &victim.org_name,
        &victim.key_name,
        &victim.member.email,
        &victim.owner.email,
    ] {
        assert!(
            !reply.text.contains(secret.as_str()),
            "{method} {path} leaked {secret}: {}",
            reply.text
        );
    }
}

#[tokio::test]
async fn tenant_a_cannot_read_or_change_tenant_b() {
    let server = TestServer::start().await;
    let api = server.api();
    let a = tenant(&api, "alpha").await;
    let b = tenant(&api, "bravo").await;

    let patch = Some(json!({ "name": "pwned", "disabled": true }));
    let b_org = &b.org_id;
    // Organization-path endpoints with B's organization.
    let cross_org: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/organizations/{b_org}"), None),
        (
            Method::PATCH,
            format!("/api/v1/organizations/{b_org}"),
            Some(json!({ "name": "pwned" })),
        ),
        (
            Method::GET,
            format!("/api/v1/organizations/{b_org}/members"),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/organizations/{b_org}/members/{}", b.member.id),
            Some(json!({ "role": "owner" })),
        ),
        (
            Method::DELETE,
            format!("/api/v1/organizations/{b_org}/members/{}", b.member.id),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/organizations/{b_org}/members/{}", a.owner.id),
            Some(json!({ "role": "owner" })),
        ),
        (
            Method::GET,
            format!("/api/v1/organizations/{b_org}/invites"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/organizations/{b_org}/invites"),
            Some(json!({ "email": a.owner.email, "role": "owner" })),
        ),
        (
            Method::DELETE,
            format!("/api/v1/organizations/{b_org}/invites/{}", b.invite_id),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/organizations/{}", b.owner.personal_org),
            None,
        ),
        // B's ids under A's own organization.
        (
            Method::PATCH,
            format!("/api/v1/organizations/{}/members/{}", a.org_id, b.member.id),
            Some(json!({ "role": "admin" })),
        ),
        (
            Method::DELETE,
            format!("/api/v1/organizations/{}/members/{}", a.org_id, b.member.id),
            None,
        ),
        (
            Method::DELETE,
            format!("/api/v1/organizations/{}/invites/{}", a.org_id, b.invite_id),
            None,
        ),
    ];
    for (method, path, body) in &cross_org {
        for user in [&a.owner, &a.member] {
            assert_refused(
                &api,
                &user.token,
                None,
                method.clone(),
                path,
                body.clone(),
                &b,
            )
            .await;
        }
    }

    // Key endpoints with B's key hashes: from A's personal org, A's team org, and naming B's org.
    let key_calls: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/keys/{}", b.key_hash), None),
        (
            Method::PATCH,
            format!("/api/v1/keys/{}", b.key_hash),
            patch.clone(),
        ),
        (Method::DELETE, format!("/api/v1/keys/{}", b.key_hash), None),
        (
            Method::PATCH,
            format!("/api/v1/management-keys/{}", b.management_hash),
            patch.clone(),
        ),
        (
            Method::DELETE,
            format!("/api/v1/management-keys/{}", b.management_hash),
            None,
        ),
    ];
    for (method, path, body) in &key_calls {
        for org in [None, Some(a.org_id.as_str()), Some(b.org_id.as_str())] {
            assert_refused(
                &api,
                &a.owner.token,
                org,
                method.clone(),
                path,
                body.clone(),
                &b,
            )
            .await;
        }
        assert_refused(
            &api,
            &a.management_key,
            None,
            method.clone(),
            path,
            body.clone(),
            &b,
        )
        .await;
    }
    // Listing B's keys by naming B's organization.
    for (method, path) in [
        (Method::GET, "/api/v1/keys"),
        (Method::POST, "/api/v1/keys"),
        (Method::GET, "/api/v1/management-keys"),
    ] {
        let body = (method == Method::POST).then(|| json!({ "name": "planted" }));
        assert_refused(
            &api,
            &a.owner.token,
            Some(&b.org_id),
            method.clone(),
            path,
            body.clone(),
            &b,
        )
        .await;
        assert_refused(
            &api,
            &a.management_key,
            Some(&b.org_id),
            method.clone(),
            path,
            body,
            &b,
        )
        .await;
    }
    // Admin routes are closed to tenants.
    for path in [
        "/api/v1/admin/organizations".to_owned(),
        "/api/v1/admin/users".to_owned(),
        "/api/v1/admin/audit".to_owned(),
    ] {
        assert_refused(&api, &a.owner.token, None, Method::GET, &path, None, &b).await;
    }
    for path in [
        format!("/api/v1/admin/organizations/{b_org}/suspend"),
        format!("/api/v1/admin/organizations/{b_org}/reactivate"),
    ] {
        assert_refused(
            &api,
            &a.owner.token,
            None,
            Method::POST,
            &path,
            Some(json!({})),
            &b,
        )
        .await;
    }

    // A's own lists never include B's data.
    let a_keys = api.get("/api/v1/keys", Some(&a.management_key)).await;
    assert!(!a_keys.text.contains(&b.key_hash));
    let a_me = api.get("/api/v1/me", Some(&a.owner.token)).await;
    assert!(!a_me.text.contains(&b.org_id));

    // Nothing of B's changed.
    let b_key = api.get("/api/v1/key", Some(&b.key)).await;
    let b_key = b_key.expect(200).clone();
    assert_eq!(b_key["data"]["name"], json!(b.key_name));
    api.get("/api/v1/keys", Some(&b.management_key))
        .await
        .expect(200);
    let b_org_now = api
        .get(
            &format!("/api/v1/organizations/{b_org}"),
            Some(&b.owner.token),
        )
        .await;
    assert_eq!(b_org_now.expect(200)["name"], json!(b.org_name));
    let members = api
        .get(
            &format!("/api/v1/organizations/{b_org}/members"),
            Some(&b.owner.token),
        )
        .await;
    let members = members.expect(200)["data"].as_array().unwrap().clone();
    assert_eq!(members.len(), 2);
    assert!(members.iter().all(|m| m["user_id"] != json!(a.owner.id)));
    assert!(
        members
            .iter()
            .any(|m| m["user_id"] == json!(b.member.id) && m["role"] == json!("member"))
    );
    let invites = api
        .get(
            &format!("/api/v1/organizations/{b_org}/invites"),
            Some(&b.owner.token),
        )
        .await;
    assert_eq!(invites.expect(200)["data"].as_array().unwrap().len(), 1);
    let listed = api
        .send(
            api.request(Method::GET, "/api/v1/keys", Some(&b.owner.token))
                .header("X-Organization-Id", b_org),
        )
        .await;
    assert_eq!(listed.expect(200)["data"].as_array().unwrap().len(), 1);
    let _ = a.key;
}
