//! Gemini protocol: shapes checked against tests/fixtures/gemini.

mod common;

use common::*;
use provider_emulator::{RunningEmulator, tokens};
use serde_json::{Value, json};

fn generate(
    emu: &RunningEmulator,
    model: &str,
    method: &str,
    body: &Value,
) -> reqwest::RequestBuilder {
    client()
        .post(format!(
            "{}/v1beta/models/{model}:{method}",
            emu.gemini_base()
        ))
        .header("x-goog-api-key", KEY)
        .json(body)
}

fn user(text: &str) -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": text}]}]})
}

#[tokio::test]
async fn unary_matches_recorded_response() {
    let emu = start();
    let response = generate(
        &emu,
        "gemini-2.0-flash",
        "generateContent",
        &user("Where is Google based?"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let fixture = fixture_json("gemini/response_basic_reply_short.json");
    assert_keys(
        &fixture,
        &body,
        &["candidates[].safetyRatings", "candidates[].avgLogprobs"],
    );
    assert_eq!(body["candidates"][0]["content"]["role"], "model");
    assert_eq!(
        body["candidates"][0]["content"]["parts"],
        json!([{"text": "You said: Where is Google based?"}])
    );
    assert_eq!(body["candidates"][0]["finishReason"], "STOP");
    let usage = &body["usageMetadata"];
    let prompt = tokens::count("Where is Google based?");
    let out = tokens::count("You said: Where is Google based?");
    assert_eq!(usage["promptTokenCount"], prompt);
    assert_eq!(usage["candidatesTokenCount"], out);
    assert_eq!(usage["totalTokenCount"], prompt + out);
    assert_eq!(body["modelVersion"], "gemini-2.0-flash");
}

#[tokio::test]
async fn stream_uses_crlf_framing_and_final_finish_reason() {
    let emu = start();
    let response = client()
        .post(format!(
            "{}/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse&key={KEY}",
            emu.gemini_base()
        ))
        .json(&user("What is the capital of Wyoming?"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let text = response.text().await.unwrap();
    assert!(!text.contains("[DONE]"));
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "every line ends with CRLF"
    );
    let chunks: Vec<Value> = events(&text, "\r\n\r\n").iter().map(Event::json).collect();
    let fixture: Vec<Value> = fixture_events("gemini/stream_basic_reply_short.sse", "\r\n\r\n")
        .iter()
        .map(Event::json)
        .collect();
    assert!(chunks.len() > 1);
    let last = chunks.len() - 1;
    for (i, chunk) in chunks.iter().enumerate() {
        let expected = if i == last {
            &fixture[fixture.len() - 1]
        } else {
            &fixture[0]
        };
        assert_eq!(keys(chunk), {
            let mut k = keys(expected);
            k.push("responseId".into());
            k.sort();
            k
        });
        assert_eq!(
            keys(&chunk["usageMetadata"]),
            keys(&expected["usageMetadata"]),
            "chunk {i}"
        );
        assert_eq!(
            chunk["candidates"][0].get("finishReason").is_some(),
            i == last,
            "finishReason only on the last chunk"
        );
    }
    let joined: String = chunks
        .iter()
        .map(|c| {
            c["candidates"][0]["content"]["parts"][0]["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(joined, "You said: What is the capital of Wyoming?");
    assert_eq!(
        chunks[last]["usageMetadata"]["candidatesTokenCount"],
        tokens::count(&joined)
    );
}

#[tokio::test]
async fn invalid_key_is_400_api_key_invalid_exactly() {
    let emu = start();
    let response = client()
        .post(format!(
            "{}/v1beta/models/gemini-2.0-flash:generateContent",
            emu.gemini_base()
        ))
        .header("x-goog-api-key", "key1234")
        .json(&user("hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        fixture_json("gemini/error_400_api_key_invalid.json")
    );
}

#[tokio::test]
async fn unknown_model_is_404_exactly() {
    let emu = start_with(|c| c.strict_models = true);
    let response = client()
        .post(format!(
            "{}/v1/models/gemini-5.0-flash:generateContent",
            emu.gemini_base()
        ))
        .header("x-goog-api-key", KEY)
        .json(&user("hi"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        fixture_json("gemini/error_404_unknown_model.json")
    );
    // A stream request fails the same way, with a plain JSON body (not SSE).
    let response = generate(
        &emu,
        "gemini-nonexistent",
        "streamGenerateContent?alt=sse",
        &user("hi"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["status"], "NOT_FOUND");
}

#[tokio::test]
async fn function_call_with_thought_signature_and_thoughts() {
    let emu = start();
    let recording =
        fixture_json("gemini/recording_generateContent_functionCall_thoughtSignature.json");
    let mut request = recording["interactions"][0]["request"]["bodySegments"][0].clone();
    request["generationConfig"] =
        json!({"thinkingConfig": {"includeThoughts": true, "thinkingBudget": 1024}});
    let body: Value = generate(&emu, "gemini-2.5-flash", "generateContent", &request)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let expected = fixture_json("gemini/response_thinking_function_call_thought_signature.json");
    assert_keys(&expected, &body, &[]);
    let parts = body["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap();
    assert_eq!(parts[0]["thought"], true);
    let call = &parts[1];
    assert_eq!(call["functionCall"]["name"], "concatStringFunction");
    assert_eq!(
        call["functionCall"]["args"],
        json!({"firstString": "example", "secondString": "example"})
    );
    assert!(
        call["thoughtSignature"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    let usage = &body["usageMetadata"];
    let thoughts = usage["thoughtsTokenCount"].as_u64().unwrap();
    assert_eq!(
        thoughts as usize,
        tokens::count(parts[0]["text"].as_str().unwrap())
    );
    assert_eq!(
        usage["totalTokenCount"].as_u64().unwrap(),
        usage["promptTokenCount"].as_u64().unwrap()
            + usage["candidatesTokenCount"].as_u64().unwrap()
            + thoughts
    );

    // Streamed: thought chunks first, then the call with finishReason.
    request["generationConfig"]["thinkingConfig"]["includeThoughts"] = json!(true);
    let text = generate(
        &emu,
        "gemini-2.5-flash",
        "streamGenerateContent?alt=sse",
        &request,
    )
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    let chunks: Vec<Value> = events(&text, "\r\n\r\n").iter().map(Event::json).collect();
    let last = chunks.last().unwrap();
    assert!(last["candidates"][0]["content"]["parts"][0]["functionCall"].is_object());
    assert!(last["candidates"][0]["content"]["parts"][0]["thoughtSignature"].is_string());
    assert_eq!(last["candidates"][0]["finishReason"], "STOP");
    assert!(
        chunks[..chunks.len() - 1]
            .iter()
            .all(|c| c["candidates"][0]["content"]["parts"][0]["thought"] == true)
    );
    assert!(
        chunks
            .iter()
            .all(|c| c["usageMetadata"]["thoughtsTokenCount"].is_u64())
    );

    // Without thinking there is no signature; after a functionResponse the model answers in text.
    request.as_object_mut().unwrap().remove("generationConfig");
    let body: Value = generate(&emu, "gemini-2.5-flash", "generateContent", &request)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        body["candidates"][0]["content"]["parts"][0]
            .get("thoughtSignature")
            .is_none()
    );
    let mut follow = request.clone();
    follow["toolConfig"]["functionCallingConfig"]["mode"] = json!("AUTO");
    follow["contents"].as_array_mut().unwrap().push(json!({"role": "user", "parts": [{"functionResponse": {"name": "concatStringFunction", "response": {"output": "hello world"}}}]}));
    let body: Value = generate(&emu, "gemini-2.5-flash", "generateContent", &follow)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        body["candidates"][0]["content"]["parts"][0]["text"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn structured_output_and_system_instruction() {
    let emu = start();
    let recording = fixture_json(
        "gemini/recording_generateContent_responseJsonSchema_cachedContentTokenCount.json",
    );
    let request = recording["interactions"][0]["request"]["bodySegments"][0].clone();
    let body: Value = generate(&emu, "gemini-2.5-flash", "generateContent", &request)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = body["candidates"][0]["content"]["parts"][0]["text"]
        .as_str()
        .unwrap();
    let parsed: Value = serde_json::from_str(text).expect("JSON text");
    let schema = &request["generationConfig"]["responseJsonSchema"];
    for required in schema["required"].as_array().unwrap() {
        assert!(
            parsed.get(required.as_str().unwrap()).is_some(),
            "{required} missing in {parsed}"
        );
    }

    let recording = fixture_json("gemini/recording_generateContent_systemInstruction.json");
    let request = recording["interactions"][0]["request"]["bodySegments"][0].clone();
    let body: Value = generate(&emu, "gemini-2.5-flash", "generateContent", &request)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["candidates"][0]["content"]["parts"][0]["text"],
        "[I say high you say low] You said: high"
    );
    assert_eq!(
        body["usageMetadata"]["promptTokenCount"],
        tokens::count("I say high you say low") + tokens::count("high")
    );
}

#[tokio::test]
async fn injected_errors_and_in_band_stream_error() {
    let emu = start();
    let r = generate(&emu, "gemini-2.5-flash", "generateContent", &user("hi"))
        .header("x-emulator-status", "429")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        keys(&body["error"]),
        vec!["code", "details", "message", "status"]
    );
    assert_eq!(body["error"]["status"], "RESOURCE_EXHAUSTED");
    assert_eq!(body["error"]["code"], 429);
    let r = generate(&emu, "gemini-2.5-flash", "generateContent", &user("hi"))
        .header("x-emulator-status", "503")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["status"],
        "UNAVAILABLE"
    );

    let text = generate(
        &emu,
        "gemini-2.5-flash",
        "streamGenerateContent?alt=sse",
        &user("a b c"),
    )
    .header("x-emulator-stream-error-after", "1")
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    let chunks: Vec<Value> = events(&text, "\r\n\r\n").iter().map(Event::json).collect();
    assert_eq!(chunks.len(), 2);
    assert_eq!(chunks[1]["error"]["status"], "UNAVAILABLE");
}

#[tokio::test]
async fn max_output_tokens_gives_max_tokens() {
    let emu = start();
    let mut request = user("one two three");
    request["generationConfig"] = json!({"maxOutputTokens": 2});
    let body: Value = generate(&emu, "gemini-2.5-flash", "generateContent", &request)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["candidates"][0]["finishReason"], "MAX_TOKENS");
    assert_eq!(
        body["candidates"][0]["content"]["parts"][0]["text"],
        "You said"
    );
}
