//! `X-OpenRouter-Metadata: enabled`: the routing decision (candidates, filters with reasons,
//! the order chosen, the attempts with their errors and timings) as `openrouter_metadata`,
//! a top-level field of a whole response, or of the final usage chunk of a stream.

use std::future::Future;

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::error::ApiError;
use crate::gateway::relay::Outcome;
use crate::gateway::routing::Plan;
use crate::gateway::stream::emitter;

/// The `openrouter_metadata` object for a finished exchange.
pub fn of(plan: &Plan, outcome: &Outcome) -> Value {
    plan.metadata(
        &outcome.attempts,
        outcome
            .served
            .as_ref()
            .map(|t| (t.model_id.as_str(), t.provider_name.as_str())),
    )
}

/// A failed exchange's error with the decision in its metadata (as OpenRouter does when the
/// header asks for it), so failovers can be read from the error.
pub fn on_error(error: ApiError, routing: Value) -> ApiError {
    match error {
        ApiError::Detailed {
            status,
            message,
            mut metadata,
            retry_after_secs,
        } => {
            if !metadata.is_object() {
                metadata = Value::Object(Default::default());
            }
            metadata["openrouter_metadata"] = routing;
            ApiError::Detailed {
                status,
                message,
                metadata,
                retry_after_secs,
            }
        }
        other => other,
    }
}

/// Passes a stream's frames on, holding back its final usage chunk until the relay's outcome
/// (with the attempts) is known and sending it with `openrouter_metadata`; then hands the
/// outcome to `record`.
pub fn on_stream<F, Fut>(
    mut upstream: mpsc::Receiver<Bytes>,
    done: oneshot::Receiver<Outcome>,
    plan: Plan,
    record: F,
) -> mpsc::Receiver<Bytes>
where
    F: FnOnce(Outcome) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let (tx, frames) = mpsc::channel(16);
    tokio::spawn(async move {
        let mut held = None;
        let mut finished = false;
        while let Some(frame) = upstream.recv().await {
            if is_usage_frame(&frame) {
                held = Some(frame);
                continue;
            }
            if frame == emitter::done() {
                finished = true;
                break;
            }
            if tx.send(frame).await.is_err() {
                break;
            }
        }
        // Closing our end tells the relay that a departed client is gone.
        drop(upstream);
        let Ok(outcome) = done.await else {
            return;
        };
        if let Some(frame) = held {
            tx.send(with_metadata(&frame, of(&plan, &outcome)))
                .await
                .ok();
        }
        if finished {
            tx.send(emitter::done()).await.ok();
        }
        record(outcome).await;
    });
    frames
}

/// The final usage chunk: the only one whose top level has a `usage` object (content deltas
/// carry `"usage"` only inside escaped strings, and `usage: null` at most).
fn is_usage_frame(frame: &[u8]) -> bool {
    frame.starts_with(b"data: {") && memchr::memmem::find(frame, b"\"usage\":{").is_some()
}

fn with_metadata(frame: &[u8], metadata: Value) -> Bytes {
    let json = frame
        .strip_prefix(b"data: ")
        .map(<[u8]>::trim_ascii_end)
        .and_then(|rest| serde_json::from_slice::<Value>(rest).ok());
    match json {
        Some(mut chunk) => {
            if let Some(object) = chunk.as_object_mut() {
                object.insert("openrouter_metadata".into(), metadata);
            }
            emitter::data(&chunk)
        }
        None => Bytes::copy_from_slice(frame),
    }
}
