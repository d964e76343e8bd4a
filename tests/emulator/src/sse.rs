//! The streamed body: prepared frames released on the knob timings, with the stream faults
//! (malformed event, in-band error, abrupt disconnect) and the started/completed/aborted counts.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::HttpResponse;
use bytes::Bytes;
use futures_util::Stream;

use crate::knobs::Knobs;
use crate::state::Shared;

/// A whole stream, computed up front: writing it costs no further work per frame.
pub struct Plan {
    pub frames: Vec<Bytes>,
    /// Index of the first frame carrying model output: `ttft-ms` is waited before it,
    /// `chunk-delay-ms` before every later frame.
    pub first_output: usize,
    /// The provider's unparsable event, for `malformed-after`.
    pub malformed: Bytes,
    /// The provider's in-band error event, for `stream-error-after`.
    pub error: Bytes,
}

/// The error that makes actix drop the connection mid-body (the injected disconnect).
#[derive(Debug, thiserror::Error)]
#[error("emulator: injected disconnect")]
pub struct Disconnect;

/// Pause between the last frame and an injected disconnect, so the frames reach the client.
const CUT_PAUSE: Duration = Duration::from_millis(5);

struct Frame {
    bytes: Bytes,
    delay: Duration,
}

/// Applies the fault knobs to `plan` and turns it into a `text/event-stream` response.
pub fn respond(
    plan: Plan,
    knobs: &Knobs,
    shared: Arc<Shared>,
    mut builder: actix_web::HttpResponseBuilder,
) -> HttpResponse {
    let mut frames: Vec<Frame> = plan
        .frames
        .into_iter()
        .enumerate()
        .map(|(i, bytes)| Frame {
            bytes,
            delay: if i == plan.first_output {
                knobs.ttft()
            } else if i > plan.first_output {
                knobs.chunk_delay()
            } else {
                Duration::ZERO
            },
        })
        .collect();
    if let Some(k) = knobs.stream_error_after {
        frames.truncate(k);
        frames.push(Frame {
            bytes: plan.error,
            delay: knobs.chunk_delay(),
        });
    }
    if let Some(k) = knobs.malformed_after {
        let at = k.min(frames.len());
        frames.insert(
            at,
            Frame {
                bytes: plan.malformed,
                delay: knobs.chunk_delay(),
            },
        );
    }
    let disconnect = knobs.disconnect_after.is_some_and(|k| k < frames.len());
    if let Some(k) = knobs.disconnect_after {
        frames.truncate(k);
    }
    shared.counters.started.fetch_add(1, Ordering::Relaxed);
    let body = FrameStream {
        frames: frames.into_iter(),
        pending: None,
        sleep: None,
        disconnect,
        cut_pending: false,
        finished: false,
        shared,
    };
    builder
        .content_type("text/event-stream; charset=utf-8")
        .insert_header(("cache-control", "no-cache"))
        .streaming(body)
}

struct FrameStream {
    frames: std::vec::IntoIter<Frame>,
    pending: Option<Bytes>,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    disconnect: bool,
    cut_pending: bool,
    finished: bool,
    shared: Arc<Shared>,
}

impl Stream for FrameStream {
    type Item = Result<Bytes, Disconnect>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.finished {
            return Poll::Ready(None);
        }
        if let Some(sleep) = this.sleep.as_mut() {
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.sleep = None;
            if let Some(bytes) = this.pending.take() {
                return Poll::Ready(Some(Ok(bytes)));
            }
        }
        match this.frames.next() {
            Some(frame) if frame.delay.is_zero() => Poll::Ready(Some(Ok(frame.bytes))),
            Some(frame) => {
                this.pending = Some(frame.bytes);
                this.sleep = Some(Box::pin(tokio::time::sleep(frame.delay)));
                self.poll_next(cx)
            }
            None if this.disconnect && !this.cut_pending => {
                // actix flushes what it has written while the body is pending; without this pause
                // a fast stream would be cut before its head and frames ever left the socket.
                this.cut_pending = true;
                this.sleep = Some(Box::pin(tokio::time::sleep(CUT_PAUSE)));
                self.poll_next(cx)
            }
            None => {
                this.finished = true;
                if this.disconnect {
                    this.shared.counters.cut.fetch_add(1, Ordering::Relaxed);
                    Poll::Ready(Some(Err(Disconnect)))
                } else {
                    this.shared
                        .counters
                        .completed
                        .fetch_add(1, Ordering::Relaxed);
                    Poll::Ready(None)
                }
            }
        }
    }
}

impl Drop for FrameStream {
    fn drop(&mut self) {
        // Dropped before its end: the client went away (or the gateway cancelled upstream).
        if !self.finished {
            self.shared.counters.aborted.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A JSON reply cut off halfway through its body (`disconnect-after` on a non-streamed reply):
/// the head arrives with a 200, then the connection drops.
pub fn cut_json(
    body: &serde_json::Value,
    shared: Arc<Shared>,
    mut builder: actix_web::HttpResponseBuilder,
) -> HttpResponse {
    let bytes = Bytes::from(body.to_string());
    let head = bytes.slice(..bytes.len() / 2);
    shared.counters.cut.fetch_add(1, Ordering::Relaxed);
    let cut = async {
        tokio::time::sleep(CUT_PAUSE).await;
        Err(Disconnect)
    };
    let body = futures_util::stream::StreamExt::chain(
        futures_util::stream::once(async move { Ok::<_, Disconnect>(head) }),
        futures_util::stream::once(cut),
    );
    builder.content_type("application/json").streaming(body)
}
