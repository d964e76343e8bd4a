//! The completion hook fires exactly once per request: a real relay against a local upstream
//! (a small HTTP/1.1 server on 127.0.0.1 speaking OpenAI's format), observed through the
//! usage writer's queue.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use entity::generation;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::{Attribution, Caller, ChatAnswer, Inference, InferenceError, Served};
use crate::accounts::key_cache::AuthKey;
use crate::billing::leases::Subject;
use crate::billing::money::Nanos;
use crate::billing::reservations::CreditAccounts;
use crate::config::Config;
use crate::gateway::catalog::{Catalog, CatalogSource, LiveProvider};
use crate::gateway::relay::ChunkFormat;
use crate::gateway::routing::RoutingTable;
use crate::usage::record::UsageRecord;
use crate::usage::writer::{Pending, UsageWriter};

/// What the upstream does, chosen by a word in the prompt.
const WHOLE: &str = "whole";
const FAIL: &str = "fail";
const STREAM: &str = "stream";
/// Sends a stream's headers and first chunk, then nothing more.
const STALL: &str = "stall";
/// Never answers.
const SILENT: &str = "silent";

/// A local upstream: answers each connection by the word its request carries.
async fn upstream() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(answer(socket));
        }
    });
    format!("http://{address}/v1")
}

async fn answer(mut socket: TcpStream) {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    // Headers, then as much body as `content-length` says.
    let body_start = loop {
        let n = socket.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        request.extend_from_slice(&buf[..n]);
        if let Some(at) = memchr::memmem::find(&request, b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..body_start]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while request.len() < body_start + length {
        let n = socket.read(&mut buf).await.unwrap_or(0);
        if n == 0 {
            return;
        }
        request.extend_from_slice(&buf[..n]);
    }
    let body = String::from_utf8_lossy(&request[body_start..]).into_owned();
    let usage = json!({"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7});
    if body.contains(SILENT) {
        tokio::time::sleep(Duration::from_secs(60)).await;
    } else if body.contains(FAIL) {
        let error = json!({"error": {"message": "boom", "type": "server_error"}}).to_string();
        let head = format!(
            "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            error.len()
        );
        socket.write_all((head + &error).as_bytes()).await.ok();
    } else if body.contains(WHOLE) {
        let response = json!({"id": "up-1", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
            "usage": usage})
        .to_string();
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            response.len()
        );
        socket.write_all((head + &response).as_bytes()).await.ok();
    } else {
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
        if socket.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = |delta: serde_json::Value,
                     finish: Option<&str>,
                     usage: Option<&serde_json::Value>| {
            let mut chunk = json!({"id": "up-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
            if let Some(usage) = usage {
                chunk["usage"] = usage.clone();
            }
            let frame = format!("data: {chunk}\n\n");
            format!("{:x}\r\n{frame}\r\n", frame.len())
        };
        let first = chunk(json!({"role": "assistant", "content": "hi"}), None, None);
        if socket.write_all(first.as_bytes()).await.is_err() {
            return;
        }
        if body.contains(STALL) {
            tokio::time::sleep(Duration::from_secs(60)).await;
            return;
        }
        let last = chunk(json!({}), Some("stop"), Some(&usage));
        let done = "data: [DONE]\n\n";
        let tail = format!("{last}{:x}\r\n{done}\r\n0\r\n\r\n", done.len());
        socket.write_all(tail.as_bytes()).await.ok();
    }
}

const CATALOG: &str = r#"
[[providers]]
slug = "local"
name = "Local"
protocol = "openai"
base_url = "http://unused.test/v1"

[[models]]
id = "test/chat"
name = "Test Chat"
created = 1700000000
description = "test"
context_length = 10000

[[models.endpoints]]
provider = "local"
upstream_model = "m"
pricing = { prompt = "1", completion = "2" }
"#;

/// A fresh SQLite database where the test organization holds $100.
async fn funded_database() -> sea_orm::DatabaseConnection {
    let dir = std::env::temp_dir().join(format!("hook-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/db.sqlite?mode=rwc", dir.display());
    let db = crate::db::connect(&url, 2).await.unwrap();
    crate::db::migrate(&db).await.unwrap();
    let funding = crate::billing::ledger::NewEntry {
        org_id: "org".into(),
        kind: crate::billing::ledger::EntryKind::Grant,
        amount: Nanos::from_usd_str("100").unwrap(),
        reference: None,
        reason: None,
        actor_user_id: None,
    };
    crate::billing::ledger::post(&db, funding).await.unwrap();
    db
}

/// The service over the local upstream, recording into a queue the test reads.
async fn service(base_url: String) -> (Inference, mpsc::Receiver<Pending>) {
    let catalog = Catalog::build(CatalogSource::from_toml(CATALOG).unwrap()).unwrap();
    let live = vec![LiveProvider {
        slug: "local".into(),
        base_url,
        api_key: Some("k".into()),
    }];
    let (writer, records) = UsageWriter::detached();
    let config = Config {
        stream_commit_ms: 0,
        // A stalled stream notices a departed client at its next keep-alive comment.
        stream_keep_alive_ms: 50,
        ..Config::default()
    };
    let service = Inference::from_config(
        &config,
        RoutingTable::new(catalog, live),
        writer,
        Default::default(),
        CreditAccounts::new(funded_database().await, Duration::from_secs(30)),
    )
    .unwrap();
    (service, records)
}

fn caller() -> Caller {
    let key = crate::usage::tests::inference_key("hash", "org", Utc::now());
    Caller {
        key: Arc::new(AuthKey {
            key,
            org_suspended: false,
            store_content: false,
        }),
        attribution: Attribution::default(),
        with_metadata: false,
        api_type: "chat",
        request_id: Some("req-test".into()),
        request_body: None,
    }
}

/// The generations the hook queued: waits for the first request's records, then makes sure
/// no second request's follow. Each request also queues its key's spend, once.
async fn recorded(records: &mut mpsc::Receiver<Pending>) -> Vec<generation::Model> {
    let first = tokio::time::timeout(Duration::from_secs(10), records.recv())
        .await
        .expect("the hook fired")
        .expect("the writer is open");
    let mut requests = vec![first];
    tokio::time::sleep(Duration::from_millis(200)).await;
    while let Ok(more) = records.try_recv() {
        requests.push(more);
    }
    requests
        .into_iter()
        .map(|assemble| {
            let mut batch = Vec::new();
            assemble(&mut batch);
            let debit = match batch.pop() {
                Some(UsageRecord::Debit(debit)) => Some(debit),
                Some(other) => {
                    batch.push(other);
                    None
                }
                None => None,
            };
            let [
                UsageRecord::Generation(generation),
                UsageRecord::KeyUsage(spent),
            ] = <[UsageRecord; 2]>::try_from(batch).expect("a generation and a key's spend")
            else {
                panic!("a generation, then its key's spend, then its debit if it cost anything");
            };
            assert_eq!(spent.key_hash, generation.api_key_hash);
            assert_eq!(spent.usage.as_nanos(), generation.cost_nanos);
            // Charged exactly its cost, once, in the same transaction; nothing when free.
            match debit {
                Some(debit) => {
                    assert_eq!(debit.amount.as_nanos(), generation.cost_nanos);
                    assert_eq!(debit.generation_id, generation.id);
                    assert_eq!(debit.org_id, generation.org_id);
                }
                None => assert_eq!(generation.cost_nanos, 0, "a cost without a debit"),
            }
            *generation
        })
        .collect()
}

/// The hook settled or released the request's credit reservation, whatever happened.
fn assert_released(service: &Inference) {
    assert_eq!(
        service.credit_accounts().held(&Subject::Org("org".into())),
        Nanos::ZERO
    );
}

/// Asks the service for a chat completion of `word`, whole or streamed.
async fn chat(
    service: &Inference,
    word: &str,
    stream: bool,
) -> Result<Served<ChatAnswer>, InferenceError> {
    let request = serde_json::from_value(json!({"model": "test/chat", "stream": stream,
        "messages": [{"role": "user", "content": word}]}))
    .unwrap();
    service
        .chat(caller(), request, ChunkFormat::Chat, Instant::now())
        .await
}

fn stream_of(served: Served<ChatAnswer>) -> mpsc::Receiver<bytes::Bytes> {
    match served.answer {
        ChatAnswer::Stream(frames) => frames,
        ChatAnswer::Whole { .. } => panic!("a stream"),
    }
}

/// A stream whose upstream stalls after its first chunk, once that chunk has arrived.
async fn stalled_stream(service: &Inference) -> mpsc::Receiver<bytes::Bytes> {
    let served = chat(service, STALL, true).await.unwrap();
    let mut frames = stream_of(served);
    loop {
        let frame = frames.recv().await.expect("a chunk before the stall");
        if frame.starts_with(b"data: ") {
            return frames;
        }
    }
}

#[tokio::test]
async fn fires_once_on_success_whole_and_streamed() {
    let (service, mut records) = service(upstream().await).await;
    let served = chat(&service, WHOLE, false).await.unwrap();
    assert!(matches!(served.answer, ChatAnswer::Whole { .. }));
    let record = recorded(&mut records).await;
    assert_released(&service);
    assert_eq!(record.len(), 1);
    assert_eq!(record[0].id, served.generation_id);
    assert_eq!(
        (record[0].tokens_prompt, record[0].tokens_completion),
        (5, 2)
    );
    assert!(!record[0].cancelled && !record[0].streamed);

    let served = chat(&service, STREAM, true).await.unwrap();
    let generation_id = served.generation_id.clone();
    let mut frames = stream_of(served);
    let mut body = Vec::new();
    while let Some(frame) = frames.recv().await {
        body.extend_from_slice(&frame);
    }
    assert!(body.ends_with(b"data: [DONE]\n\n"));
    let record = recorded(&mut records).await;
    assert_released(&service);
    assert_eq!(record.len(), 1);
    assert_eq!(record[0].id, generation_id);
    assert!(record[0].streamed && !record[0].cancelled);
    assert_eq!(record[0].tokens_completion, 2);
}

#[tokio::test]
async fn fires_once_on_upstream_failure() {
    let (service, mut records) = service(upstream().await).await;
    let err = chat(&service, FAIL, false).await.err().unwrap();
    let InferenceError::Upstream(failure) = err else {
        panic!("an upstream failure: {err}");
    };
    assert_eq!(failure.status, 502);
    let record = recorded(&mut records).await;
    assert_released(&service);
    assert_eq!(record.len(), 1);
    assert_eq!(record[0].error.as_deref(), Some("boom"));

    // Failed before the stream began: the error is the response, recorded once as well.
    let err = chat(&service, FAIL, true).await;
    if let Ok(served) = err {
        // The commit deadline passed first: the failure arrived in band.
        let mut frames = stream_of(served);
        while frames.recv().await.is_some() {}
    }
    let record = recorded(&mut records).await;
    assert_released(&service);
    assert_eq!(record.len(), 1);
    assert!(record[0].streamed);
    assert_eq!(record[0].error.as_deref(), Some("boom"));
}

#[tokio::test]
async fn fires_once_when_the_client_leaves_mid_stream() {
    let (service, mut records) = service(upstream().await).await;
    // The first content chunk arrives, then the client goes away.
    drop(stalled_stream(&service).await);
    let record = recorded(&mut records).await;
    assert_released(&service);
    assert_eq!(record.len(), 1);
    assert!(record[0].streamed && record[0].cancelled);
    assert_eq!(record[0].provider.as_deref(), Some("Local"));
}

#[tokio::test]
async fn fires_once_when_a_whole_request_is_dropped() {
    let (service, mut records) = service(upstream().await).await;
    let request = chat(&service, SILENT, false);
    // The client leaves while the upstream has not answered: actix drops the handler's future.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), request)
            .await
            .is_err()
    );
    let record = recorded(&mut records).await;
    assert_released(&service);
    assert_eq!(record.len(), 1);
    assert!(record[0].cancelled && !record[0].streamed);
}

#[test]
fn fires_once_when_the_server_stops_mid_stream() {
    let upstream_runtime = tokio::runtime::Runtime::new().unwrap();
    let base_url = upstream_runtime.block_on(upstream());
    let (service, mut records) = upstream_runtime.block_on(service(base_url));
    // A worker's runtime: stopping the server drops it with the stream's tasks.
    let worker = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let frames = worker.block_on(stalled_stream(&service));
    drop(worker);
    let record = upstream_runtime.block_on(recorded(&mut records));
    assert_released(&service);
    assert_eq!(record.len(), 1);
    assert!(record[0].streamed && record[0].cancelled);
    drop(frames);
}
