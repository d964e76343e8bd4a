//! What the service answers: the served request (generation id, rate-limit standing and the
//! answer itself) or why it was refused or failed. The HTTP layer renders both.

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::gateway::failure::Failure;
use crate::gateway::routing::RouteError;
use crate::gateway::types::ChatResponse;
use crate::limits::{Admission, RateLimited};

/// A request that was answered.
pub struct Served<T> {
    /// `X-Generation-Id`, and the generation record's id.
    pub generation_id: String,
    /// The rate limits' standing after admitting it (`X-RateLimit-*`).
    pub admission: Admission,
    pub answer: T,
}

/// A chat (or legacy completion) answer.
// Moved once, to the handler: boxing the whole response would cost an allocation per request.
#[allow(clippy::large_enum_variant)]
pub enum ChatAnswer {
    /// The whole response, with the routing decision when the caller asked for it.
    Whole {
        response: ChatResponse,
        routing_metadata: Option<Value>,
    },
    /// SSE frames as they come (keep-alive comments, chunks, the usage chunk, `[DONE]`).
    Stream(mpsc::Receiver<Bytes>),
}

#[derive(Debug, thiserror::Error)]
pub enum InferenceError {
    /// The request is malformed in a way the gateway relies on (400).
    #[error("{0}")]
    Invalid(String),
    /// A rate limit refused it (429).
    #[error("{}", .0.message())]
    RateLimited(Box<RateLimited>),
    /// No endpoint can serve it, or its routing options are invalid.
    #[error(transparent)]
    Route(#[from] RouteError),
    /// The organization's credit cannot cover the request (402).
    #[error("{0}")]
    InsufficientCredit(String),
    /// The organization is over one of its budgets (403, naming it).
    #[error("{0}")]
    OverBudget(String),
    /// The credit could not be checked (the database is unreachable): 503.
    #[error("{0}")]
    Unavailable(String),
    /// The usage writer cannot keep up (the database has been failing): 503 rather than a
    /// request whose record would wait unboundedly.
    #[error("Usage records cannot be written at the moment; try again shortly")]
    RecordingBacklogged,
    /// Every attempt failed before an answer began (see [`crate::gateway::failure`]).
    #[error("{}", .0.message)]
    Upstream(Box<Failure>),
}

impl From<RateLimited> for InferenceError {
    fn from(limited: RateLimited) -> Self {
        InferenceError::RateLimited(Box::new(limited))
    }
}

impl From<Failure> for InferenceError {
    fn from(failure: Failure) -> Self {
        InferenceError::Upstream(Box::new(failure))
    }
}
