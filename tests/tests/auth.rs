//! Sign-up, login, refresh, logout, cookies and CSRF, over HTTP.

use reqwest::Method;
use serde_json::json;
use tests::{PASSWORD, TestServer, email};

#[tokio::test]
async fn signup_login_me_refresh_logout() {
    let server = TestServer::start().await;
    let api = server.api();
    let address = email("ada");

    let reply = api
        .post(
            "/api/v1/auth/signup",
            None,
            json!({ "email": address.to_uppercase(), "password": PASSWORD, "name": "Ada" }),
        )
        .await;
    let body = reply.expect(201).clone();
    assert_eq!(
        body["user"]["email"],
        json!(address),
        "emails are stored lower-cased"
    );
    assert_eq!(body["user"]["name"], json!("Ada"));
    assert_eq!(body["token_type"], json!("Bearer"));
    assert!(body["expires_in"].as_i64().unwrap() > 0);
    assert!(body["user"].get("password_hash").is_none());
    let token = body["token"].as_str().unwrap().to_owned();

    // The personal organization exists, with the user as owner.
    let me = api.get("/api/v1/me", Some(&token)).await;
    let me = me.expect(200);
    assert_eq!(me["user"]["email"], json!(address));
    let orgs = me["organizations"].as_array().unwrap();
    assert_eq!(orgs.len(), 1);
    assert_eq!(orgs[0]["is_personal"], json!(true));
    assert_eq!(orgs[0]["role"], json!("owner"));
    assert_eq!(orgs[0]["id"], body["user"]["personal_organization_id"]);

    // Same email in another case cannot sign up again.
    let again = api
        .post(
            "/api/v1/auth/signup",
            None,
            json!({ "email": address.replace("ada", "ADA"), "password": PASSWORD }),
        )
        .await;
    again.expect_error(409);

    // Login works case-insensitively.
    let login = api
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": address.to_uppercase(), "password": PASSWORD }),
        )
        .await;
    let login = login.expect(200).clone();
    let refresh_token = login["refresh_token"].as_str().unwrap().to_owned();

    // Refresh rotates: the new pair works, the old refresh token does not.
    let refreshed = api
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": refresh_token }),
        )
        .await;
    let refreshed = refreshed.expect(200).clone();
    let new_token = refreshed["token"].as_str().unwrap().to_owned();
    let new_refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, refresh_token);
    api.get("/api/v1/me", Some(&new_token)).await.expect(200);
    api.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": refresh_token }),
    )
    .await
    .expect_error(401);

    // Logout ends that session: its access token and refresh token stop working at once.
    let out = api
        .call(Method::POST, "/api/v1/auth/logout", Some(&new_token), None)
        .await;
    assert_eq!(out.status.as_u16(), 204, "{}", out.text);
    api.get("/api/v1/me", Some(&new_token))
        .await
        .expect_error(401);
    api.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": new_refresh }),
    )
    .await
    .expect_error(401);
    // The signup session is a different one and still works.
    api.get("/api/v1/me", Some(&token)).await.expect(200);
}

#[tokio::test]
async fn wrong_email_and_wrong_password_get_the_same_answer() {
    let server = TestServer::start().await;
    let api = server.api();
    let user = api.signup(&email("bob")).await;
    let wrong_password = api
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": user.email, "password": "not the password at all" }),
        )
        .await;
    let unknown_email = api
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": email("nobody"), "password": PASSWORD }),
        )
        .await;
    let malformed_email = api
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "not-an-email", "password": PASSWORD }),
        )
        .await;
    let a = wrong_password.expect_error(401);
    let b = unknown_email.expect_error(401);
    let c = malformed_email.expect_error(401);
    assert_eq!(a, b);
    assert_eq!(b, c);
}

#[tokio::test]
async fn password_policy_and_email_validation() {
    let server = TestServer::start().await;
    let api = server.api();
    for (body, field) in [
        (
            json!({ "email": email("p"), "password": "short" }),
            "password",
        ),
        (
            json!({ "email": email("p"), "password": "aaaaaaaaaaaaaaaa" }),
            "password",
        ),
        (
            json!({ "email": "no-at-sign", "password": PASSWORD }),
            "email",
        ),
        (json!({ "email": "a@b", "password": PASSWORD }), "email"),
        (
            json!({ "email": email("p"), "password": PASSWORD, "name": "x".repeat(101) }),
            "name",
        ),
    ] {
        let message = api
            .post("/api/v1/auth/signup", None, body)
            .await
            .expect_error(400);
        assert!(
            message.contains(field),
            "message should name {field}: {message}"
        );
    }
    let taken = email("pw");
    let message = api
        .post(
            "/api/v1/auth/signup",
            None,
            json!({ "email": taken, "password": taken }),
        )
        .await
        .expect_error(400);
    assert!(message.contains("password"), "{message}");
}

