//! The two-host setup the resilience tests share: DeepInfra and Groq, each on its own emulator.

use provider_emulator::{Emulator, EmulatorConfig, Knobs, RunningEmulator};
use reqwest::Method;
use serde_json::{Value, json};
use server::config::Config;
use tests::{Api, Sse, TestServer, email};

pub const MODEL: &str = "meta-llama/llama-3.3-70b-instruct";
const ENDPOINTS: &str = "/api/v1/models/meta-llama/llama-3.3-70b-instruct/endpoints";

pub struct Hosts {
    pub _server: TestServer,
    /// DeepInfra's emulator: tried first.
    pub first: RunningEmulator,
    /// Groq's emulator: the fallback.
    pub second: RunningEmulator,
    pub api: Api,
    pub key: String,
}

/// A server where only DeepInfra and Groq are configured, each on its own emulator.
pub async fn hosts(adjust: impl FnOnce(&mut Config)) -> Hosts {
    let first = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let second = Emulator::start(EmulatorConfig::default()).expect("emulator");
    let (first_base, second_base) = (first.openai_base(), second.openai_base());
    let server = TestServer::start_with(|c| {
        for (prefix, base) in [("DEEPINFRA", first_base), ("GROQ", second_base)] {
            c.provider_env
                .insert(format!("{prefix}_API_KEY"), "test-key".into());
            c.provider_env.insert(format!("{prefix}_BASE_URL"), base);
        }
        adjust(c);
    })
    .await;
    let api = server.api();
    let user = api.signup(&email("resilience")).await;
    let (key, _) = api.create_key(&user, None, json!({ "name": "r" })).await;
    Hosts {
        _server: server,
        first,
        second,
        api,
        key,
    }
}

pub fn failing(status: u16) -> Knobs {
    Knobs {
        status: Some(status),
        ..Knobs::default()
    }
}

pub fn ask(text: &str) -> Value {
    json!({ "model": MODEL, "provider": { "order": ["deepinfra", "groq"] },
        "messages": [{ "role": "user", "content": text }] })
}

pub fn ask_stream(text: &str) -> Value {
    let mut body = ask(text);
    body["stream"] = json!(true);
    body
}

impl Hosts {
    pub async fn chat(&self, body: Value) -> tests::Reply {
        self.api
            .post("/api/v1/chat/completions", Some(&self.key), body)
            .await
    }

    /// A streamed request: its status, generation id and parsed events.
    pub async fn stream(&self, body: Value) -> (u16, String, Sse) {
        let response = self
            .api
            .request(Method::POST, "/api/v1/chat/completions", Some(&self.key))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let id = response
            .headers()
            .get("x-generation-id")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, id, Sse::parse(&response.text().await.unwrap()))
    }

    /// `GET /generation?id=`: the record's `provider_responses` (every attempt).
    pub async fn generation(&self, id: &str) -> Value {
        self.api
            .get(&format!("/api/v1/generation?id={id}"), Some(&self.key))
            .await
            .expect(200)["data"]
            .clone()
    }

    /// The endpoint object for `tag` in the model's endpoints listing.
    pub async fn endpoint(&self, tag: &str) -> Value {
        let body = self.api.get(ENDPOINTS, None).await.expect(200).clone();
        body["data"]["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["tag"] == tag)
            .unwrap_or_else(|| panic!("no endpoint {tag}: {body}"))
            .clone()
    }

    pub fn sent(&self) -> (usize, usize) {
        (self.first.requests().len(), self.second.requests().len())
    }
}

pub fn served_by(reply: &tests::Reply, provider: &str) -> String {
    let body = reply.expect(200);
    assert_eq!(body["provider"], provider, "{body}");
    assert_eq!(body["choices"][0]["message"]["content"], "You said: hi");
    body["id"].as_str().unwrap().to_owned()
}
