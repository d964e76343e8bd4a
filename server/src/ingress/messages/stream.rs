//! Canonical chunk stream -> Anthropic Messages streaming events.
//!
//! Sequence, as Anthropic sends it: `message_start`, `ping`, then per content block
//! `content_block_start`, its `content_block_delta`s (`thinking_delta` + `signature_delta`,
//! `text_delta`, `input_json_delta`) and `content_block_stop`; then `message_delta` with the
//! stop reason and usage, and `message_stop`. A failure after the start is an `error` event.

use bytes::Bytes;
use serde_json::{Value, json};

use super::error;
use super::response::{render_usage, stop_reason};
use crate::gateway::relay::StreamRenderer;
use crate::gateway::types::{ChatChunk, FinishReason, ReasoningDetail, ToolCallDelta, Usage};
use crate::ingress::{chunk_error, event};

#[derive(PartialEq, Eq)]
enum Block {
    Thinking,
    Text,
    ToolUse(u32),
}

#[derive(Default)]
pub struct Renderer {
    started: bool,
    /// Index of the open block, or of the next one when none is open.
    index: u32,
    open: Option<Block>,
    finish: Option<FinishReason>,
    native: Option<String>,
}

impl Renderer {
    pub fn new() -> Self {
        Self::default()
    }

    fn emit(out: &mut Vec<Bytes>, kind: &str, mut data: Value) {
        data["type"] = kind.into();
        out.push(event(kind, &data));
    }

    fn start(&mut self, chunk: &ChatChunk, out: &mut Vec<Bytes>) {
        if self.started {
            return;
        }
        self.started = true;
        let mut message = json!({
            "id": chunk.id,
            "type": "message",
            "role": "assistant",
            "model": chunk.model,
            "content": [],
            "stop_reason": null,
            "stop_sequence": null,
            "usage": render_usage(&Usage::default()),
        });
        if let Some(provider) = &chunk.provider {
            message["provider"] = provider.as_str().into();
        }
        Self::emit(out, "message_start", json!({ "message": message }));
        Self::emit(out, "ping", json!({}));
    }

    fn open(&mut self, block: Block, content_block: Value, out: &mut Vec<Bytes>) {
        self.close(out);
        Self::emit(
            out,
            "content_block_start",
            json!({"index": self.index, "content_block": content_block}),
        );
        self.open = Some(block);
    }

    fn close(&mut self, out: &mut Vec<Bytes>) {
        if self.open.take().is_some() {
            Self::emit(out, "content_block_stop", json!({"index": self.index}));
            self.index += 1;
        }
    }

    fn delta(&self, delta: Value, out: &mut Vec<Bytes>) {
        Self::emit(
            out,
            "content_block_delta",
            json!({"index": self.index, "delta": delta}),
        );
    }

    fn thinking(&mut self, text: &str, details: &[ReasoningDetail], out: &mut Vec<Bytes>) {
        for d in details {
            if d.kind == ReasoningDetail::ENCRYPTED
                && d.format.as_deref() == Some(ReasoningDetail::FORMAT_ANTHROPIC)
            {
                // Redacted thinking arrives whole: a block of its own.
                self.open(
                    Block::Thinking,
                    json!({"type": "redacted_thinking", "data": d.data.clone().unwrap_or_default()}),
                    out,
                );
                self.close(out);
            }
        }
        let signature: String = details
            .iter()
            .filter(|d| d.kind == ReasoningDetail::TEXT)
            .filter_map(|d| d.signature.as_deref())
            .collect();
        if text.is_empty() && signature.is_empty() {
            return;
        }
        if self.open != Some(Block::Thinking) {
            self.open(
                Block::Thinking,
                json!({"type": "thinking", "thinking": "", "signature": ""}),
                out,
            );
        }
        if !text.is_empty() {
            self.delta(json!({"type": "thinking_delta", "thinking": text}), out);
        }
        if !signature.is_empty() {
            self.delta(
                json!({"type": "signature_delta", "signature": signature}),
                out,
            );
        }
    }

    fn text(&mut self, text: &str, out: &mut Vec<Bytes>) {
        if self.open != Some(Block::Text) {
            self.open(Block::Text, json!({"type": "text", "text": ""}), out);
        }
        self.delta(json!({"type": "text_delta", "text": text}), out);
    }

    fn tool_call(&mut self, call: &ToolCallDelta, out: &mut Vec<Bytes>) {
        let function = call.function.as_ref();
        if self.open != Some(Block::ToolUse(call.index)) {
            self.open(
                Block::ToolUse(call.index),
                json!({
                    "type": "tool_use",
                    "id": call.id.clone().unwrap_or_default(),
                    "name": function.and_then(|f| f.name.clone()).unwrap_or_default(),
                    "input": {},
                }),
                out,
            );
        }
        if let Some(arguments) = function.and_then(|f| f.arguments.as_deref())
            && !arguments.is_empty()
        {
            self.delta(
                json!({"type": "input_json_delta", "partial_json": arguments}),
                out,
            );
        }
    }
}

impl StreamRenderer for Renderer {
    fn api_type(&self) -> &'static str {
        "messages"
    }

    fn chunk(&mut self, chunk: &ChatChunk, out: &mut Vec<Bytes>) {
        self.start(chunk, out);
        for choice in chunk.choices.iter().filter(|c| c.index == 0) {
            let d = &choice.delta;
            let details = d.reasoning_details.as_deref().unwrap_or_default();
            let reasoning = d.reasoning.as_deref().unwrap_or_default();
            if !reasoning.is_empty() || !details.is_empty() {
                self.thinking(reasoning, details, out);
            }
            if let Some(text) = d.content.as_deref().filter(|t| !t.is_empty()) {
                self.text(text, out);
            }
            if let Some(refusal) = d.refusal.as_deref().filter(|t| !t.is_empty()) {
                self.text(refusal, out);
            }
            for call in d.tool_calls.iter().flatten() {
                self.tool_call(call, out);
            }
            if let Some(reason) = choice.finish_reason {
                self.finish = Some(reason);
                self.native.clone_from(&choice.native_finish_reason);
            }
        }
    }

    fn finish(&mut self, last: &ChatChunk, out: &mut Vec<Bytes>) {
        self.start(last, out);
        self.close(out);
        let usage = render_usage(last.usage.as_ref().unwrap_or(&Usage::default()));
        Self::emit(
            out,
            "message_delta",
            json!({
                "delta": {
                    "stop_reason": stop_reason(self.finish, self.native.as_deref()),
                    "stop_sequence": null,
                },
                "usage": usage,
            }),
        );
        Self::emit(out, "message_stop", json!({}));
    }

    fn fail(&mut self, failed: &ChatChunk, out: &mut Vec<Bytes>) {
        let (status, message) = chunk_error(failed.error.as_ref());
        out.push(event("error", &error::body(status, &message, None)));
    }
}
