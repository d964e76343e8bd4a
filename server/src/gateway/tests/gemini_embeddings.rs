//! Gemini embeddings against fixtures/gemini/embeddings_documented.json: the requests built
//! from OpenAI-shaped ones, and the answers read back into OpenAI's shape.

use serde_json::{Value, json};

use super::support::{self, ctx};
use crate::gateway::ErrorType;
use crate::gateway::providers::ProviderAdapter;
use crate::gateway::providers::gemini::Gemini;
use crate::gateway::types::{EmbeddingRequest, EmbeddingVector};

/// (request url, request body, response body) per documented exchange.
fn exchanges() -> Vec<(String, Value, Value)> {
    let fx = support::json("gemini/embeddings_documented.json");
    fx["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            assert_eq!(x["response"]["statusCode"], 200);
            (
                x["request"]["url"].as_str().unwrap().to_owned(),
                x["request"]["body"].clone(),
                x["response"]["body"].clone(),
            )
        })
        .collect()
}

/// The OpenAI-shaped request a client sends for a documented Gemini request.
fn openai_request(gemini: &Value, encoding: Option<&str>) -> EmbeddingRequest {
    let text = |r: &Value| r["content"]["parts"][0]["text"].clone();
    let (input, dims) = match gemini.get("requests") {
        Some(rs) => (
            Value::Array(rs.as_array().unwrap().iter().map(text).collect()),
            rs[0]["outputDimensionality"].clone(),
        ),
        None => (text(gemini), gemini["outputDimensionality"].clone()),
    };
    let mut req = json!({"model": "google/gemini-embedding-001", "input": input,
        "dimensions": dims, "user": "u-1", "provider": {"order": ["google-ai-studio"]}});
    if let Some(e) = encoding {
        req["encoding_format"] = e.into();
    }
    serde_json::from_value(req).unwrap()
}

#[test]
fn documented_requests_are_reproduced() {
    for (url, body, _) in exchanges() {
        let req = openai_request(&body, None);
        let built = Gemini
            .build_embeddings(&req, &ctx("gemini-embedding-001"))
            .unwrap();
        assert_eq!(built.path, url);
        assert_eq!(built.body.json(), body, "{url}");
        assert_eq!(built.headers["x-goog-api-key"], "test-key");
        assert!(built.headers["x-goog-api-key"].is_sensitive());
    }
}

#[test]
fn documented_answers_read_as_openai_embeddings_as_floats_and_base64() {
    for (url, request, response) in exchanges() {
        let expected: Vec<Vec<f32>> = match response.get("embeddings") {
            Some(es) => es
                .as_array()
                .unwrap()
                .iter()
                .map(|e| values(&e["values"]))
                .collect(),
            None => vec![values(&response["embedding"]["values"])],
        };
        let raw = serde_json::to_vec(&response).unwrap();
        let req = openai_request(&request, None);
        let r = Gemini
            .parse_embeddings(&raw, &req, &ctx("gemini-embedding-001"))
            .unwrap();
        assert_eq!(r.object, "list");
        assert_eq!(r.data.len(), expected.len(), "{url}");
        for (i, (e, want)) in r.data.iter().zip(&expected).enumerate() {
            assert_eq!((e.object.as_str(), e.index), ("embedding", i as u32));
            assert_eq!(e.embedding, EmbeddingVector::Float(want.clone()), "{url}");
        }
        // Gemini's answer has no token counts: the input is counted (4 characters a token).
        let chars: usize = match &req.input {
            crate::gateway::types::EmbeddingInput::One(t) => t.len(),
            crate::gateway::types::EmbeddingInput::Many(ts) => ts.iter().map(String::len).sum(),
            _ => unreachable!(),
        };
        let usage = r.usage.unwrap();
        assert_eq!(usage.prompt_tokens, chars.div_ceil(4) as u64, "{url}");
        assert_eq!(usage.total_tokens, usage.prompt_tokens);
        assert_eq!(usage.completion_tokens, 0);

        let b64 = Gemini
            .parse_embeddings(
                &raw,
                &openai_request(&request, Some("base64")),
                &ctx("gemini-embedding-001"),
            )
            .unwrap();
        for (e, want) in b64.data.iter().zip(&expected) {
            assert_eq!(
                e.embedding,
                EmbeddingVector::Float(want.clone()).to_base64()
            );
            assert!(matches!(e.embedding, EmbeddingVector::Base64(_)));
        }
    }
}

fn values(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

#[test]
fn reported_usage_wins_and_mismatched_or_failed_answers_are_errors() {
    let req = openai_request(
        &json!({"requests": [
        {"content": {"parts": [{"text": "a"}]}}, {"content": {"parts": [{"text": "b"}]}}]}),
        None,
    );
    let with_usage = json!({"embeddings": [{"values": [0.5]}, {"values": [0.25]}],
        "usageMetadata": {"promptTokenCount": 7, "totalTokenCount": 7}});
    let r = Gemini
        .parse_embeddings(with_usage.to_string().as_bytes(), &req, &ctx("m"))
        .unwrap();
    assert_eq!(r.usage.unwrap().prompt_tokens, 7);

    let short = json!({"embeddings": [{"values": [0.5]}]}).to_string();
    let err = Gemini
        .parse_embeddings(short.as_bytes(), &req, &ctx("m"))
        .unwrap_err();
    assert_eq!(err.error_type, ErrorType::ProviderUnavailable);

    let error = support::bytes("gemini/error_404_unknown_model.json");
    let err = Gemini
        .parse_embeddings(&error, &req, &ctx("m"))
        .unwrap_err();
    assert_eq!(err.status, 404);
}

#[test]
fn token_id_input_is_refused_so_routing_moves_on() {
    let req: EmbeddingRequest =
        serde_json::from_value(json!({"model": "m", "input": [1, 2, 3]})).unwrap();
    let err = Gemini.build_embeddings(&req, &ctx("m")).unwrap_err();
    assert!(matches!(
        err,
        crate::gateway::error::TranslateError::Unsupported { .. }
    ));
}
