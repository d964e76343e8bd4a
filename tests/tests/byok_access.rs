//! BYOK end to end, on the management side: validation and filters, tenant isolation,
//! roles, and the master key (a wrong one cannot decrypt; rotation re-encrypts every key and
//! every alert webhook's signing secret).
//! Helpers and the emulator setup: `tests::byok`.

use std::time::Duration;

use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use server::config::Config;
use tests::byok::*;
use tests::{TestServer, email};

#[tokio::test]
async fn filters_and_validation() {
    let Setup { server, any, .. } = setup(|_| {}).await;
    let api = server.api();
    let (user, key, hash) = user_with_key(&api, "byok-filters").await;
    let (other_key, other_hash) = api
        .create_key(&user, None, json!({ "name": "other" }))
        .await;
    let (_, _, foreign_hash) = user_with_key(&api, "byok-foreign").await;

    for bad in [
        json!({ "provider": "openai", "key": ORG_KEY, "allowed_models": [] }),
        json!({ "provider": "openai", "key": ORG_KEY, "allowed_api_key_hashes": [] }),
        json!({ "provider": "openai", "key": ORG_KEY, "allowed_api_key_hashes": [foreign_hash] }),
        json!({ "provider": "openai", "key": ORG_KEY, "allowed_api_key_hashes": ["nothex"] }),
        json!({ "provider": "no-such-provider", "key": ORG_KEY }),
        json!({ "provider": "openai", "key": "short" }),
        json!({ "provider": "openai" }),
        json!({ "provider": "openai", "key": ORG_KEY, "is_fallback": true, "always_use": true }),
        json!({ "provider": "openai", "key": ORG_KEY, "allowed_user_ids": ["usr_1"] }),
        json!({ "provider": "openai", "key": ORG_KEY, "workspace_id": "org_other" }),
    ] {
        api.post("/api/v1/byok", Some(&user.token), bad.clone())
            .await
            .expect_error(400);
    }
    assert_eq!(
        api.get("/api/v1/byok", Some(&user.token)).await.expect(200)["total_count"],
        0,
        "nothing was stored"
    );

    let created = add_byok(
        &api,
        &user.token,
        json!({ "provider": "openai", "key": ORG_KEY,
            "allowed_models": ["openai/gpt-4o"], "allowed_api_key_hashes": [hash] }),
    )
    .await;
    let id = created["id"].as_str().unwrap();
    // Another model, or another API key: the platform serves.
    chat(&api, &key, ask("openai/gpt-4o-mini"))
        .await
        .expect(200);
    chat(&api, &other_key, ask("openai/gpt-4o"))
        .await
        .expect(200);
    assert_eq!(keys_sent(&any), [PLATFORM_KEY, PLATFORM_KEY]);
    any.clear_requests();
    chat(&api, &key, ask("openai/gpt-4o")).await.expect(200);
    assert_eq!(keys_sent(&any), [ORG_KEY]);

    // `[]` is refused, `null` clears.
    let path = format!("/api/v1/byok/{id}");
    api.patch(&path, Some(&user.token), json!({ "allowed_models": [] }))
        .await
        .expect_error(400);
    let cleared = api
        .patch(
            &path,
            Some(&user.token),
            json!({ "allowed_models": null, "allowed_api_key_hashes": [other_hash] }),
        )
        .await;
    let cleared = cleared.expect(200)["data"].clone();
    assert_eq!(cleared["allowed_models"], Value::Null);
    assert_eq!(cleared["allowed_api_key_hashes"], json!([other_hash]));
    any.clear_requests();
    chat(&api, &other_key, ask("openai/gpt-4o-mini"))
        .await
        .expect(200);
    assert_eq!(keys_sent(&any), [ORG_KEY]);

    // Disabled: not used; a new key replaces the old one (new label).
    api.patch(&path, Some(&user.token), json!({ "disabled": true }))
        .await
        .expect(200);
    any.clear_requests();
    chat(&api, &other_key, ask("openai/gpt-4o-mini"))
        .await
        .expect(200);
    assert_eq!(keys_sent(&any), [PLATFORM_KEY]);
    let rotated = api
        .patch(
            &path,
            Some(&user.token),
            json!({ "disabled": false, "key": "sk-proj-replacement-key-7777" }),
        )
        .await;
    assert_eq!(rotated.expect(200)["data"]["label"], "...7777");
    any.clear_requests();
    chat(&api, &other_key, ask("openai/gpt-4o-mini"))
        .await
        .expect(200);
    assert_eq!(keys_sent(&any), ["sk-proj-replacement-key-7777"]);
}

