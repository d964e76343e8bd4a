//! Canonical chunk stream -> Responses streaming events.
//!
//! Sequence: `response.created`, `response.in_progress`, then per output item
//! `response.output_item.added`, its part/delta/done events and `response.output_item.done`,
//! and `response.completed` (or `response.incomplete`) with the whole response and usage.
//! A failure after the start sends `error` then `response.failed`. Every event carries a
//! `sequence_number` from 0; the event name equals `data.type`; no `[DONE]` follows.

use bytes::Bytes;
use serde_json::{Value, json};

use super::error;
use super::response::{self, Echo};
use crate::gateway::relay::StreamRenderer;
use crate::gateway::types::{ChatChunk, FinishReason, ReasoningDetail, ToolCall};
use crate::ingress::{chunk_error, event};

/// The output item being streamed. Items are streamed one after another, so the open one's
/// output index is the number of items closed before it.
enum Open {
    Reasoning {
        text: String,
        encrypted: Vec<ReasoningDetail>,
    },
    Message {
        text: String,
        refusal: Option<String>,
    },
    Call {
        tool_index: u32,
        call: ToolCall,
    },
}

pub struct Renderer {
    echo: Echo,
    sequence: u64,
    /// `id`, `created`, `model` of the response, from the first chunk.
    head: Option<(String, u64, String, Option<String>)>,
    output: Vec<Value>,
    open: Option<Open>,
    calls: usize,
    finish: Option<FinishReason>,
}

impl Renderer {
    pub fn new(echo: Echo) -> Self {
        Renderer {
            echo,
            sequence: 0,
            head: None,
            output: Vec::new(),
            open: None,
            calls: 0,
            finish: None,
        }
    }

    fn emit(&mut self, out: &mut Vec<Bytes>, kind: &str, mut data: Value) {
        data["type"] = kind.into();
        data["sequence_number"] = self.sequence.into();
        self.sequence += 1;
        out.push(event(kind, &data));
    }

    fn id(&self) -> String {
        self.head.as_ref().map(|h| h.0.clone()).unwrap_or_default()
    }

    fn envelope(&self, status: &str, output: Vec<Value>, chunk: Option<&ChatChunk>) -> Value {
        let (id, created, model, provider) = self.head.clone().unwrap_or_default();
        let mut o = response::envelope(
            &id,
            created,
            &model,
            status,
            output,
            chunk.and_then(|c| c.usage.as_ref()),
            &self.echo,
        );
        if let Some(provider) = provider {
            o.insert("provider".into(), provider.into());
        }
        Value::Object(o)
    }

    fn start(&mut self, chunk: &ChatChunk, out: &mut Vec<Bytes>) {
        if self.head.is_some() {
            return;
        }
        self.head = Some((
            chunk.id.clone(),
            chunk.created,
            chunk.model.clone(),
            chunk.provider.clone(),
        ));
        let response = self.envelope("in_progress", Vec::new(), None);
        self.emit(out, "response.created", json!({ "response": response }));
        self.emit(out, "response.in_progress", json!({ "response": response }));
    }

    /// Opens `item` at the next output index, closing the one before.
    fn open(&mut self, item: Open, out: &mut Vec<Bytes>) {
        self.close(out);
        let id = self.id();
        let index = self.output.len();
        match &item {
            Open::Reasoning { .. } => {
                // The summary part opens with the first summary text: encrypted-only
                // reasoning is an item without parts, as OpenAI streams it.
                let item_id = response::reasoning_id(&id);
                self.emit(
                    out,
                    "response.output_item.added",
                    json!({"output_index": index, "item": {"type": "reasoning", "id": item_id, "summary": []}}),
                );
            }
            Open::Message { .. } => {
                let item_id = response::message_id(&id);
                self.emit(
                    out,
                    "response.output_item.added",
                    json!({"output_index": index, "item": {"type": "message", "id": item_id, "status": "in_progress", "role": "assistant", "content": []}}),
                );
                self.emit(
                    out,
                    "response.content_part.added",
                    json!({"item_id": item_id, "output_index": index, "content_index": 0, "part": response::output_text("")}),
                );
            }
            Open::Call { call, .. } => {
                let item = response::function_call_item(&id, self.calls, call, "in_progress");
                let mut item = item;
                item["arguments"] = "".into();
                self.emit(
                    out,
                    "response.output_item.added",
                    json!({"output_index": index, "item": item}),
                );
            }
        }
        self.open = Some(item);
    }

