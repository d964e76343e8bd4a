//! OpenTelemetry trace export (OTLP/HTTP with JSON bodies) when `OTEL_EXPORTER_OTLP_ENDPOINT`
//! is set: one span per generation record (see [`span`]), the shape OpenRouter's trace export
//! ("broadcast") sends, with the gen_ai.* semantic conventions. Never the prompt or the
//! completion.
//!
//! Off the hot path: the span is built on the usage writer's thread as it takes a request's
//! records, and handed to a bounded queue (`try_send`: never waits); a task batches the spans
//! and POSTs them to `<endpoint>/v1/traces`. Traces are best effort: when the queue is full
//! or the collector fails, spans are dropped and counted in a warning, never retried into
//! unbounded memory. Hand-written (the format is small and documented) rather than the
//! `opentelemetry-otlp` crate, whose HTTP clients are reqwest 0.12 or blocking ones; the
//! server's own HTTP client is hyper.

pub mod span;

use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use crate::config::Config;

/// Spans waiting for the exporter, at most.
const QUEUE: usize = 8_192;
/// Spans per export request.
const BATCH: usize = 512;
/// A partial batch leaves after this long.
const EXPORT_EVERY: Duration = Duration::from_secs(1);
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

enum Message {
    Span(Value),
    /// Export what is queued, then answer.
    Flush(oneshot::Sender<()>),
}

struct Exporter {
    queue: mpsc::Sender<Message>,
}

static EXPORTER: OnceLock<Exporter> = OnceLock::new();

/// Starts the exporter (on the current runtime) when `config` names an endpoint. Once per
/// process.
pub fn install(config: &Config) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let Some(endpoint) = &config.otel_exporter_otlp_endpoint else {
        return Ok(());
    };
    if EXPORTER.get().is_some() {
        return Ok(());
    }
    // OTLP/HTTP: the signal's path under the base endpoint.
    let url: http::Uri = format!("{}/v1/traces", endpoint.trim_end_matches('/')).parse()?;
    let client = client()?;
    let resource =
        json!({ "attributes": [span::string("service.name", &config.otel_service_name)] });
    let (queue, rx) = mpsc::channel(QUEUE);
    if EXPORTER.set(Exporter { queue }).is_ok() {
        tokio::spawn(run(rx, client, url, resource));
    }
    Ok(())
}

/// Queues `generation`'s span when traces are exported; a full queue drops it.
pub fn export(generation: &entity::generation::Model) {
    let Some(exporter) = EXPORTER.get() else {
        return;
    };
    if exporter
        .queue
        .try_send(Message::Span(span::of(generation)))
        .is_err()
    {
        dropped(1, "the export queue is full");
    }
}

/// Exports what is queued (at shutdown, after the usage writer's last records).
pub async fn flush() {
    let Some(exporter) = EXPORTER.get() else {
        return;
    };
    let (ack, done) = oneshot::channel();
    if exporter.queue.send(Message::Flush(ack)).await.is_ok() {
        tokio::time::timeout(EXPORT_TIMEOUT, done).await.ok();
    }
}

type Http = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

fn client() -> Result<Http, Box<dyn std::error::Error + Send + Sync>> {
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())?;
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(std::sync::Arc::new(verifier))
        .with_no_client_auth();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .build();
    Ok(Client::builder(TokioExecutor::new()).build(connector))
}

async fn run(mut rx: mpsc::Receiver<Message>, client: Http, url: http::Uri, resource: Value) {
    let mut spans = Vec::with_capacity(BATCH);
    let mut tick = tokio::time::interval(EXPORT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let mut ack = None;
        tokio::select! {
            message = rx.recv() => match message {
                Some(Message::Span(span)) => {
                    spans.push(span);
                    if spans.len() < BATCH {
                        continue;
                    }
                }
                Some(Message::Flush(done)) => ack = Some(done),
                None => return,
            },
            _ = tick.tick() => {}
        }
        if !spans.is_empty() {
            send(&client, &url, &resource, std::mem::take(&mut spans)).await;
        }
        if let Some(ack) = ack {
            ack.send(()).ok();
        }
    }
}

async fn send(client: &Http, url: &http::Uri, resource: &Value, spans: Vec<Value>) {
    let count = spans.len();
    let body = json!({
        "resourceSpans": [{
            "resource": resource,
            "scopeSpans": [{
                "scope": { "name": "switchboard", "version": env!("CARGO_PKG_VERSION") },
                "spans": spans,
            }],
        }],
    });
    let request = http::Request::post(url.clone())
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body.to_string())));
    let Ok(request) = request else {
        return dropped(count, "the export request could not be built");
    };
    match tokio::time::timeout(EXPORT_TIMEOUT, client.request(request)).await {
        Ok(Ok(response)) if response.status().is_success() => {}
        Ok(Ok(response)) => dropped(
            count,
            &format!("the collector answered {}", response.status()),
        ),
        Ok(Err(err)) => dropped(count, &format!("the collector is unreachable: {err}")),
        Err(_) => dropped(count, "the collector did not answer in time"),
    }
}

fn dropped(spans: usize, why: &str) {
    tracing::warn!(spans, why, "OTLP trace export: spans dropped");
}
