//! Opt-in storage of prompts and completions (issue 17, privacy), through HTTP on the server
//! binary with the provider emulator:
//!
//! - off by default: nothing is stored (the API says so, and the table is empty);
//! - turning it on needs an owner's or admin's explicit consent (a member gets 403, no
//!   consent 400), recorded with who and when, and audit-logged;
//! - on: chat whole and streamed, `/responses` and embeddings store their request bodies as
//!   sent and the response (whole, or the stream folded into one `chat.completion`), each
//!   capped at `PROMPT_LOG_MAX_BYTES` with the flag set when cut;
//! - another organization can neither read nor delete them (404), nor reach them through
//!   its own "delete all";
//! - deleting one, then all (how many answered); off again: storing stops at once;
//! - the server's own logs (stderr, at debug level) never hold a prompt or completion.
//!
//! SQLite, or PostgreSQL with `TEST_DATABASE=postgres` (see `tests::process`).

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use tests::process::{self, ServerProcess};
use tests::{Api, Sse, User, email};

/// Bytes kept of each body in this test: small, so that a long prompt is cut.
const CAP: usize = 2_048;

/// A text no log line may contain.
fn marker(what: &str) -> String {
    format!("privacy-marker-{what}-{:08x}", rand::random::<u32>())
}

fn ask(text: &str, stream: bool) -> Value {
    json!({
        "model": "openai/gpt-4o-mini",
        "messages": [{"role": "user", "content": text}],
        "max_tokens": 400,
        "stream": stream,
    })
}

