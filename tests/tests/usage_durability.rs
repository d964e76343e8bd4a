//! No usage record is lost: 10,000 chat requests against the server binary — whole and
//! streamed, upstream failures, clients leaving mid-stream, refusals for lack of credit — 64
//! at a time, with slow streams still open when the server gets SIGTERM. Afterwards exactly
//! 10,000 generation records exist, one per request id, the ledger's generation debits equal
//! the records' costs, per record and in sum, and the hourly and daily rollups equal the sums
//! over the records.
//!
//! The database is SQLite, or with `TEST_DATABASE=postgres` a PostgreSQL database of its own
//! on `TEST_POSTGRES_URL`. Runs the binary of `SWITCHBOARD_BIN` (see `tests::process`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;
use tests::process::{self, Keys, Kind, ServerProcess};

const REQUESTS: usize = 10_000;
const CONCURRENCY: usize = 64;
/// Streams open when SIGTERM arrives (part of the 10,000).
const OPEN_AT_SIGTERM: usize = 32;

/// A database of the test's own: `(url, PostgreSQL database name to drop)`.
async fn database(dir: &std::path::Path) -> (String, Option<String>) {
    if !tests::using_postgres() {
        return (
            format!("sqlite://{}/usage.db?mode=rwc", dir.display()),
            None,
        );
    }
    let admin_url = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let name = format!("sb_test_durability_{:08x}", rand::random::<u32>());
    let admin = Database::connect(&admin_url).await.expect("PostgreSQL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create the database");
    admin.close().await.ok();
    let base = admin_url.rsplit_once('/').map_or(&*admin_url, |(b, _)| b);
    (format!("{base}/{name}"), Some(name))
}

async fn drop_database(name: Option<String>) {
    let Some(name) = name else { return };
    let admin_url = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    if let Ok(admin) = Database::connect(&admin_url).await {
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .ok();
        admin.close().await.ok();
    }
}

