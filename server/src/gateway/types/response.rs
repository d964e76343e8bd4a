//! The canonical non-streaming chat completion response.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::reasoning::ReasoningDetail;
use super::usage::Usage;

/// `chat.completion`. Key presence follows CLIENT-REQUIREMENTS.md:
/// `system_fingerprint` and `finish_reason` are always present (maybe null);
/// `usage` and `tool_calls` are omitted rather than null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChatResponse {
    pub id: String,
    /// `chat.completion`.
    #[schema(pattern = r"^chat\.completion$")]
    pub object: String,
    /// Unix seconds.
    pub created: u64,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default)]
    #[schema(required = true)]
    pub system_fingerprint: Option<String>,
    pub choices: Vec<Choice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

impl ChatResponse {
    pub const OBJECT: &'static str = "chat.completion";

    /// Drops reasoning text and details, for `reasoning.exclude`.
    pub fn strip_reasoning(&mut self) {
        for c in &mut self.choices {
            c.message.reasoning = None;
            c.message.reasoning_details = None;
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ChatChoice)]
pub struct Choice {
    pub index: u32,
    pub message: ResponseMessage,
    #[serde(default)]
    #[schema(required = true)]
    pub finish_reason: Option<FinishReason>,
    /// The provider's own stop reason, before normalization.
    #[serde(default)]
    pub native_finish_reason: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub logprobs: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ResponseMessage {
    /// Always `assistant`.
    #[schema(pattern = "^assistant$")]
    pub role: String,
    #[serde(default)]
    #[schema(required = true)]
    pub content: Option<String>,
    #[serde(default)]
    pub refusal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[serde(default)]
    pub reasoning: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_details: Option<Vec<ReasoningDetail>>,
}

impl ResponseMessage {
    pub fn assistant() -> Self {
        ResponseMessage {
            role: "assistant".into(),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ToolCall {
    pub id: String,
    #[serde(rename = "type", default = "function_kind")]
    pub kind: String,
    pub function: FunctionCall,
}

fn function_kind() -> String {
    "function".into()
}

impl ToolCall {
    pub fn function(id: impl Into<String>, name: impl Into<String>, arguments: String) -> Self {
        ToolCall {
            id: id.into(),
            kind: function_kind(),
            function: FunctionCall {
                name: name.into(),
                arguments,
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FunctionCall {
    pub name: String,
    /// JSON text, exactly as the model produced it.
    pub arguments: String,
}

/// The normalized finish reason; the raw one goes to `native_finish_reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    Stop,
    Length,
    ToolCalls,
    ContentFilter,
    Error,
}

impl FinishReason {
    /// Normalizes an OpenAI-style finish reason string. Unknown values from
    /// exotic hosts count as `stop`: the generation did end normally.
    pub fn from_openai(raw: &str) -> Self {
        match raw {
            "length" | "max_tokens" => FinishReason::Length,
            "tool_calls" | "function_call" | "tool_use" => FinishReason::ToolCalls,
            "content_filter" => FinishReason::ContentFilter,
            "error" => FinishReason::Error,
            _ => FinishReason::Stop,
        }
    }
}