/// Sends a chat request; the generation id and the answered text.
async fn chat(api: &Api, key: &str, body: Value) -> (String, String) {
    let stream = body["stream"] == json!(true);
    let request = api
        .http
        .post(format!("{}/api/v1/chat/completions", api.base))
        .bearer_auth(key)
        .json(&body);
    let response = request.send().await.expect("chat");
    assert_eq!(response.status(), 200);
    let id = response.headers()["x-generation-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let text = response.text().await.unwrap();
    let answered = if stream {
        Sse::parse(&text).text()
    } else {
        let body: Value = serde_json::from_str(&text).unwrap();
        body["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    (id, answered)
}

fn privacy_put(api: &Api, token: &str, org: Option<&str>, body: Value) -> reqwest::RequestBuilder {
    let mut request = api
        .request(
            reqwest::Method::PUT,
            "/api/v1/organization/privacy",
            Some(token),
        )
        .json(&body);
    if let Some(org) = org {
        request = request.header("X-Organization-Id", org);
    }
    request
}

async fn content(api: &Api, token: &str, id: &str) -> tests::Reply {
    api.get(&format!("/api/v1/generation/content?id={id}"), Some(token))
        .await
}

/// Rows of the contents table for `org_id`, read straight from the database.
async fn stored_rows(url: &str, org_id: &str) -> i64 {
    let db = Database::connect(url).await.expect("database");
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            match db.get_database_backend() {
                sea_orm::DatabaseBackend::Postgres => {
                    "SELECT COUNT(*) AS n FROM generation_contents WHERE org_id = $1"
                }
                _ => "SELECT COUNT(*) AS n FROM generation_contents WHERE org_id = ?",
            },
            [org_id.into()],
        ))
        .await
        .expect("count")
        .expect("a row");
    db.close().await.ok();
    row.try_get("", "n").expect("n")
}

/// The generation as `/generation` shows it: whether its content is stored.
async fn content_stored(api: &Api, key: &str, id: &str) -> bool {
    let reply = api
        .get(&format!("/api/v1/generation?id={id}"), Some(key))
        .await;
    reply.expect(200)["data"]["content_stored"]
        .as_bool()
        .expect("content_stored")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompts_and_completions_are_stored_only_when_opted_in_and_never_logged() {
    let emulator = provider_emulator::Emulator::start(provider_emulator::EmulatorConfig::default())
        .expect("emulator");
    let dir = std::env::temp_dir().join(format!("prompt-logging-{:08x}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let (url, pg_name) = process::own_database(&dir, "prompt_logging").await;
    let server = ServerProcess::start(
        &url,
        &emulator,
        &[
            ("PROMPT_LOG_MAX_BYTES", CAP.to_string()),
            // As talkative as it gets without every dependency's tracing.
            ("LOG", "debug".into()),
        ],
    )
    .await;
    let api = server.api.clone();
    let mut markers = Vec::new();

    let owner: User = api.signup(&email("privacy-owner")).await;
    let org = owner.personal_org.clone();
    let (key, _) = api.create_key(&owner, None, json!({ "name": "app" })).await;
    let token = owner.token.as_str();

    // Off by default: nothing stored, in the API or in the table.
    let setting = api.get("/api/v1/organization/privacy", Some(token)).await;
    assert_eq!(setting.expect(200)["store_content"], json!(false));
    let off = marker("default-off");
    markers.push(off.clone());
    let (default_id, _) = chat(&api, &key, ask(&off, false)).await;
    let (default_stream_id, _) = chat(&api, &key, ask(&off, true)).await;
    for id in [&default_id, &default_stream_id] {
        content(&api, token, id).await.expect_error(404);
        assert!(!content_stored(&api, &key, id).await);
    }
    assert_eq!(stored_rows(&url, &org).await, 0);

    // Turning it on: a plain member may not (403, whatever the body); without consent 400.
    let (team, member) = api.team(&owner, "PrivacyTeam").await;
    let refused = api
        .send(privacy_put(
            &api,
            &member.token,
            Some(&team),
            json!({ "store_content": true, "consent": true }),
        ))
        .await;
    refused.expect_error(403);
    let refused = api
        .send(privacy_put(
            &api,
            &member.token,
            Some(&team),
            json!({ "bogus": 1 }),
        ))
        .await;
    refused.expect_error(403);
    let team_setting = api
        .send(
            api.request(
                reqwest::Method::GET,
                "/api/v1/organization/privacy",
                Some(&member.token),
            )
            .header("X-Organization-Id", &team),
        )
        .await;
    assert_eq!(team_setting.expect(200)["store_content"], json!(false));
    let no_consent = api
        .send(privacy_put(
            &api,
            token,
            None,
            json!({ "store_content": true }),
        ))
        .await;
    assert!(no_consent.expect_error(400).contains("consent"));
    let on = api
        .send(privacy_put(
            &api,
            token,
            None,
            json!({ "store_content": true, "consent": true }),
        ))
        .await;
    let on = on.expect(200).clone();
    assert_eq!(on["store_content"], json!(true));
    assert_eq!(on["changed_by"], json!(owner.id));
    assert!(on["changed_at"].is_string());

    // The consent is in the audit log: who, what, which organization.
    let admin = api.login(tests::ADMIN_EMAIL).await;
    let audit = api.get("/api/v1/admin/audit", Some(&admin.token)).await;
    let entries = audit.expect(200)["data"].as_array().unwrap().clone();
    let consent = entries
        .iter()
        .find(|e| e["action"] == json!("organization.store_content.enable"))
        .expect("the consent is audit-logged");
    assert_eq!(consent["actor_user_id"], json!(owner.id));
    assert_eq!(consent["target_id"], json!(org));

    // On: a whole chat stores its request as sent and its response.
    let whole = marker("whole");
    markers.push(whole.clone());
    let whole_request = ask(&whole, false);
    let (whole_id, whole_text) = chat(&api, &key, whole_request.clone()).await;
    let stored = content(&api, token, &whole_id).await;
    let stored = stored.expect(200)["data"].clone();
    assert_eq!(stored["id"], json!(whole_id));
    let request: Value = serde_json::from_str(stored["request_body"].as_str().unwrap()).unwrap();
    assert_eq!(request, whole_request);
    let response: Value = serde_json::from_str(stored["response_body"].as_str().unwrap()).unwrap();
    assert_eq!(response["object"], json!("chat.completion"));
    assert_eq!(
        response["choices"][0]["message"]["content"],
        json!(whole_text)
    );
    assert!(whole_text.contains(&whole));
    assert_eq!(stored["request_truncated"], json!(false));
    assert_eq!(stored["response_truncated"], json!(false));
    assert!(content_stored(&api, &key, &whole_id).await);

    // A stream: its chunks folded into one `chat.completion` with the text the client read.
    let streamed = marker("stream");
    markers.push(streamed.clone());
    let (stream_id, stream_text) = chat(&api, &key, ask(&streamed, true)).await;
    let stored = content(&api, token, &stream_id).await;
    let stored = stored.expect(200)["data"].clone();
    assert!(stored["request_body"].as_str().unwrap().contains(&streamed));
    let response: Value = serde_json::from_str(stored["response_body"].as_str().unwrap()).unwrap();
    assert_eq!(
        response["choices"][0]["message"]["content"],
        json!(stream_text)
    );
    assert!(response["usage"]["completion_tokens"].as_u64().unwrap() > 0);
    assert_eq!(stored["response_truncated"], json!(false));

    // Over the cap: both bodies cut to at most CAP bytes and flagged (streamed and whole).
    let long = marker("long");
    markers.push(long.clone());
    let long_prompt = format!(
        "[[emulator: reply-tokens=1500]] {long} {}",
        "lorem ipsum ".repeat(400)
    );
    for stream in [true, false] {
        let (id, _) = chat(&api, &key, ask(&long_prompt, stream)).await;
        let stored = content(&api, token, &id).await;
        let stored = stored.expect(200)["data"].clone();
        let request = stored["request_body"].as_str().unwrap();
        let response = stored["response_body"].as_str().unwrap();
        assert!(
            request.len() <= CAP && request.len() > CAP - 8,
            "{}",
            request.len()
        );
        assert!(response.len() <= CAP, "{}", response.len());
        assert_eq!(stored["request_truncated"], json!(true), "stream {stream}");
        assert_eq!(stored["response_truncated"], json!(true), "stream {stream}");
    }

    // Another ingress (`/responses`): its own body as sent; embeddings: the input, no response.
    let responses = marker("responses");
    markers.push(responses.clone());
    let body =
        json!({ "model": "openai/gpt-4o-mini", "input": responses, "max_output_tokens": 64 });
    let reply = api
        .send(
            api.request(reqwest::Method::POST, "/api/v1/responses", Some(&key))
                .json(&body),
        )
        .await;
    reply.expect(200);
    let responses_id = reply.headers["x-generation-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let stored = content(&api, token, &responses_id).await;
    let stored = stored.expect(200)["data"].clone();
    let request: Value = serde_json::from_str(stored["request_body"].as_str().unwrap()).unwrap();
    assert_eq!(request, body);
    let embedded = marker("embeddings");
    markers.push(embedded.clone());
    let reply = api
        .send(
            api.request(reqwest::Method::POST, "/api/v1/embeddings", Some(&key))
                .json(&json!({ "model": "openai/text-embedding-3-small", "input": embedded })),
        )
        .await;
    reply.expect(200);
    let embedding_id = reply.headers["x-generation-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let stored = content(&api, token, &embedding_id).await;
    let stored = stored.expect(200)["data"].clone();
    assert!(stored["request_body"].as_str().unwrap().contains(&embedded));
    assert_eq!(stored["response_body"], Value::Null);
    let mine = stored_rows(&url, &org).await;
    assert_eq!(mine, 6);

    // Another organization: its owner, its management key — 404 for reading and deleting,
    // and its own "delete all" touches nothing of ours.
    let other = api.signup(&email("privacy-other")).await;
    let created = api
        .post(
            "/api/v1/management-keys",
            Some(&other.token),
            json!({ "name": "ops" }),
        )
        .await;
    let other_management = created.expect(201)["key"].as_str().unwrap().to_owned();
    for credential in [other.token.as_str(), other_management.as_str()] {
        content(&api, credential, &whole_id).await.expect_error(404);
        api.delete(
            &format!("/api/v1/generation/content?id={whole_id}"),
            Some(credential),
        )
        .await
        .expect_error(404);
        let all = api
            .delete("/api/v1/generations/content", Some(credential))
            .await;
        assert_eq!(all.expect(200)["deleted"], json!(0));
    }
    // An inference key is not a management credential.
    content(&api, &key, &whole_id).await.expect_error(403);
    assert_eq!(stored_rows(&url, &org).await, mine);

    // Deleting one: gone (404 after), the generation record stays.
    api.delete(
        &format!("/api/v1/generation/content?id={whole_id}"),
        Some(token),
    )
    .await
    .expect(204);
    content(&api, token, &whole_id).await.expect_error(404);
    api.delete(
        &format!("/api/v1/generation/content?id={whole_id}"),
        Some(token),
    )
    .await
    .expect_error(404);
    assert!(!content_stored(&api, &key, &whole_id).await);

    // Off again: storing stops at once.
    let off_again = api
        .send(privacy_put(
            &api,
            token,
            None,
            json!({ "store_content": false }),
        ))
        .await;
    assert_eq!(off_again.expect(200)["store_content"], json!(false));
    let after = marker("after-opt-out");
    markers.push(after.clone());
    let (after_id, _) = chat(&api, &key, ask(&after, false)).await;
    let (after_stream_id, _) = chat(&api, &key, ask(&after, true)).await;
    for id in [&after_id, &after_stream_id] {
        content(&api, token, id).await.expect_error(404);
    }
    assert_eq!(stored_rows(&url, &org).await, mine - 1);

    // Deleting all: how many there were, and none are left.
    let all = api.delete("/api/v1/generations/content", Some(token)).await;
    assert_eq!(all.expect(200)["deleted"], json!(mine - 1));
    assert_eq!(stored_rows(&url, &org).await, 0);
    content(&api, token, &stream_id).await.expect_error(404);

    // The server's logs never held a prompt or a completion, stored or not.
    let logs = server.logs();
    assert!(!logs.is_empty(), "the server logged nothing at debug level");
    for marker in &markers {
        assert!(
            !logs.contains(marker.as_str()),
            "{marker} is in the server's logs"
        );
    }

    drop(server);
    process::drop_database(pg_name).await;
    std::fs::remove_dir_all(&dir).ok();
}
