//! A fake Stripe API for the purchasing tests, speaking Stripe's wire format: form-encoded
//! request bodies with bracket notation, `Authorization: Bearer <secret key>`,
//! `Idempotency-Key`, and JSON objects shaped like the recorded fixtures
//! (`tests/fixtures/stripe/`: a Checkout Session is the fixture with our fields filled in).
//!
//! - `POST /v1/checkout/sessions`, `GET /v1/checkout/sessions/{id}`,
//!   `GET /v1/checkout/sessions?payment_intent=…`
//! - `POST /v1/payment_intents` (off-session, confirmed at once, with a saved payment
//!   method), `GET /v1/payment_intents/{id}`
//! - control: `POST /_fake/checkout/sessions/{id}/pay` marks a session paid (as a customer
//!   finishing the hosted page would) and gives it a PaymentIntent (and, when the card is to
//!   be saved, a customer and a payment method); `POST /_fake/payment_methods/{id}/decline`
//!   and `/accept` make a saved card decline or pay.
//!
//! - hosted page (sessions of [`FakeStripe::start_hosted`]): `GET /pay/{id}` shows the amount
//!   and a "Pay" button; `POST /pay/{id}` marks the session paid and redirects to its
//!   `success_url`, as Stripe's page does (the browser tests pay through it).
//!
//! Events for the webhook are built here too ([`FakeStripe::event`],
//! [`FakeStripe::refunded_charge`]) and signed by the caller.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

pub const SECRET_KEY: &str = "sk_test_fake_0123456789";
pub const WEBHOOK_SECRET: &str = "whsec_test_secret";

