//! `X-OpenRouter-Metadata: enabled`: the routing decision (candidates, filters with reasons,
//! the order chosen, the attempts with their errors and timings) as `openrouter_metadata`,
//! a top-level field of a whole response, or of the final usage chunk of a stream.

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::hook::CompletionHook;
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

/// Passes a stream's frames on, holding back its final usage chunk until the relay's outcome
/// (with the attempts) is known; fires the completion hook with the outcome, then sends the
/// usage chunk with `openrouter_metadata`.
pub fn on_stream(
    mut upstream: mpsc::Receiver<Bytes>,
    done: oneshot::Receiver<Outcome>,
    plan: Plan,
    mut hook: CompletionHook,
) -> mpsc::Receiver<Bytes> {
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
        let outcome = hook.stream_outcome(done).await;
        let metadata = held.is_some().then(|| of(&plan, &outcome));
        hook.complete(outcome).await;
        if let (Some(frame), Some(metadata)) = (held, metadata) {
            tx.send(with_metadata(&frame, metadata)).await.ok();
        }
        if finished {
            tx.send(emitter::done()).await.ok();
        }
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
