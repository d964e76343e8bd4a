//! Anthropic stream events -> canonical chunks.
//!
//! message_start -> role chunk; text_delta -> content; thinking_delta and
//! signature_delta -> reasoning + reasoning_details; tool_use blocks ->
//! tool_calls whose `input_json_delta` fragments become argument deltas (a call
//! with none gets its start `input`, `{}`, at content_block_stop);
//! message_delta -> finish chunk; `event: error` -> an in-band error.

use std::collections::HashMap;

use serde_json::Value;

use crate::gateway::error::UpstreamError;
use crate::gateway::providers::sse_decoder::EventHandler;
use crate::gateway::providers::{CallContext, StreamEvent};
use crate::gateway::stream::SseEvent;
use crate::gateway::types::{
    ChatChunk, Delta, FunctionCallDelta, ReasoningDetail, ToolCallDelta, Usage,
};

use super::{FORMAT, PROTOCOL, RawUsage, finish_reason};

enum Block {
    Text,
    /// Index among this message's reasoning details.
    Thinking(u32),
    /// Index among this message's tool calls, and the arguments still owed to the client:
    /// the block's start `input` (`{}` when empty) until an `input_json_delta` fragment says
    /// more. A call with no arguments streams only an empty fragment (or none), and `""` is
    /// not JSON; the non-streamed answer gives `{}`, so the stop sends what is owed.
    ToolUse(u32, Option<String>),
    Other,
}

pub(super) struct StreamHandler {
    id: String,
    model: String,
    created: u64,
    blocks: HashMap<u64, Block>,
    tool_calls: u32,
    reasoning_parts: u32,
    usage: Option<RawUsage>,
    done: bool,
}

impl StreamHandler {
    pub(super) fn new(ctx: &CallContext) -> Self {
        StreamHandler {
            id: String::new(),
            model: ctx.model.clone(),
            created: ctx.created,
            blocks: HashMap::new(),
            tool_calls: 0,
            reasoning_parts: 0,
            usage: None,
            done: false,
        }
    }

    fn chunk(&self, delta: Delta) -> ChatChunk {
        ChatChunk::new(self.id.clone(), self.created, self.model.clone()).with_delta(0, delta)
    }