fn fixture(name: &str) -> Value {
    let path = format!("{}/fixtures/stripe/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&path).expect("fixture")).expect("fixture JSON")
}

fn random_id(prefix: &str) -> String {
    format!(
        "{prefix}_test_{:016x}{:08x}",
        rand::random::<u64>(),
        rand::random::<u32>()
    )
}

#[derive(Default)]
struct FakeState {
    sessions: HashMap<String, Value>,
    /// Idempotency key → session id.
    idempotent: HashMap<String, String>,
    /// Every create request's form fields, in order.
    creates: Vec<Vec<(String, String)>>,
    /// Sessions whose card is to be saved.
    save_card: std::collections::HashSet<String>,
    intents: HashMap<String, Value>,
    /// Off-session PaymentIntents created, in order (idempotent replays not counted).
    off_session: Vec<String>,
    /// Payment method → its customer.
    methods: HashMap<String, String>,
    declining: std::collections::HashSet<String>,
    /// Sessions' `url` points at this fake's own payment page (`{base}pay/{id}`).
    hosted_base: Option<String>,
}

type Shared = Arc<Mutex<FakeState>>;

pub struct FakeStripe {
    /// `http://127.0.0.1:<port>/` (what `STRIPE_API_BASE` takes).
    pub base: String,
    state: Shared,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeStripe {
    pub fn start() -> FakeStripe {
        let state: Shared = Arc::default();
        let shared = state.clone();
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let data = web::Data::new(shared);
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .route("/v1/checkout/sessions", web::post().to(create_session))
                        .route("/v1/checkout/sessions", web::get().to(list_sessions))
                        .route("/v1/checkout/sessions/{id}", web::get().to(get_session))
                        .route(
                            "/_fake/checkout/sessions/{id}/pay",
                            web::post().to(pay_session),
                        )
                        .route("/pay/{id}", web::get().to(payment_page))
                        .route("/pay/{id}", web::post().to(pay_on_page))
                        .route("/v1/payment_intents", web::post().to(create_intent))
                        .route("/v1/payment_intents/{id}", web::get().to(get_intent))
                        .route(
                            "/_fake/payment_methods/{id}/{verdict}",
                            web::post().to(set_verdict),
                        )
                })
                .workers(1)
                .bind("127.0.0.1:0")
                .expect("bind fake Stripe");
                let addr = server.addrs()[0];
                let running = server.run();
                tx.send((addr, running.handle())).expect("report");
                running.await.ok();
            });
        });
        let (addr, handle) = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("fake Stripe did not start");
        FakeStripe {
            base: format!("http://{addr}/"),
            state,
            handle,
            thread: Some(thread),
        }
    }

    /// A fake whose sessions send the customer to its own payment page, which a browser can
    /// pay on (see the module documentation).
    pub fn start_hosted() -> FakeStripe {
        let fake = FakeStripe::start();
        fake.state.lock().unwrap().hosted_base = Some(fake.base.clone());
        fake
    }

    /// A session as the fake holds it.
    pub fn session(&self, id: &str) -> Option<Value> {
        self.state.lock().unwrap().sessions.get(id).cloned()
    }

    /// The form fields of every Checkout Session creation, in order.
    pub fn creates(&self) -> Vec<Vec<(String, String)>> {
        self.state.lock().unwrap().creates.clone()
    }

    /// The off-session PaymentIntents created so far.
    pub fn off_session_intents(&self) -> Vec<Value> {
        let state = self.state.lock().unwrap();
        state
            .off_session
            .iter()
            .map(|id| state.intents[id].clone())
            .collect()
    }

    /// Makes the saved card `payment_method` decline (`true`) or pay (`false`).
    pub async fn decline(&self, payment_method: &str, decline: bool) {
        let verdict = if decline { "decline" } else { "accept" };
        let reply = reqwest::Client::new()
            .post(format!(
                "{}_fake/payment_methods/{payment_method}/{verdict}",
                self.base
            ))
            .send()
            .await
            .expect("verdict");
        assert!(reply.status().is_success());
    }

    /// The payment method saved by paying `session` (which asked to save the card).
    pub fn payment_method_of(&self, session: &Value) -> String {
        let state = self.state.lock().unwrap();
        let pi = session["payment_intent"].as_str().expect("paid");
        state.intents[pi]["payment_method"]
            .as_str()
            .expect("payment method")
            .to_owned()
    }

    /// Marks a session paid through the control endpoint; returns it.
    pub async fn pay(&self, id: &str) -> Value {
        let reply = reqwest::Client::new()
            .post(format!("{}_fake/checkout/sessions/{id}/pay", self.base))
            .send()
            .await
            .expect("pay");
        assert!(reply.status().is_success(), "pay {id}: {}", reply.status());
        reply.json().await.expect("session")
    }

    /// An event of `kind` about `object`, as Stripe would deliver it (the raw body).
    pub fn event(kind: &str, object: &Value) -> String {
        json!({
            "id": random_id("evt"),
            "object": "event",
            "api_version": "2024-06-20",
            "created": chrono::Utc::now().timestamp(),
            "data": { "object": object },
            "livemode": false,
            "pending_webhooks": 1,
            "request": { "id": null, "idempotency_key": null },
            "type": kind,
        })
        .to_string()
    }

    /// The charge of a paid `session` with `refunded` cents refunded so far (running total),
    /// shaped as the fixture's charge.
    pub fn refunded_charge(session: &Value, charge_id: &str, refunded: i64) -> Value {
        let mut charge = fixture("fixtures3.json")["resources"]["charge"].clone();
        let amount = session["amount_total"].as_i64().expect("amount_total");
        charge["id"] = json!(charge_id);
        charge["amount"] = json!(amount);
        charge["amount_captured"] = json!(amount);
        charge["captured"] = json!(true);
        charge["amount_refunded"] = json!(refunded);
        charge["refunded"] = json!(refunded >= amount);
        charge["payment_intent"] = session["payment_intent"].clone();
        charge["status"] = json!("succeeded");
        charge
    }
}

impl Drop for FakeStripe {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

fn stripe_error(status: u16, kind: &str, message: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap())
        .json(json!({ "error": { "type": kind, "message": message } }))
}