#[tokio::test]
async fn cookies_are_httponly_and_mutations_need_csrf() {
    let server = TestServer::start().await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let base = &server.base;
    let address = email("cookie");
    let response = client
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&json!({ "email": address, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let cookies: Vec<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let find = |name: &str| {
        cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .cloned()
            .unwrap()
    };
    let access = find("sb_access");
    let refresh = find("sb_refresh");
    let csrf = find("sb_csrf");
    assert!(
        access.contains("HttpOnly") && access.contains("SameSite=Lax"),
        "{access}"
    );
    assert!(
        refresh.contains("HttpOnly")
            && refresh.contains("SameSite=Strict")
            && refresh.contains("Path=/api/v1/auth"),
        "{refresh}"
    );
    assert!(
        !csrf.contains("HttpOnly"),
        "the CSRF cookie must be readable by the page: {csrf}"
    );
    let csrf_value = csrf
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("sb_csrf=")
        .to_owned();

    // Cookie-authenticated reads work without the header.
    let me = client
        .get(format!("{base}/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status().as_u16(), 200);

    // Cookie-authenticated mutations need the CSRF header.
    let create = |with_header: bool| {
        let mut request = client
            .post(format!("{base}/api/v1/organizations"))
            .json(&json!({ "name": "Cookie Co" }));
        if with_header {
            request = request.header("X-CSRF-Token", csrf_value.clone());
        }
        request.send()
    };
    let refused = create(false).await.unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("CSRF"));
    let wrong = client
        .post(format!("{base}/api/v1/organizations"))
        .header("X-CSRF-Token", "forged")
        .json(&json!({ "name": "Cookie Co" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 403);
    let accepted = create(true).await.unwrap();
    assert_eq!(accepted.status().as_u16(), 201);

    // Refresh from the cookie also needs the header, then rotates the cookies.
    let no_header = client
        .post(format!("{base}/api/v1/auth/refresh"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_header.status().as_u16(), 403);
    let refreshed = client
        .post(format!("{base}/api/v1/auth/refresh"))
        .header("X-CSRF-Token", csrf_value.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status().as_u16(), 200);

    // Logout clears the cookies; afterwards the cookie session is gone.
    let jar_csrf = refreshed
        .cookies()
        .find(|c| c.name() == "sb_csrf")
        .map(|c| c.value().to_owned())
        .unwrap();
    let out = client
        .post(format!("{base}/api/v1/auth/logout"))
        .header("X-CSRF-Token", jar_csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status().as_u16(), 204);
    let after = client
        .get(format!("{base}/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(after.status().as_u16(), 401);
}

#[tokio::test]
async fn login_is_rate_limited_per_email_and_per_ip() {
    let server = TestServer::start_with(|c| {
        c.login_per_email_per_minute = 3;
        c.login_per_ip_per_minute = 6;
    })
    .await;
    let api = server.api();
    let victim = api.signup(&email("victim")).await;
    for _ in 0..3 {
        api.post(
            "/api/v1/auth/login",
            None,
            json!({ "email": victim.email, "password": "wrong password 123" }),
        )
        .await
        .expect_error(401);
    }
    // The fourth attempt on that account is refused even with the right password.
    let limited = api
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": victim.email, "password": PASSWORD }),
        )
        .await;
    limited.expect_error(429);
    let retry_after: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    // Other accounts from the same address still get through, until the per-IP quota is spent.
    let other = api.signup(&email("other")).await;
    api.post(
        "/api/v1/auth/login",
        None,
        json!({ "email": other.email, "password": PASSWORD }),
    )
    .await
    .expect(200);
    for i in 0..3 {
        api.post(
            "/api/v1/auth/login",
            None,
            json!({ "email": email(&format!("x{i}")), "password": PASSWORD }),
        )
        .await;
    }
    api.post(
        "/api/v1/auth/login",
        None,
        json!({ "email": other.email, "password": PASSWORD }),
    )
    .await
    .expect_error(429);
}

#[tokio::test]
async fn signup_is_rate_limited_per_ip() {
    let server = TestServer::start_with(|c| c.signup_per_ip_per_hour = 2).await;
    let api = server.api();
    api.signup(&email("s1")).await;
    api.signup(&email("s2")).await;
    api.post(
        "/api/v1/auth/signup",
        None,
        json!({ "email": email("s3"), "password": PASSWORD }),
    )
    .await
    .expect_error(429);
}

#[tokio::test]
async fn rotated_unknown_and_forged_tokens_are_refused() {
    let server = TestServer::start().await;
    let api = server.api();
    let user = api.signup(&email("rot")).await;
    let first = api
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": user.refresh_token }),
        )
        .await;
    first.expect(200);
    // Presenting the rotated-out token again is refused.
    api.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": user.refresh_token }),
    )
    .await
    .expect_error(401);
    // Garbage tokens are refused the same way.
    api.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": "sbr_nope" }),
    )
    .await
    .expect_error(401);
    api.call(Method::POST, "/api/v1/auth/refresh", None, None)
        .await
        .expect_error(401);
    // A tampered JWT is refused.
    let mut forged = user.token.clone();
    forged.push('x');
    api.get("/api/v1/me", Some(&forged)).await.expect_error(401);
}
