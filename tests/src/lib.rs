//! Test harness: starts the real server (the same `app::init` + `app::serve` as the binary)
//! on an ephemeral port against a fresh database, and talks to it over HTTP.
//!
//! `TEST_DATABASE=sqlite` (default) gives each server its own SQLite file;
//! `TEST_DATABASE=postgres` gives each its own PostgreSQL database on
//! `TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`), dropped on stop.

pub mod byok;
pub mod money;
pub mod process;
pub mod routing;
pub mod shop;
pub mod stripe_fake;
pub mod webhook;

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use server::config::Config;

pub const PASSWORD: &str = "correct horse battery staple";
pub const ADMIN_EMAIL: &str = "root@switchboard.test";

/// The `<PREFIX>_API_KEY` / `<PREFIX>_BASE_URL` names of the catalog's hosted providers.
pub const PROVIDER_ENV_PREFIXES: &[&str] = &[
    "OPENAI",
    "ANTHROPIC",
    "GEMINI",
    "TOGETHER",
    "GROQ",
    "DEEPINFRA",
    "FIREWORKS",
    "CEREBRAS",
    "MISTRAL",
    "DEEPSEEK",
    "XAI",
];

/// Sends the catalog's hosted providers to `emulator`: Anthropic and Gemini to its root (they
/// speak their own protocols there), the others to its OpenAI-compatible base.
pub fn use_emulator(config: &mut Config, emulator: &provider_emulator::RunningEmulator) {
    let key = emulator.api_key().unwrap_or("test-key");
    for provider in PROVIDER_ENV_PREFIXES {
        let base = match *provider {
            "ANTHROPIC" | "GEMINI" => emulator.base_url.clone(),
            _ => emulator.openai_base(),
        };
        config
            .provider_env
            .insert(format!("{provider}_API_KEY"), key.to_owned());
        config
            .provider_env
            .insert(format!("{provider}_BASE_URL"), base);
    }
}

pub fn using_postgres() -> bool {
    std::env::var("TEST_DATABASE").is_ok_and(|v| v.eq_ignore_ascii_case("postgres"))
}

fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// The built web bundle: `SITE_ROOT`, else `<repo>/target/site` (where scripts/build-web.sh puts it).
pub fn site_root() -> PathBuf {
    std::env::var_os("SITE_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site")))
}

fn unique_suffix() -> String {
    format!("{}_{:08x}", std::process::id(), rand::random::<u32>())
}

/// A running server with its own database.
pub struct TestServer {
    pub base: String,
    /// The database this server uses (another server may be started on it: a second replica).
    pub database_url: String,
    pub data_dir: PathBuf,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// Starts a server after letting the test adjust the configuration.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        Self::start_serving(adjust, |_| {}).await
    }

    /// Starts a server with routes that exist only in tests, mounted before the API's and
    /// behind the same middleware (`server::app::serve_with`).
    pub async fn start_serving(
        adjust: impl FnOnce(&mut Config),
        extra_routes: fn(&mut actix_web::web::ServiceConfig),
    ) -> TestServer {
        let data_dir = std::env::temp_dir().join(format!("switchboard-test-{}", unique_suffix()));
        std::fs::create_dir_all(&data_dir).expect("temp dir");
        let (database_url, pg_db) = if using_postgres() {
            let name = format!("sb_test_{}", unique_suffix());
            let admin = Database::connect(postgres_admin_url())
                .await
                .expect("connect to PostgreSQL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let base = postgres_admin_url();
            let url = format!(
                "{}/{name}",
                base.rsplit_once('/').map(|(b, _)| b).unwrap_or(&base)
            );
            (url, Some(name))
        } else {
            (
                format!("sqlite://{}/test.db?mode=rwc", data_dir.display()),
                None,
            )
        };
        let mut config = Config {
            bind: "127.0.0.1:0".into(),
            data_dir: data_dir.clone(),
            database_url: Some(database_url),
            database_max_connections: 5,
            jwt_secret: Some("test-secret-0123456789abcdef0123456789abcdef".into()),
            admin_email: Some(ADMIN_EMAIL.into()),
            admin_password: Some(PASSWORD.into()),
            login_per_ip_per_minute: 10_000,
            login_per_email_per_minute: 10_000,
            signup_per_ip_per_hour: 10_000,
            workers: Some(1),
            shutdown_timeout_secs: 1,
            max_body_bytes: 1024 * 1024,
            site_root: site_root(),
            ..Config::default()
        };
        adjust(&mut config);
        let database_url = config.database_url.clone().unwrap_or_default();

        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            // One actix System per thread: a second one in the same thread trips actix-rt's
            // thread-local teardown at thread exit.
            actix_web::rt::System::new().block_on(async move {
                let listener = server::app::listen(&config).expect("bind");
                let addr = listener.local_addr().expect("addr");
                let state = server::app::init(config).await.expect("server init");
                let running =
                    server::app::serve_with(state.clone(), listener, extra_routes).expect("serve");
                tx.send((addr, running.handle())).expect("report address");
                running.await.ok();
                state.db.clone().close().await.ok();
                if let Some(name) = pg_db
                    && let Ok(admin) = Database::connect(postgres_admin_url()).await
                {
                    admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await
                        .ok();
                    admin.close().await.ok();
                }
            });
        });
        let (addr, handle) =
            tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(60)))
                .await
                .expect("join")
                .expect("server did not start within 60 s");
        TestServer {
            base: format!("http://{addr}"),
            database_url,
            data_dir,
            handle,
            thread: Some(thread),
        }
    }

    /// A server whose every catalog provider points at one running emulator.
    pub async fn with_emulator(
        adjust: impl FnOnce(&mut Config),
    ) -> (TestServer, provider_emulator::RunningEmulator) {
        let emulator =
            provider_emulator::Emulator::start(provider_emulator::EmulatorConfig::default())
                .expect("start emulator");
        let server = TestServer::start_with(|config| {
            use_emulator(config, &emulator);
            adjust(config);
        })
        .await;
        (server, emulator)
    }

    /// Another process on `self`'s database whose providers point at `emulator`.
    pub async fn replica(
        &self,
        emulator: &provider_emulator::RunningEmulator,
        adjust: impl FnOnce(&mut Config),
    ) -> TestServer {
        let database_url = self.database_url.clone();
        TestServer::start_with(|config| {
            config.database_url = Some(database_url);
            use_emulator(config, emulator);
            adjust(config);
        })
        .await
    }

    pub fn api(&self) -> Api {
        Api {
            database_url: Some(self.database_url.clone()),
            ..Api::new(&self.base)
        }
    }

    /// Stops the server and waits for it (and its database clean-up).
    pub async fn stop(mut self) {
        self.handle.stop(true).await;
        if let Some(t) = self.thread.take() {
            tokio::task::spawn_blocking(move || t.join()).await.ok();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // `stop` sends its command at once. Waiting for the server thread means its workers,
        // their runtimes and the database pool are gone before the next test or the process
        // exit, and the PostgreSQL test database is dropped.
        drop(self.handle.stop(true));
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
        std::fs::remove_dir_all(&self.data_dir).ok();
    }
}