/// Stripe's answer to a wrong or missing secret key, if the request has one.
fn unauthorized(req: &HttpRequest) -> Option<HttpResponse> {
    let ok = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {SECRET_KEY}"));
    (!ok).then(|| stripe_error(401, "invalid_request_error", "Invalid API Key provided"))
}

async fn create_session(
    req: HttpRequest,
    state: web::Data<Shared>,
    body: web::Bytes,
) -> HttpResponse {
    if let Some(refused) = unauthorized(&req) {
        return refused;
    }
    let content_type = req
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return stripe_error(400, "invalid_request_error", "form-encoded body expected");
    }
    let Ok(form) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else {
        return stripe_error(400, "invalid_request_error", "malformed form body");
    };
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut state = state.lock().unwrap();
    state.creates.push(form.clone());
    if let Some(existing) = key.as_ref().and_then(|k| state.idempotent.get(k)) {
        return HttpResponse::Ok().json(&state.sessions[existing]);
    }
    for required in ["mode", "success_url"] {
        if field(required).is_none() {
            return stripe_error(
                400,
                "invalid_request_error",
                &format!("Missing required param: {required}."),
            );
        }
    }
    // line_items[i][price_data][unit_amount] × line_items[i][quantity]
    let mut total = 0i64;
    for i in 0.. {
        let Some(amount) = field(&format!("line_items[{i}][price_data][unit_amount]")) else {
            break;
        };
        let quantity = field(&format!("line_items[{i}][quantity]"))
            .and_then(|q| q.parse::<i64>().ok())
            .unwrap_or(1);
        let Ok(amount) = amount.parse::<i64>() else {
            return stripe_error(400, "invalid_request_error", "Invalid integer: unit_amount");
        };
        total += amount * quantity;
    }
    let metadata: serde_json::Map<String, Value> = form
        .iter()
        .filter_map(|(k, v)| {
            let name = k.strip_prefix("metadata[")?.strip_suffix(']')?;
            Some((name.to_owned(), json!(v)))
        })
        .collect();
    let id = random_id("cs");
    if field("payment_intent_data[setup_future_usage]").as_deref() == Some("off_session") {
        state.save_card.insert(id.clone());
    }
    let mut session = fixture("checkout_session_create_response.json")["response"]["body"].clone();
    session["id"] = json!(id);
    session["url"] = match &state.hosted_base {
        Some(base) => json!(format!("{base}pay/{id}")),
        None => json!(format!("https://checkout.stripe.com/c/pay/{id}")),
    };
    session["mode"] = json!(field("mode"));
    session["success_url"] = json!(field("success_url"));
    session["cancel_url"] = json!(field("cancel_url"));
    session["client_reference_id"] = json!(field("client_reference_id"));
    session["metadata"] = Value::Object(metadata);
    session["currency"] = json!("usd");
    session["amount_subtotal"] = json!(total);
    session["amount_total"] = json!(total);
    session["payment_intent"] = Value::Null;
    session["payment_status"] = json!("unpaid");
    session["status"] = json!("open");
    session["created"] = json!(chrono::Utc::now().timestamp());
    // The fixture's generated placeholders that make no sense for a plain payment.
    session["shipping_cost"] = Value::Null;
    session["shipping_address_collection"] = Value::Null;
    session["currency_conversion"] = Value::Null;
    session["total_details"] =
        json!({ "amount_discount": 0, "amount_shipping": 0, "amount_tax": 0 });
    state.sessions.insert(id.clone(), session.clone());
    if let Some(key) = key {
        state.idempotent.insert(key, id);
    }
    HttpResponse::Ok().json(session)
}

/// `GET` of one stored object, or Stripe's 404 naming its kind.
fn retrieve(req: &HttpRequest, found: Option<&Value>, kind: &str, id: &str) -> HttpResponse {
    if let Some(refused) = unauthorized(req) {
        return refused;
    }
    match found {
        Some(object) => HttpResponse::Ok().json(object),
        None => stripe_error(
            404,
            "invalid_request_error",
            &format!("No such {kind}: '{id}'"),
        ),
    }
}

