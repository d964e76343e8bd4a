//! Local emulations of three LLM provider wire protocols (OpenAI chat/completions/embeddings,
//! Anthropic messages, Gemini generateContent), for the gateway's tests and benchmarks.
//!
//! ```no_run
//! # async fn demo() {
//! use provider_emulator::{Emulator, EmulatorConfig};
//! let emu = Emulator::start(EmulatorConfig::default()).expect("emulator");
//! let openai_base = emu.openai_base(); // http://127.0.0.1:PORT/v1
//! // ... point the gateway at it, send requests ...
//! let seen = emu.requests(); // what the gateway sent upstream
//! emu.stop().await;
//! # }
//! ```
//!
//! Replies are deterministic: `You said: <last user text>` (prefixed `[<system prompt>] ` when the
//! request has one), cut to the max-tokens limit; see [`tokens`] for the token rule. Behaviour is
//! steered by [`Knobs`].

// Handlers return early with a finished error response (`Err(HttpResponse)`); it is the error
// path of a test double, so boxing it would add noise and save nothing that matters.
#![allow(clippy::result_large_err)]

mod anthropic;
mod common;
mod control;
mod gemini;
pub mod knobs;
mod openai;
pub mod schema;
mod sse;
pub mod state;
pub mod tokens;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

use actix_web::{App, HttpServer, web};

pub use knobs::{KnobError, Knobs};
pub use state::{RecordedRequest, Stats};

/// The key every protocol accepts by default.
pub const DEFAULT_API_KEY: &str = "test-key";

/// Largest accepted request body.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// How one emulator behaves. `Default` gives the real providers' behaviour with key `test-key`.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Address to bind; `127.0.0.1:0` picks a free port.
    pub bind: String,
    /// The one API key every protocol accepts; `None` accepts any non-empty key.
    pub api_key: Option<String>,
    /// Emulator-wide knob defaults (per-request headers and directives override them).
    pub knobs: Knobs,
    /// Model ids listed by `GET /v1/models`.
    pub models: Vec<String>,
    /// Reject (404, in each provider's form) model ids not in `models`. Ids containing
    /// `nonexistent` are rejected either way.
    pub strict_models: bool,
    /// Requests kept in the log (oldest dropped first); 0 turns recording off (benchmarks).
    pub log_capacity: usize,
    /// actix worker threads.
    pub workers: usize,
    /// Let actix handle SIGINT/SIGTERM (the binary does; in-process tests must not).
    pub handle_signals: bool,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            bind: "127.0.0.1:0".into(),
            api_key: Some(DEFAULT_API_KEY.into()),
            knobs: Knobs::default(),
            models: [
                "gpt-4o",
                "gpt-4o-mini",
                "gpt-3.5-turbo-instruct",
                "text-embedding-3-small",
                "text-embedding-3-large",
                "claude-sonnet-4-5",
                "claude-haiku-4-5",
                "gemini-2.5-flash",
                "gemini-2.5-pro",
                "gemini-2.0-flash",
                "gemini-embedding-001",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            strict_models: false,
            log_capacity: 10_000,
            workers: 1,
            handle_signals: false,
        }
    }
}

/// Entry point; see [`Emulator::start`].
pub struct Emulator;

impl Emulator {
    /// Binds `config.bind` and serves on a thread of its own with its own actix System, so it
    /// runs beside any test runtime. Returns once the socket is listening.
    pub fn start(config: EmulatorConfig) -> std::io::Result<RunningEmulator> {
        let listener = TcpListener::bind(&config.bind)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(state::Shared::new(config));
        let (tx, rx) = std::sync::mpsc::channel();
        let server_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("provider-emulator-{}", addr.port()))
            .spawn(move || {
                let system = actix_web::rt::System::new();
                system.block_on(async move {
                    match serve_shared(server_shared, listener) {
                        Ok(server) => {
                            tx.send(Ok(server.handle())).ok();
                            server.await.ok();
                        }
                        Err(e) => {
                            tx.send(Err(e)).ok();
                        }
                    }
                });
            })?;
        let handle = rx
            .recv()
            .map_err(|_| std::io::Error::other("emulator thread exited before serving"))??;
        Ok(RunningEmulator {
            base_url: format!("http://{addr}"),
            addr,
            shared,
            handle,
            thread: Some(thread),
        })
    }
}

/// Builds the server on an already-bound listener, for callers that run their own actix System
/// (the binary). Must be called inside that System.
pub fn serve(
    config: EmulatorConfig,
    listener: TcpListener,
) -> std::io::Result<actix_web::dev::Server> {
    serve_shared(Arc::new(state::Shared::new(config)), listener)
}

fn serve_shared(
    shared: Arc<state::Shared>,
    listener: TcpListener,
) -> std::io::Result<actix_web::dev::Server> {
    let workers = shared.config.workers.max(1);
    let signals = shared.config.handle_signals;
    let data = web::Data::from(shared);
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .configure(routes)
    })
    .workers(workers)
    .backlog(4096)
    .shutdown_timeout(1)
    .listen(listener)?;
    if !signals {
        server = server.disable_signals();
    }
    Ok(server.run())
}

/// Every route of every protocol, plus the `/_emulator` control surface.
fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/v1/chat/completions", web::post().to(openai::chat))
        .route("/v1/completions", web::post().to(openai::completions))
        .route("/v1/embeddings", web::post().to(openai::embeddings))
        .route("/v1/models", web::get().to(openai::models))
        .route("/v1/messages", web::post().to(anthropic::messages))
        .route(
            "/v1/messages/count_tokens",
            web::post().to(anthropic::count_tokens),
        )
        .route("/v1beta/models/{call}", web::post().to(gemini::call))
        .route("/v1/models/{call}", web::post().to(gemini::call))
        .configure(control::routes);
}

/// A running emulator. Dropping it stops the server (without waiting); prefer [`Self::stop`].
pub struct RunningEmulator {
    /// `http://127.0.0.1:PORT` (the Anthropic and Gemini base URL).
    pub base_url: String,
    pub addr: SocketAddr,
    shared: Arc<state::Shared>,
    handle: actix_web::dev::ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningEmulator {
    /// OpenAI base URL: `http://127.0.0.1:PORT/v1`.
    pub fn openai_base(&self) -> String {
        format!("{}/v1", self.base_url)
    }
    /// Anthropic base URL (`/v1/messages` is appended by clients).
    pub fn anthropic_base(&self) -> String {
        self.base_url.clone()
    }
    /// Gemini base URL (`/v1beta/models/...` is appended by clients).
    pub fn gemini_base(&self) -> String {
        self.base_url.clone()
    }
    /// The key the emulator accepts (`None`: any).
    pub fn api_key(&self) -> Option<&str> {
        self.shared.config.api_key.as_deref()
    }
    /// Every recorded request, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }
    pub fn clear_requests(&self) {
        self.shared.clear_requests();
    }
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }
    /// Replaces the emulator-wide knob defaults.
    pub fn set_knobs(&self, knobs: Knobs) {
        self.shared.set_knobs(knobs);
    }
    pub fn knobs(&self) -> Knobs {
        (*self.shared.knobs()).clone()
    }
    /// Clears the log, counters, fail-first counts and prompt cache; restores configured knobs.
    pub fn reset(&self) {
        self.shared.reset();
    }
    /// Stops the server and waits for its thread.
    pub async fn stop(mut self) {
        self.handle.stop(false).await;
        if let Some(thread) = self.thread.take() {
            thread.join().ok();
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if self.thread.is_some() {
            drop(self.handle.stop(false));
        }
    }
}