    fn handle(&mut self, v: &Value) -> Result<Option<ChatChunk>, UpstreamError> {
        let s = |v: &Value, k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Ok(
            match v.get("type").and_then(Value::as_str).unwrap_or_default() {
                "message_start" => {
                    let m = &v["message"];
                    self.id = s(m, "id");
                    if let Some(model) = m.get("model").and_then(Value::as_str) {
                        self.model = model.into();
                    }
                    self.usage
                        .get_or_insert_with(RawUsage::default)
                        .update(&m["usage"]);
                    Some(self.chunk(Delta {
                        role: Some("assistant".into()),
                        content: Some(String::new()),
                        ..Default::default()
                    }))
                }
                "content_block_start" => {
                    let index = v["index"].as_u64().unwrap_or_default();
                    let cb = &v["content_block"];
                    let (block, delta) = match cb["type"].as_str().unwrap_or_default() {
                        "text" => {
                            let t = s(cb, "text");
                            (Block::Text, (!t.is_empty()).then(|| Delta::content(t)))
                        }
                        "thinking" => (Block::Thinking(self.next_reasoning()), None),
                        "redacted_thinking" => {
                            let d = ReasoningDetail::encrypted(
                                s(cb, "data"),
                                FORMAT,
                                self.next_reasoning(),
                            );
                            (Block::Other, Some(reasoning_delta(None, d)))
                        }
                        "tool_use" => {
                            let n = self.tool_calls;
                            self.tool_calls += 1;
                            let d = tool_delta(
                                n,
                                Some(s(cb, "id")),
                                Some(s(cb, "name")),
                                String::new(),
                            );
                            let owed = match cb.get("input") {
                                Some(input @ Value::Object(_)) => input.to_string(),
                                _ => "{}".to_string(),
                            };
                            (Block::ToolUse(n, Some(owed)), Some(d))
                        }
                        _ => (Block::Other, None),
                    };
                    self.blocks.insert(index, block);
                    delta.map(|d| self.chunk(d))
                }
                "content_block_delta" => {
                    let index = v["index"].as_u64().unwrap_or_default();
                    let d = &v["delta"];
                    let delta = match (
                        self.blocks.get_mut(&index),
                        d["type"].as_str().unwrap_or_default(),
                    ) {
                        (_, "text_delta") => Some(Delta::content(s(d, "text"))),
                        (Some(Block::Thinking(i)), "thinking_delta") => {
                            let t = s(d, "thinking");
                            Some(reasoning_delta(
                                Some(t.clone()),
                                ReasoningDetail::text(t, FORMAT, *i),
                            ))
                        }
                        (Some(Block::Thinking(i)), "signature_delta") => {
                            let mut detail = ReasoningDetail::text("", FORMAT, *i);
                            detail.text = None;
                            detail.signature = Some(s(d, "signature"));
                            Some(reasoning_delta(None, detail))
                        }
                        (Some(Block::ToolUse(n, owed)), "input_json_delta") => {
                            let frag = s(d, "partial_json");
                            // The first fragment is always "": nothing to say.
                            (!frag.is_empty()).then(|| {
                                *owed = None;
                                tool_delta(*n, None, None, frag)
                            })
                        }
                        _ => None,
                    };
                    delta.map(|d| self.chunk(d))
                }
                "content_block_stop" => {
                    let index = v["index"].as_u64().unwrap_or_default();
                    let delta = match self.blocks.get_mut(&index) {
                        Some(Block::ToolUse(n, owed)) => {
                            owed.take().map(|args| tool_delta(*n, None, None, args))
                        }
                        _ => None,
                    };
                    delta.map(|d| self.chunk(d))
                }
                "message_delta" => {
                    if let Some(u) = v.get("usage") {
                        self.usage.get_or_insert_with(RawUsage::default).update(u);
                    }
                    v.pointer("/delta/stop_reason")
                        .and_then(Value::as_str)
                        .map(|stop| {
                            let mut c = self.chunk(Delta::default());
                            c.choices[0].finish_reason = Some(finish_reason(stop));
                            c.choices[0].native_finish_reason = Some(stop.into());
                            c
                        })
                }
                "message_stop" => {
                    self.done = true;
                    None
                }
                "error" => {
                    self.done = true;
                    return Err(super::error::in_stream(v.clone()));
                }
                _ => None, // ping, future event types
            },
        )
    }

    fn next_reasoning(&mut self) -> u32 {
        self.reasoning_parts += 1;
        self.reasoning_parts - 1
    }
}

fn reasoning_delta(text: Option<String>, detail: ReasoningDetail) -> Delta {
    Delta {
        reasoning: text,
        reasoning_details: Some(vec![detail]),
        ..Default::default()
    }
}

fn tool_delta(index: u32, id: Option<String>, name: Option<String>, args: String) -> Delta {
    Delta {
        tool_calls: Some(vec![ToolCallDelta {
            index,
            kind: id.as_ref().map(|_| "function".to_string()),
            id,
            function: Some(FunctionCallDelta {
                name,
                arguments: Some(args),
            }),
        }]),
        ..Default::default()
    }
}

impl EventHandler for StreamHandler {
    fn on_event(&mut self, event: SseEvent, out: &mut Vec<StreamEvent>) {
        // Data lines may carry trailing padding; serde_json tolerates
        // surrounding whitespace, so no trimming is needed.
        let parsed: Result<Value, _> = serde_json::from_str(&event.data);
        let result = match parsed {
            Ok(v) => self.handle(&v),
            Err(e) => Err(UpstreamError::malformed(PROTOCOL, e)),
        };
        match result {
            Ok(Some(chunk)) => out.push(StreamEvent::Chunk(chunk)),
            Ok(None) => {}
            Err(e) => {
                self.done = true;
                out.push(StreamEvent::Error(e));
            }
        }
    }

    fn on_end(&mut self, out: &mut Vec<StreamEvent>) {
        if !self.done {
            out.push(StreamEvent::Error(UpstreamError::malformed(
                PROTOCOL,
                "stream ended before message_stop",
            )));
        }
    }

    fn usage(&self) -> Option<Usage> {
        self.usage.map(RawUsage::to_usage)
    }
}
