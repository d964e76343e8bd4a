//! The streaming exchange: upstream bytes are decoded and re-emitted chunk by chunk, never
//! buffered whole. A task owns the upstream connection and writes SSE frames into a small
//! bounded channel; when the client goes away the channel closes, the task stops, and dropping
//! the upstream response aborts that request. What was generated so far is still billed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};

use tracing::Instrument;

use super::{
    AttemptRecord, Connected, Outcome, Relay, Target, estimate_tokens, prompt_chars,
    request_images, sample, unix_now,
};
use crate::gateway::error::{ErrorType, UpstreamError};
use crate::gateway::failure::{Failure, Reported};
use crate::gateway::providers::StreamEvent;
use crate::gateway::stream::accumulator::ChunkAccumulator;
use crate::gateway::stream::emitter;
use crate::gateway::types::{ChatChunk, ChatRequest, ChatResponse, Usage};

/// Frames buffered between the relay task and the client connection.
const CHANNEL_FRAMES: usize = 16;

/// How the stream began: the HTTP layer answers 200 only once it knows (or stops waiting).
#[derive(Debug)]
pub enum StreamStart {
    /// An upstream answered; frames follow.
    Streaming,
    /// Every attempt failed before any upstream byte; with the last provider tried and every
    /// attempt.
    Failed(UpstreamError, Option<String>, Vec<AttemptRecord>),
}

/// The wire format of the emitted chunks.
pub enum ChunkFormat {
    /// `chat.completion.chunk`
    Chat,
    /// `text_completion` (the legacy completions API)
    Text,
    /// Another ingress protocol (Responses, Anthropic Messages): its events are rendered from
    /// the canonical chunks by a stateful renderer, one per stream.
    Ingress(Box<dyn StreamRenderer>),
}

impl std::fmt::Debug for ChunkFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChunkFormat::Chat => f.write_str("Chat"),
            ChunkFormat::Text => f.write_str("Text"),
            ChunkFormat::Ingress(renderer) => write!(f, "Ingress({})", renderer.api_type()),
        }
    }
}

/// Renders the canonical chunk stream into an ingress protocol's SSE events. Protocols whose
/// events carry state (open blocks, sequence numbers) keep it here; frames go to `out`.
pub trait StreamRenderer: Send + 'static {
    /// The ingress API's name (`responses`, `messages`), as the generation record takes it.
    fn api_type(&self) -> &'static str;
    /// Frames for one canonical chunk (content, reasoning, tool-call deltas, finish reason).
    fn chunk(&mut self, chunk: &ChatChunk, out: &mut Vec<Bytes>);
    /// Frames that close a stream that ended normally; `last` carries the usage and cost.
    fn finish(&mut self, last: &ChatChunk, out: &mut Vec<Bytes>);
    /// Frames for a failure once the stream has begun; `failed` is the canonical error chunk
    /// (its `error` holds the code and message).
    fn fail(&mut self, failed: &ChatChunk, out: &mut Vec<Bytes>);
}

pub struct StreamHandle {
    pub start: oneshot::Receiver<StreamStart>,
    pub frames: mpsc::Receiver<Bytes>,
    pub done: oneshot::Receiver<Outcome>,
}

/// The client went away.
struct Gone;

/// What a canonical chunk is to the stream.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    Chunk,
    /// The final chunk with usage; the stream ends after it.
    Last,
    /// The in-band error chunk; the stream ends after it.
    Failed,
}

struct Emitter {
    tx: mpsc::Sender<Bytes>,
}

/// A stream's chunks folded into one `chat.completion`, for an organization that stores its
/// completions. The folded response is what is useful to read back (the text, reasoning and
/// tool calls as one message, the same shape as a whole response's), where the raw frames
/// would be mostly repeated envelopes. At most `cap` bytes of generated text are folded:
/// past that, chunks are skipped and the response is marked cut, so a long stream holds no
/// more than the cap in memory.
struct Capture {
    folded: ChunkAccumulator,
    bytes: usize,
    cap: usize,
    cut: bool,
}

impl Capture {
    fn new(cap: usize) -> Self {
        Capture {
            folded: ChunkAccumulator::new(),
            bytes: 0,
            cap,
            cut: false,
        }
    }

    fn push(&mut self, chunk: &ChatChunk) {
        if self.cut {
            return;
        }
        let len = |text: &Option<String>| text.as_ref().map_or(0, String::len);
        let generated: usize = chunk
            .choices
            .iter()
            .map(|c| {
                let d = &c.delta;
                let arguments: usize = d
                    .tool_calls
                    .iter()
                    .flatten()
                    .filter_map(|t| t.function.as_ref())
                    .map(|f| len(&f.arguments) + len(&f.name))
                    .sum();
                len(&d.content) + len(&d.refusal) + len(&d.reasoning) + arguments
            })
            .sum();
        self.bytes += generated;
        if self.bytes > self.cap {
            self.cut = true;
            return;
        }
        self.folded.push(chunk);
    }