/// A JSON-over-HTTP client for the API.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    /// The server's database, for [`Api::fund`] (absent for an `Api` made from a bare URL).
    pub database_url: Option<String>,
}

/// What [`Api::signup`] grants each new account's personal organization, so that tests of
/// paid models need no set-up of their own (tests of an empty balance use
/// [`Api::signup_unfunded`]).
pub const SIGNUP_FUNDING_USD: &str = "100";

/// A response: status, headers and the JSON body (`Value::Null` when empty).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    /// Asserts the status and returns the body.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        &self.body
    }

    /// Asserts an error in the one documented shape, with this status.
    #[track_caller]
    pub fn expect_error(&self, status: u16) -> String {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        let error = &self.body["error"];
        assert_eq!(
            error["code"],
            json!(status),
            "error.code must equal the status: {}",
            self.text
        );
        let message = error["message"]
            .as_str()
            .unwrap_or_else(|| panic!("error.message missing: {}", self.text));
        assert!(!message.is_empty());
        message.to_owned()
    }
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                // Below the server's idle keep-alive, so a pooled connection is never reused
                // just as the server closes it.
                .pool_idle_timeout(Duration::from_secs(50))
                .build()
                .expect("client"),
            database_url: None,
        }
    }

    /// Adds `usd` to `org`'s credit through the server's own ledger code, writing the server's
    /// database (test set-up; the admin grant endpoint has its own tests). Unaudited, so that
    /// tests counting audit entries see only their own.
    pub async fn fund(&self, org: &str, usd: &str) {
        let url = self
            .database_url
            .as_deref()
            .expect("fund needs TestServer::api()");
        let db = server::db::connect(url, 1)
            .await
            .expect("connect to the test database");
        let posted = server::billing::ledger::post(
            &db,
            server::billing::ledger::NewEntry {
                org_id: org.to_owned(),
                kind: server::billing::ledger::EntryKind::Grant,
                amount: server::billing::money::Nanos::from_usd_str(usd).expect("amount"),
                reference: None,
                reason: Some("test set-up".into()),
                actor_user_id: None,
            },
        )
        .await
        .expect("post the funding");
        assert!(matches!(
            posted,
            server::billing::ledger::Posted::Applied { .. }
        ));
        db.close().await.ok();
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("request failed");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .unwrap_or_else(|_| panic!("response is not JSON ({status}): {text}"))
        };
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.request(method, path, token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::PUT, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::DELETE, path, token, None).await
    }

    /// Signs a new user up and returns their session; their personal organization gets
    /// [`SIGNUP_FUNDING_USD`] of credit when this `Api` knows the database.
    pub async fn signup(&self, email: &str) -> User {
        let user = self.signup_unfunded(email).await;
        if self.database_url.is_some() {
            self.fund(&user.personal_org, SIGNUP_FUNDING_USD).await;
        }
        user
    }

    /// Signs a new user up; their organization starts at $0, as every new one does.
    pub async fn signup_unfunded(&self, email: &str) -> User {
        let reply = self
            .post(
                "/api/v1/auth/signup",
                None,
                json!({ "email": email, "password": PASSWORD, "name": email.split('@').next() }),
            )
            .await;
        User::from_auth(reply.expect(201))
    }

    pub async fn login(&self, email: &str) -> User {
        let reply = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "email": email, "password": PASSWORD }),
            )
            .await;
        User::from_auth(reply.expect(200))
    }

    /// A new organization of `owner` named `name`, with a member (role `member`) who joined
    /// by invite: `(org id, member)`.
    pub async fn team(&self, owner: &User, name: &str) -> (String, User) {
        let org = self
            .post(
                "/api/v1/organizations",
                Some(&owner.token),
                json!({ "name": name }),
            )
            .await;
        let org_id = org.expect(201)["id"].as_str().expect("id").to_owned();
        let member_email = email(&format!("{}-member", name.to_ascii_lowercase()));
        self.post(
            &format!("/api/v1/organizations/{org_id}/invites"),
            Some(&owner.token),
            json!({ "email": member_email }),
        )
        .await
        .expect(201);
        (org_id, self.signup(&member_email).await)
    }

    /// Creates an inference key in the caller's personal organization (or `org` when given).
    pub async fn create_key(
        &self,
        user: &User,
        org: Option<&str>,
        body: Value,
    ) -> (String, String) {
        let mut request = self
            .request(Method::POST, "/api/v1/keys", Some(&user.token))
            .json(&body);
        if let Some(org) = org {
            request = request.header("X-Organization-Id", org);
        }
        let reply = self.send(request).await;
        let body = reply.expect(201);
        (
            body["key"].as_str().expect("key").to_owned(),
            body["data"]["hash"].as_str().expect("hash").to_owned(),
        )
    }
}

