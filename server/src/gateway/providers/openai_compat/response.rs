//! OpenAI-compatible responses and streams -> canonical. Hosts differ in
//! small ways (reasoning field names, where usage goes, nulls). A whole
//! response is first read straight into lenient wire types ([`wire`]); a body
//! those do not fit (an in-band error, a mistyped field) is normalized on the
//! JSON value before typing it, which also explains what is wrong with it.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::gateway::error::UpstreamError;
use crate::gateway::providers::sse_decoder::EventHandler;
use crate::gateway::providers::{CallContext, StreamEvent};
use crate::gateway::stream::SseEvent;
use crate::gateway::types::{
    ChatChunk, ChatResponse, FinishReason, FunctionCallDelta, ToolCallDelta, Usage,
};

use super::{PROTOCOL, error};

pub(super) fn parse(body: &[u8], ctx: &CallContext) -> Result<ChatResponse, UpstreamError> {
    if let Some(response) = super::wire::parse(body, ctx) {
        return Ok(response);
    }
    parse_value(body, ctx)
}

/// The general path: any body, normalized as a JSON value.
pub(super) fn parse_value(body: &[u8], ctx: &CallContext) -> Result<ChatResponse, UpstreamError> {
    let mut v: Value =
        serde_json::from_slice(body).map_err(|e| UpstreamError::malformed(PROTOCOL, e))?;
    let obj = v
        .as_object_mut()
        .ok_or_else(|| UpstreamError::malformed(PROTOCOL, "not an object"))?;
    if let Some(err) = obj.get("error").filter(|e| !e.is_null()) {
        return Err(error::in_stream(err));
    }
    normalize_envelope(obj, ChatResponse::OBJECT, ctx);
    if let Some(Value::Array(choices)) = obj.get_mut("choices") {
        for c in choices.iter_mut().filter_map(Value::as_object_mut) {
            normalize_choice(c, "message");
        }
    }
    match obj.remove("usage") {
        Some(u) if !u.is_null() => {
            obj.insert("usage".into(), normalize_usage(u));
        }
        _ => {}
    }
    serde_json::from_value(v).map_err(|e| UpstreamError::malformed(PROTOCOL, e))
}

fn normalize_envelope(obj: &mut Map<String, Value>, object: &str, ctx: &CallContext) {
    obj.insert("object".into(), object.into());
    if !obj.get("created").is_some_and(Value::is_u64) {
        obj.insert("created".into(), ctx.created.into());
    }
    if !obj.get("model").is_some_and(Value::is_string) {
        obj.insert("model".into(), ctx.model.clone().into());
    }
    if !obj.get("id").is_some_and(Value::is_string) {
        obj.insert("id".into(), "".into());
    }
}

/// `message` for responses, `delta` for chunks.
fn normalize_choice(choice: &mut Map<String, Value>, body_key: &str) {
    if let Some(Value::Object(m)) = choice.get_mut(body_key) {
        // DeepSeek/vLLM say `reasoning_content`; OpenRouter says `reasoning`.
        if let Some(rc) = m.remove("reasoning_content")
            && !rc.is_null()
            && m.get("reasoning").is_none_or(Value::is_null)
        {
            m.insert("reasoning".into(), rc);
        }
        m.retain(|_, v| !v.is_null() || body_key == "message");
    }
    if let Some(raw) = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .map(str::to_string)
    {
        let normalized = FinishReason::from_openai(&raw);
        if choice
            .get("native_finish_reason")
            .is_none_or(Value::is_null)
        {
            choice.insert("native_finish_reason".into(), raw.into());
        }
        choice.insert(
            "finish_reason".into(),
            serde_json::to_value(normalized).expect("enum serializes"),
        );
    }
}

/// Drops null detail counters and maps DeepSeek's cache-hit field.
fn normalize_usage(mut u: Value) -> Value {
    if let Some(obj) = u.as_object_mut() {
        for key in ["prompt_tokens_details", "completion_tokens_details"] {
            match obj.get_mut(key) {
                Some(Value::Object(d)) => d.retain(|_, v| !v.is_null()),
                Some(Value::Null) => {
                    obj.remove(key);
                }
                _ => {}
            }
        }
        if let Some(hit) = obj.get("prompt_cache_hit_tokens").cloned()
            && !obj.contains_key("prompt_tokens_details")
        {
            obj.insert(
                "prompt_tokens_details".into(),
                serde_json::json!({ "cached_tokens": hit }),
            );
        }
    }
    u
}