    /// The folded response, with the stream's final usage.
    fn finish(self, usage: Usage) -> (ChatResponse, bool) {
        let mut folded = self.folded;
        folded.set_usage(usage);
        (folded.finish(), self.cut)
    }
}

impl Emitter {
    async fn send(&self, frame: Bytes) -> Result<(), Gone> {
        self.tx.send(frame).await.map_err(|_| Gone)
    }
}

impl Relay {
    /// Starts streaming `request` in a task and returns its channels.
    pub fn stream(
        &self,
        targets: Vec<Target>,
        request: ChatRequest,
        generation_id: String,
        started: Instant,
        format: ChunkFormat,
        capture: Option<usize>,
    ) -> StreamHandle {
        let (start_tx, start) = oneshot::channel();
        let (tx, frames) = mpsc::channel(CHANNEL_FRAMES);
        let (done_tx, done) = oneshot::channel();
        let relay = self.clone();
        let open = OpenStream::count();
        tokio::spawn(
            async move {
                let _open = open;
                let mut report = Report {
                    outcome: Outcome {
                        streamed: true,
                        ..Outcome::default()
                    },
                    done: Some(done_tx),
                };
                let mut run = Run {
                    relay: &relay,
                    emitter: Emitter { tx },
                    outcome: &mut report.outcome,
                    generation_id,
                    started,
                    generated_chars: 0,
                    format,
                    capture: capture.map(Capture::new),
                };
                let gone = run.go(&targets, &request, start_tx).await.is_err();
                report.deliver(gone);
            }
            // The request's span (its id) on the relay's log lines too.
            .in_current_span(),
        );
        StreamHandle {
            start,
            frames,
            done,
        }
    }
}

/// Streams being relayed (for metrics): one atomic increment when a stream's task starts and
/// one decrement when it ends or is dropped.
static OPEN_STREAMS: AtomicUsize = AtomicUsize::new(0);

/// Streams being relayed by this process now.
pub fn open_streams() -> usize {
    OPEN_STREAMS.load(Ordering::Relaxed)
}

/// Counts a stream in [`OPEN_STREAMS`] while it lives.
struct OpenStream;

