//! `GET /metrics`: the server binary with a provider emulator serves whole, streamed, failing
//! and refused requests; the scrape, parsed strictly as Prometheus' text format, counts
//! exactly what the generation records hold (requests by model, provider, API type and
//! status; tokens; cost; upstream errors; latency and TTFT observations), and the sampled
//! gauges (open streams, the usage writer, breakers) are there. With `METRICS_TOKEN` set the
//! endpoint answers 401 without the token.
//!
//! SQLite, or with `TEST_DATABASE=postgres` a PostgreSQL database of its own. Runs the binary
//! of `SWITCHBOARD_BIN` (see `tests::process`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::Value;
use tests::process::{self, Keys, Kind, ServerProcess};

const TOKEN: &str = "metrics-scrape-token-0123456789";

/// One sample: its metric name, labels and value.
#[derive(Debug, Clone)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The exposition text's samples and each family's declared type. Strict: a line that is not
/// a comment, `# HELP`/`# TYPE`, or a well-formed sample fails the test.
fn parse(text: &str) -> (Vec<Sample>, BTreeMap<String, String>) {
    let mut samples = Vec::new();
    let mut types = BTreeMap::new();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE line");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            types.insert(name.to_owned(), kind.to_owned());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        assert!(!line.starts_with('#'), "unexpected comment: {line}");
        samples.push(sample(line));
    }
    (samples, types)
}

fn sample(line: &str) -> Sample {
    let name_end = line
        .find(['{', ' '])
        .unwrap_or_else(|| panic!("no value: {line}"));
    let name = &line[..name_end];
    assert!(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
        "metric name in {line}"
    );
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(after) = rest.strip_prefix('{') {
        let mut chars = after.char_indices();
        loop {
            let (start, c) = chars.next().unwrap_or_else(|| panic!("labels: {line}"));
            if c == '}' {
                rest = &after[start + 1..];
                break;
            }
            if c == ',' {
                continue;
            }
            let eq = after[start..].find('=').expect("label =") + start;
            let key = after[start..eq].to_owned();
            assert_eq!(&after[eq + 1..eq + 2], "\"", "quoted label value: {line}");
            // Skip to the value's first character.
            while chars.next().is_some_and(|(i, _)| i < eq + 1) {}
            let mut value = String::new();
            loop {
                let (_, c) = chars
                    .next()
                    .unwrap_or_else(|| panic!("label value: {line}"));
                match c {
                    '"' => break,
                    '\\' => match chars.next().map(|(_, c)| c) {
                        Some('n') => value.push('\n'),
                        Some(c @ ('\\' | '"')) => value.push(c),
                        other => panic!("escape {other:?} in {line}"),
                    },
                    c => value.push(c),
                }
            }
            assert!(labels.insert(key, value).is_none(), "label twice: {line}");
        }
    }
    let mut fields = rest.split_whitespace();
    let value = fields.next().unwrap_or_else(|| panic!("value: {line}"));
    let value: f64 = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().unwrap_or_else(|_| panic!("value {v} in {line}")),
    };
    if let Some(timestamp) = fields.next() {
        timestamp.parse::<i64>().expect("timestamp");
    }
    assert!(fields.next().is_none(), "trailing text: {line}");
    Sample {
        name: name.to_owned(),
        labels,
        value,
    }
}

/// The sum of `name`'s samples whose labels include `with`.
fn sum(samples: &[Sample], name: &str, with: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            with.iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(v))
        })
        .map(|s| s.value)
        .sum()
}

async fn scrape(server: &ServerProcess, token: Option<&str>) -> reqwest::Response {
    let mut request = server.api.http.get(format!("{}/metrics", server.api.base));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("scrape")
}

/// A generation record as the metrics see it.
#[derive(Debug)]
struct Row {
    status: i64,
    streamed: bool,
    model: String,
    provider: String,
    tokens: [i64; 3],
    cost_nanos: i64,
    upstream_errors: usize,
    answered: bool,
}

