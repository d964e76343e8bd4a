//! The OpenAPI document: OpenAPI 3.1, served, and in step with the real routes.

use reqwest::Method;
use serde_json::Value;
use tests::TestServer;

/// Every endpoint the accounts-and-keys issue promised. A route added in code is documented
/// by construction (utoipa-actix-web only registers annotated handlers); this list catches a
/// promised route that went missing.
const REQUIRED: &[(&str, &str)] = &[
    ("get", "/health"),
    ("get", "/ready"),
    ("get", "/metrics"),
    ("post", "/api/v1/auth/signup"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/refresh"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/organizations"),
    ("post", "/api/v1/organizations"),
    ("get", "/api/v1/organizations/{org_id}"),
    ("patch", "/api/v1/organizations/{org_id}"),
    ("get", "/api/v1/organizations/{org_id}/members"),
    ("patch", "/api/v1/organizations/{org_id}/members/{user_id}"),
    ("delete", "/api/v1/organizations/{org_id}/members/{user_id}"),
    ("get", "/api/v1/organizations/{org_id}/invites"),
    ("post", "/api/v1/organizations/{org_id}/invites"),
    (
        "delete",
        "/api/v1/organizations/{org_id}/invites/{invite_id}",
    ),
    ("get", "/api/v1/keys"),
    ("post", "/api/v1/keys"),
    ("get", "/api/v1/keys/{hash}"),
    ("patch", "/api/v1/keys/{hash}"),
    ("delete", "/api/v1/keys/{hash}"),
    ("get", "/api/v1/key"),
    ("get", "/api/v1/auth/key"),
    ("get", "/api/v1/management-keys"),
    ("post", "/api/v1/management-keys"),
    ("patch", "/api/v1/management-keys/{hash}"),
    ("delete", "/api/v1/management-keys/{hash}"),
    ("get", "/api/v1/admin/organizations"),
    ("get", "/api/v1/admin/users"),
    ("get", "/api/v1/admin/organizations/{org_id}"),
    ("get", "/api/v1/admin/organizations/{org_id}/ledger"),
    ("post", "/api/v1/admin/organizations/{org_id}/suspend"),
    ("post", "/api/v1/admin/organizations/{org_id}/reactivate"),
    ("get", "/api/v1/admin/audit"),
    ("get", "/api/v1/openapi.json"),
];

#[tokio::test]
async fn document_is_openapi_3_1_and_matches_the_routes() {
    // With a metrics token, `/metrics` answers in the API's JSON error shape (401) like the
    // other operations called without a credential; its 200 is Prometheus' text format.
    let server =
        TestServer::start_with(|config| config.metrics_token = Some("scrape-token".into())).await;
    let api = server.api();
    let doc = api.get("/api/v1/openapi.json", None).await;
    let doc: Value = doc.expect(200).clone();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();

    for (method, path) in REQUIRED {
        assert!(
            paths.get(*path).and_then(|p| p.get(*method)).is_some(),
            "{method} {path} missing from the OpenAPI document"
        );
    }

    // Every documented operation exists on the server: calling it never yields
    // "no route" (404 naming the path) or 405.
    let mut operations = 0;
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            operations += 1;
            let concrete = path
                .replace("{org_id}", "org_x")
                .replace("{user_id}", "usr_x")
                .replace("{invite_id}", "inv_x")
                .replace("{hash}", "h");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let reply = api.call(method.clone(), &concrete, None, None).await;
            let status = reply.status.as_u16();
            assert_ne!(status, 405, "{method} {path} is documented but not routed");
            // Without a credential, an operation that declares `security` answers 401 (one
            // that declares none may too: a refresh token is its own credential); either way
            // the status is documented. Stripe's webhook is the exception: its credential is
            // Stripe's signature of the body, refused as a bad request (400), or 503 where no
            // webhook secret is configured (as here).
            let schemes: Vec<&str> = operation["security"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|requirement| requirement.as_object())
                .flat_map(|requirement| requirement.keys().map(String::as_str))
                .collect();
            if schemes == ["stripe_signature"] {
                assert!([400, 503].contains(&status), "{method} {path}: {status}");
            } else if !schemes.is_empty() {
                assert_eq!(status, 401, "{method} {path} without a credential");
            }
            assert!(
                operation["responses"].get(status.to_string()).is_some(),
                "{method} {path}: {status} without a credential is not documented: {}",
                reply.text
            );
            if status == 404 {
                assert!(
                    !reply.text.contains("no route"),
                    "{method} {path} is documented but not routed: {}",
                    reply.text
                );
            }
            // Each operation documents its responses, and error responses use the shared schema
            // (the Responses and Messages ingresses answer in their protocol's own shape).
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                !responses.is_empty(),
                "{method} {path} documents no responses"
            );
            for (code, response) in responses {
                if code.starts_with('4') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    let expected = match path.as_str() {
                        "/api/v1/responses" => "#/components/schemas/ResponsesErrorBody",
                        "/api/v1/messages" => "#/components/schemas/MessagesErrorBody",
                        _ => "#/components/schemas/ErrorBody",
                    };
                    assert_eq!(schema, expected, "{method} {path} {code}");
                }
            }
        }
    }
    assert!(operations >= REQUIRED.len(), "{operations}");
    for scheme in [
        "session",
        "session_cookie",
        "inference_key",
        "management_key",
    ] {
        assert!(
            doc["components"]["securitySchemes"][scheme].is_object(),
            "security scheme {scheme}"
        );
    }
}
