//! Platform administration: listing tenants, suspension, audit log.

use reqwest::Method;
use serde_json::{Value, json};
use tests::{ADMIN_EMAIL, Sse, TestServer, email};

#[tokio::test]
async fn suspend_blocks_every_key_of_the_organization_and_is_audited() {
    let server = TestServer::start().await;
    let api = server.api();
    let admin = api.login(ADMIN_EMAIL).await;
    let tenant = api.signup(&email("tenant")).await;
    let bystander = api.signup(&email("bystander")).await;
    let (inference, _) = api
        .create_key(&tenant, None, json!({ "name": "app" }))
        .await;
    let management = api
        .post(
            "/api/v1/management-keys",
            Some(&tenant.token),
            json!({ "name": "ops" }),
        )
        .await
        .expect(201)["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let (bystander_key, _) = api
        .create_key(&bystander, None, json!({ "name": "b" }))
        .await;
    api.get("/api/v1/key", Some(&inference)).await.expect(200);

    // Only platform admins may suspend.
    let path = format!(
        "/api/v1/admin/organizations/{}/suspend",
        tenant.personal_org
    );
    api.post(&path, Some(&tenant.token), json!({}))
        .await
        .expect_error(403);
    let suspended = api
        .post(
            &path,
            Some(&admin.token),
            json!({ "reason": "unpaid invoices" }),
        )
        .await;
    let suspended = suspended.expect(200).clone();
    assert!(suspended["suspended_at"].is_string());
    assert_eq!(suspended["suspended_reason"], json!("unpaid invoices"));

    // Every key of the organization gets 403 on every call; other tenants are untouched.
    for key in [&inference, &management] {
        api.get("/api/v1/key", Some(key)).await.expect_error(403);
    }
    api.get("/api/v1/keys", Some(&management))
        .await
        .expect_error(403);
    api.get("/api/v1/key", Some(&bystander_key))
        .await
        .expect(200);
    let me = api.get("/api/v1/me", Some(&tenant.token)).await;
    assert_eq!(me.expect(200)["organizations"][0]["suspended"], json!(true));

    let reactivated = api
        .post(
            &format!(
                "/api/v1/admin/organizations/{}/reactivate",
                tenant.personal_org
            ),
            Some(&admin.token),
            json!({}),
        )
        .await;
    assert_eq!(reactivated.expect(200)["suspended_at"], Value::Null);
    api.get("/api/v1/key", Some(&inference)).await.expect(200);

    // Both changes are in the audit log, newest first, with who and what.
    let audit = api.get("/api/v1/admin/audit", Some(&admin.token)).await;
    let audit = audit.expect(200).clone();
    let entries = audit["data"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["action"], json!("organization.reactivate"));
    assert_eq!(entries[1]["action"], json!("organization.suspend"));
    assert_eq!(entries[1]["actor_email"], json!(ADMIN_EMAIL));
    assert_eq!(entries[1]["target_id"], json!(tenant.personal_org));
    assert_eq!(entries[1]["details"]["reason"], json!("unpaid invoices"));
    assert_eq!(audit["pagination"]["total"], json!(2));
    api.get("/api/v1/admin/audit", Some(&tenant.token))
        .await
        .expect_error(403);

    api.post(
        "/api/v1/admin/organizations/org_nope/suspend",
        Some(&admin.token),
        json!({}),
    )
    .await
    .expect_error(404);
}

#[tokio::test]
async fn organizations_and_users_search_and_paging() {
    let server = TestServer::start().await;
    let api = server.api();
    let admin = api.login(ADMIN_EMAIL).await;
    let marker = format!("zeta{:06x}", rand::random::<u32>() & 0xffffff);
    let mut users = Vec::new();
    for i in 0..5 {
        users.push(api.signup(&format!("{marker}-{i}@example.com")).await);
    }
    api.post(
        "/api/v1/organizations",
        Some(&users[0].token),
        json!({ "name": format!("{marker} Industries") }),
    )
    .await
    .expect(201);

    let found = api
        .get(
            &format!("/api/v1/admin/users?q={}&per_page=2", marker.to_uppercase()),
            Some(&admin.token),
        )
        .await;
    let found = found.expect(200).clone();
    assert_eq!(found["pagination"]["total"], json!(5));
    assert_eq!(found["data"].as_array().unwrap().len(), 2);
    let page3 = api
        .get(
            &format!("/api/v1/admin/users?q={marker}&per_page=2&page=3"),
            Some(&admin.token),
        )
        .await;
    assert_eq!(page3.expect(200)["data"].as_array().unwrap().len(), 1);
    let by_id = api
        .get(
            &format!("/api/v1/admin/users?q={}", users[2].id),
            Some(&admin.token),
        )
        .await;
    assert_eq!(by_id.expect(200)["data"][0]["email"], json!(users[2].email));

    let orgs = api
        .get(
            &format!("/api/v1/admin/organizations?q={marker}%20ind"),
            Some(&admin.token),
        )
        .await;
    let orgs = orgs.expect(200).clone();
    assert_eq!(orgs["pagination"]["total"], json!(1));
    assert_eq!(orgs["data"][0]["member_count"], json!(1));
    assert_eq!(orgs["data"][0]["is_personal"], json!(false));
    let all = api
        .get(
            "/api/v1/admin/organizations?per_page=100",
            Some(&admin.token),
        )
        .await;
    assert!(all.expect(200)["pagination"]["total"].as_u64().unwrap() >= 7);
    // Wildcards in the search are literal.
    let none = api
        .get("/api/v1/admin/users?q=%25", Some(&admin.token))
        .await;
    assert_eq!(none.expect(200)["pagination"]["total"], json!(0));

    for bad in [
        "page=0",
        "per_page=0",
        "per_page=101",
        "page=x",
        "sort=name",
    ] {
        api.get(
            &format!("/api/v1/admin/organizations?{bad}"),
            Some(&admin.token),
        )
        .await
        .expect_error(400);
    }
    api.get("/api/v1/admin/users", Some(&users[0].token))
        .await
        .expect_error(403);
    api.get("/api/v1/admin/users", None).await.expect_error(401);
}

#[tokio::test]
async fn admin_from_environment_is_created_once_and_promoted() {
    let server = TestServer::start().await;
    let api = server.api();
    let admin = api.login(ADMIN_EMAIL).await;
    let me = api.get("/api/v1/me", Some(&admin.token)).await;
    assert_eq!(me.expect(200)["user"]["is_platform_admin"], json!(true));
    let ordinary = api.signup(&email("ordinary")).await;
    let me = api.get("/api/v1/me", Some(&ordinary.token)).await;
    assert_eq!(me.expect(200)["user"]["is_platform_admin"], json!(false));
}

#[tokio::test]
async fn admins_change_the_catalog_without_a_restart() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let admin = api.login(ADMIN_EMAIL).await;
    let user = api.signup(&email("catalog")).await;
    let (key, _) = api.create_key(&user, None, json!({ "name": "k" })).await;
    let chat = json!({ "model": "acme/house-model", "messages": [{ "role": "user", "content": "hello house" }] });
    let path = "/api/v1/admin/catalog/models/acme/house-model";
    let model = |prompt_price: &str| {
        json!({
            "id": "acme/house-model", "name": "Acme: House Model", "created": 1760000000,
            "description": "A house model served through OpenAI", "context_length": 32000,
            "supported_parameters": ["max_tokens", "temperature"],
            "endpoints": [{ "provider": "openai", "upstream_model": "gpt-4o-mini",
                            "pricing": { "prompt": prompt_price, "completion": "2" } }]
        })
    };
    api.post("/api/v1/chat/completions", Some(&key), chat.clone())
        .await
        .expect_error(404);

    // Only platform admins; invalid changes are refused whole, naming the problem.
    api.call(Method::PUT, path, Some(&user.token), Some(model("1")))
        .await
        .expect_error(403);
    let mut unknown_provider = model("1");
    unknown_provider["endpoints"][0]["provider"] = json!("nobody");
    let message = api
        .call(
            Method::PUT,
            path,
            Some(&admin.token),
            Some(unknown_provider),
        )
        .await
        .expect_error(400);
    assert!(message.contains("nobody"), "{message}");
    let message = api
        .call(Method::PUT, path, Some(&admin.token), Some(model("a lot")))
        .await
        .expect_error(400);
    assert!(
        message.contains("a lot") || message.contains("price"),
        "{message}"
    );
    let message = api
        .call(
            Method::PUT,
            "/api/v1/admin/catalog/models/acme/other",
            Some(&admin.token),
            Some(model("1")),
        )
        .await
        .expect_error(400);
    assert!(message.contains("does not match"), "{message}");
    api.call(
        Method::PUT,
        path,
        Some(&admin.token),
        Some(json!({ "id": "acme/house-model" })),
    )
    .await
    .expect_error(400);

    // A valid model is served at once, at its price.
    let changed = api
        .call(Method::PUT, path, Some(&admin.token), Some(model("1")))
        .await;
    assert_eq!(changed.expect(200)["id"], "model:acme/house-model");
    let reply = api
        .post("/api/v1/chat/completions", Some(&key), chat.clone())
        .await;
    let body = reply.expect(200).clone();
    assert_eq!(body["model"], "acme/house-model");
    assert_eq!(body["provider"], "OpenAI");
    let usage = &body["usage"];
    let expected = (usage["prompt_tokens"].as_f64().unwrap() * 1.0
        + usage["completion_tokens"].as_f64().unwrap() * 2.0)
        / 1e6;
    assert!(
        (usage["cost"].as_f64().unwrap() - expected).abs() < 1e-12,
        "{usage}"
    );
    let listed = api.get("/api/v1/models", None).await;
    let house = listed.expect(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "acme/house-model")
        .cloned()
        .unwrap();
    assert_eq!(house["pricing"]["prompt"], "0.000001");

    // A price change applies to the next request.
    api.call(Method::PUT, path, Some(&admin.token), Some(model("3")))
        .await
        .expect(200);
    let listed = api
        .get("/api/v1/models/acme/house-model/endpoints", None)
        .await;
    assert_eq!(
        listed.expect(200)["data"]["endpoints"][0]["pricing"]["prompt"],
        "0.000003"
    );
    let overrides = api
        .get("/api/v1/admin/catalog/overrides", Some(&admin.token))
        .await;
    assert_eq!(overrides.expect(200)["data"].as_array().unwrap().len(), 1);

    // Removing the override removes the model; every change is audited.
    api.delete(path, Some(&admin.token)).await.expect(200);
    api.delete(path, Some(&admin.token)).await.expect_error(404);
    api.post("/api/v1/chat/completions", Some(&key), chat)
        .await
        .expect_error(404);
    let audit = api.get("/api/v1/admin/audit", Some(&admin.token)).await;
    let actions: Vec<String> = audit.expect(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        actions,
        vec![
            "catalog.model.remove",
            "catalog.model.upsert",
            "catalog.model.upsert"
        ]
    );
}