pub(super) struct StreamHandler {
    created: u64,
    model: String,
    usage: Option<Usage>,
    finished: bool,
    /// Per (choice, tool call) index: whether any argument text was streamed. Some hosts
    /// stream a call without arguments as `arguments: ""` and nothing more, which is not JSON;
    /// such a call gets `{}` on its choice's finish chunk.
    tool_args: HashMap<(u32, u32), bool>,
}

impl StreamHandler {
    pub(super) fn new(ctx: &CallContext) -> Self {
        StreamHandler {
            created: ctx.created,
            model: ctx.model.clone(),
            usage: None,
            finished: false,
            tool_args: HashMap::new(),
        }
    }

    fn decode(&mut self, data: &str) -> Result<Option<ChatChunk>, UpstreamError> {
        let mut v: Value =
            serde_json::from_str(data).map_err(|e| UpstreamError::malformed(PROTOCOL, e))?;
        let obj = v
            .as_object_mut()
            .ok_or_else(|| UpstreamError::malformed(PROTOCOL, "chunk is not an object"))?;
        if let Some(err) = obj.get("error").filter(|e| !e.is_null()) {
            return Err(error::in_stream(err));
        }
        // Usage arrives on its own `choices: []` chunk (or, on Groq, under
        // `x_groq`); it is kept for the final chunk and never forwarded.
        let usage = obj.remove("usage").filter(|u| !u.is_null()).or_else(|| {
            obj.get_mut("x_groq")
                .and_then(|x| x.get_mut("usage"))
                .map(Value::take)
        });
        if let Some(u) = usage.filter(|u| !u.is_null()) {
            self.usage = Some(
                serde_json::from_value(normalize_usage(u))
                    .map_err(|e| UpstreamError::malformed(PROTOCOL, e))?,
            );
        }
        obj.remove("x_groq");
        let ctx = CallContext::new(self.model.clone(), "", self.created);
        normalize_envelope(obj, ChatChunk::OBJECT, &ctx);
        if obj.get("system_fingerprint").is_some_and(Value::is_null) {
            obj.remove("system_fingerprint");
        }
        let Some(Value::Array(choices)) = obj.get_mut("choices") else {
            return Err(UpstreamError::malformed(PROTOCOL, "chunk without choices"));
        };
        if choices.is_empty() {
            return Ok(None);
        }
        for c in choices.iter_mut().filter_map(Value::as_object_mut) {
            normalize_choice(c, "delta");
            if c.get("finish_reason").is_some_and(|f| !f.is_null()) {
                self.finished = true;
            }
        }
        let mut chunk: ChatChunk =
            serde_json::from_value(v).map_err(|e| UpstreamError::malformed(PROTOCOL, e))?;
        self.owe_empty_arguments(&mut chunk);
        Ok(Some(chunk))
    }

    /// Tracks which tool calls received argument text, and closes those that did not with
    /// `{}` on their choice's finish chunk.
    fn owe_empty_arguments(&mut self, chunk: &mut ChatChunk) {
        for choice in &mut chunk.choices {
            for tc in choice.delta.tool_calls.iter().flatten() {
                let has_text = tc
                    .function
                    .as_ref()
                    .and_then(|f| f.arguments.as_deref())
                    .is_some_and(|a| !a.is_empty());
                *self.tool_args.entry((choice.index, tc.index)).or_default() |= has_text;
            }
            if choice.finish_reason.is_none() {
                continue;
            }
            let mut owed: Vec<u32> = Vec::new();
            self.tool_args.retain(|&(c, t), has_text| {
                let ours = c == choice.index;
                if ours && !*has_text {
                    owed.push(t);
                }
                !ours
            });
            owed.sort_unstable();
            if owed.is_empty() {
                continue;
            }
            choice
                .delta
                .tool_calls
                .get_or_insert_with(Vec::new)
                .extend(owed.into_iter().map(|index| ToolCallDelta {
                    index,
                    id: None,
                    kind: None,
                    function: Some(FunctionCallDelta {
                        name: None,
                        arguments: Some("{}".into()),
                    }),
                }));
        }
    }
}

impl EventHandler for StreamHandler {
    fn on_event(&mut self, event: SseEvent, out: &mut Vec<StreamEvent>) {
        if event.data.trim() == "[DONE]" {
            self.finished = true;
            return;
        }
        match self.decode(&event.data) {
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
                "stream ended before completion",
            )));
        }
    }

    fn usage(&self) -> Option<Usage> {
        self.usage.clone()
    }
}
