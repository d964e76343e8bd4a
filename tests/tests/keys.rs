//! API keys and management keys with OpenRouter's shapes, over HTTP.

use reqwest::Method;
use serde_json::{Value, json};
use tests::{TestServer, email};

/// Every field OpenRouter's SDKs require on a key object.
const KEY_FIELDS: &[&str] = &[
    "hash",
    "name",
    "label",
    "disabled",
    "limit",
    "limit_remaining",
    "limit_reset",
    "include_byok_in_limit",
    "usage",
    "usage_daily",
    "usage_weekly",
    "usage_monthly",
    "byok_usage",
    "byok_usage_daily",
    "byok_usage_weekly",
    "byok_usage_monthly",
    "created_at",
    "updated_at",
    "creator_user_id",
    "external_user",
    "workspace_id",
    "last_used_at",
];

fn assert_key_shape(key: &Value) {
    for field in KEY_FIELDS {
        assert!(key.get(*field).is_some(), "key object lacks {field}: {key}");
    }
    for field in [
        "usage",
        "usage_daily",
        "usage_weekly",
        "usage_monthly",
        "byok_usage",
    ] {
        assert!(key[field].is_number(), "{field} must be a number: {key}");
    }
    assert!(key["workspace_id"].is_string());
}

#[tokio::test]
async fn create_list_get_patch_disable_delete() {
    let server = TestServer::start().await;
    let api = server.api();
    let user = api.signup(&email("keys")).await;
    let token = Some(user.token.as_str());

    let created = api
        .post("/api/v1/keys", token, json!({ "name": "Production", "limit": 50, "limit_reset": "monthly", "include_byok_in_limit": true, "expires_at": "2099-12-31T23:59:59Z" }))
        .await;
    let created = created.expect(201).clone();
    let plaintext = created["key"].as_str().unwrap().to_owned();
    assert!(
        plaintext.starts_with("sk-or-v1-") && plaintext.len() == 9 + 64,
        "{plaintext}"
    );
    assert!(plaintext[9..].bytes().all(|b| b.is_ascii_hexdigit()));
    let data = &created["data"];
    assert_key_shape(data);
    let hash = data["hash"].as_str().unwrap().to_owned();
    assert_eq!(hash.len(), 64);
    assert_eq!(data["name"], json!("Production"));
    assert_eq!(data["limit"], json!(50));
    assert_eq!(data["limit_remaining"], json!(50));
    assert_eq!(data["limit_reset"], json!("monthly"));
    assert_eq!(data["include_byok_in_limit"], json!(true));
    assert_eq!(data["usage"], json!(0));
    assert_eq!(data["disabled"], json!(false));
    assert_eq!(data["creator_user_id"], json!(user.id));
    assert_eq!(data["workspace_id"], json!(user.personal_org));
    let label = data["label"].as_str().unwrap();
    assert!(
        label.starts_with(&plaintext[..12]) && label.ends_with(&plaintext[plaintext.len() - 3..]),
        "{label}"
    );
    assert!(
        !created["data"].to_string().contains(&plaintext[9..]),
        "plaintext must only be in `key`"
    );

    // The plaintext is never shown again.
    let listed = api.get("/api/v1/keys", token).await;
    let listed = listed.expect(200).clone();
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(&plaintext[9..]));
    assert_key_shape(&listed["data"][0]);
    let one = api.get(&format!("/api/v1/keys/{hash}"), token).await;
    assert!(!one.text.contains(&plaintext[9..]));
    assert_eq!(one.expect(200)["data"]["hash"], json!(hash));

    // The key works on /key, and the legacy alias answers the same.
    let current = api.get("/api/v1/key", Some(&plaintext)).await;
    let current = current.expect(200).clone();
    let legacy = api.get("/api/v1/auth/key", Some(&plaintext)).await;
    assert_eq!(
        legacy.expect(200)["data"]["label"],
        current["data"]["label"]
    );
    let d = &current["data"];
    for field in [
        "label",
        "limit",
        "limit_remaining",
        "limit_reset",
        "usage",
        "usage_daily",
        "usage_weekly",
        "usage_monthly",
        "byok_usage",
        "byok_usage_daily",
        "byok_usage_weekly",
        "byok_usage_monthly",
        "is_free_tier",
        "is_management_key",
        "is_provisioning_key",
        "include_byok_in_limit",
        "creator_user_id",
        "rate_limit",
        "allowed_data_regions",
        "budgets",
        "effective_budget",
        "free_model_daily_requests",
        "organization_id",
        "workspace_id",
    ] {
        assert!(d.get(field).is_some(), "/key lacks {field}: {d}");
    }
    assert_eq!(d["is_management_key"], json!(false));
    assert_eq!(d["limit"], json!(50));
    assert!(
        d["rate_limit"]["requests"].is_number()
            && d["rate_limit"]["interval"].is_string()
            && d["rate_limit"]["note"].is_string()
    );
    assert_eq!(d["effective_budget"]["scope"], json!("key_limit"));
    assert_eq!(d["effective_budget"]["limit_usd"], json!(50));
    assert!(
        d["effective_budget"]["resets_at"]
            .as_str()
            .unwrap()
            .contains("-01T00:00:00")
    );

    // Patch: rename, change and clear the limit; absent fields stay.
    let patched = api
        .patch(
            &format!("/api/v1/keys/{hash}"),
            token,
            json!({ "name": "Renamed", "limit": 0.125 }),
        )
        .await;
    let patched = patched.expect(200).clone();
    assert_eq!(patched["data"]["name"], json!("Renamed"));
    assert_eq!(patched["data"]["limit"], json!(0.125));
    assert_eq!(patched["data"]["limit_reset"], json!("monthly"));
    assert!(patched["data"]["updated_at"].is_string());
    let cleared = api
        .patch(
            &format!("/api/v1/keys/{hash}"),
            token,
            json!({ "limit": null, "limit_reset": null }),
        )
        .await;
    let cleared = cleared.expect(200).clone();
    assert_eq!(cleared["data"]["limit"], Value::Null);
    assert_eq!(cleared["data"]["limit_remaining"], Value::Null);
    assert_eq!(cleared["data"]["limit_reset"], Value::Null);
    assert_eq!(cleared["data"]["name"], json!("Renamed"));

    // Disabling takes effect at once; disabled keys are hidden unless asked for.
    api.patch(
        &format!("/api/v1/keys/{hash}"),
        token,
        json!({ "disabled": true }),
    )
    .await
    .expect(200);
    let message = api
        .get("/api/v1/key", Some(&plaintext))
        .await
        .expect_error(401);
    assert!(message.contains("disabled"), "{message}");
    assert!(
        api.get("/api/v1/keys", token).await.expect(200)["data"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let all = api.get("/api/v1/keys?include_disabled=true", token).await;
    assert_eq!(all.expect(200)["data"].as_array().unwrap().len(), 1);
    api.patch(
        &format!("/api/v1/keys/{hash}"),
        token,
        json!({ "disabled": false }),
    )
    .await
    .expect(200);
    api.get("/api/v1/key", Some(&plaintext)).await.expect(200);

    // Delete: gone from the API and refused at once.
    let deleted = api.delete(&format!("/api/v1/keys/{hash}"), token).await;
    assert_eq!(deleted.expect(200), &json!({ "deleted": true }));
    api.get(&format!("/api/v1/keys/{hash}"), token)
        .await
        .expect_error(404);
    api.delete(&format!("/api/v1/keys/{hash}"), token)
        .await
        .expect_error(404);
    api.get("/api/v1/key", Some(&plaintext))
        .await
        .expect_error(401);
}

#[tokio::test]
async fn unknown_malformed_and_expired_keys_get_401() {
    let server = TestServer::start().await;
    let api = server.api();
    let user = api.signup(&email("exp")).await;
    let unknown = format!("sk-or-v1-{}", "ab".repeat(32));
    for key in [unknown.as_str(), "sk-or-v1-short", "sk-whatever"] {
        api.get("/api/v1/key", Some(key)).await.expect_error(401);
    }
    api.get("/api/v1/key", None).await.expect_error(401);
    api.get("/api/v1/key", Some(&user.token))
        .await
        .expect_error(401);

    // An expiry in the past is refused at creation; a key that expires stops working.
    api.post(
        "/api/v1/keys",
        Some(&user.token),
        json!({ "name": "old", "expires_at": "2001-01-01T00:00:00Z" }),
    )
    .await
    .expect_error(400);
    let soon = (chrono_like_now_plus_secs(2)).to_string();
    let (plaintext, _) = api
        .create_key(
            &user,
            None,
            json!({ "name": "short-lived", "expires_at": soon }),
        )
        .await;
    api.get("/api/v1/key", Some(&plaintext)).await.expect(200);
    tokio::time::sleep(std::time::Duration::from_millis(2600)).await;
    let message = api
        .get("/api/v1/key", Some(&plaintext))
        .await
        .expect_error(401);
    assert!(message.contains("expired"), "{message}");
}

/// An RFC 3339 UTC timestamp `secs` seconds from now, without pulling chrono into the tests.
fn chrono_like_now_plus_secs(secs: u64) -> String {
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + secs;
    let days = at / 86_400;
    let rem = at % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[tokio::test]
async fn management_and_inference_keys_are_separate() {
    let server = TestServer::start().await;
    let api = server.api();
    let owner = api.signup(&email("mgmt")).await;
    let token = Some(owner.token.as_str());

    let created = api
        .post(
            "/api/v1/management-keys",
            token,
            json!({ "name": "CI provisioning" }),
        )
        .await;
    let created = created.expect(201).clone();
    let management = created["key"].as_str().unwrap().to_owned();
    let management_hash = created["data"]["hash"].as_str().unwrap().to_owned();
    let (inference, inference_hash) = api.create_key(&owner, None, json!({ "name": "app" })).await;

    // The management key manages inference keys of its organization.
    let made = api
        .post(
            "/api/v1/keys",
            Some(&management),
            json!({ "name": "made by CI", "limit": 5 }),
        )
        .await;
    let made = made.expect(201).clone();
    assert_eq!(made["data"]["creator_user_id"], Value::Null);
    let listed = api.get("/api/v1/keys", Some(&management)).await;
    assert_eq!(listed.expect(200)["data"].as_array().unwrap().len(), 2);
    api.patch(
        &format!("/api/v1/keys/{inference_hash}"),
        Some(&management),
        json!({ "name": "renamed by CI" }),
    )
    .await
    .expect(200);
    let current = api.get("/api/v1/key", Some(&management)).await;
    let current = current.expect(200).clone();
    assert_eq!(current["data"]["is_management_key"], json!(true));
    assert_eq!(current["data"]["is_provisioning_key"], json!(true));
    // Management keys are not listed among inference keys, and cannot be reached as one.
    api.get(&format!("/api/v1/keys/{management_hash}"), token)
        .await
        .expect_error(404);

    // Inference keys never call management endpoints.
    for (method, path) in [
        (Method::GET, "/api/v1/keys".to_owned()),
        (Method::POST, "/api/v1/keys".to_owned()),
        (Method::GET, format!("/api/v1/keys/{inference_hash}")),
        (Method::PATCH, format!("/api/v1/keys/{inference_hash}")),
        (Method::DELETE, format!("/api/v1/keys/{inference_hash}")),
        (Method::GET, "/api/v1/management-keys".to_owned()),
        (Method::GET, "/api/v1/me".to_owned()),
        (Method::GET, "/api/v1/organizations".to_owned()),
        (Method::GET, "/api/v1/admin/organizations".to_owned()),
    ] {
        let body =
            (method != Method::GET && method != Method::DELETE).then(|| json!({ "name": "x" }));
        let reply = api
            .call(method.clone(), &path, Some(&inference), body)
            .await;
        reply.expect_error(403);
    }
    // Management keys cannot mint management keys or act as users or admins.
    for (method, path) in [
        (Method::GET, "/api/v1/management-keys"),
        (Method::POST, "/api/v1/management-keys"),
        (Method::GET, "/api/v1/me"),
        (Method::POST, "/api/v1/organizations"),
        (Method::GET, "/api/v1/admin/users"),
    ] {
        let body = (method == Method::POST).then(|| json!({ "name": "x" }));
        api.call(method, path, Some(&management), body)
            .await
            .expect_error(403);
    }
    // A management key cannot be pointed at another organization.
    let other = api.signup(&email("other")).await;
    let reply = api
        .send(
            api.request(Method::GET, "/api/v1/keys", Some(&management))
                .header("X-Organization-Id", &other.personal_org),
        )
        .await;
    reply.expect_error(403);

    // Disabling the management key stops it at once.
    api.patch(
        &format!("/api/v1/management-keys/{management_hash}"),
        token,
        json!({ "disabled": true }),
    )
    .await
    .expect(200);
    api.get("/api/v1/keys", Some(&management))
        .await
        .expect_error(401);
    let removed = api
        .delete(&format!("/api/v1/management-keys/{management_hash}"), token)
        .await;
    assert_eq!(removed.expect(200)["deleted"], json!(true));
    let _ = inference;
}

#[tokio::test]
async fn members_change_only_their_own_keys() {
    let server = TestServer::start().await;
    let api = server.api();
    let owner = api.signup(&email("own")).await;
    let (org_id, member) = api.team(&owner, "Team").await;
    let (_, owners_key) = api
        .create_key(&owner, Some(&org_id), json!({ "name": "owner's" }))
        .await;
    let (_, members_key) = api
        .create_key(&member, Some(&org_id), json!({ "name": "member's" }))
        .await;
    let in_org = |method: Method, path: String, user: &tests::User, body: Option<Value>| {
        let mut request = api
            .request(method, &path, Some(&user.token))
            .header("X-Organization-Id", &org_id);
        if let Some(body) = body {
            request = request.json(&body);
        }
        api.send(request)
    };
    let listed = in_org(Method::GET, "/api/v1/keys".into(), &member, None).await;
    assert_eq!(listed.expect(200)["data"].as_array().unwrap().len(), 2);
    in_org(
        Method::PATCH,
        format!("/api/v1/keys/{owners_key}"),
        &member,
        Some(json!({ "name": "mine now" })),
    )
    .await
    .expect_error(403);
    in_org(
        Method::DELETE,
        format!("/api/v1/keys/{owners_key}"),
        &member,
        None,
    )
    .await
    .expect_error(403);
    in_org(
        Method::PATCH,
        format!("/api/v1/keys/{members_key}"),
        &member,
        Some(json!({ "name": "still mine" })),
    )
    .await
    .expect(200);
    in_org(
        Method::DELETE,
        format!("/api/v1/keys/{members_key}"),
        &owner,
        None,
    )
    .await
    .expect(200);
    // Members cannot create management keys.
    in_org(
        Method::POST,
        "/api/v1/management-keys".into(),
        &member,
        Some(json!({ "name": "m" })),
    )
    .await
    .expect_error(403);
    // creator_user_id must name a member.
    in_org(
        Method::POST,
        "/api/v1/keys".into(),
        &owner,
        Some(json!({ "name": "k", "creator_user_id": "usr_nobody" })),
    )
    .await
    .expect_error(400);
    let for_member = in_org(
        Method::POST,
        "/api/v1/keys".into(),
        &owner,
        Some(json!({ "name": "k", "creator_user_id": member.id })),
    )
    .await;
    assert_eq!(
        for_member.expect(201)["data"]["creator_user_id"],
        json!(member.id)
    );
}

#[tokio::test]
async fn key_input_is_validated() {
    let server = TestServer::start().await;
    let api = server.api();
    let user = api.signup(&email("val")).await;
    let token = Some(user.token.as_str());
    for (body, field) in [
        (json!({}), "name"),
        (json!({ "name": "" }), "name"),
        (json!({ "name": "x".repeat(201) }), "name"),
        (json!({ "name": "k", "limit": -1 }), "limit"),
        (json!({ "name": "k", "limit": "ten" }), "limit"),
        (
            json!({ "name": "k", "limit_reset": "hourly" }),
            "limit_reset",
        ),
        (
            json!({ "name": "k", "expires_at": "tomorrow" }),
            "expires_at",
        ),
        (
            json!({ "name": "k", "expires_at": "2099-01-01T00:00:00+02:00" }),
            "expires_at",
        ),
        (
            json!({ "name": "k", "include_byok_in_limit": "yes" }),
            "include_byok_in_limit",
        ),
        (json!({ "name": "k", "colour": "red" }), "colour"),
    ] {
        let message = api
            .post("/api/v1/keys", token, body.clone())
            .await
            .expect_error(400);
        assert!(
            message.contains(field),
            "{body}: message should name {field}: {message}"
        );
    }
    let (_, hash) = api
        .create_key(&user, None, json!({ "name": "ok", "limit": 1e-9 }))
        .await;
    let got = api.get(&format!("/api/v1/keys/{hash}"), token).await;
    assert_eq!(got.expect(200)["data"]["limit"], json!(1e-9));
    api.patch(
        &format!("/api/v1/keys/{hash}"),
        token,
        json!({ "disabled": "no" }),
    )
    .await
    .expect_error(400);
    api.patch(
        &format!("/api/v1/keys/{hash}"),
        token,
        json!({ "name": "" }),
    )
    .await
    .expect_error(400);
    api.get("/api/v1/keys?include_disabled=maybe", token)
        .await
        .expect_error(400);
    api.get("/api/v1/keys?offset=-1", token)
        .await
        .expect_error(400);
}

/// Two replicas on one database: a key disabled through one stops working on the other
/// within about a second (its cache refreshes in the background), with no restart.
#[tokio::test]
async fn key_changes_reach_another_replica_within_a_second() {
    let first = TestServer::start().await;
    let database_url = first.database_url.clone();
    let second = TestServer::start_with(|c| c.database_url = Some(database_url)).await;
    let (a, b) = (first.api(), second.api());
    let user = a.signup(&email("replica")).await;
    let (key, hash) = a.create_key(&user, None, json!({ "name": "shared" })).await;
    b.get("/api/v1/key", Some(&key)).await.expect(200); // now cached on the second replica

    a.patch(
        &format!("/api/v1/keys/{hash}"),
        Some(&user.token),
        json!({ "disabled": true }),
    )
    .await
    .expect(200);
    a.get("/api/v1/key", Some(&key)).await.expect_error(401); // at once where it was changed
    let changed = std::time::Instant::now();
    let mut refused = false;
    while changed.elapsed() < std::time::Duration::from_secs(5) {
        if b.get("/api/v1/key", Some(&key)).await.status.as_u16() == 401 {
            refused = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(refused, "the second replica kept accepting a disabled key");
    assert!(
        changed.elapsed() < std::time::Duration::from_millis(2500),
        "took {:?}",
        changed.elapsed()
    );
}
