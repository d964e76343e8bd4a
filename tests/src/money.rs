//! Money helpers for the end-to-end tests: exact USD figures, the organization's credit and
//! ledger through the API, the reconcile check, and bursts of concurrent requests.

use futures_util::future::join_all;
use serde_json::{Value, json};
use server::billing::money::Nanos;

use crate::{ADMIN_EMAIL, Api, User, email};

pub const MODEL: &str = "openai/gpt-4o-mini";

pub fn ask(text: &str, max_tokens: Option<u32>) -> Value {
    let mut body = json!({ "model": MODEL, "messages": [{ "role": "user", "content": text }] });
    if let Some(max) = max_tokens {
        body["max_tokens"] = json!(max);
    }
    body
}

/// A USD figure of the API as exact nano-dollars (either sign).
pub fn usd(value: &Value) -> Nanos {
    let figure = value.as_f64().expect("a USD number");
    let magnitude = Nanos::from_usd_f64(figure.abs()).expect("an amount");
    if figure < 0.0 {
        Nanos::ZERO.saturating_sub(magnitude)
    } else {
        magnitude
    }
}

pub async fn credits(api: &Api, token: &str) -> (Nanos, Nanos) {
    let reply = api.get("/api/v1/credits", Some(token)).await;
    let data = &reply.expect(200)["data"];
    (usd(&data["total_credits"]), usd(&data["total_usage"]))
}

/// Every ledger entry of the caller's organization (of `kind`, if given), newest first.
pub async fn ledger(api: &Api, token: &str, kind: Option<&str>) -> Vec<Value> {
    let mut entries = Vec::new();
    let mut before: Option<i64> = None;
    loop {
        let mut path = "/api/v1/credits/ledger?per_page=100".to_owned();
        if let Some(kind) = kind {
            path += &format!("&kind={kind}");
        }
        if let Some(before) = before {
            path += &format!("&before={before}");
        }
        let reply = api.get(&path, Some(token)).await;
        let page = reply.expect(200).clone();
        entries.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_before"].as_i64() {
            Some(next) => before = Some(next),
            None => return entries,
        }
    }
}

/// Waits until the usage writer has committed `count` generation debits.
pub async fn wait_for_debits(api: &Api, token: &str, count: usize) -> Vec<Value> {
    for _ in 0..200 {
        let debits = ledger(api, token, Some("generation")).await;
        if debits.len() >= count {
            return debits;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the generation debits were not written");
}

pub async fn assert_reconciled(api: &Api) {
    let admin = api.login(ADMIN_EMAIL).await;
    let reply = api
        .get("/api/v1/admin/credits/reconcile", Some(&admin.token))
        .await;
    let body = reply.expect(200);
    assert_eq!(body["mismatches"], json!([]), "{body}");
    assert!(body["organizations"].as_u64().unwrap() >= 1, "{body}");
}

pub async fn grant(api: &Api, admin: &User, org: &str, body: Value) -> crate::Reply {
    api.post(
        &format!("/api/v1/admin/organizations/{org}/credits"),
        Some(&admin.token),
        body,
    )
    .await
}

/// Fires `count` requests at once, spread over `apis`; returns (served costs, refusals).
pub async fn burst(apis: &[Api], key: &str, count: usize) -> (Vec<Nanos>, usize) {
    let calls = (0..count).map(|n| {
        let api = &apis[n % apis.len()];
        async move {
            api.post(
                "/api/v1/chat/completions",
                Some(key),
                ask(&format!("Request {n}"), Some(20)),
            )
            .await
        }
    });
    let mut served = Vec::new();
    let mut refused = 0;
    for reply in join_all(calls).await {
        match reply.status.as_u16() {
            200 => served.push(usd(&reply.body["usage"]["cost"])),
            402 => refused += 1,
            other => panic!("unexpected {other}: {}", reply.text),
        }
    }
    (served, refused)
}

/// The balance after a burst: never negative, exactly the grant minus what was served.
pub async fn assert_never_overspent(api: &Api, user: &User, balance: Nanos, served: &[Nanos]) {
    let spent = served
        .iter()
        .fold(Nanos::ZERO, |sum, c| sum.saturating_add(*c));
    assert!(spent <= balance, "spent {spent} of {balance}");
    let debits = wait_for_debits(api, &user.token, served.len()).await;
    assert_eq!(debits.len(), served.len(), "one debit per served request");
    let (total, used) = credits(api, &user.token).await;
    assert_eq!(total, balance);
    assert_eq!(used, spent);
    assert!(
        used <= total,
        "the balance went negative: {used} of {total}"
    );
    assert_reconciled(api).await;
}

/// The cost of one small request, measured on a funded organization of the same server.
pub async fn one_request_cost(api: &Api) -> Nanos {
    let probe = api.signup(&email("probe")).await;
    let (key, _) = api
        .create_key(&probe, None, json!({ "name": "probe" }))
        .await;
    let reply = api
        .post(
            "/api/v1/chat/completions",
            Some(&key),
            ask("Request 100", Some(20)),
        )
        .await;
    usd(&reply.expect(200)["usage"]["cost"])
}
