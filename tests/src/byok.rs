//! Helpers shared by the BYOK end-to-end tests (tests/tests/byok*.rs). Two emulators: `any`
//! accepts every key (the OpenAI provider; each request's key is read from its log), `strict`
//! accepts only `test-key` (the Anthropic provider, whose platform key that is), so a wrong
//! organization key is really rejected.

use base64::Engine;
use provider_emulator::{Emulator, EmulatorConfig, RunningEmulator};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use server::config::Config;

use crate::{Api, Reply, TestServer, User, email};

pub const PLATFORM_KEY: &str = "platform-openai-key-0000";
pub const ORG_KEY: &str = "sk-proj-organization-own-key-4321";

pub struct Setup {
    pub server: TestServer,
    pub any: RunningEmulator,
    pub strict: RunningEmulator,
}

pub fn emulators() -> (RunningEmulator, RunningEmulator) {
    let any = Emulator::start(EmulatorConfig {
        api_key: None,
        ..EmulatorConfig::default()
    })
    .expect("emulator");
    let strict = Emulator::start(EmulatorConfig::default()).expect("emulator");
    (any, strict)
}

pub fn point_providers(config: &mut Config, any: &RunningEmulator, strict: &RunningEmulator) {
    let env = &mut config.provider_env;
    env.insert("OPENAI_API_KEY".into(), PLATFORM_KEY.into());
    env.insert("OPENAI_BASE_URL".into(), any.openai_base());
    env.insert("ANTHROPIC_API_KEY".into(), "test-key".into());
    env.insert("ANTHROPIC_BASE_URL".into(), strict.anthropic_base());
    // Every BYOK request pays the fee (5 %, the default).
    config.byok_free_requests_per_month = 0;
}

pub async fn setup(adjust: impl FnOnce(&mut Config)) -> Setup {
    let (any, strict) = emulators();
    let server = TestServer::start_with(|config| {
        point_providers(config, &any, &strict);
        adjust(config);
    })
    .await;
    Setup {
        server,
        any,
        strict,
    }
}

pub fn master_key() -> String {
    base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 32]>())
}

pub fn ask(model: &str) -> Value {
    json!({ "model": model, "messages": [{ "role": "user", "content": "Hello BYOK" }] })
}

pub async fn chat(api: &Api, key: &str, body: Value) -> Reply {
    api.post("/api/v1/chat/completions", Some(key), body).await
}

pub async fn add_byok(api: &Api, token: &str, body: Value) -> Value {
    api.post("/api/v1/byok", Some(token), body)
        .await
        .expect(201)["data"]
        .clone()
}

/// The key each upstream request carried (`Authorization: Bearer` or `x-api-key`).
pub fn keys_sent(emulator: &RunningEmulator) -> Vec<String> {
    emulator
        .requests()
        .iter()
        .filter(|r| r.provider != "emulator")
        .map(|r| {
            r.header("authorization")
                .and_then(|v| v.strip_prefix("Bearer "))
                .or_else(|| r.header("x-api-key"))
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

pub async fn user_with_key(api: &Api, name: &str) -> (User, String, String) {
    let user = api.signup(&email(name)).await;
    let (key, hash) = api.create_key(&user, None, json!({ "name": name })).await;
    (user, key, hash)
}

/// Every text column of every stored BYOK row, read straight from the database.
pub async fn raw_rows(database_url: &str) -> Vec<String> {
    let db = Database::connect(database_url).await.expect("connect");
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, org_id, provider, name, label, nonce, ciphertext FROM byok_keys",
        ))
        .await
        .expect("select");
    let out = rows
        .iter()
        .map(|row| {
            [
                "id",
                "org_id",
                "provider",
                "name",
                "label",
                "nonce",
                "ciphertext",
            ]
            .iter()
            .map(|c| {
                row.try_get::<Option<String>>("", c)
                    .expect("column")
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("|")
        })
        .collect();
    db.close().await.ok();
    out
}
