//! Usage analytics end to end: requests through the real server and the provider emulator,
//! then `/activity`, `/analytics/query`, `/generations` (and its CSV export) and
//! `/admin/analytics` checked against the generation records those requests left in the
//! database; other organizations' sessions, members and keys see none of it; bad input is a
//! 400 naming the field.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tests::{ADMIN_EMAIL, Api, TestServer, User, email};

/// A generation record as the database holds it (the fields the figures come from).
#[derive(Clone, Debug)]
struct Record {
    id: String,
    org_id: String,
    key: String,
    model: String,
    provider: String,
    app: String,
    cost: i64,
    byok: i64,
    prompt: i64,
    completion: i64,
    reasoning: i64,
    error: bool,
    cancelled: bool,
}

async fn records(api: &Api) -> Vec<Record> {
    let db = server::db::connect(api.database_url.as_deref().unwrap(), 1)
        .await
        .unwrap();
    let sql = "SELECT id, org_id, api_key_hash, model, COALESCE(provider, ''), \
        COALESCE(NULLIF(http_referer, ''), app_title, ''), cost_nanos, \
        CASE WHEN is_byok THEN COALESCE(upstream_cost_nanos, 0) ELSE 0 END, tokens_prompt, \
        tokens_completion, tokens_reasoning, CASE WHEN error IS NULL THEN 0 ELSE 1 END, \
        CASE WHEN cancelled THEN 1 ELSE 0 END FROM generations";
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap();
    let out = rows
        .iter()
        .map(|r| {
            let s = |i| r.try_get_by_index::<String>(i).unwrap();
            let n = |i| r.try_get_by_index::<i64>(i).unwrap();
            let b = |i| r.try_get_by_index::<i32>(i).unwrap() != 0;
            Record {
                id: s(0),
                org_id: s(1),
                key: s(2),
                model: s(3),
                provider: s(4),
                app: s(5),
                cost: n(6),
                byok: n(7),
                prompt: n(8),
                completion: n(9),
                reasoning: n(10),
                error: b(11),
                cancelled: b(12),
            }
        })
        .collect();
    db.close().await.ok();
    out
}

/// USD as the API renders it, back to nano-dollars.
fn nanos(usd: &Value) -> i64 {
    (usd.as_f64()
        .unwrap_or_else(|| panic!("not a number: {usd}"))
        * 1e9)
        .round() as i64
}

struct Tenant {
    owner: User,
    member: User,
    org: String,
    keys: Vec<(String, String)>,
    management: String,
}

async fn tenant(api: &Api, name: &str) -> Tenant {
    let owner = api.signup(&email(name)).await;
    let (org, member) = api.team(&owner, &format!("{name}-team")).await;
    api.fund(&org, "50").await;
    let mut keys = Vec::new();
    for i in 0..2 {
        keys.push(
            api.create_key(&owner, Some(&org), json!({ "name": format!("{name}-{i}") }))
                .await,
        );
    }
    let management = api
        .send(
            api.request(Method::POST, "/api/v1/management-keys", Some(&owner.token))
                .header("X-Organization-Id", &org)
                .json(&json!({ "name": format!("{name}-mgmt") })),
        )
        .await;
    let management = management.expect(201)["key"].as_str().unwrap().to_owned();
    Tenant {
        owner,
        member,
        org,
        keys,
        management,
    }
}

async fn chat(api: &Api, key: &str, model: &str, text: &str, stream: bool, app: (&str, &str)) {
    let mut request = api
        .request(Method::POST, "/api/v1/chat/completions", Some(key))
        .json(&json!({ "model": model, "stream": stream,
            "messages": [{ "role": "user", "content": text }] }));
    if !app.0.is_empty() {
        request = request.header(app.0, app.1);
    }
    let response = request.send().await.unwrap();
    response.bytes().await.ok();
}