    /// Closes the open item with its `.done` events.
    fn close(&mut self, out: &mut Vec<Bytes>) {
        let Some(open) = self.open.take() else {
            return;
        };
        let id = self.id();
        let index = self.output.len();
        let item = match open {
            Open::Reasoning { text, encrypted } => {
                let item_id = response::reasoning_id(&id);
                if !text.is_empty() {
                    self.emit(
                    out,
                    "response.reasoning_summary_text.done",
                    json!({"item_id": item_id, "output_index": index, "summary_index": 0, "text": text}),
                );
                    self.emit(
                    out,
                    "response.reasoning_summary_part.done",
                    json!({"item_id": item_id, "output_index": index, "summary_index": 0, "part": {"type": "summary_text", "text": text}}),
                );
                }
                response::reasoning_item(&id, Some(&text), &encrypted)
                    .unwrap_or_else(|| json!({"type": "reasoning", "id": item_id, "summary": []}))
            }
            Open::Message { text, refusal } => {
                let item_id = response::message_id(&id);
                self.emit(
                    out,
                    "response.output_text.done",
                    json!({"item_id": item_id, "output_index": index, "content_index": 0, "text": text, "logprobs": []}),
                );
                self.emit(
                    out,
                    "response.content_part.done",
                    json!({"item_id": item_id, "output_index": index, "content_index": 0, "part": response::output_text(&text)}),
                );
                let (status, _) = response::status_of(self.finish);
                response::message_item(&id, &text, refusal.as_deref(), status)
            }
            Open::Call { call, .. } => {
                let item = response::function_call_item(&id, self.calls, &call, "completed");
                self.calls += 1;
                self.emit(
                    out,
                    "response.function_call_arguments.done",
                    json!({"item_id": item["id"], "output_index": index, "name": item["name"], "arguments": item["arguments"]}),
                );
                item
            }
        };
        self.emit(
            out,
            "response.output_item.done",
            json!({"output_index": index, "item": item}),
        );
        self.output.push(item);
    }

    fn reasoning(&mut self, delta: &str, details: &[ReasoningDetail], out: &mut Vec<Bytes>) {
        if !matches!(self.open, Some(Open::Reasoning { .. })) {
            self.open(
                Open::Reasoning {
                    text: String::new(),
                    encrypted: Vec::new(),
                },
                out,
            );
        }
        let first_text = !delta.is_empty()
            && matches!(&self.open, Some(Open::Reasoning { text, .. }) if text.is_empty());
        if let Some(Open::Reasoning { text, encrypted }) = &mut self.open {
            text.push_str(delta);
            encrypted.extend(
                details
                    .iter()
                    .filter(|d| d.kind == ReasoningDetail::ENCRYPTED)
                    .cloned(),
            );
        }
        if !delta.is_empty() {
            let item_id = response::reasoning_id(&self.id());
            let index = self.output.len();
            if first_text {
                self.emit(
                    out,
                    "response.reasoning_summary_part.added",
                    json!({"item_id": item_id, "output_index": index, "summary_index": 0, "part": {"type": "summary_text", "text": ""}}),
                );
            }
            self.emit(
                out,
                "response.reasoning_summary_text.delta",
                json!({"item_id": item_id, "output_index": index, "summary_index": 0, "delta": delta}),
            );
        }
    }

