//! The canonical streaming chunk (`chat.completion.chunk`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::reasoning::ReasoningDetail;
use super::response::FinishReason;
use super::usage::Usage;

/// Key presence follows CLIENT-REQUIREMENTS.md: `usage`, `system_fingerprint`,
/// `delta.role` and `delta.tool_calls` are omitted rather than null (the TS
/// SDK throws on those nulls); `finish_reason` is always present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChatChunk {
    pub id: String,
    /// `chat.completion.chunk`.
    #[schema(pattern = r"^chat\.completion\.chunk$")]
    pub object: String,
    /// Unix seconds.
    pub created: u64,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_fingerprint: Option<String>,
    pub choices: Vec<ChunkChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Only on the in-band error chunk of a failed stream: `{code, message, metadata}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub error: Option<Value>,
}

impl ChatChunk {
    pub const OBJECT: &'static str = "chat.completion.chunk";

    pub fn new(id: impl Into<String>, created: u64, model: impl Into<String>) -> Self {
        ChatChunk {
            id: id.into(),
            object: Self::OBJECT.into(),
            created,
            model: model.into(),
            provider: None,
            system_fingerprint: None,
            choices: Vec::new(),
            usage: None,
            error: None,
        }
    }

    /// A chunk with a single choice carrying `delta`.
    pub fn with_delta(mut self, index: u32, delta: Delta) -> Self {
        self.choices.push(ChunkChoice {
            index,
            delta,
            finish_reason: None,
            native_finish_reason: None,
            logprobs: None,
        });
        self
    }

    /// Drops reasoning from every delta, for `reasoning.exclude`.
    pub fn strip_reasoning(&mut self) {
        for c in &mut self.choices {
            c.delta.reasoning = None;
            c.delta.reasoning_details = None;
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChunkChoice {
    pub index: u32,
    pub delta: Delta,
    #[serde(default)]
    #[schema(required = true)]
    pub finish_reason: Option<FinishReason>,
    #[serde(default)]
    pub native_finish_reason: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub logprobs: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Delta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCallDelta>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_details: Option<Vec<ReasoningDetail>>,
}

impl Delta {
    pub fn content(text: impl Into<String>) -> Self {
        Delta {
            content: Some(text.into()),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ToolCallDelta {
    pub index: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FunctionCallDelta>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FunctionCallDelta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arguments: Option<String>,
}