impl OpenStream {
    fn count() -> OpenStream {
        OPEN_STREAMS.fetch_add(1, Ordering::Relaxed);
        OpenStream
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        OPEN_STREAMS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Hands the stream's outcome to whoever awaits `done`: when the relay ends, or — when its task
/// is dropped unfinished, as a stopping runtime does — what it relayed so far, as cancelled.
struct Report {
    outcome: Outcome,
    done: Option<oneshot::Sender<Outcome>>,
}

impl Report {
    fn deliver(&mut self, cancelled: bool) {
        if let Some(done) = self.done.take() {
            self.outcome.cancelled |= cancelled;
            done.send(std::mem::take(&mut self.outcome)).ok();
        }
    }
}

impl Drop for Report {
    fn drop(&mut self) {
        self.deliver(true);
    }
}

/// Where a stream stands after forwarding a batch of events.
enum Flow {
    Going,
    /// The upstream finished normally.
    Done,
    /// An error chunk ended the stream.
    Ended,
    /// Failed before anything reached the client: try the next endpoint.
    Retry(UpstreamError),
}

struct Run<'a> {
    relay: &'a Relay,
    emitter: Emitter,
    outcome: &'a mut Outcome,
    generation_id: String,
    started: Instant,
    generated_chars: usize,
    format: ChunkFormat,
    /// Set only for an organization that stores completions (at most this many bytes).
    capture: Option<Capture>,
}

impl Run<'_> {
    async fn go(
        &mut self,
        targets: &[Target],
        request: &ChatRequest,
        start_tx: oneshot::Sender<StreamStart>,
    ) -> Result<(), Gone> {
        let created = unix_now();
        let mut keep_alive = tokio::time::interval(self.relay.keep_alive);
        keep_alive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut start_tx = Some(start_tx);
        let idle = self.relay.client.timeouts.idle;
        let exclude_reasoning = request.excludes_reasoning();
        // A stream that fails before its first chunk reached the client moves on to the next
        // endpoint like a failed connect; `from` is where the next connect starts.
        let mut from = 0;
        let (target, body, decoder, envelope, result, headers_at, attempt_started) = loop {
            let mut attempts = std::mem::take(&mut self.outcome.attempts);
            let connected = {
                let connect = self.relay.connect(
                    &targets[from..],
                    |t| t.build(request, created),
                    &mut attempts,
                    self.started,
                    true,
                );
                tokio::pin!(connect);
                loop {
                    tokio::select! {
                        result = &mut connect => break result,
                        _ = keep_alive.tick() => self.emitter.send(emitter::keep_alive()).await?,
                    }
                }
            };
            self.outcome.attempts = attempts;
            let Connected {
                index,
                response,
                ctx,
                attempt_started,
            } = match connected {
                Ok(connected) => connected,
                Err(err) => {
                    if let Some(tx) = start_tx.take() {
                        tx.send(StreamStart::Failed(
                            err.clone(),
                            self.outcome.provider_name(),
                            self.outcome.attempts.clone(),
                        ))
                        .ok();
                    }
                    // Only seen if the HTTP layer already committed to a 200 stream.
                    let template =
                        ChatChunk::new(self.generation_id.clone(), created, request.model.clone());
                    self.outcome.error = Some(err.clone());
                    let failure =
                        Failure::of(&err, None, Some(&self.outcome.attempts), Reported::InBand);
                    let chunk = emitter::failure_chunk(&template, &failure);
                    // The HTTP layer may have answered with the error already and closed the channel.
                    self.send(&chunk, Frame::Failed).await.ok();
                    return Ok(());
                }
            };
            let index = from + index;
            let headers_at = Instant::now();
            if let Some(tx) = start_tx.take() {
                tx.send(StreamStart::Streaming).ok();
            }
            let target = &targets[index];
            let may_move_on = index + 1 < targets.len();
            let mut decoder = target.adapter.stream_decoder(&ctx);
            let mut body = response.body;
            let mut envelope =
                ChatChunk::new(self.generation_id.clone(), created, target.model_id.clone());
            envelope.provider = Some(target.provider_name.clone());
            let flow = loop {
                let (events, ended) = tokio::select! {
                    next = tokio::time::timeout(idle, body.next_chunk()) => match next {
                        Err(_) => (vec![StreamEvent::Error(UpstreamError::new(target.adapter.protocol(), ErrorType::Timeout, "the provider stopped sending"))], true),
                        Ok(None) => (decoder.finish(), true),
                        Ok(Some(Err(err))) => (vec![StreamEvent::Error(err)], true),
                        Ok(Some(Ok(bytes))) => (decoder.feed(&bytes), false),
                    },
                    _ = keep_alive.tick() => {
                        if let Err(gone) = self.emitter.send(emitter::keep_alive()).await {
                            break Err(gone);
                        }
                        continue;
                    }
                };
                if !events.is_empty() {
                    keep_alive.reset();
                }
                match self
                    .forward(events, &envelope, exclude_reasoning, may_move_on)
                    .await
                {
                    Err(gone) => break Err(gone),
                    Ok(Flow::Going) if ended => break Ok(Flow::Done),
                    Ok(Flow::Going) => {}
                    Ok(other) => break Ok(other),
                }
            };
            // `Ok(true)`: ended with an in-band error chunk.
            let result = match flow {
                Ok(Flow::Retry(err)) => {
                    drop(body); // closes the upstream connection
                    self.relay
                        .body_failed(target, &err, &mut self.outcome.attempts);
                    from = index + 1;
                    continue;
                }
                Ok(flow) => Ok(matches!(flow, Flow::Ended)),
                Err(gone) => Err(gone),
            };
            break (
                target,
                body,
                decoder,
                envelope,
                result,
                headers_at,
                attempt_started,
            );
        };
        self.outcome.served = Some(target.clone());
        self.outcome.is_byok = target.is_byok;
        drop(body); // closes the upstream connection if it is still open
        self.outcome.generation_time = self
            .outcome
            .first_byte
            .map(|fb| self.started.elapsed().saturating_sub(fb));
        let native = decoder.usage();
        self.outcome.native_tokens = native.as_ref().map(super::NativeTokens::of);
        let mut usage = native.unwrap_or_else(|| self.estimated_usage(request));
        if usage.completion_tokens == 0 && self.generated_chars > 0 {
            usage.completion_tokens = estimate_tokens(self.generated_chars);
        }
        let health = &self.relay.health;
        match (&result, &self.outcome.error) {
            (Ok(false), _) => {
                let ttft = self.outcome.first_byte.map(|d| self.started + d);
                let timings = sample(attempt_started, headers_at, ttft, usage.completion_tokens);
                health.record_success(&target.model_id, &target.endpoint_tag, timings);
            }
            (Ok(true), Some(err)) => {
                health.record_error(&target.model_id, &target.endpoint_tag, err);
            }
            // The client left: the endpoint was answering.
            _ => health.record_answered(&target.model_id, &target.endpoint_tag),
        }
        let priced = target.price(&mut usage, request_images(request));
        self.outcome.cost = priced.cost;
        self.outcome.upstream_cost = priced.upstream_cost;
        if let Some(capture) = self.capture.take() {
            let (response, cut) = capture.finish(usage.clone());
            self.outcome.response = Some(Box::new(response));
            self.outcome.response_cut = cut;
        }
        self.outcome.usage = usage.clone();
        match result {
            Err(gone) => Err(gone),
            Ok(true) => Ok(()), // ended with an in-band error chunk
            Ok(false) => {
                let mut last = envelope.clone();
                last.usage = Some(usage);
                self.send(&last, Frame::Last).await
            }
        }
    }

