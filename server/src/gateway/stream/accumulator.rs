//! Folds a chunk stream into the equivalent whole response. Used to answer
//! non-stream requests from streaming upstreams, and by conformance tests to
//! compare a stream with its non-stream counterpart.

use crate::gateway::types::{
    ChatChunk, ChatResponse, Choice, ReasoningDetail, ResponseMessage, ToolCall, Usage,
};

#[derive(Debug, Default)]
pub struct ChunkAccumulator {
    id: String,
    created: u64,
    model: String,
    provider: Option<String>,
    system_fingerprint: Option<String>,
    choices: Vec<Choice>,
    usage: Option<Usage>,
}

impl ChunkAccumulator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, chunk: &ChatChunk) {
        if self.id.is_empty() {
            self.id.clone_from(&chunk.id);
            self.created = chunk.created;
            self.model.clone_from(&chunk.model);
        }
        if chunk.provider.is_some() {
            self.provider.clone_from(&chunk.provider);
        }
        if chunk.system_fingerprint.is_some() {
            self.system_fingerprint
                .clone_from(&chunk.system_fingerprint);
        }
        if chunk.usage.is_some() {
            self.usage.clone_from(&chunk.usage);
        }
        for c in &chunk.choices {
            let choice = self.choice(c.index);
            if c.finish_reason.is_some() {
                choice.finish_reason = c.finish_reason;
            }
            if c.native_finish_reason.is_some() {
                choice
                    .native_finish_reason
                    .clone_from(&c.native_finish_reason);
            }
            let m = &mut choice.message;
            let d = &c.delta;
            append(&mut m.content, &d.content);
            append(&mut m.refusal, &d.refusal);
            append(&mut m.reasoning, &d.reasoning);
            for detail in d.reasoning_details.iter().flatten() {
                merge_detail(m.reasoning_details.get_or_insert_with(Vec::new), detail);
            }
            for tc in d.tool_calls.iter().flatten() {
                let calls = m.tool_calls.get_or_insert_with(Vec::new);
                let pos = tc.index as usize;
                while calls.len() <= pos {
                    calls.push(ToolCall::function("", "", String::new()));
                }
                let call = &mut calls[pos];
                if let Some(id) = &tc.id {
                    call.id.clone_from(id);
                }
                if let Some(f) = &tc.function {
                    if let Some(n) = &f.name {
                        call.function.name.push_str(n);
                    }
                    if let Some(a) = &f.arguments {
                        call.function.arguments.push_str(a);
                    }
                }
            }
        }
    }

    /// Sets usage known out of band (e.g. a decoder's final usage).
    pub fn set_usage(&mut self, usage: Usage) {
        self.usage = Some(usage);
    }

    pub fn finish(self) -> ChatResponse {
        ChatResponse {
            id: self.id,
            object: ChatResponse::OBJECT.into(),
            created: self.created,
            model: self.model,
            provider: self.provider,
            system_fingerprint: self.system_fingerprint,
            choices: self.choices,
            usage: self.usage,
        }
    }

    fn choice(&mut self, index: u32) -> &mut Choice {
        let pos = match self.choices.iter().position(|c| c.index == index) {
            Some(p) => p,
            None => {
                self.choices.push(Choice {
                    index,
                    message: ResponseMessage::assistant(),
                    finish_reason: None,
                    native_finish_reason: None,
                    logprobs: None,
                });
                self.choices.len() - 1
            }
        };
        &mut self.choices[pos]
    }
}

fn append(dst: &mut Option<String>, src: &Option<String>) {
    if let Some(s) = src {
        dst.get_or_insert_with(String::new).push_str(s);
    }
}

/// Fragments of one detail share its `index` (and type).
fn merge_detail(details: &mut Vec<ReasoningDetail>, next: &ReasoningDetail) {
    let same = details
        .iter_mut()
        .find(|d| d.index.is_some() && d.index == next.index && d.kind == next.kind);
    match same {
        Some(d) => d.merge(next),
        None => details.push(next.clone()),
    }
}
