//! Bad input of every kind gets a clear 4xx in the one error shape, never a 500.

use reqwest::Method;
use serde_json::json;
use tests::{ADMIN_EMAIL, TestServer, email};

#[tokio::test]
async fn malformed_bodies_content_types_and_sizes() {
    let server = TestServer::start_with(|c| c.max_body_bytes = 64 * 1024).await;
    let api = server.api();
    let user = api.signup(&email("bad")).await;
    let auth = Some(user.token.as_str());

    let raw = |method: Method, path: &str, content_type: Option<&str>, body: Vec<u8>| {
        let mut request = api.request(method, path, auth).body(body);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        api.send(request)
    };
    let message = raw(
        Method::POST,
        "/api/v1/keys",
        Some("application/json"),
        b"{\"name\": ".to_vec(),
    )
    .await
    .expect_error(400);
    assert!(
        message.contains("JSON") || message.contains("EOF"),
        "{message}"
    );
    raw(
        Method::POST,
        "/api/v1/keys",
        Some("application/json"),
        b"[1,2]".to_vec(),
    )
    .await
    .expect_error(400);
    raw(
        Method::POST,
        "/api/v1/keys",
        Some("application/json"),
        b"".to_vec(),
    )
    .await
    .expect_error(400);
    let message = raw(
        Method::POST,
        "/api/v1/keys",
        Some("text/plain"),
        b"{\"name\":\"k\"}".to_vec(),
    )
    .await
    .expect_error(415);
    assert!(message.contains("application/json"), "{message}");
    raw(
        Method::POST,
        "/api/v1/keys",
        None,
        b"{\"name\":\"k\"}".to_vec(),
    )
    .await
    .expect_error(415);
    raw(
        Method::POST,
        "/api/v1/auth/signup",
        Some("application/x-www-form-urlencoded"),
        b"email=a".to_vec(),
    )
    .await
    .expect_error(415);

    let big = format!("{{\"name\":\"{}\"}}", "x".repeat(100 * 1024));
    let message = raw(
        Method::POST,
        "/api/v1/keys",
        Some("application/json"),
        big.into_bytes(),
    )
    .await
    .expect_error(413);
    assert!(message.contains("limit"), "{message}");
    let big_refresh = format!("{{\"refresh_token\":\"{}\"}}", "x".repeat(100 * 1024));
    raw(
        Method::POST,
        "/api/v1/auth/refresh",
        Some("application/json"),
        big_refresh.into_bytes(),
    )
    .await
    .expect_error(413);

    // Missing and mistyped fields name the field.
    let message = api
        .post("/api/v1/auth/signup", None, json!({ "password": "x" }))
        .await
        .expect_error(400);
    assert!(message.contains("email"), "{message}");
    let message = api
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": 42, "password": "x" }),
        )
        .await
        .expect_error(400);
    assert!(message.contains("string"), "{message}");
    let message = api
        .post(
            "/api/v1/organizations",
            auth,
            json!({ "name": "ok", "plan": "gold" }),
        )
        .await
        .expect_error(400);
    assert!(message.contains("plan"), "{message}");
    api.post("/api/v1/auth/refresh", None, json!({ "refresh_token": 5 }))
        .await
        .expect_error(400);
    api.patch(
        &format!(
            "/api/v1/organizations/{}/members/{}",
            user.personal_org, user.id
        ),
        auth,
        json!({}),
    )
    .await
    .expect_error(400);
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_bad_headers() {
    let server = TestServer::start().await;
    let api = server.api();
    let user = api.signup(&email("routes")).await;

    let message = api
        .get("/api/v1/no-such-thing", None)
        .await
        .expect_error(404);
    assert!(message.contains("/api/v1/no-such-thing"), "{message}");
    // Outside the API, unknown paths are the web app's HTML 404 page.
    let page = api
        .http
        .get(format!("{}/definitely/not/here", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );

    let reply = api
        .call(
            Method::PUT,
            "/api/v1/keys",
            Some(&user.token),
            Some(json!({})),
        )
        .await;
    reply.expect_error(405);
    let allow = reply.headers["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    api.call(Method::DELETE, "/api/v1/auth/login", None, None)
        .await
        .expect_error(405);
    api.call(Method::POST, "/health", None, None)
        .await
        .expect_error(405);
    api.call(Method::GET, "/api/v1/auth/signup", None, None)
        .await
        .expect_error(405);

    // Malformed authorization and organization headers.
    let garbage = api
        .send(
            api.request(Method::GET, "/api/v1/me", None)
                .header("authorization", "Basic abc"),
        )
        .await;
    garbage.expect_error(401);
    let junk_jwt = api.get("/api/v1/me", Some("not.a.jwt")).await;
    junk_jwt.expect_error(401);
    let unknown_org = api
        .send(
            api.request(Method::GET, "/api/v1/keys", Some(&user.token))
                .header("X-Organization-Id", "org_doesnotexist"),
        )
        .await;
    unknown_org.expect_error(404);
    let bad_header = api
        .send(
            api.request(Method::GET, "/api/v1/keys", Some(&user.token))
                .header("X-Organization-Id", vec![0xff_u8, 0xfe].as_slice()),
        )
        .await;
    bad_header.expect_error(400);
}

#[tokio::test]
async fn health_ready_and_request_ids() {
    let server = TestServer::start().await;
    let api = server.api();
    let health = api.get("/health", None).await;
    assert_eq!(health.expect(200)["status"], json!("ok"));
    let ready = api.get("/ready", None).await;
    assert_eq!(ready.expect(200)["status"], json!("ready"));
    assert!(
        ready.headers["x-request-id"]
            .to_str()
            .unwrap()
            .starts_with("req_")
    );
    let echoed = api
        .send(
            api.request(Method::GET, "/health", None)
                .header("x-request-id", "trace-123"),
        )
        .await;
    assert_eq!(echoed.headers["x-request-id"], "trace-123");
    let error = api.get("/api/v1/me", None).await;
    assert!(error.headers.contains_key("x-request-id"));
}

/// Numbers a database cannot bind, or page arithmetic that would wrap, are a 400 naming the
/// field (they once panicked the worker or answered an empty page).
#[tokio::test]
async fn out_of_range_numbers_are_refused_by_name() {
    let server = TestServer::start().await;
    let api = server.api();
    let user = api.signup(&email("numbers")).await;
    let admin = api.login(ADMIN_EMAIL).await;
    let past_i64 = "9223372036854775808";
    for (path, token, field) in [
        (
            format!("/api/v1/keys?offset={past_i64}"),
            &user.token,
            "offset",
        ),
        (
            format!("/api/v1/management-keys?offset={past_i64}"),
            &user.token,
            "offset",
        ),
        (
            format!("/api/v1/admin/users?page={past_i64}"),
            &admin.token,
            "page",
        ),
        (
            format!("/api/v1/admin/organizations?page={past_i64}"),
            &admin.token,
            "page",
        ),
        (
            format!("/api/v1/admin/audit?page={past_i64}"),
            &admin.token,
            "page",
        ),
        // (page - 1) * per_page would wrap a u64 to a small offset.
        (
            "/api/v1/admin/users?page=15850615744084172800&per_page=100".to_owned(),
            &admin.token,
            "page",
        ),
        (
            "/api/v1/admin/audit?per_page=101".to_owned(),
            &admin.token,
            "per_page",
        ),
        ("/api/v1/keys?offset=-1".to_owned(), &user.token, "offset"),
        ("/api/v1/keys?offset=ten".to_owned(), &user.token, "offset"),
        (
            format!("/api/v1/models?offset={past_i64}"),
            &user.token,
            "offset",
        ),
        ("/api/v1/models?limit=-5".to_owned(), &user.token, "limit"),
    ] {
        let message = api.get(&path, Some(token)).await.expect_error(400);
        assert!(message.contains(&format!("{field}: ")), "{path}: {message}");
    }
    for limit in [
        json!(1e300),
        json!(-0.5),
        json!(9_223_372_036_854_775_808_u64),
    ] {
        let message = api
            .post(
                "/api/v1/keys",
                Some(&user.token),
                json!({ "name": "k", "limit": limit }),
            )
            .await
            .expect_error(400);
        assert!(message.contains("limit"), "{limit}: {message}");
    }
    // The bounds themselves still answer.
    api.get("/api/v1/keys?offset=1000000000", Some(&user.token))
        .await
        .expect(200);
    let last = api
        .get(
            "/api/v1/admin/audit?page=10000000&per_page=100",
            Some(&admin.token),
        )
        .await;
    assert_eq!(last.expect(200)["data"], json!([]));
}

/// The caller is judged before the query or body: a non-admin gets 403 on admin routes, and
/// an inference key 403 on key management, whatever the request holds.
#[tokio::test]
async fn authorization_comes_before_validation() {
    let server = TestServer::start().await;
    let api = server.api();
    let user = api.signup(&email("notadmin")).await;
    let token = Some(user.token.as_str());
    for path in [
        "/api/v1/admin/users?page=9223372036854775808",
        "/api/v1/admin/organizations?per_page=0&sort=name",
        "/api/v1/admin/audit?page=x",
    ] {
        api.get(path, token).await.expect_error(403);
        api.get(path, None).await.expect_error(401);
    }
    api.call(
        Method::PUT,
        "/api/v1/admin/catalog/providers/acme",
        token,
        Some(json!({ "not": "a provider" })),
    )
    .await
    .expect_error(403);
    let (inference_key, _) = api.create_key(&user, None, json!({ "name": "k" })).await;
    let key = Some(inference_key.as_str());
    api.get("/api/v1/keys?offset=9223372036854775808", key)
        .await
        .expect_error(403);
    api.post("/api/v1/keys", key, json!({ "name": 5 }))
        .await
        .expect_error(403);
    api.get("/api/v1/generation?colour=red", None)
        .await
        .expect_error(401);
}

/// The same on the admin routes with bodies and on the organization routes that need the
/// owner or admin role: a non-admin, or a plain member, gets 403 whatever the body holds
/// (malformed, of the wrong type, oversized, or not JSON at all).
#[tokio::test]
async fn roles_are_judged_before_bodies() {
    let server = TestServer::start_with(|c| c.max_body_bytes = 64 * 1024).await;
    let api = server.api();
    let owner = api.signup(&email("bodyowner")).await;
    let org_id = api
        .post(
            "/api/v1/organizations",
            Some(&owner.token),
            json!({ "name": "Bodies Inc" }),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member_email = email("bodymember");
    api.post(
        &format!("/api/v1/organizations/{org_id}/invites"),
        Some(&owner.token),
        json!({ "email": member_email, "role": "member" }),
    )
    .await
    .expect(201);
    let member = api.signup(&member_email).await;
    let oversized = vec![b'x'; 100 * 1024];
    let bodies: [(Option<&str>, Vec<u8>); 4] = [
        (Some("application/json"), b"{\"name\": ".to_vec()),
        (
            Some("application/json"),
            b"{\"requests_per_minute\": \"lots\"}".to_vec(),
        ),
        (Some("application/json"), oversized),
        (Some("text/plain"), b"hello".to_vec()),
    ];
    let send =
        |method: Method, path: String, token: Option<&str>, body: &(Option<&str>, Vec<u8>)| {
            let mut request = api.request(method, &path, token).body(body.1.clone());
            if let Some(content_type) = body.0 {
                request = request.header("content-type", content_type);
            }
            api.send(request)
        };

    // The member is no platform admin.
    let admin_routes = [
        (
            Method::PUT,
            format!("/api/v1/admin/organizations/{org_id}/rate-limits"),
        ),
        (
            Method::POST,
            format!("/api/v1/admin/organizations/{org_id}/suspend"),
        ),
        (
            Method::POST,
            format!("/api/v1/admin/organizations/{org_id}/reactivate"),
        ),
    ];
    for (method, path) in &admin_routes {
        for body in &bodies {
            send(method.clone(), path.clone(), Some(&member.token), body)
                .await
                .expect_error(403);
            send(method.clone(), path.clone(), None, body)
                .await
                .expect_error(401);
        }
    }

    // A plain member of the organization may not rename it, change roles, invite or change
    // its routing defaults.
    let org_routes = [
        (Method::PATCH, format!("/api/v1/organizations/{org_id}")),
        (
            Method::PATCH,
            format!("/api/v1/organizations/{org_id}/members/{}", owner.id),
        ),
        (
            Method::POST,
            format!("/api/v1/organizations/{org_id}/invites"),
        ),
        (
            Method::PUT,
            format!("/api/v1/organizations/{org_id}/routing"),
        ),
    ];
    for (method, path) in &org_routes {
        for body in &bodies {
            send(method.clone(), path.clone(), Some(&member.token), body)
                .await
                .expect_error(403);
        }
    }
    // Without a session, creating an organization is 401 whatever the body.
    for body in &bodies {
        send(Method::POST, "/api/v1/organizations".to_owned(), None, body)
            .await
            .expect_error(401);
    }
    // The owner, allowed, is told what is wrong with the body.
    for (method, path) in &org_routes[..1] {
        send(method.clone(), path.clone(), Some(&owner.token), &bodies[0])
            .await
            .expect_error(400);
        send(method.clone(), path.clone(), Some(&owner.token), &bodies[2])
            .await
            .expect_error(413);
        send(method.clone(), path.clone(), Some(&owner.token), &bodies[3])
            .await
            .expect_error(415);
    }
}

async fn panics() -> actix_web::HttpResponse {
    panic!("a deliberate panic in a test-only route")
}

fn panicking_route(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.route("/api/v1/test-only/panic", actix_web::web::get().to(panics));
}

/// A handler that panics answers 500 in the error shape with the request id, on a connection
/// that stays usable, and the server goes on serving.
#[tokio::test]
async fn a_panicking_handler_answers_500_and_the_server_keeps_serving() {
    let server = TestServer::start_serving(|_| {}, panicking_route).await;
    let api = server.api();
    for _ in 0..3 {
        let reply = api
            .send(
                api.request(Method::GET, "/api/v1/test-only/panic", None)
                    .header("x-request-id", "trace-panic"),
            )
            .await;
        let message = reply.expect_error(500);
        assert_eq!(message, "Internal server error");
        assert_eq!(reply.headers["x-request-id"], "trace-panic");
        assert_eq!(reply.body["error"]["metadata"]["request_id"], "trace-panic");
        let generated = api.get("/api/v1/test-only/panic", None).await;
        generated.expect_error(500);
        let id = generated.headers["x-request-id"].to_str().unwrap();
        assert!(id.starts_with("req_"), "{id}");
        assert_eq!(generated.body["error"]["metadata"]["request_id"], json!(id));
        // The same client (and its pooled connection) is served right after.
        api.get("/health", None).await.expect(200);
    }
}