    fn text(&mut self, delta: &str, refusal: Option<&str>, out: &mut Vec<Bytes>) {
        if !matches!(self.open, Some(Open::Message { .. })) {
            self.open(
                Open::Message {
                    text: String::new(),
                    refusal: None,
                },
                out,
            );
        }
        if let Some(Open::Message { text, refusal: r }) = &mut self.open {
            text.push_str(delta);
            if let Some(refusal) = refusal {
                r.get_or_insert_with(String::new).push_str(refusal);
            }
        }
        if !delta.is_empty() {
            let item_id = response::message_id(&self.id());
            let index = self.output.len();
            self.emit(
                out,
                "response.output_text.delta",
                json!({"item_id": item_id, "output_index": index, "content_index": 0, "delta": delta, "logprobs": []}),
            );
        }
    }

    fn tool_call(&mut self, delta: &crate::gateway::types::ToolCallDelta, out: &mut Vec<Bytes>) {
        let same =
            matches!(&self.open, Some(Open::Call { tool_index, .. }) if *tool_index == delta.index);
        let function = delta.function.as_ref();
        if !same {
            let call = ToolCall::function(
                delta.id.clone().unwrap_or_default(),
                function.and_then(|f| f.name.clone()).unwrap_or_default(),
                String::new(),
            );
            self.open(
                Open::Call {
                    tool_index: delta.index,
                    call,
                },
                out,
            );
        }
        let arguments = function.and_then(|f| f.arguments.as_deref()).unwrap_or("");
        if let Some(Open::Call { call, .. }) = &mut self.open {
            call.function.arguments.push_str(arguments);
            if same && let Some(name) = function.and_then(|f| f.name.as_deref()) {
                call.function.name.push_str(name);
            }
        }
        if !arguments.is_empty() {
            let item_id = response::function_call_id(&self.id(), self.calls);
            let index = self.output.len();
            self.emit(
                out,
                "response.function_call_arguments.delta",
                json!({"item_id": item_id, "output_index": index, "delta": arguments}),
            );
        }
    }
}

impl StreamRenderer for Renderer {
    fn api_type(&self) -> &'static str {
        "responses"
    }

    fn chunk(&mut self, chunk: &ChatChunk, out: &mut Vec<Bytes>) {
        self.start(chunk, out);
        for choice in chunk.choices.iter().filter(|c| c.index == 0) {
            let d = &choice.delta;
            let details = d.reasoning_details.as_deref().unwrap_or_default();
            let reasoning = d.reasoning.as_deref().unwrap_or_default();
            if !reasoning.is_empty() || details.iter().any(|d| d.kind == ReasoningDetail::ENCRYPTED)
            {
                self.reasoning(reasoning, details, out);
            }
            let text = d.content.as_deref().unwrap_or_default();
            if !text.is_empty() || d.refusal.is_some() {
                self.text(text, d.refusal.as_deref(), out);
            }
            for call in d.tool_calls.iter().flatten() {
                self.tool_call(call, out);
            }
            if let Some(reason) = choice.finish_reason {
                self.finish = Some(reason);
            }
        }
    }

    fn finish(&mut self, last: &ChatChunk, out: &mut Vec<Bytes>) {
        self.start(last, out);
        self.close(out);
        let (status, incomplete) = response::status_of(self.finish);
        let mut response = self.envelope(status, self.output.clone(), Some(last));
        if let Some(incomplete) = incomplete {
            response["incomplete_details"] = incomplete;
        }
        let kind = if status == "incomplete" {
            "response.incomplete"
        } else {
            "response.completed"
        };
        self.emit(out, kind, json!({ "response": response }));
    }

    fn fail(&mut self, failed: &ChatChunk, out: &mut Vec<Bytes>) {
        self.start(failed, out);
        let (status, message) = chunk_error(failed.error.as_ref());
        let code = error::code_for(status);
        self.emit(
            out,
            "error",
            json!({"code": code, "message": message, "param": null}),
        );
        let output = std::mem::take(&mut self.output);
        let mut response = self.envelope("failed", output, None);
        response["error"] = json!({"code": code, "message": message});
        self.emit(out, "response.failed", json!({ "response": response }));
    }
}