    /// Sends decoded events on, until an error ends the stream: with an error chunk, or —
    /// when nothing reached the client yet and the failure is retryable — by moving on to the
    /// next endpoint (`may_move_on`: there is one).
    async fn forward(
        &mut self,
        events: Vec<StreamEvent>,
        envelope: &ChatChunk,
        exclude_reasoning: bool,
        may_move_on: bool,
    ) -> Result<Flow, Gone> {
        for event in events {
            match event {
                StreamEvent::Chunk(mut chunk) => {
                    if self.outcome.upstream_id.is_none() && !chunk.id.is_empty() {
                        self.outcome.upstream_id = Some(chunk.id.clone());
                    }
                    chunk.id.clone_from(&envelope.id);
                    chunk.model.clone_from(&envelope.model);
                    chunk.created = envelope.created;
                    chunk.provider.clone_from(&envelope.provider);
                    chunk.object = ChatChunk::OBJECT.to_owned();
                    chunk.usage = None;
                    if exclude_reasoning {
                        chunk.strip_reasoning();
                    }
                    if self.outcome.first_byte.is_none() {
                        // Latency as clients feel it: until the first token, not the headers.
                        self.outcome.first_byte = Some(self.started.elapsed());
                    }
                    for choice in &chunk.choices {
                        self.generated_chars +=
                            choice.delta.content.as_ref().map_or(0, String::len);
                        if let Some(reason) = &choice.finish_reason {
                            self.outcome.finish_reason = serde_json::to_value(reason)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_owned));
                            self.outcome
                                .native_finish_reason
                                .clone_from(&choice.native_finish_reason);
                        }
                    }
                    if let Some(capture) = &mut self.capture {
                        capture.push(&chunk);
                    }
                    self.send(&chunk, Frame::Chunk).await?;
                }
                StreamEvent::Error(err) => {
                    if may_move_on
                        && self.outcome.first_byte.is_none()
                        && err.retryable
                        && self.started.elapsed() < self.relay.retry_budget
                    {
                        return Ok(Flow::Retry(err));
                    }
                    self.outcome.finish_reason = Some("error".into());
                    self.outcome.error = Some(err.clone());
                    self.send(&emitter::error_chunk(envelope, &err), Frame::Failed)
                        .await?;
                    return Ok(Flow::Ended);
                }
            }
        }
        Ok(Flow::Going)
    }

    /// Sends `chunk` in the client's format. Chat and legacy text frames are written straight
    /// out; another ingress's renderer may turn one chunk into several events, or none.
    async fn send(&mut self, chunk: &ChatChunk, frame: Frame) -> Result<(), Gone> {
        let ChunkFormat::Ingress(renderer) = &mut self.format else {
            let data = if matches!(self.format, ChunkFormat::Text) {
                emitter::data(&crate::gateway::legacy::chunk_from_chat(chunk))
            } else {
                emitter::data(chunk)
            };
            self.emitter.send(data).await?;
            if frame == Frame::Last {
                self.emitter.send(emitter::done()).await?;
            }
            return Ok(());
        };
        let mut out = Vec::new();
        match frame {
            Frame::Chunk => renderer.chunk(chunk, &mut out),
            Frame::Last => renderer.finish(chunk, &mut out),
            Frame::Failed => renderer.fail(chunk, &mut out),
        }
        for data in out {
            self.emitter.send(data).await?;
        }
        Ok(())
    }

    fn estimated_usage(&self, request: &ChatRequest) -> Usage {
        let prompt_tokens = estimate_tokens(prompt_chars(request));
        let completion_tokens = estimate_tokens(self.generated_chars);
        Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens + completion_tokens,
            ..Usage::default()
        }
    }
}