async fn get_session(
    req: HttpRequest,
    state: web::Data<Shared>,
    path: web::Path<String>,
) -> HttpResponse {
    let state = state.lock().unwrap();
    retrieve(
        &req,
        state.sessions.get(path.as_str()),
        "checkout.session",
        &path,
    )
}

async fn list_sessions(
    req: HttpRequest,
    state: web::Data<Shared>,
    query: web::Query<Vec<(String, String)>>,
) -> HttpResponse {
    if let Some(refused) = unauthorized(&req) {
        return refused;
    }
    let wanted = query
        .iter()
        .find(|(k, _)| k == "payment_intent")
        .map(|(_, v)| v.clone());
    let state = state.lock().unwrap();
    let data: Vec<&Value> = state
        .sessions
        .values()
        .filter(|s| {
            wanted
                .as_deref()
                .is_none_or(|pi| s["payment_intent"] == json!(pi))
        })
        .collect();
    HttpResponse::Ok().json(json!({
        "object": "list", "data": data, "has_more": false, "url": "/v1/checkout/sessions",
    }))
}

/// A PaymentIntent shaped as the fixture's.
fn intent(amount: i64, customer: Option<&str>, method: &str, status: &str) -> Value {
    let mut pi = fixture("fixtures3.json")["resources"]["payment_intent"].clone();
    pi["id"] = json!(random_id("pi"));
    pi["amount"] = json!(amount);
    pi["amount_received"] = json!(if status == "succeeded" { amount } else { 0 });
    pi["currency"] = json!("usd");
    pi["customer"] = json!(customer);
    pi["payment_method"] = json!(method);
    pi["status"] = json!(status);
    pi["created"] = json!(chrono::Utc::now().timestamp());
    pi
}

async fn pay_session(state: web::Data<Shared>, path: web::Path<String>) -> HttpResponse {
    match mark_paid(&state, &path) {
        Some(session) => HttpResponse::Ok().json(session),
        None => stripe_error(404, "invalid_request_error", "no such session"),
    }
}

/// Marks session `id` paid (as a customer finishing the payment page would); returns it.
fn mark_paid(state: &Shared, id: &str) -> Option<Value> {
    let mut state = state.lock().unwrap();
    let save = state.save_card.contains(id);
    let mut session = state.sessions.get(id).cloned()?;
    session["payment_status"] = json!("paid");
    session["status"] = json!("complete");
    session["url"] = Value::Null;
    if session["payment_intent"].is_null() {
        let customer = save.then(|| random_id("cus"));
        let method = random_id("pm");
        let amount = session["amount_total"].as_i64().unwrap_or(0);
        let pi = intent(amount, customer.as_deref(), &method, "succeeded");
        session["payment_intent"] = pi["id"].clone();
        session["customer"] = json!(customer);
        if let Some(customer) = customer {
            state.methods.insert(method, customer);
        }
        state
            .intents
            .insert(pi["id"].as_str().unwrap().to_owned(), pi);
    }
    state.sessions.insert(id.to_owned(), session.clone());
    Some(session)
}

/// The hosted payment page of an open session.
async fn payment_page(state: web::Data<Shared>, path: web::Path<String>) -> HttpResponse {
    let Some(session) = state.lock().unwrap().sessions.get(path.as_str()).cloned() else {
        return HttpResponse::NotFound().body("No such checkout session");
    };
    let cents = session["amount_total"].as_i64().unwrap_or(0);
    let amount = format!("${}.{:02}", cents / 100, cents % 100);
    let cancel = session["cancel_url"]
        .as_str()
        .unwrap_or("/")
        .replace('"', "%22");
    let id = path.as_str();
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>Fake Stripe Checkout</title><link rel=\"icon\" href=\"data:,\"></head><body><main>\
             <h1>Fake Stripe Checkout</h1><p>Total due: <strong>{amount}</strong></p>\
             <form method=\"post\" action=\"/pay/{id}\"><button type=\"submit\">Pay {amount}</button></form>\
             <p><a href=\"{cancel}\">Cancel and go back</a></p></main></body></html>"
        ))
}