/// One parsed server-sent event stream: comments and `data:` payloads in order.
#[derive(Debug, Default)]
pub struct Sse {
    pub comments: Vec<String>,
    /// JSON payloads (not `[DONE]`).
    pub data: Vec<Value>,
    pub done: bool,
    pub raw: String,
}

impl Sse {
    pub fn parse(text: &str) -> Sse {
        let mut sse = Sse {
            raw: text.to_owned(),
            ..Sse::default()
        };
        for frame in text.split("\n\n").filter(|f| !f.trim().is_empty()) {
            for line in frame.lines() {
                if let Some(comment) = line.strip_prefix(':') {
                    sse.comments.push(comment.trim().to_owned());
                } else if let Some(data) = line.strip_prefix("data:") {
                    let data = data.trim();
                    assert!(!sse.done, "data after [DONE]: {text}");
                    if data == "[DONE]" {
                        sse.done = true;
                    } else {
                        sse.data.push(
                            serde_json::from_str(data)
                                .unwrap_or_else(|e| panic!("bad SSE JSON {data}: {e}")),
                        );
                    }
                }
            }
        }
        sse
    }

    /// The concatenated `delta.content` of choice 0.
    pub fn text(&self) -> String {
        self.data
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
            .collect()
    }
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub email: String,
    pub token: String,
    pub refresh_token: String,
    pub personal_org: String,
}

impl User {
    fn from_auth(body: &Value) -> User {
        User {
            id: body["user"]["id"].as_str().expect("user.id").to_owned(),
            email: body["user"]["email"]
                .as_str()
                .expect("user.email")
                .to_owned(),
            token: body["token"].as_str().expect("token").to_owned(),
            refresh_token: body["refresh_token"]
                .as_str()
                .expect("refresh_token")
                .to_owned(),
            personal_org: body["user"]["personal_organization_id"]
                .as_str()
                .expect("org")
                .to_owned(),
        }
    }
}

/// The named events of an SSE body (`event: <name>` + `data: <json>`), as the Responses and
/// Anthropic Messages streams frame them; comments are skipped. Panics on a frame without a
/// name or with bad JSON.
pub fn named_events(text: &str) -> Vec<(String, Value)> {
    let mut events = Vec::new();
    for frame in text.split("\n\n").filter(|f| !f.trim().is_empty()) {
        let mut name = None;
        let mut data = None;
        for line in frame.lines() {
            if let Some(n) = line.strip_prefix("event:") {
                name = Some(n.trim().to_owned());
            } else if let Some(d) = line.strip_prefix("data:") {
                data = Some(
                    serde_json::from_str::<Value>(d.trim())
                        .unwrap_or_else(|e| panic!("bad SSE JSON {d}: {e}")),
                );
            }
        }
        match (name, data) {
            (Some(name), Some(data)) => events.push((name, data)),
            (None, None) => {} // a comment
            other => panic!("frame without event name or data: {other:?} in {text}"),
        }
    }
    events
}

/// A fresh, unique email address.
pub fn email(name: &str) -> String {
    format!("{name}-{:08x}@example.com", rand::random::<u32>())
}