/// A slow stream that is open when the server is told to stop: it must still end with
/// `[DONE]` (the shutdown drains it). Signals `opened` once its first chunk arrived.
async fn slow_stream(
    api: tests::Api,
    key: String,
    request_id: String,
    opened: tokio::sync::mpsc::Sender<()>,
) -> bool {
    let response = api
        .http
        .post(format!("{}/api/v1/chat/completions", api.base))
        .bearer_auth(&key)
        .header("X-Request-Id", &request_id)
        .json(&json!({
            "model": "openai/gpt-4o-mini",
            "messages": [{"role": "user", "content": "[[emulator: chunk-delay-ms=50 reply-tokens=30]] slow"}],
            "max_tokens": 64,
            "stream": true,
        }))
        .send()
        .await
        .expect("the slow stream starts");
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let mut text = Vec::new();
    let mut signalled = false;
    while let Some(chunk) = body.next().await {
        let Ok(chunk) = chunk else { return false };
        text.extend_from_slice(&chunk);
        if !signalled && text.windows(6).any(|w| w == b"\"delta") {
            opened.send(()).await.ok();
            signalled = true;
        }
    }
    text.windows(12).any(|w| w == b"data: [DONE]")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_requests_then_sigterm_leave_exactly_ten_thousand_records() {
    let started = Instant::now();
    let emulator = provider_emulator::Emulator::start(provider_emulator::EmulatorConfig {
        workers: 2,
        ..Default::default()
    })
    .expect("emulator");
    let dir = std::env::temp_dir().join(format!("usage-durability-{:08x}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let (url, pg_name) = database(&dir).await;
    let mut server = ServerProcess::start(
        &url,
        &emulator,
        &[
            ("SHUTDOWN_TIMEOUT_SECS", "20".into()),
            ("LOG_FORMAT", "json".into()),
        ],
    )
    .await;
    let api = server.api.clone();
    let keys = Keys::make(&api).await;

    let bulk = REQUESTS - OPEN_AT_SIGTERM;
    let statuses = process::load(&api, &keys, "dur", 0..bulk, CONCURRENCY).await;
    let by_kind = |kind: Kind| {
        let mut counts = BTreeMap::new();
        for (n, status) in &statuses {
            if Kind::of(*n) == kind {
                *counts.entry(*status).or_insert(0) += 1;
            }
        }
        counts
    };
    // Every request was answered, each kind as intended. On failure, the server's warnings
    // say why (a 503 is the database or the writer refusing; their lines name it).
    let warnings = || -> String {
        server
            .logs()
            .lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .take(40)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let expect = |kind: Kind, ok: fn(u16) -> bool| {
        let counts = by_kind(kind);
        assert!(
            counts.keys().all(|s| ok(*s)),
            "{kind:?}: {counts:?}\n{}",
            warnings()
        );
    };
    expect(Kind::Whole, |s| s == 200);
    expect(Kind::Stream, |s| s == 200);
    expect(Kind::Disconnect, |s| s == 200);
    expect(Kind::Refused, |s| s == 402);
    expect(Kind::UpstreamError, |s| s >= 500);

    // The last requests are slow streams, open when SIGTERM arrives.
    let (opened_tx, mut opened) = tokio::sync::mpsc::channel(OPEN_AT_SIGTERM);
    let slow: Vec<_> = (bulk..REQUESTS)
        .map(|n| {
            tokio::spawn(slow_stream(
                api.clone(),
                keys.funded.clone(),
                format!("dur-{n}"),
                opened_tx.clone(),
            ))
        })
        .collect();
    for _ in 0..OPEN_AT_SIGTERM {
        tokio::time::timeout(Duration::from_secs(30), opened.recv())
            .await
            .expect("every slow stream started");
    }
    let load_done = started.elapsed();
    server.terminate();
    for stream in slow {
        assert!(
            stream.await.unwrap(),
            "a stream open at SIGTERM was drained to [DONE]"
        );
    }
    let status = server.exited(Duration::from_secs(60)).await;
    assert!(
        status.success(),
        "exit status {status}; logs:\n{}",
        server.logs()
    );

    // Exactly one record per request id, none without one.
    let records = process::records(&url).await;
    assert_eq!(records.len(), REQUESTS);
    let ids: BTreeSet<String> = records
        .iter()
        .filter_map(|r| r.request_id.clone())
        .collect();
    let expected: BTreeSet<String> = (0..REQUESTS).map(|n| format!("dur-{n}")).collect();
    assert_eq!(ids, expected);
    let by_request: BTreeMap<&str, &process::Recorded> = records
        .iter()
        .map(|r| (r.request_id.as_deref().unwrap(), r))
        .collect();
    for n in 0..REQUESTS {
        let record = by_request[format!("dur-{n}").as_str()];
        let kind = if n >= bulk { Kind::Stream } else { Kind::of(n) };
        match kind {
            Kind::Whole | Kind::Stream => {
                assert_eq!(record.status, 200, "{record:?}");
                assert!(record.cost_nanos > 0 && !record.cancelled, "{record:?}");
                assert_eq!(record.streamed, kind == Kind::Stream, "{record:?}");
            }
            Kind::UpstreamError => {
                assert!(record.status >= 500 && record.cost_nanos == 0, "{record:?}")
            }
            Kind::Disconnect => assert!(record.cancelled && record.status == 499, "{record:?}"),
            Kind::Refused => assert!(record.status == 402 && record.cost_nanos == 0, "{record:?}"),
        }
        // The ledger debited exactly the record's cost: once when it cost something.
        assert_eq!(record.debited_nanos, record.cost_nanos, "{record:?}");
        assert_eq!(
            record.debits,
            i64::from(record.cost_nanos > 0),
            "{record:?}"
        );
    }
    // And the ledger holds no generation debit beyond the records'.
    let total: i64 = records.iter().map(|r| r.cost_nanos).sum();
    let debits = records.iter().filter(|r| r.cost_nanos > 0).count() as i64;
    assert_eq!(
        process::ledger_generation_debits(&url).await,
        (total, debits)
    );
    // The analytics' hourly and daily rollups equal the sums over the records, per
    // organization: requests, cost, prompt and completion tokens.
    let sums = process::rollup_sums(&url).await;
    assert_eq!(sums[0].1.len(), 2, "two organizations: {sums:?}");
    assert_eq!(
        sums.len(),
        9,
        "the records and eight rollup tables: {sums:?}"
    );
    for (table, per_org) in &sums[1..] {
        assert_eq!(per_org, &sums[0].1, "{table}: {sums:?}");
    }

    // The request ids are on the JSON log lines: an upstream failure's warning names its
    // request and its attempt.
    let logs = server.logs();
    let failed = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|line| line["fields"]["message"] == "upstream attempt failed")
        .unwrap_or_else(|| panic!("no upstream failure logged:\n{logs}"));
    let request_id = failed["spans"][0]["id"].as_str().unwrap_or_default();
    assert!(request_id.starts_with("dur-"), "{failed}");
    assert_eq!(
        Kind::of(request_id[4..].parse().unwrap()),
        Kind::UpstreamError
    );
    assert_eq!(failed["spans"][0]["name"], "request", "{failed}");
    assert_eq!(failed["span"]["name"], "upstream", "{failed}");
    assert_eq!(failed["span"]["attempt"], 1, "{failed}");
    assert_eq!(failed["span"]["status"], 500, "{failed}");
    assert!(!logs.contains("Hello"), "no prompt text in the logs");

    eprintln!(
        "{REQUESTS} requests in {:.1} s, then shutdown and checks; {:.1} s in all",
        load_done.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    drop(server);
    drop_database(pg_name).await;
    std::fs::remove_dir_all(&dir).ok();
}