#[tokio::test]
async fn tenants_cannot_reach_each_others_keys() {
    let Setup { server, any, .. } = setup(|_| {}).await;
    let api = server.api();
    let (a, _, _) = user_with_key(&api, "byok-a").await;
    let (b, b_key, _) = user_with_key(&api, "byok-b").await;
    let a_key = add_byok(
        &api,
        &a.token,
        json!({ "provider": "openai", "key": ORG_KEY }),
    )
    .await;
    let a_id = a_key["id"].as_str().unwrap();
    let path = format!("/api/v1/byok/{a_id}");

    // B's session: nothing listed, everything by id not found.
    let listed = api.get("/api/v1/byok", Some(&b.token)).await;
    assert_eq!(listed.expect(200)["total_count"], 0);
    api.get(&path, Some(&b.token)).await.expect_error(404);
    api.patch(&path, Some(&b.token), json!({ "disabled": true }))
        .await
        .expect_error(404);
    api.delete(&path, Some(&b.token)).await.expect_error(404);
    // B naming A's organization: not a member.
    let as_a = api
        .request(Method::GET, "/api/v1/byok", Some(&b.token))
        .header("X-Organization-Id", &a.personal_org);
    api.send(as_a).await.expect_error(404);
    // B's management key: its own organization only. B's inference key: not at all.
    let b_mgmt = api
        .post(
            "/api/v1/management-keys",
            Some(&b.token),
            json!({ "name": "m" }),
        )
        .await;
    let b_mgmt = b_mgmt.expect(201)["key"].as_str().unwrap().to_owned();
    api.get(&path, Some(&b_mgmt)).await.expect_error(404);
    api.delete(&path, Some(&b_mgmt)).await.expect_error(404);
    let as_a = api
        .request(Method::GET, "/api/v1/byok", Some(&b_mgmt))
        .header("X-Organization-Id", &a.personal_org);
    api.send(as_a).await.expect_error(403);
    api.get("/api/v1/byok", Some(&b_key))
        .await
        .expect_error(403);
    // A management key manages its own organization's keys (audited as the key).
    let made = api
        .post(
            "/api/v1/byok",
            Some(&b_mgmt),
            json!({ "provider": "anthropic", "key": "sk-ant-b-own-key-0001" }),
        )
        .await;
    let made_id = made.expect(201)["data"]["id"].as_str().unwrap().to_owned();
    api.delete(&format!("/api/v1/byok/{made_id}"), Some(&b_mgmt))
        .await
        .expect(200);

    // A's key is untouched and never serves B.
    assert_eq!(
        api.get(&path, Some(&a.token)).await.expect(200)["data"]["disabled"],
        false
    );
    chat(&api, &b_key, ask("openai/gpt-4o-mini"))
        .await
        .expect(200);
    assert_eq!(keys_sent(&any), [PLATFORM_KEY]);

    // A row copied to B's organization in the database does not decrypt there.
    let db = Database::connect(&server.database_url).await.unwrap();
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        format!(
            "INSERT INTO byok_keys (id, org_id, provider, name, label, nonce, ciphertext, \
             is_fallback, always_use, disabled, allowed_models, allowed_api_key_hashes, \
             sort_order, created_at, updated_at) \
             SELECT 'byok_copied', '{}', provider, name, label, nonce, ciphertext, \
             is_fallback, always_use, disabled, allowed_models, allowed_api_key_hashes, \
             sort_order, created_at, updated_at FROM byok_keys WHERE id = '{a_id}'",
            b.personal_org
        ),
    ))
    .await
    .unwrap();
    db.close().await.ok();
    let listed = api.get("/api/v1/byok", Some(&b.token)).await;
    assert_eq!(listed.expect(200)["total_count"], 1);
    // Past the watcher's period (5 s): the table was read again.
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    any.clear_requests();
    chat(&api, &b_key, ask("openai/gpt-4o-mini"))
        .await
        .expect(200);
    assert_eq!(keys_sent(&any), [PLATFORM_KEY]);
}

