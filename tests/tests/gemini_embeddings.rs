//! Embeddings through Gemini end to end: `POST /api/v1/embeddings` for
//! `google/gemini-embedding-001` reaches the emulator's `:embedContent` (one text) or
//! `:batchEmbedContents` (several) in Google's shape, and answers in OpenAI's, as floats or
//! base64, priced and recorded.

use base64::Engine as _;
use serde_json::{Value, json};
use tests::{TestServer, email};

const MODEL: &str = "google/gemini-embedding-001";

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

#[tokio::test]
async fn gemini_embeddings_as_floats_and_base64() {
    let (server, emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let user = api.signup(&email("gemini-embed")).await;
    let (key, _) = api.create_key(&user, None, json!({ "name": "e" })).await;

    // Several texts: one batchEmbedContents call, answers in input order.
    let reply = api
        .post(
            "/api/v1/embeddings",
            Some(&key),
            json!({ "model": MODEL, "input": ["first text", "second text"], "dimensions": 8 }),
        )
        .await;
    let body = reply.expect(200).clone();
    assert_eq!(body["object"], "list");
    assert_eq!(body["model"], MODEL);
    assert_eq!(body["provider"], "Google AI Studio", "{body}");
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    for (i, e) in data.iter().enumerate() {
        assert_eq!(
            (e["object"].as_str(), e["index"].as_u64()),
            (Some("embedding"), Some(i as u64))
        );
        assert_eq!(e["embedding"].as_array().unwrap().len(), 8);
    }
    assert_ne!(data[0]["embedding"], data[1]["embedding"]);
    // Google reports no token counts: counted, 4 characters a token ("first text" + "second text").
    let usage = &body["usage"];
    assert_eq!(usage["prompt_tokens"], 6, "{body}");
    assert_eq!(usage["total_tokens"], 6);
    assert!(usage["cost"].as_f64().unwrap() > 0.0, "{body}");
    let sent = emulator.requests().last().unwrap().clone();
    assert_eq!(
        (sent.provider.as_str(), sent.path.as_str()),
        (
            "gemini",
            "/v1beta/models/gemini-embedding-001:batchEmbedContents"
        )
    );
    assert!(sent.headers.contains_key("x-goog-api-key"));
    assert_eq!(
        sent.body,
        json!({"requests": [
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "first text"}]}, "outputDimensionality": 8},
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "second text"}]}, "outputDimensionality": 8},
        ]})
    );

    // The generation is recorded with its cost.
    let id = reply.headers["x-generation-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let generation = api
        .get(&format!("/api/v1/generation?id={id}"), Some(&key))
        .await
        .expect(200)["data"]
        .clone();
    assert_eq!(generation["model"], MODEL, "{generation}");
    assert_eq!(generation["tokens_prompt"], 6, "{generation}");
    assert!(
        generation["total_cost"].as_f64().unwrap() > 0.0,
        "{generation}"
    );

    // One text: embedContent; base64 is the little-endian f32s of the float answer.
    let float = api
        .post(
            "/api/v1/embeddings",
            Some(&key),
            json!({ "model": MODEL, "input": "first text" }),
        )
        .await;
    let float = floats(&float.expect(200)["data"][0]["embedding"]);
    assert_eq!(float.len(), 3072);
    let sent = emulator.requests().last().unwrap().clone();
    assert_eq!(
        sent.path,
        "/v1beta/models/gemini-embedding-001:embedContent"
    );
    assert_eq!(
        sent.body,
        json!({"content": {"parts": [{"text": "first text"}]}})
    );
    let b64 = api
        .post(
            "/api/v1/embeddings",
            Some(&key),
            json!({ "model": MODEL, "input": "first text", "encoding_format": "base64" }),
        )
        .await;
    let encoded = b64.expect(200)["data"][0]["embedding"]
        .as_str()
        .unwrap()
        .to_owned();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    let decoded: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    assert_eq!(decoded, float);
    // Gemini is never asked for base64 (it has no such option).
    assert!(
        emulator
            .requests()
            .last()
            .unwrap()
            .body
            .get("encoding_format")
            .is_none()
    );

    // Token-id input cannot go to Gemini: refused, naming why.
    let message = api
        .post(
            "/api/v1/embeddings",
            Some(&key),
            json!({ "model": MODEL, "input": [1, 2, 3] }),
        )
        .await
        .expect_error(400);
    assert!(message.contains("token-id embedding input"), "{message}");
}
