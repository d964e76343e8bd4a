//! Gemini embeddings (`:embedContent`, `:batchEmbedContents`): shapes checked against
//! tests/fixtures/gemini/embeddings_documented.json.

mod common;

use common::*;
use serde_json::{Value, json};

async fn post(emu: &provider_emulator::RunningEmulator, url: &str, body: &Value) -> (u16, Value) {
    let response = client()
        .post(format!("{}{url}", emu.gemini_base()))
        .header("x-goog-api-key", KEY)
        .json(body)
        .send()
        .await
        .unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

fn vectors(body: &Value) -> Vec<Vec<f64>> {
    let one = |e: &Value| -> Vec<f64> {
        e["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    match body.get("embeddings") {
        Some(es) => es.as_array().unwrap().iter().map(one).collect(),
        None => vec![one(&body["embedding"])],
    }
}

#[tokio::test]
async fn documented_exchanges_answer_in_the_documented_shape() {
    let emu = start();
    let fx = fixture_json("gemini/embeddings_documented.json");
    for x in fx["exchanges"].as_array().unwrap() {
        let url = x["request"]["url"].as_str().unwrap();
        let (status, body) = post(&emu, url, &x["request"]["body"]).await;
        assert_eq!(status, 200, "{url}: {body}");
        assert_keys(&x["response"]["body"], &body, &[]);
        let (got, want) = (vectors(&body), vectors(&x["response"]["body"]));
        assert_eq!(got.len(), want.len(), "{url}");
        for v in &got {
            assert_eq!(v.len(), 4, "outputDimensionality");
        }
        assert!(body.get("usageMetadata").is_none(), "Google reports none");
    }
    // The same text embeds the same in both calls; different texts differently.
    let batch = &fx["exchanges"][1]["request"];
    let (_, many) = post(&emu, batch["url"].as_str().unwrap(), &batch["body"]).await;
    let single = &fx["exchanges"][0]["request"];
    let (_, one) = post(&emu, single["url"].as_str().unwrap(), &single["body"]).await;
    assert_eq!(vectors(&one)[0], vectors(&many)[0]);
    assert_ne!(vectors(&many)[0], vectors(&many)[1]);
}

#[tokio::test]
async fn default_dimensions_and_request_errors() {
    let emu = start();
    let url = "/v1beta/models/gemini-embedding-001:embedContent";
    let (status, body) = post(&emu, url, &json!({"content": {"parts": [{"text": "hi"}]}})).await;
    assert_eq!(status, 200);
    let v = &vectors(&body)[0];
    assert_eq!(v.len(), 3072);
    let norm: f64 = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    assert!((norm - 1.0).abs() < 1e-3, "{norm}");

    let (status, body) = post(&emu, url, &json!({})).await;
    assert_eq!(
        (status, &body["error"]["status"]),
        (400, &json!("INVALID_ARGUMENT"))
    );

    // Each batch request names the URL's model.
    let batch = "/v1beta/models/gemini-embedding-001:batchEmbedContents";
    let (status, body) = post(
        &emu,
        batch,
        &json!({"requests": [{"model": "models/other", "content": {"parts": [{"text": "a"}]}}]}),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("requests[0].model")
    );

    // A chat model does not embed.
    let (status, body) = post(
        &emu,
        "/v1beta/models/gemini-2.5-flash:embedContent",
        &json!({"content": {"parts": [{"text": "hi"}]}}),
    )
    .await;
    assert_eq!(status, 404);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not supported for embedContent"),
        "{body}"
    );

    // Injected errors apply as on every Gemini call.
    emu.set_knobs(provider_emulator::Knobs {
        status: Some(429),
        ..Default::default()
    });
    let (status, body) = post(&emu, url, &json!({"content": {"parts": [{"text": "hi"}]}})).await;
    assert_eq!(
        (status, &body["error"]["status"]),
        (429, &json!("RESOURCE_EXHAUSTED"))
    );
}
