//! Dashboard queries over 1,000,000 generation records spread over 30 days, on SQLite or
//! PostgreSQL (not a test: it prints figures).
//!
//! `cargo bench -p server --bench analytics_queries` (SQLite), or with
//! `BENCH_DATABASE=postgres` (a fresh database on `TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`, dropped after). `BENCH_RECORDS` changes the
//! count. The records go through the real usage writer (`UsageWriter`, which maintains the
//! rollups in its batch transactions) into one organization with 5 keys, 12 models, 2
//! providers each, 4 apps, 2 % errors and 1 % cancellations; then every dashboard query is
//! sent over HTTP to the real server (`app::init` + `app::serve`, one worker) with that
//! organization's management key, 2 warm-up runs then 9 timed, and the median and the
//! maximum are printed. Budget: every query under 50 ms.

use std::time::{Duration, Instant};

use chrono::Utc;
use entity::generation;
use entity::json_text::JsonText;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use server::config::Config;
use server::usage::writer::{UsageOptions, UsageWriter};

const DAYS: i64 = 30;
const MODELS: [&str; 12] = [
    "openai/gpt-4o-mini",
    "openai/gpt-4o",
    "openai/gpt-5",
    "openai/gpt-5-mini",
    "anthropic/claude-sonnet-4.5",
    "anthropic/claude-haiku-4.5",
    "google/gemini-2.5-flash",
    "google/gemini-2.5-pro",
    "meta-llama/llama-3.3-70b-instruct",
    "deepseek/deepseek-chat",
    "qwen/qwen3-coder",
    "mistralai/mistral-large",
];
const PROVIDERS: [&str; 4] = ["OpenAI", "Azure", "Together", "DeepInfra"];
const APPS: [Option<&str>; 4] = [
    None,
    Some("https://chat.example"),
    Some("https://ide.example"),
    Some("https://agent.example"),
];

/// A cheap deterministic mix (splitmix64).
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn record(
    n: u64,
    total: u64,
    org: &str,
    keys: &[String],
    now: chrono::DateTime<Utc>,
) -> generation::Model {
    let r = mix(n);
    // Skewed towards the first models, as real traffic is.
    let model = MODELS[((r % 144) as f64).sqrt() as usize % MODELS.len()];
    let provider =
        PROVIDERS[(r >> 8) as usize % 2 + if model.starts_with("openai") { 0 } else { 2 }];
    let span = DAYS * 86_400 * 1_000_000;
    let created_at =
        now - chrono::Duration::microseconds(span - (n as i64 * (span / total as i64)));
    let error = (r >> 16) % 100 < 2;
    let latency = 50 + ((r >> 24) % 3_000) as i64;
    let prompt = 20 + ((r >> 32) % 4_000) as i64;
    let completion = if error { 0 } else { ((r >> 40) % 1_500) as i64 };
    generation::Model {
        id: format!("gen-bench-{n:08}"),
        org_id: org.to_owned(),
        api_key_hash: keys[(r >> 4) as usize % keys.len()].clone(),
        requested_model: model.into(),
        model: model.into(),
        provider: Some(provider.into()),
        upstream_id: Some(format!("up-{n}")),
        streamed: r & 1 == 0,
        cancelled: (r >> 20).is_multiple_of(100),
        finish_reason: Some(if error { "error" } else { "stop" }.into()),
        native_finish_reason: None,
        tokens_prompt: prompt,
        tokens_completion: completion,
        tokens_reasoning: 0,
        tokens_cached: 0,
        tokens_cache_write: 0,
        cost_nanos: prompt * 150 + completion * 600,
        is_byok: false,
        upstream_cost_nanos: None,
        latency_ms: Some(latency),
        generation_time_ms: Some(completion * 10),
        http_referer: APPS[(r >> 12) as usize % APPS.len()].map(str::to_owned),
        app_title: None,
        user_agent: Some("bench".into()),
        external_user: None,
        attempts: JsonText::from(
            &json!([{ "provider": provider, "status": if error { 500 } else { 200 } }]),
        ),
        error: error.then(|| "upstream error".into()),
        created_at,
        capped_max_tokens: None,
        api_type: "chat".into(),
        request_id: Some(format!("req-bench-{n:08}")),
        status: if error { 500 } else { 200 },
        byok_fee_nanos: 0,
        native_tokens_prompt: Some(prompt),
        native_tokens_completion: Some(completion),
        native_tokens_reasoning: None,
        native_tokens_cached: None,
    }
}

struct Client {
    base: String,
    http: reqwest::Client,
    token: String,
}