/// `GET`/`POST` as the organization's caller (`org` header when given).
async fn call(
    api: &Api,
    method: Method,
    path: &str,
    token: &str,
    org: Option<&str>,
    body: Option<Value>,
) -> tests::Reply {
    let mut request = api.request(method, path, Some(token));
    if let Some(org) = org {
        request = request.header("X-Organization-Id", org);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    api.send(request).await
}

/// Sums of records grouped by `group`: (requests, cost, byok, prompt, completion, reasoning,
/// errors).
fn sums(
    records: &[&Record],
    group: impl Fn(&Record) -> Vec<String>,
) -> BTreeMap<Vec<String>, [i64; 7]> {
    let mut out: BTreeMap<Vec<String>, [i64; 7]> = BTreeMap::new();
    for r in records {
        let s = out.entry(group(r)).or_default();
        let add = [
            1,
            r.cost,
            r.byok,
            r.prompt,
            r.completion,
            r.reasoning,
            r.error as i64,
        ];
        for (a, b) in s.iter_mut().zip(add) {
            *a += b;
        }
    }
    out
}

/// The metrics [`sums`] holds, by their analytics names, at their index.
const SUMMED: [&str; 7] = [
    "requests",
    "spend",
    "byok_usage",
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "errors",
];

/// [`sums`]' figures for `metrics`, in that order.
fn picked(
    sums: &BTreeMap<Vec<String>, [i64; 7]>,
    metrics: &[&str],
) -> BTreeMap<Vec<String>, Vec<i64>> {
    let at = |m: &str| SUMMED.iter().position(|s| *s == m).unwrap();
    sums.iter()
        .map(|(k, v)| (k.clone(), metrics.iter().map(|m| v[at(m)]).collect()))
        .collect()
}

/// An analytics query's totals: each row's `dims` values → its `metrics` (spend in
/// nano-dollars), in the order given.
fn totals(data: &Value, dims: &[&str], metrics: &[&str]) -> BTreeMap<Vec<String>, Vec<i64>> {
    data["totals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let key = dims
                .iter()
                .map(|d| t["dimensions"][d].as_str().unwrap().to_owned())
                .collect();
            let values = metrics
                .iter()
                .map(|m| match (*m, &t["metrics"][m]) {
                    ("spend" | "byok_usage", usd) => nanos(usd),
                    (_, n) => n.as_i64().unwrap_or_else(|| panic!("{m}: {t}")),
                })
                .collect();
            (key, values)
        })
        .collect()
}

/// Parses CSV (RFC 4180 quoting) into rows of fields.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

