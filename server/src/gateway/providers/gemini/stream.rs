//! Gemini `streamGenerateContent?alt=sse` -> canonical chunks. No `[DONE]`:
//! the stream is complete once a finishReason (or a block) was seen.

use std::collections::HashMap;

use serde_json::Value;

use crate::gateway::error::UpstreamError;
use crate::gateway::providers::sse_decoder::EventHandler;
use crate::gateway::providers::{CallContext, StreamEvent};
use crate::gateway::stream::SseEvent;
use crate::gateway::types::{
    ChatChunk, ChunkChoice, Delta, FinishReason, FunctionCallDelta, ToolCallDelta, Usage,
};

use super::response::{block_reason, candidate_parts, normalized_finish};
use super::{PROTOCOL, usage};

/// Per-candidate stream state.
#[derive(Default)]
struct CandidateState {
    started: bool,
    tool_calls: u32,
    details: u32,
}

pub(super) struct StreamHandler {
    model: String,
    created: u64,
    candidates: HashMap<u32, CandidateState>,
    usage: Option<Usage>,
    finished: bool,
}

impl StreamHandler {
    pub(super) fn new(ctx: &CallContext) -> Self {
        StreamHandler {
            model: ctx.model.clone(),
            created: ctx.created,
            candidates: HashMap::new(),
            usage: None,
            finished: false,
        }
    }

    fn decode(&mut self, v: &Value) -> Result<Option<ChatChunk>, UpstreamError> {
        if v.get("error").is_some() {
            return Err(super::error::from_body(v.clone(), None));
        }
        if let Some(meta) = v.get("usageMetadata") {
            self.usage = Some(usage(meta));
        }
        let id = v
            .get("responseId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let model = v
            .get("modelVersion")
            .and_then(Value::as_str)
            .unwrap_or(&self.model);
        let mut chunk = ChatChunk::new(id, self.created, model);
        let candidates = v.get("candidates").and_then(Value::as_array);
        for (pos, cand) in candidates.into_iter().flatten().enumerate() {
            let index = cand
                .get("index")
                .and_then(Value::as_u64)
                .map_or(pos as u32, |i| i as u32);
            let state = self.candidates.entry(index).or_default();
            let parts = candidate_parts(cand, &mut state.details);
            let first_call = state.tool_calls;
            state.tool_calls += parts.tool_calls.len() as u32;
            let finish = parts
                .finish_raw
                .as_deref()
                .map(|r| normalized_finish(r, state.tool_calls > 0));
            let delta = Delta {
                role: (!std::mem::replace(&mut state.started, true)).then(|| "assistant".into()),
                content: parts.content,
                refusal: None,
                tool_calls: (!parts.tool_calls.is_empty()).then(|| {
                    (first_call..)
                        .zip(parts.tool_calls)
                        .map(|(i, tc)| ToolCallDelta {
                            index: i,
                            id: Some(tc.id),
                            kind: Some(tc.kind),
                            function: Some(FunctionCallDelta {
                                name: Some(tc.function.name),
                                arguments: Some(tc.function.arguments),
                            }),
                        })
                        .collect()
                }),
                reasoning: parts.reasoning,
                reasoning_details: (!parts.details.is_empty()).then_some(parts.details),
            };
            if finish.is_some() {
                self.finished = true;
            }
            chunk.choices.push(ChunkChoice {
                index,
                delta,
                finish_reason: finish,
                native_finish_reason: parts.finish_raw,
                logprobs: None,
            });
        }
        if chunk.choices.is_empty() {
            let Some(reason) = block_reason(v) else {
                return Ok(None);
            };
            self.finished = true;
            chunk.choices.push(ChunkChoice {
                index: 0,
                delta: Delta {
                    role: Some("assistant".into()),
                    ..Default::default()
                },
                finish_reason: Some(FinishReason::ContentFilter),
                native_finish_reason: Some(reason.into()),
                logprobs: None,
            });
        }
        Ok(Some(chunk))
    }
}

impl EventHandler for StreamHandler {
    fn on_event(&mut self, event: SseEvent, out: &mut Vec<StreamEvent>) {
        let result = serde_json::from_str::<Value>(&event.data)
            .map_err(|e| UpstreamError::malformed(PROTOCOL, e))
            .and_then(|v| self.decode(&v));
        match result {
            Ok(Some(chunk)) => out.push(StreamEvent::Chunk(chunk)),
            Ok(None) => {}
            Err(e) => {
                self.finished = true;
                out.push(StreamEvent::Error(e));
            }
        }
    }

    fn on_end(&mut self, out: &mut Vec<StreamEvent>) {
        if !self.finished {
            out.push(StreamEvent::Error(UpstreamError::malformed(
                PROTOCOL,
                "stream ended without a finishReason",
            )));
        }
    }

    fn usage(&self) -> Option<Usage> {
        self.usage.clone()
    }
}
