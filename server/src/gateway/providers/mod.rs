//! Provider adapters: one per wire protocol, all behind [`ProviderAdapter`].

pub mod anthropic;
pub mod gemini;
pub mod openai_compat;
mod registry;
mod sse_decoder;

use std::fmt;

use serde_json::Value;

use crate::gateway::error::{TranslateError, UpstreamError};
use crate::gateway::types::{
    ChatChunk, ChatRequest, ChatResponse, EmbeddingRequest, EmbeddingResponse, Usage,
};

pub use openai_compat::CompatQuirks;
pub use registry::ProviderRegistry;

/// Plain OpenAI's quirks, built once.
static DEFAULT_QUIRKS: std::sync::LazyLock<std::sync::Arc<CompatQuirks>> =
    std::sync::LazyLock::new(Default::default);

/// Everything an adapter needs to know about one upstream attempt.
#[derive(Clone)]
pub struct CallContext {
    /// The model id as the upstream names it.
    pub model: String,
    pub api_key: String,
    /// Unix seconds stamped on responses whose upstream gives no `created`.
    pub created: u64,
    /// Host behaviour of an OpenAI-compatible endpoint; other protocols
    /// ignore it. Shared: a context is made per attempt.
    pub quirks: std::sync::Arc<CompatQuirks>,
}

impl CallContext {
    pub fn new(model: impl Into<String>, api_key: impl Into<String>, created: u64) -> Self {
        CallContext {
            model: model.into(),
            api_key: api_key.into(),
            created,
            quirks: std::sync::Arc::clone(&DEFAULT_QUIRKS),
        }
    }

    pub fn with_quirks(self, quirks: CompatQuirks) -> Self {
        self.with_shared_quirks(std::sync::Arc::new(quirks))
    }

    pub fn with_shared_quirks(mut self, quirks: std::sync::Arc<CompatQuirks>) -> Self {
        self.quirks = quirks;
        self
    }
}

// Hand-written so the key never reaches a log line.
impl fmt::Debug for CallContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallContext")
            .field("model", &self.model)
            .field("api_key", &"<redacted>")
            .field("created", &self.created)
            .field("quirks", &self.quirks)
            .finish()
    }
}

/// An HTTP request for the upstream, relative to the endpoint's base URL
/// (which includes any version prefix, e.g. `https://api.openai.com/v1`).
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamRequest {
    pub method: http::Method,
    /// Path and query, starting with `/`.
    pub path: String,
    pub headers: http::HeaderMap,
    pub body: UpstreamBody,
}

/// A JSON body: as a value (adapters that restructure the request), or already serialized
/// (the OpenAI-compatible adapter writes it straight from the canonical request).
#[derive(Debug, Clone, PartialEq)]
pub enum UpstreamBody {
    Value(Value),
    Json(Vec<u8>),
}

impl UpstreamBody {
    /// The body as a JSON value, for inspection (tests, logs).
    pub fn json(&self) -> Value {
        match self {
            UpstreamBody::Value(v) => v.clone(),
            UpstreamBody::Json(bytes) => serde_json::from_slice(bytes).unwrap_or(Value::Null),
        }
    }

    /// The bytes sent on the wire.
    pub fn into_bytes(self) -> Result<Vec<u8>, serde_json::Error> {
        match self {
            UpstreamBody::Value(v) => serde_json::to_vec(&v),
            UpstreamBody::Json(bytes) => Ok(bytes),
        }
    }
}

impl UpstreamRequest {
    pub(crate) fn post(path: impl Into<String>, body: Value) -> Self {
        Self::post_body(path, UpstreamBody::Value(body))
    }

    pub(crate) fn post_json(path: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self::post_body(path, UpstreamBody::Json(bytes))
    }

    fn post_body(path: impl Into<String>, body: UpstreamBody) -> Self {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        UpstreamRequest {
            method: http::Method::POST,
            path: path.into(),
            headers,
            body,
        }
    }

    /// Adds a secret header, marked sensitive so `http` redacts it in Debug.
    pub(crate) fn secret_header(
        &mut self,
        name: &'static str,
        value: &str,
    ) -> Result<(), TranslateError> {
        let mut v = http::HeaderValue::from_str(value)
            .map_err(|_| TranslateError::InvalidRequest("API key is not a valid header".into()))?;
        v.set_sensitive(true);
        self.headers.insert(name, v);
        Ok(())
    }
}

/// What a stream decoder yields.
// Chunks are the common case; boxing them would cost an allocation per chunk
// to shrink the rare error variant.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// A canonical chunk; never carries `usage` (see [`StreamDecoder::usage`]).
    Chunk(ChatChunk),
    /// The upstream reported an error in-band (or the stream broke off).
    Error(UpstreamError),
}

/// Turns an upstream byte stream into canonical chunks incrementally.
/// Usage is not emitted as a chunk: the HTTP layer sends it once, on the
/// final `choices: []` chunk, after billing has added the cost.
pub trait StreamDecoder: Send {
    /// Feeds the next bytes, split anywhere; returns what they completed.
    fn feed(&mut self, bytes: &[u8]) -> Vec<StreamEvent>;
    /// The upstream body ended; flushes and reports a truncated stream.
    fn finish(&mut self) -> Vec<StreamEvent>;
    /// Usage as known so far; final after `finish`. Known-so-far matters
    /// when a client disconnects and must still be billed.
    fn usage(&self) -> Option<Usage>;
}

/// One implementation per wire protocol.
pub trait ProviderAdapter: Send + Sync {
    /// `openai`, `anthropic` or `gemini`.
    fn protocol(&self) -> &'static str;

    fn build_request(
        &self,
        req: &ChatRequest,
        ctx: &CallContext,
    ) -> Result<UpstreamRequest, TranslateError>;

    /// A 2xx non-stream body.
    fn parse_response(&self, body: &[u8], ctx: &CallContext)
    -> Result<ChatResponse, UpstreamError>;

    fn stream_decoder(&self, ctx: &CallContext) -> Box<dyn StreamDecoder>;

    /// A non-2xx answer (stream or not).
    fn parse_error(&self, status: u16, headers: &http::HeaderMap, body: &[u8]) -> UpstreamError;

    /// An embeddings request; protocols without an embeddings API refuse it (routing then
    /// tries the next endpoint).
    fn build_embeddings(
        &self,
        req: &EmbeddingRequest,
        ctx: &CallContext,
    ) -> Result<UpstreamRequest, TranslateError> {
        let _ = (req, ctx);
        Err(TranslateError::Unsupported {
            provider: self.protocol(),
            feature: "embeddings".into(),
        })
    }

    /// A 2xx embeddings body, in OpenAI's shape (what OpenAI-style upstreams answer already).
    fn parse_embeddings(
        &self,
        body: &[u8],
        req: &EmbeddingRequest,
        ctx: &CallContext,
    ) -> Result<EmbeddingResponse, UpstreamError> {
        let _ = (req, ctx);
        serde_json::from_slice(body).map_err(|e| UpstreamError::malformed(self.protocol(), e))
    }
}