#[tokio::test]
async fn input_images_are_priced_per_image() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let admin = api.login(ADMIN_EMAIL).await;
    let user = api.signup(&email("images")).await;
    let (key, _) = api.create_key(&user, None, json!({ "name": "k" })).await;
    let model = json!({
        "id": "acme/vision", "name": "Acme: Vision", "created": 1760000000,
        "description": "A vision model priced per input image", "context_length": 32000,
        "input_modalities": ["text", "image"],
        "supported_parameters": ["max_tokens"],
        "endpoints": [{ "provider": "openai", "upstream_model": "gpt-4o-mini",
                        "pricing": { "prompt": "1", "completion": "2", "image": "0.01" } }]
    });
    api.call(
        Method::PUT,
        "/api/v1/admin/catalog/models/acme/vision",
        Some(&admin.token),
        Some(model),
    )
    .await
    .expect(200);
    let image = json!({ "type": "image_url", "image_url": { "url": "data:image/png;base64,iVBORw0KGgo=" } });
    let cost_of = |body: &Value| {
        let usage = &body["usage"];
        let tokens = (usage["prompt_tokens"].as_f64().unwrap() * 1.0
            + usage["completion_tokens"].as_f64().unwrap() * 2.0)
            / 1e6;
        (usage["cost"].as_f64().unwrap(), tokens)
    };
    for (images, stream) in [(0usize, false), (2, false), (3, true)] {
        let mut parts = vec![json!({ "type": "text", "text": "what is in these pictures?" })];
        parts.extend(std::iter::repeat_n(image.clone(), images));
        let chat = json!({ "model": "acme/vision", "stream": stream,
                           "messages": [{ "role": "user", "content": parts }] });
        let response = api
            .request(Method::POST, "/api/v1/chat/completions", Some(&key))
            .json(&chat)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        let body = if stream {
            let sse = Sse::parse(&text);
            let usage = sse
                .data
                .iter()
                .find_map(|c| c.get("usage").filter(|u| !u.is_null()).cloned());
            json!({ "usage": usage.expect("a usage chunk") })
        } else {
            serde_json::from_str(&text).unwrap()
        };
        let (cost, tokens) = cost_of(&body);
        let expected = tokens + images as f64 * 0.01;
        assert!((cost - expected).abs() < 1e-12, "{images} images: {body}");
    }
}