impl Client {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let postgres = std::env::var("BENCH_DATABASE").is_ok_and(|v| v == "postgres");
    let total: u64 = std::env::var("BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("analytics-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let admin_url = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let pg_name = format!("sb_bench_analytics_{}", std::process::id());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let url = if postgres {
        runtime.block_on(async {
            let admin = Database::connect(&admin_url).await.unwrap();
            admin
                .execute_unprepared(&format!("CREATE DATABASE {pg_name}"))
                .await
                .unwrap();
            admin.close().await.ok();
        });
        format!("{}/{pg_name}", admin_url.rsplit_once('/').unwrap().0)
    } else {
        format!("sqlite://{}/bench.db?mode=rwc", dir.display())
    };
    let config = Config {
        bind: "127.0.0.1:0".into(),
        data_dir: dir.clone(),
        database_url: Some(url.clone()),
        jwt_secret: Some("bench-secret-0123456789abcdef0123456789abcdef".into()),
        workers: Some(1),
        shutdown_timeout_secs: 1,
        signup_per_ip_per_hour: 1_000,
        ..Config::default()
    };
    let (tx, rx) = std::sync::mpsc::channel();
    let server = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let listener = server::app::listen(&config).unwrap();
            let addr = listener.local_addr().unwrap();
            let state = server::app::init(config).await.unwrap();
            let running = server::app::serve(state, listener).unwrap();
            tx.send((addr, running.handle())).unwrap();
            running.await.ok();
        })
    });
    let (addr, handle) = rx.recv_timeout(Duration::from_secs(120)).unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let base = format!("http://{addr}");
        let signup: Value = http
            .post(format!("{base}/api/v1/auth/signup"))
            .json(&json!({ "email": "bench@bench.test", "password": "correct horse battery staple", "name": "bench" }))
            .send().await.unwrap().json().await.unwrap();
        let session = signup["token"].as_str().unwrap().to_owned();
        let org = signup["user"]["personal_organization_id"].as_str().unwrap().to_owned();
        let as_session = Client { base: base.clone(), http: http.clone(), token: session };
        let mut keys = Vec::new();
        for i in 0..5 {
            let (_, key) = as_session.send(reqwest::Method::POST, "/api/v1/keys", Some(&json!({ "name": format!("bench-{i}") }))).await;
            keys.push(key["data"]["hash"].as_str().unwrap().to_owned());
        }
        let (_, management) = as_session.send(reqwest::Method::POST, "/api/v1/management-keys", Some(&json!({ "name": "bench" }))).await;
        let client = Client { base, http, token: management["key"].as_str().unwrap().to_owned() };

        let started = Instant::now();
        let options = UsageOptions {
            dead_letter: std::env::temp_dir().join(format!("analytics-bench-{}.jsonl", std::process::id())),
            refuse_after: std::time::Duration::from_secs(60),
            shutdown_flush: std::time::Duration::from_secs(30),
        };
        let writer = UsageWriter::start(&url, options).await.unwrap();
        let now = Utc::now();
        for n in 0..total {
            let row = record(n, total, &org, &keys, now);
            writer.record_with(move |batch| batch.push(server::usage::record::UsageRecord::Generation(Box::new(row)))).await;
            // Queuing does not yield while there is room, and on PostgreSQL the writer is a task
            // of this runtime: without a yield it runs only when the queue is full.
            if n % 256 == 255 {
                tokio::task::yield_now().await;
            }
        }
        writer.stop().await;
        let loaded = started.elapsed();
        println!("{} records written through the usage writer (rollups included) in {:.1} s ({:.1} µs each)",
            total, loaded.as_secs_f64(), loaded.as_secs_f64() * 1e6 / total as f64);
        if postgres {
            let db = Database::connect(&url).await.unwrap();
            db.execute_unprepared("ANALYZE").await.unwrap();
            db.close().await.ok();
        }

        let iso = |d: chrono::DateTime<Utc>| d.to_rfc3339();
        let q = |body: Value| body;
        let month = (iso(now - chrono::Duration::days(30)), iso(now));
        let week = (iso(now - chrono::Duration::days(7)), iso(now));
        let queries: Vec<(&str, reqwest::Method, String, Option<Value>)> = vec![
            ("activity, last 30 days", reqwest::Method::GET, "/api/v1/activity".into(), None),
            ("activity, today", reqwest::Method::GET, format!("/api/v1/activity?date={}", now.format("%Y-%m-%d")), None),
            ("query: spend+requests+tokens by model per day, 30 days", reqwest::Method::POST, "/api/v1/analytics/query".into(),
                Some(q(json!({ "metrics": ["spend", "requests", "prompt_tokens", "completion_tokens"], "dimensions": ["model"], "granularity": "day", "start": month.0, "end": month.1 })))),
            ("query: spend+requests by key per hour, 7 days", reqwest::Method::POST, "/api/v1/analytics/query".into(),
                Some(q(json!({ "metrics": ["spend", "requests"], "dimensions": ["key"], "granularity": "hour", "start": week.0, "end": week.1 })))),
            ("query: top 5 models by spend, 30 days", reqwest::Method::POST, "/api/v1/analytics/query".into(),
                Some(q(json!({ "metrics": ["spend"], "dimensions": ["model"], "limit": 5, "order_by": "spend", "start": month.0, "end": month.1 })))),
            ("query: top apps by requests, 30 days", reqwest::Method::POST, "/api/v1/analytics/query".into(),
                Some(q(json!({ "metrics": ["requests", "spend"], "dimensions": ["app"], "limit": 10, "start": month.0, "end": month.1 })))),
            ("query: latency/TTFT p50/p90/p99 + error rate by model, 30 days", reqwest::Method::POST, "/api/v1/analytics/query".into(),
                Some(q(json!({ "metrics": ["latency_p50", "latency_p90", "latency_p99", "ttft_p50", "ttft_p99", "error_rate"], "dimensions": ["model"], "start": month.0, "end": month.1 })))),
            ("query: latency p99 by provider per hour, 7 days", reqwest::Method::POST, "/api/v1/analytics/query".into(),
                Some(q(json!({ "metrics": ["latency_p99", "requests"], "dimensions": ["provider"], "granularity": "hour", "start": week.0, "end": week.1 })))),
            ("query: spend by model and key vs previous 7 days", reqwest::Method::POST, "/api/v1/analytics/query".into(),
                Some(q(json!({ "metrics": ["spend", "requests"], "dimensions": ["model", "key"], "compare_previous": true, "start": week.0, "end": week.1 })))),
            ("generations: first page", reqwest::Method::GET, "/api/v1/generations".into(), None),
            ("generations: first page, model + status=error", reqwest::Method::GET,
                "/api/v1/generations?model=openai/gpt-4o&status=error".into(), None),
            ("generations: first page, key + app + last 7 days", reqwest::Method::GET,
                format!("/api/v1/generations?api_key_hash={}&app=https://ide.example&start={}", keys[2], week.0.replace('+', "%2B")), None),
            ("generations: page 20 (cursor)", reqwest::Method::GET, "cursor".into(), None),
        ];
        // A cursor 19 pages in.
        let mut cursor = String::new();
        for _ in 0..19 {
            let path = if cursor.is_empty() { "/api/v1/generations".to_owned() } else { format!("/api/v1/generations?before={cursor}") };
            let (_, page) = client.send(reqwest::Method::GET, &path, None).await;
            cursor = page["next_before"].as_str().unwrap().to_owned();
        }
        println!("\n{:<66} {:>10} {:>10}", "query", "median", "max");
        for (name, method, path, body) in &queries {
            let path = if path == "cursor" { format!("/api/v1/generations?before={cursor}") } else { path.clone() };
            let mut times = Vec::new();
            for run in 0..11 {
                let t = Instant::now();
                let (status, reply) = client.send(method.clone(), &path, body.as_ref()).await;
                let elapsed = t.elapsed();
                assert_eq!(status, 200, "{name}: {reply}");
                if run == 0 {
                    let rows = reply["data"].as_array().map(Vec::len)
                        .or_else(|| reply["data"]["totals"].as_array().map(Vec::len)).unwrap_or(0);
                    assert!(rows > 0 || name.contains("today"), "{name}: no rows: {reply}");
                }
                if run >= 2 {
                    times.push(elapsed);
                }
            }
            let max = *times.iter().max().unwrap();
            println!("{name:<66} {:>8.2}ms {:>8.2}ms", median(&mut times).as_secs_f64() * 1e3, max.as_secs_f64() * 1e3);
        }
        // The CSV export: time to its first 1,000 rows (the first page) and the header.
        let mut times = Vec::new();
        for run in 0..11 {
            let t = Instant::now();
            let mut response = client.http.get(format!("{}/api/v1/generations/export", client.base))
                .bearer_auth(&client.token).send().await.unwrap();
            assert_eq!(response.status(), 200);
            let mut lines = 0;
            while lines < 1_001 {
                let chunk = response.chunk().await.unwrap().expect("more CSV");
                lines += chunk.iter().filter(|b| **b == b'\n').count();
            }
            drop(response);
            if run >= 2 {
                times.push(t.elapsed());
            }
        }
        let max = *times.iter().max().unwrap();
        println!("{:<66} {:>8.2}ms {:>8.2}ms", "CSV export: first 1,000 rows", median(&mut times).as_secs_f64() * 1e3, max.as_secs_f64() * 1e3);
        handle.stop(true).await;
    });
    server.join().ok();
    if postgres {
        runtime.block_on(async {
            let admin = Database::connect(&admin_url).await.unwrap();
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)"))
                .await
                .ok();
        });
    }
    std::fs::remove_dir_all(&dir).ok();
}