/// The payment page's "Pay": paid, then back to the shop's `success_url`.
async fn pay_on_page(state: web::Data<Shared>, path: web::Path<String>) -> HttpResponse {
    let Some(session) = mark_paid(&state, &path) else {
        return HttpResponse::NotFound().body("No such checkout session");
    };
    let back = session["success_url"]
        .as_str()
        .unwrap_or("/")
        .replace("{CHECKOUT_SESSION_ID}", &path);
    HttpResponse::SeeOther()
        .insert_header(("location", back))
        .finish()
}

async fn get_intent(
    req: HttpRequest,
    state: web::Data<Shared>,
    path: web::Path<String>,
) -> HttpResponse {
    let state = state.lock().unwrap();
    retrieve(
        &req,
        state.intents.get(path.as_str()),
        "payment_intent",
        &path,
    )
}

/// Off-session, confirmed at once: succeeds or declines (402 `card_error`) by the saved
/// method's verdict.
async fn create_intent(
    req: HttpRequest,
    state: web::Data<Shared>,
    body: web::Bytes,
) -> HttpResponse {
    if let Some(refused) = unauthorized(&req) {
        return refused;
    }
    let Ok(form) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else {
        return stripe_error(400, "invalid_request_error", "malformed form body");
    };
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| format!("pi:{k}"));
    let mut state = state.lock().unwrap();
    if let Some(existing) = key.as_ref().and_then(|k| state.idempotent.get(k)) {
        return HttpResponse::Ok().json(&state.intents[existing]);
    }
    let (Some(amount), Some(method), Some(customer)) = (
        field("amount").and_then(|a| a.parse::<i64>().ok()),
        field("payment_method"),
        field("customer"),
    ) else {
        return stripe_error(
            400,
            "invalid_request_error",
            "amount, payment_method and customer are required",
        );
    };
    if field("off_session").as_deref() != Some("true")
        || field("confirm").as_deref() != Some("true")
    {
        return stripe_error(
            400,
            "invalid_request_error",
            "this fake only confirms off-session intents",
        );
    }
    if state.methods.get(&method) != Some(&customer) {
        return stripe_error(
            400,
            "invalid_request_error",
            "No such PaymentMethod for this customer",
        );
    }
    if state.declining.contains(&method) {
        return HttpResponse::PaymentRequired().json(json!({ "error": {
            "type": "card_error", "code": "card_declined", "decline_code": "generic_decline",
            "message": "Your card was declined.",
        }}));
    }
    let mut pi = intent(amount, Some(&customer), &method, "succeeded");
    let metadata: serde_json::Map<String, Value> = form
        .iter()
        .filter_map(|(k, v)| {
            Some((
                k.strip_prefix("metadata[")?.strip_suffix(']')?.to_owned(),
                json!(v),
            ))
        })
        .collect();
    pi["metadata"] = Value::Object(metadata);
    let id = pi["id"].as_str().unwrap().to_owned();
    state.intents.insert(id.clone(), pi.clone());
    state.off_session.push(id.clone());
    if let Some(key) = key {
        state.idempotent.insert(key, id);
    }
    HttpResponse::Ok().json(pi)
}

async fn set_verdict(state: web::Data<Shared>, path: web::Path<(String, String)>) -> HttpResponse {
    let (method, verdict) = path.into_inner();
    let mut state = state.lock().unwrap();
    match verdict.as_str() {
        "decline" => state.declining.insert(method),
        "accept" => state.declining.remove(&method),
        _ => return HttpResponse::NotFound().finish(),
    };
    HttpResponse::NoContent().finish()
}