#[tokio::test]
async fn analytics_match_the_records_and_stay_within_the_organization() {
    let (server, _emulator) = TestServer::with_emulator(|_| {}).await;
    let api = server.api();
    let a = tenant(&api, "analytics-a").await;
    let b = tenant(&api, "analytics-b").await;
    let tool = ("X-Title", "Tool, \"Two\"");
    let site = ("HTTP-Referer", "https://app-one.example");
    for i in 0..3 {
        chat(
            &api,
            &a.keys[0].0,
            "openai/gpt-4o-mini",
            &format!("hello {i}"),
            false,
            site,
        )
        .await;
    }
    for i in 0..2 {
        chat(
            &api,
            &a.keys[1].0,
            "anthropic/claude-haiku-4.5",
            &format!("stream {i} please"),
            true,
            tool,
        )
        .await;
    }
    chat(
        &api,
        &a.keys[0].0,
        "openai/gpt-4o-mini",
        "fail [[emulator: status=400]]",
        false,
        ("", ""),
    )
    .await;
    chat(
        &api,
        &b.keys[0].0,
        "openai/gpt-4o-mini",
        "other org",
        false,
        site,
    )
    .await;
    chat(
        &api,
        &b.keys[0].0,
        "google/gemini-2.5-flash",
        "other org too",
        false,
        ("", ""),
    )
    .await;
    // Asking for an unknown generation flushes the usage writer.
    call(
        &api,
        Method::GET,
        "/api/v1/generation?id=gen-none",
        &a.management,
        None,
        None,
    )
    .await;

    let all = records(&api).await;
    let mine: Vec<&Record> = all.iter().filter(|r| r.org_id == a.org).collect();
    let theirs: Vec<&Record> = all.iter().filter(|r| r.org_id == b.org).collect();
    assert_eq!(mine.len(), 6, "{all:?}");
    assert_eq!(theirs.len(), 2);
    assert!(
        mine.iter().any(|r| r.error),
        "the 400 is recorded as an error"
    );

    // /activity for today, through each credential of A.
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let expected = sums(&mine, |r| vec![r.model.clone(), r.provider.clone()]);
    let activity_path = format!("/api/v1/activity?date={today}");
    for (token, org) in [
        (&a.owner.token, Some(a.org.as_str())),
        (&a.member.token, Some(a.org.as_str())),
        (&a.management, None),
    ] {
        let reply = call(&api, Method::GET, &activity_path, token, org, None).await;
        let rows = reply.expect(200)["data"].as_array().unwrap().clone();
        let got: BTreeMap<Vec<String>, [i64; 7]> = rows
            .iter()
            .map(|row| {
                assert_eq!(row["date"], json!(today));
                assert_eq!(row["model_permaslug"], row["model"]);
                let (model, provider) = (
                    row["model"].as_str().unwrap().to_owned(),
                    row["provider_name"].as_str().unwrap().to_owned(),
                );
                assert_eq!(row["endpoint_id"], json!(format!("{model}:{provider}")));
                let n = |k: &str| row[k].as_i64().unwrap();
                let errors = expected
                    .get(&vec![model.clone(), provider.clone()])
                    .map_or(0, |e| e[6]);
                (
                    vec![model, provider],
                    [
                        n("requests"),
                        nanos(&row["usage"]),
                        nanos(&row["byok_usage_inference"]),
                        n("prompt_tokens"),
                        n("completion_tokens"),
                        n("reasoning_tokens"),
                        errors,
                    ],
                )
            })
            .collect();
        assert_eq!(got, expected);
    }
    // One key's activity; without a date, the last 30 completed days (today excluded).
    let key_path = format!("{activity_path}&api_key_hash={}", a.keys[1].1);
    let reply = call(&api, Method::GET, &key_path, &a.management, None, None).await;
    let requests: i64 = reply.expect(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["requests"].as_i64().unwrap())
        .sum();
    assert_eq!(
        requests,
        mine.iter().filter(|r| r.key == a.keys[1].1).count() as i64
    );
    let reply = call(
        &api,
        Method::GET,
        "/api/v1/activity",
        &a.management,
        None,
        None,
    )
    .await;
    assert_eq!(reply.expect(200)["data"], json!([]));
    // Another organization's key hash matches nothing.
    let foreign = format!("{activity_path}&api_key_hash={}", b.keys[0].1);
    let reply = call(&api, Method::GET, &foreign, &a.management, None, None).await;
    assert_eq!(reply.expect(200)["data"], json!([]));
    // B's own activity holds only B's records.
    let reply = call(&api, Method::GET, &activity_path, &b.management, None, None).await;
    let requests: i64 = reply.expect(200)["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["requests"].as_i64().unwrap())
        .sum();
    assert_eq!(requests, 2);

    // B's owner, member, management and inference keys cannot read A's figures.
    for path in [
        activity_path.clone(),
        "/api/v1/generations".to_owned(),
        "/api/v1/generations/export".to_owned(),
        "/api/v1/analytics/meta".to_owned(),
    ] {
        let owner = call(&api, Method::GET, &path, &b.owner.token, Some(&a.org), None).await;
        assert_eq!(owner.status, 404, "{path}: {}", owner.text);
        let member = call(
            &api,
            Method::GET,
            &path,
            &b.member.token,
            Some(&a.org),
            None,
        )
        .await;
        assert_eq!(member.status, 404, "{path}: {}", member.text);
        let management = call(&api, Method::GET, &path, &b.management, Some(&a.org), None).await;
        assert_eq!(management.status, 403, "{path}: {}", management.text);
        let inference = call(&api, Method::GET, &path, &b.keys[0].0, None, None).await;
        assert_eq!(inference.status, 403, "{path}: {}", inference.text);
        assert!(!owner.text.contains("gpt") && !management.text.contains("gpt"));
    }

    // /analytics/query against the records: each query's totals by its dimensions.
    let now = chrono::Utc::now();
    let range = |q: Value| {
        let mut q = q;
        q["start"] = json!((now - chrono::Duration::hours(2)).to_rfc3339());
        q["end"] = json!((now + chrono::Duration::hours(1)).to_rfc3339());
        q
    };
    type Group = fn(&Record) -> Vec<String>;
    let by_model: Group = |r| vec![r.model.clone(), r.provider.clone()];
    let by_app: Group = |r| vec![r.app.clone()];
    let by_key: Group = |r| vec![r.key.clone()];
    let cases: [(&str, Value, &[&str], Group); 3] = [
        (
            "per model and provider, hourly, with the previous period",
            json!({ "metrics": ["requests", "spend", "prompt_tokens", "completion_tokens",
                "errors", "error_rate", "latency_p50", "ttft_p90"],
                "dimensions": ["model", "provider"], "granularity": "hour",
                "compare_previous": true }),
            &[
                "requests",
                "spend",
                "prompt_tokens",
                "completion_tokens",
                "errors",
            ],
            by_model,
        ),
        // The app dimension: referer, else title.
        (
            "per app",
            json!({ "metrics": ["requests"], "dimensions": ["app"] }),
            &["requests"],
            by_app,
        ),
        // Daily, the key grain.
        (
            "per key",
            json!({ "metrics": ["requests", "spend", "errors"], "dimensions": ["key"] }),
            &["requests", "spend", "errors"],
            by_key,
        ),
    ];
    for (what, query, metrics, group) in cases {
        let dims: Vec<&str> = query["dimensions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        let reply = call(
            &api,
            Method::POST,
            "/api/v1/analytics/query",
            &a.owner.token,
            Some(&a.org),
            Some(range(query.clone())),
        )
        .await;
        let data = reply.expect(200)["data"].clone();
        let expected = sums(&mine, group);
        assert_eq!(
            totals(&data, &dims, metrics),
            picked(&expected, metrics),
            "{what}"
        );
        if query["compare_previous"] == json!(true) {
            for t in data["totals"].as_array().unwrap() {
                assert_eq!(t["previous"]["requests"], json!(0), "{t}");
                let dims = dims
                    .iter()
                    .map(|d| t["dimensions"][d].as_str().unwrap().to_owned());
                let e = expected[&dims.collect::<Vec<_>>()];
                let rate = t["metrics"]["error_rate"].as_f64().unwrap();
                assert!((rate - e[6] as f64 / e[0] as f64).abs() < 1e-9, "{t}");
                assert!(t["metrics"]["latency_p50"].is_i64() || e[0] == e[6], "{t}");
            }
            let series_requests: i64 = data["series"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["metrics"]["requests"].as_i64().unwrap())
                .sum();
            assert_eq!(series_requests, 6);
        }
    }
    // Top 1 key by requests, filtered to one model.
    let query = range(
        json!({ "metrics": ["requests"], "dimensions": ["key"], "limit": 1,
        "filters": { "model": ["openai/gpt-4o-mini"] } }),
    );
    let reply = call(
        &api,
        Method::POST,
        "/api/v1/analytics/query",
        &a.management,
        None,
        Some(query),
    )
    .await;
    let totals = reply.expect(200)["data"]["totals"].clone();
    assert_eq!(totals.as_array().unwrap().len(), 1);
    assert_eq!(totals[0]["dimensions"]["key"], json!(a.keys[0].1));
    assert_eq!(totals[0]["metrics"]["requests"], json!(4));
    // B sees its own two requests only, and cannot query A.
    let query = range(json!({ "metrics": ["requests"] }));
    let reply = call(
        &api,
        Method::POST,
        "/api/v1/analytics/query",
        &b.management,
        None,
        Some(query.clone()),
    )
    .await;
    assert_eq!(
        reply.expect(200)["data"]["totals"][0]["metrics"]["requests"],
        json!(2)
    );
    let reply = call(
        &api,
        Method::POST,
        "/api/v1/analytics/query",
        &b.management,
        Some(&a.org),
        Some(query),
    )
    .await;
    assert_eq!(reply.status, 403);
    // Validation names the field.
    for (body, field) in [
        (range(json!({ "metrics": ["nope"] })), "metrics"),
        (
            range(json!({ "metrics": ["requests"], "dimensions": ["model", "key", "app"] })),
            "dimensions",
        ),
        (
            range(json!({ "metrics": ["requests"], "granularity": "week" })),
            "granularity",
        ),
        (
            range(json!({ "metrics": ["requests"], "limit": 0 })),
            "limit",
        ),
        (
            json!({ "metrics": ["requests"], "granularity": "hour", "start": "2026-01-01T00:00:00Z", "end": "2026-03-01T00:00:00Z" }),
            "end",
        ),
        (
            json!({ "metrics": ["requests"], "start": "2026-03-01T00:00:00Z", "end": "2026-01-01T00:00:00Z" }),
            "end",
        ),
    ] {
        let reply = call(
            &api,
            Method::POST,
            "/api/v1/analytics/query",
            &a.management,
            None,
            Some(body),
        )
        .await;
        let message = reply.expect_error(400);
        assert!(message.starts_with(field), "{field}: {message}");
    }
    for (path, field) in [
        ("/api/v1/activity?date=2020-01-01", "date"),
        ("/api/v1/activity?date=yesterday", "date"),
        ("/api/v1/activity?api_key_hash=XYZ", "api_key_hash"),
        ("/api/v1/generations?status=maybe", "status"),
        ("/api/v1/generations?before=nonsense", "before"),
        ("/api/v1/generations?start=soon", "start"),
    ] {
        let reply = call(&api, Method::GET, path, &a.management, None, None).await;
        let message = reply.expect_error(400);
        assert!(message.starts_with(field), "{path}: {message}");
    }
    let meta = call(
        &api,
        Method::GET,
        "/api/v1/analytics/meta",
        &a.member.token,
        Some(&a.org),
        None,
    )
    .await;
    let names: Vec<&str> = meta.expect(200)["data"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    for wanted in ["spend", "requests", "error_rate", "latency_p99", "ttft_p50"] {
        assert!(names.contains(&wanted), "{names:?}");
    }

    // /generations: pages of two cover A's records exactly once, newest first.
    let mut seen = Vec::new();
    let mut path = "/api/v1/generations?per_page=2".to_owned();
    loop {
        let reply = call(
            &api,
            Method::GET,
            &path,
            &a.member.token,
            Some(&a.org),
            None,
        )
        .await;
        let page = reply.expect(200).clone();
        for g in page["data"].as_array().unwrap() {
            seen.push((
                g["created_at"].as_str().unwrap().to_owned(),
                g["id"].as_str().unwrap().to_owned(),
            ));
        }
        match page["next_before"].as_str() {
            Some(cursor) => path = format!("/api/v1/generations?per_page=2&before={cursor}"),
            None => break,
        }
    }
    let ids: BTreeSet<String> = seen.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(ids.len(), seen.len(), "no record twice");
    assert_eq!(ids, mine.iter().map(|r| r.id.clone()).collect());
    let times: Vec<chrono::DateTime<chrono::Utc>> =
        seen.iter().map(|(t, _)| t.parse().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    // Filters.
    let filtered = |query: String| {
        let api = api.clone();
        let token = a.management.clone();
        async move {
            let reply = call(
                &api,
                Method::GET,
                &format!("/api/v1/generations?{query}"),
                &token,
                None,
                None,
            )
            .await;
            reply.expect(200)["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| g["id"].as_str().unwrap().to_owned())
                .collect::<BTreeSet<_>>()
        }
    };
    let ids_where = |f: &dyn Fn(&Record) -> bool| -> BTreeSet<String> {
        mine.iter().filter(|r| f(r)).map(|r| r.id.clone()).collect()
    };
    assert_eq!(
        filtered("status=error".into()).await,
        ids_where(&|r| r.error)
    );
    assert_eq!(
        filtered("status=success".into()).await,
        ids_where(&|r| !r.error && !r.cancelled)
    );
    assert_eq!(
        filtered(format!("api_key_hash={}", a.keys[1].1)).await,
        ids_where(&|r| r.key == a.keys[1].1)
    );
    assert_eq!(
        filtered("model=anthropic/claude-haiku-4.5".into()).await,
        ids_where(&|r| r.model == "anthropic/claude-haiku-4.5")
    );
    assert_eq!(
        filtered("app=https://app-one.example".into()).await,
        ids_where(&|r| r.app == "https://app-one.example")
    );
    let provider = &mine[0].provider;
    assert_eq!(
        filtered(format!("provider={provider}")).await,
        ids_where(&|r| &r.provider == provider)
    );
    assert_eq!(
        filtered(format!("api_key_hash={}", b.keys[0].1)).await,
        BTreeSet::new()
    );
    let later = (now + chrono::Duration::hours(1))
        .to_rfc3339()
        .replace('+', "%2B");
    assert_eq!(filtered(format!("start={later}")).await, BTreeSet::new());

    // The CSV export: a header, one line per record, quoting intact.
    let reply = api
        .request(
            Method::GET,
            "/api/v1/generations/export",
            Some(&a.management),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert!(
        reply.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let rows = parse_csv(&reply.text().await.unwrap());
    assert_eq!(rows[0][0], "id");
    assert_eq!(rows.len(), mine.len() + 1);
    let exported: BTreeSet<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
    assert_eq!(exported, mine.iter().map(|r| r.id.clone()).collect());
    assert!(rows.iter().all(|r| r.len() == rows[0].len()));
    assert_eq!(
        rows[1..].iter().filter(|r| r[6] == "Tool, \"Two\"").count(),
        2
    );
    let cost_column = rows[0].iter().position(|h| h == "total_cost_usd").unwrap();
    let exported_cost: i64 = rows[1..]
        .iter()
        .map(|r| (r[cost_column].parse::<f64>().unwrap() * 1e9).round() as i64)
        .sum();
    assert_eq!(exported_cost, mine.iter().map(|r| r.cost).sum::<i64>());

    // Platform admins see every organization; others are refused.
    let admin = api.login(ADMIN_EMAIL).await;
    let reply = call(
        &api,
        Method::GET,
        "/api/v1/admin/analytics",
        &admin.token,
        None,
        None,
    )
    .await;
    let platform = reply.expect(200)["data"].clone();
    assert_eq!(platform["overall"]["requests"], json!(8));
    assert_eq!(
        nanos(&platform["overall"]["spend"]),
        all.iter().map(|r| r.cost).sum::<i64>()
    );
    let top: BTreeMap<String, i64> = platform["top_organizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["dimensions"]["organization"].as_str().unwrap().to_owned(),
                t["metrics"]["requests"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(top.get(&a.org), Some(&6));
    assert_eq!(top.get(&b.org), Some(&2));
    let by_provider: i64 = platform["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["metrics"]["requests"].as_i64().unwrap())
        .sum();
    assert_eq!(by_provider, 8);
    let refused = call(
        &api,
        Method::GET,
        "/api/v1/admin/analytics",
        &a.owner.token,
        None,
        None,
    )
    .await;
    assert_eq!(refused.status, 403);
    let bad = call(
        &api,
        Method::GET,
        "/api/v1/admin/analytics?start=2020-01-01&end=2026-01-01",
        &admin.token,
        None,
        None,
    )
    .await;
    assert!(bad.expect_error(400).starts_with("end"));
    server.stop().await;
}
