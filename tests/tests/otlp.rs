//! OTLP trace export: with `OTEL_EXPORTER_OTLP_ENDPOINT` pointing at a collector inside the
//! test (an HTTP server on 127.0.0.1 keeping what it receives), the server binary exports one
//! span per generation whose attributes equal the generation record (id, model, tokens,
//! cost), and no prompt text anywhere in the payload.
//!
//! SQLite, or with `TEST_DATABASE=postgres` a PostgreSQL database of its own. Runs the binary
//! of `SWITCHBOARD_BIN` (see `tests::process`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use tests::process::{self, Keys, ServerProcess};

const PROMPT: &str = "tell me about the purple-otter-secret-9731";

/// What the collector received: each request's path, content type and body.
type Received = Arc<Mutex<Vec<(String, String, String)>>>;

fn collector() -> (String, Received) {
    let received: Received = Arc::default();
    let keep = received.clone();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(move || {
        let keep = keep.clone();
        App::new().default_service(web::to(
            move |req: actix_web::HttpRequest, body: web::Bytes| {
                let keep = keep.clone();
                async move {
                    let content_type = req
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned();
                    keep.lock().unwrap().push((
                        req.path().to_owned(),
                        content_type,
                        String::from_utf8_lossy(&body).into_owned(),
                    ));
                    HttpResponse::Ok().json(json!({}))
                }
            },
        ))
    })
    .workers(1)
    .listen(listener)
    .expect("listen")
    .run();
    std::thread::spawn(move || actix_web::rt::System::new().block_on(server));
    (base, received)
}

/// A span's attributes as plain JSON values.
fn attributes(span: &Value) -> BTreeMap<String, Value> {
    span["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let value = &a["value"];
            let plain = if let Some(s) = value.get("stringValue") {
                s.clone()
            } else if let Some(i) = value.get("intValue") {
                json!(i.as_str().unwrap().parse::<i64>().unwrap())
            } else if let Some(d) = value.get("doubleValue") {
                d.clone()
            } else if let Some(b) = value.get("boolValue") {
                b.clone()
            } else {
                value.clone()
            };
            (a["key"].as_str().unwrap().to_owned(), plain)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_generation_is_exported_as_a_span_without_its_prompt() {
    let (collector_base, received) = collector();
    let emulator = provider_emulator::Emulator::start(provider_emulator::EmulatorConfig::default())
        .expect("emulator");
    let dir = std::env::temp_dir().join(format!("otlp-test-{:08x}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let (url, pg_name) = process::own_database(&dir, "otlp").await;
    let server = ServerProcess::start(
        &url,
        &emulator,
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", collector_base.clone()),
            ("OTEL_SERVICE_NAME", "switchboard-under-test".into()),
        ],
    )
    .await;
    let keys = Keys::make(&server.api).await;
    for stream in [false, true, false] {
        let reply = server
            .api
            .http
            .post(format!("{}/api/v1/chat/completions", server.api.base))
            .bearer_auth(&keys.funded)
            .json(&json!({
                "model": "openai/gpt-4o-mini",
                "messages": [{"role": "user", "content": PROMPT}],
                "max_tokens": 32,
                "stream": stream,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        reply.bytes().await.unwrap();
    }

    // Batched: a partial batch leaves within a second of the records' assembly.
    let deadline = Instant::now() + Duration::from_secs(20);
    let spans = loop {
        let spans: Vec<Value> = received
            .lock()
            .unwrap()
            .iter()
            .flat_map(|(path, content_type, body)| {
                assert_eq!(path, "/v1/traces");
                assert!(
                    content_type.starts_with("application/json"),
                    "{content_type}"
                );
                assert!(
                    !body.contains("purple-otter"),
                    "prompt text exported: {body}"
                );
                let body: Value = serde_json::from_str(body).expect("JSON body");
                let resource = &body["resourceSpans"][0]["resource"];
                assert_eq!(
                    attributes(resource)["service.name"],
                    json!("switchboard-under-test")
                );
                body["resourceSpans"][0]["scopeSpans"][0]["spans"]
                    .as_array()
                    .unwrap()
                    .clone()
            })
            .collect();
        if spans.len() >= 3 {
            break spans;
        }
        assert!(Instant::now() < deadline, "spans received: {spans:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(spans.len(), 3);

    // The spans leave from the assembled records, the rows with the writer's next batch: on
    // a loaded machine either may come first.
    let db = Database::connect(&url).await.unwrap();
    let rows = loop {
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT id, model, requested_model, provider, tokens_prompt, tokens_completion, \
                 cost_nanos, streamed FROM generations",
            ))
            .await
            .unwrap();
        if rows.len() >= 3 {
            break rows;
        }
        assert!(Instant::now() < deadline, "records written: {}", rows.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(rows.len(), 3);
    for row in rows {
        let id: String = row.try_get("", "id").unwrap();
        let span = spans
            .iter()
            .find(|s| attributes(s)["gen_ai.response.id"] == json!(id))
            .unwrap_or_else(|| panic!("no span for {id}"));
        assert_eq!(span["traceId"].as_str().unwrap().len(), 32);
        assert_eq!(span["spanId"].as_str().unwrap().len(), 16);
        assert_eq!(span["status"]["code"], 1);
        let start: u128 = span["startTimeUnixNano"].as_str().unwrap().parse().unwrap();
        let end: u128 = span["endTimeUnixNano"].as_str().unwrap().parse().unwrap();
        assert!(start > 0 && end >= start);
        let a = attributes(span);
        let model: String = row.try_get("", "model").unwrap();
        assert_eq!(a["gen_ai.response.model"], json!(model));
        assert_eq!(model, "openai/gpt-4o-mini");
        let requested: String = row.try_get("", "requested_model").unwrap();
        assert_eq!(a["gen_ai.request.model"], json!(requested));
        let provider: Option<String> = row.try_get("", "provider").unwrap();
        assert_eq!(a["gen_ai.provider.name"], json!(provider.unwrap()));
        let prompt: i64 = row.try_get("", "tokens_prompt").unwrap();
        let completion: i64 = row.try_get("", "tokens_completion").unwrap();
        assert!(prompt > 0 && completion > 0);
        assert_eq!(a["gen_ai.usage.input_tokens"], json!(prompt));
        assert_eq!(a["gen_ai.usage.output_tokens"], json!(completion));
        let cost: i64 = row.try_get("", "cost_nanos").unwrap();
        assert!(cost > 0);
        assert_eq!(a["switchboard.cost_nanos"], json!(cost));
        assert_eq!(a["gen_ai.usage.cost"], json!(cost as f64 / 1e9));
        let streamed: bool = row.try_get("", "streamed").unwrap();
        assert_eq!(a["switchboard.streamed"], json!(streamed));
        assert_eq!(a["gen_ai.operation.name"], json!("chat"));
        assert_eq!(a["http.response.status_code"], json!(200));
    }
    db.close().await.ok();
    drop(server);
    process::drop_database(pg_name).await;
    std::fs::remove_dir_all(&dir).ok();
}