async fn rows(url: &str) -> Vec<Row> {
    let db = Database::connect(url).await.expect("database");
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT status, streamed, provider, tokens_prompt, tokens_completion, \
             tokens_reasoning, cost_nanos, attempts, latency_ms FROM generations",
        ))
        .await
        .expect("generations");
    let rows =
        rows.into_iter()
            .map(|row| {
                let attempts: Value = match row.try_get::<Value>("", "attempts") {
                    Ok(v) => v,
                    Err(_) => serde_json::from_str(&row.try_get::<String>("", "attempts").unwrap())
                        .unwrap(),
                };
                let attempts = attempts.as_array().cloned().unwrap_or_default();
                let tried = attempts.iter().rev().find(|a| a["skipped"].is_null());
                let provider: Option<String> = row.try_get("", "provider").unwrap();
                let (model, provider) = match (tried, &provider) {
                    (Some(a), _) => (
                        a["model"].as_str().unwrap().to_owned(),
                        a["provider_slug"].as_str().unwrap().to_owned(),
                    ),
                    (None, _) => ("none".to_owned(), "none".to_owned()),
                };
                Row {
                    status: i64::from(row.try_get::<i32>("", "status").unwrap()),
                    streamed: row.try_get("", "streamed").unwrap(),
                    model,
                    provider,
                    tokens: [
                        row.try_get("", "tokens_prompt").unwrap(),
                        row.try_get("", "tokens_completion").unwrap(),
                        row.try_get("", "tokens_reasoning").unwrap(),
                    ],
                    cost_nanos: row.try_get("", "cost_nanos").unwrap(),
                    upstream_errors: attempts
                        .iter()
                        .filter(|a| !a["error_type"].is_null())
                        .count(),
                    answered: row
                        .try_get::<Option<i64>>("", "latency_ms")
                        .unwrap()
                        .is_some(),
                }
            })
            .collect();
    db.close().await.ok();
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_the_records_hold_and_want_the_token() {
    let emulator = provider_emulator::Emulator::start(provider_emulator::EmulatorConfig::default())
        .expect("emulator");
    let dir = std::env::temp_dir().join(format!("metrics-test-{:08x}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let (url, pg_name) = process::own_database(&dir, "metrics").await;
    let server = ServerProcess::start(&url, &emulator, &[("METRICS_TOKEN", TOKEN.into())]).await;

    // The token: none or a wrong one gets the API's 401 error; the right one the text format.
    for token in [None, Some("wrong")] {
        let reply = scrape(&server, token).await;
        assert_eq!(reply.status(), 401, "token {token:?}");
        let body: Value = reply.json().await.unwrap();
        assert_eq!(body["error"]["code"], 401, "{body}");
    }
    let reply = scrape(&server, Some(TOKEN)).await;
    assert_eq!(reply.status(), 200);
    let content_type = reply.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let (before, _) = parse(&reply.text().await.unwrap());
    assert_eq!(sum(&before, "switchboard_requests_total", &[]), 0.0);

    let keys = Keys::make(&server.api).await;
    let kinds = [
        Kind::Whole,
        Kind::Whole,
        Kind::Whole,
        Kind::Stream,
        Kind::Stream,
        Kind::UpstreamError,
        Kind::UpstreamError,
        Kind::Refused,
    ];
    let mut statuses = BTreeMap::<u16, usize>::new();
    for (n, kind) in kinds.iter().enumerate() {
        let key = if *kind == Kind::Refused {
            &keys.unfunded
        } else {
            &keys.funded
        };
        let status = process::send(&server.api, key, *kind, &format!("metrics-{n}")).await;
        *statuses.entry(status).or_default() += 1;
    }
    assert_eq!(statuses.get(&200), Some(&5), "{statuses:?}");
    assert_eq!(statuses.get(&402), Some(&1), "{statuses:?}");

    // Requests are counted as the writer assembles their records (within its 100 ms tick);
    // a commit's duration once it has returned, after its rows are visible. So: every
    // request counted, every record committed, and a commit timed.
    let deadline = Instant::now() + Duration::from_secs(20);
    let (samples, types, rows) = loop {
        let reply = scrape(&server, Some(TOKEN)).await;
        let (samples, types) = parse(&reply.text().await.unwrap());
        if sum(&samples, "switchboard_requests_total", &[]) >= kinds.len() as f64
            && sum(
                &samples,
                "switchboard_usage_commit_duration_seconds_count",
                &[],
            ) >= 1.0
        {
            let rows = rows(&url).await;
            if rows.len() == kinds.len() {
                break (samples, types, rows);
            }
        }
        assert!(
            Instant::now() < deadline,
            "requests not counted or not committed: {samples:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        sum(&samples, "switchboard_requests_total", &[]),
        kinds.len() as f64
    );

    // Requests by model, provider, API type and status: one per record.
    let mut expected = BTreeMap::<(String, String, String), f64>::new();
    for row in &rows {
        *expected
            .entry((
                row.model.clone(),
                row.provider.clone(),
                row.status.to_string(),
            ))
            .or_default() += 1.0;
    }
    let mut counted = BTreeMap::<(String, String, String), f64>::new();
    for s in samples
        .iter()
        .filter(|s| s.name == "switchboard_requests_total")
    {
        assert_eq!(s.labels["api_type"], "chat", "{s:?}");
        *counted
            .entry((
                s.labels["model"].clone(),
                s.labels["provider"].clone(),
                s.labels["status"].clone(),
            ))
            .or_default() += s.value;
    }
    assert_eq!(counted, expected);
    assert!(
        counted
            .keys()
            .any(|(m, _, s)| m == "openai/gpt-4o-mini" && s == "200"),
        "{counted:?}"
    );
    let refused = ("none".to_owned(), "none".to_owned(), "402".to_owned());
    assert_eq!(counted.get(&refused), Some(&1.0), "{counted:?}");
    assert_eq!(
        sum(
            &samples,
            "switchboard_refusals_total",
            &[("reason", "credit")]
        ),
        1.0
    );

    // Tokens and cost equal the records' sums.
    for (i, kind) in ["prompt", "completion", "reasoning"].iter().enumerate() {
        let recorded: i64 = rows.iter().map(|r| r.tokens[i]).sum();
        assert_eq!(
            sum(&samples, "switchboard_tokens_total", &[("type", kind)]),
            recorded as f64,
            "{kind} tokens"
        );
    }
    let cost: i64 = rows.iter().map(|r| r.cost_nanos).sum();
    assert!(cost > 0);
    assert_eq!(
        sum(&samples, "switchboard_cost_nanodollars_total", &[]),
        cost as f64
    );

    // Upstream errors: one per failed attempt, by provider and kind.
    let failed: usize = rows.iter().map(|r| r.upstream_errors).sum();
    assert!(failed >= 2, "{rows:?}");
    assert_eq!(
        sum(&samples, "switchboard_upstream_errors_total", &[]),
        failed as f64
    );
    assert!(
        samples
            .iter()
            .filter(|s| s.name == "switchboard_upstream_errors_total")
            .all(|s| s.labels.contains_key("provider") && s.labels.contains_key("kind"))
    );

    // Latency: one observation per answered request; TTFT per answered stream.
    let answered = rows.iter().filter(|r| r.answered).count();
    let answered_streams = rows.iter().filter(|r| r.answered && r.streamed).count();
    assert_eq!(answered_streams, 2, "{rows:?}");
    assert_eq!(
        sum(&samples, "switchboard_request_duration_seconds_count", &[]),
        answered as f64
    );
    assert_eq!(
        sum(
            &samples,
            "switchboard_time_to_first_token_seconds_count",
            &[]
        ),
        answered_streams as f64
    );
    assert_eq!(
        sum(
            &samples,
            "switchboard_request_duration_seconds_bucket",
            &[("le", "+Inf")]
        ),
        answered as f64
    );
    assert!(sum(&samples, "switchboard_request_duration_seconds_sum", &[]) > 0.0);

    // Sampled at the scrape.
    assert_eq!(sum(&samples, "switchboard_open_streams", &[]), 0.0);
    assert_eq!(sum(&samples, "switchboard_usage_queue_depth", &[]), 0.0);
    assert!(sum(&samples, "switchboard_usage_queue_capacity", &[]) > 0.0);
    assert_eq!(sum(&samples, "switchboard_usage_writer_failing", &[]), 0.0);
    assert_eq!(
        sum(&samples, "switchboard_usage_dead_lettered_total", &[]),
        0.0
    );
    let breakers: Vec<_> = samples
        .iter()
        .filter(|s| s.name == "switchboard_breaker_state")
        .collect();
    assert!(
        breakers
            .iter()
            .any(|s| s.labels["model"] == "openai/gpt-4o-mini" && s.labels.contains_key("endpoint")),
        "{breakers:?}"
    );
    assert!(breakers.iter().all(|s| [0.0, 1.0, 2.0].contains(&s.value)));

    for (family, kind) in [
        ("switchboard_requests_total", "counter"),
        ("switchboard_tokens_total", "counter"),
        ("switchboard_cost_nanodollars_total", "counter"),
        ("switchboard_upstream_errors_total", "counter"),
        ("switchboard_refusals_total", "counter"),
        ("switchboard_request_duration_seconds", "histogram"),
        ("switchboard_time_to_first_token_seconds", "histogram"),
        ("switchboard_usage_commit_duration_seconds", "histogram"),
        ("switchboard_open_streams", "gauge"),
        ("switchboard_usage_queue_depth", "gauge"),
        ("switchboard_usage_writer_failing", "gauge"),
        ("switchboard_usage_dead_lettered_total", "counter"),
        ("switchboard_breaker_state", "gauge"),
    ] {
        assert_eq!(
            types.get(family).map(String::as_str),
            Some(kind),
            "{family}"
        );
    }
    // Bounded labels only: no key hash, organization or request text.
    for s in &samples {
        for key in s.labels.keys() {
            assert!(
                [
                    "model", "provider", "api_type", "status", "type", "kind", "reason",
                    "endpoint", "le"
                ]
                .contains(&key.as_str()),
                "label {key} on {s:?}"
            );
        }
    }
    drop(server);
    process::drop_database(pg_name).await;
    std::fs::remove_dir_all(&dir).ok();
}

/// `METRICS_ENABLED=false`: no `/metrics` (404 in the API's error shape).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_can_be_turned_off() {
    let emulator = provider_emulator::Emulator::start(provider_emulator::EmulatorConfig::default())
        .expect("emulator");
    let dir = std::env::temp_dir().join(format!("metrics-off-{:08x}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    let (url, pg_name) = process::own_database(&dir, "metrics_off").await;
    let server =
        ServerProcess::start(&url, &emulator, &[("METRICS_ENABLED", "false".into())]).await;
    let reply = scrape(&server, None).await;
    assert_eq!(reply.status(), 404);
    let body: Value = reply.json().await.unwrap();
    assert_eq!(body["error"]["code"], 404, "{body}");
    drop(server);
    process::drop_database(pg_name).await;
    std::fs::remove_dir_all(&dir).ok();
}