#[tokio::test]
async fn members_read_and_only_owners_and_admins_change() {
    let Setup { server, .. } = setup(|_| {}).await;
    let api = server.api();
    let owner = api.signup(&email("byok-org-owner")).await;
    let (org, member) = api.team(&owner, "Team").await;
    let in_org = |method: Method, path: &str, token: &str| {
        api.request(method, path, Some(token))
            .header("X-Organization-Id", &org)
    };
    let made = api
        .send(
            in_org(Method::POST, "/api/v1/byok", &owner.token)
                .json(&json!({ "provider": "openai", "key": ORG_KEY })),
        )
        .await;
    let id = made.expect(201)["data"]["id"].as_str().unwrap().to_owned();
    let listed = api
        .send(in_org(Method::GET, "/api/v1/byok", &member.token))
        .await;
    assert_eq!(listed.expect(200)["total_count"], 1);
    // A plain member is refused before the body is read.
    api.send(in_org(Method::POST, "/api/v1/byok", &member.token).body("not json"))
        .await
        .expect_error(403);
    api.send(in_org(
        Method::DELETE,
        &format!("/api/v1/byok/{id}"),
        &member.token,
    ))
    .await
    .expect_error(403);
}

#[tokio::test]
async fn a_wrong_master_key_cannot_decrypt_and_rotation_moves_every_key() {
    let (any, strict) = emulators();
    let old_key = master_key();
    let new_key = master_key();
    // Alert webhooks on 127.0.0.1, failed deliveries retried within a second: the signing
    // secret is sealed under the master key too.
    let alerts_here = |config: &mut Config| {
        config.alert_webhook_allow_private = true;
        config.alert_retry_first_ms = 200;
        config.alert_retry_max_secs = 1;
        config.alert_max_attempts = 1_000;
    };
    let first = TestServer::start_with(|config| {
        point_providers(config, &any, &strict);
        alerts_here(config);
        config.master_key = Some(old_key.clone());
    })
    .await;
    let api = first.api();
    let (user, key, _) = user_with_key(&api, "byok-rotate").await;
    add_byok(
        &api,
        &user.token,
        json!({ "provider": "openai", "key": ORG_KEY }),
    )
    .await;
    let receiver = tests::webhook::Receiver::start(0).await;
    let settings = api
        .put(
            "/api/v1/alerts/settings",
            Some(&user.token),
            json!({ "webhook_url": receiver.url }),
        )
        .await;
    let webhook_secret = settings.expect(200)["webhook_secret"]
        .as_str()
        .expect("the signing secret, shown once")
        .to_owned();
    let url = first.database_url.clone();
    let replica = |master: String| {
        let (any, strict, url) = (&any, &strict, url.clone());
        TestServer::start_with(move |config| {
            point_providers(config, any, strict);
            alerts_here(config);
            config.database_url = Some(url);
            config.master_key = Some(master);
        })
    };

    // A process with another master key cannot read the key: the platform serves.
    let wrong = replica(new_key.clone()).await;
    any.clear_requests();
    chat(&wrong.api(), &key, ask("openai/gpt-4o-mini"))
        .await
        .expect(200);
    assert_eq!(keys_sent(&any), [PLATFORM_KEY]);
    wrong.stop().await;

    // Rotation from a wrong old key changes nothing.
    let rotate = |old: &str| {
        let config = Config {
            database_url: Some(url.clone()),
            master_key: Some(new_key.clone()),
            ..Config::default()
        };
        let old = old.to_owned();
        async move { server::commands::rotate_master_key(&config, Some(old)).await }
    };
    let refused = rotate(&master_key()).await.expect_err("wrong old key");
    assert!(
        refused.to_string().contains("nothing was changed"),
        "{refused}"
    );
    let before = raw_rows(&url).await;
    // The real rotation; run twice, the second finds everything already moved.
    rotate(&old_key).await.expect("rotation");
    rotate(&old_key).await.expect("rotation again");
    let after = raw_rows(&url).await;
    assert_ne!(before, after, "re-encrypted");
    assert!(!after[0].contains("organization-own"));

    let rotated = replica(new_key.clone()).await;
    any.clear_requests();
    let reply = chat(&rotated.api(), &key, ask("openai/gpt-4o-mini")).await;
    assert_eq!(reply.expect(200)["usage"]["is_byok"], true);
    assert_eq!(keys_sent(&any), [ORG_KEY]);
    // The webhook secret moved too: a test alert arrives signed with the secret shown before
    // the rotation. (The first process, still on the old key, cannot open it: an attempt it
    // claims fails and is retried, until the rotated process delivers it.)
    rotated
        .api()
        .post("/api/v1/alerts/test", Some(&user.token), json!(null))
        .await
        .expect(202);
    receiver.wait_for(1, Duration::from_secs(30)).await;
    let delivered = receiver.all();
    let ok = delivered
        .iter()
        .find(|d| d.status == 200)
        .expect("a delivery");
    assert!(
        ok.signed_with(&webhook_secret),
        "signed with the old secret"
    );
    rotated.stop().await;
    first.stop().await;
}
