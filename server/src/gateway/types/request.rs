//! The canonical chat completion request.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::content::MessageContent;
use super::reasoning::ReasoningDetail;
use super::response::ToolCall;

/// POST /chat/completions body. Fields we do not model are kept in `extra`
/// and passed through to OpenAI-compatible upstreams unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChatRequest {
    /// A model id (`author/slug`, optionally with a `:variant`), `openrouter/auto` or
    /// `openrouter/free`; may be left out when `models` is given.
    #[serde(default)]
    #[schema(required = true, min_length = 1, pattern = r"\S")]
    pub model: String,
    #[schema(min_items = 1)]
    pub messages: Vec<Message>,

    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_choice: Option<ToolChoice>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallel_tool_calls: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<ResponseFormat>,

    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<ReasoningConfig>,
    /// OpenAI's flat form of `reasoning.effort`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<String>,
    /// Legacy OpenRouter flag; `false` means `reasoning.exclude`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_reasoning: Option<bool>,

    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<Stop>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 2)]
    pub temperature: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0, maximum = 1)]
    pub top_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub max_completion_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = -2, maximum = 2)]
    pub frequency_penalty: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = -2, maximum = 2)]
    pub presence_penalty: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repetition_penalty: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_p: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_a: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logit_bias: Option<Map<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logprobs: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_logprobs: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_options: Option<StreamOptions>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u32>,

    // OpenRouter extras: consumed by the gateway, never sent upstream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<String>>,
    /// Provider routing preferences; interpreted by the routing layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::gateway::routing::preferences_doc::ProviderPreferencesDoc>)]
    pub provider: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transforms: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugins: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<UsageOptions>,
    /// Only `fallback`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^fallback$")]
    pub route: Option<String>,

    #[serde(flatten)]
    pub extra: Map<String, Value>,

    /// The client's own body when it spoke a provider's protocol (the Messages ingress): an
    /// adapter of that protocol carries over what the canonical form does not model. Never
    /// read from or written to JSON.
    #[serde(skip)]
    #[schema(ignore)]
    pub native: Option<NativeBody>,
}

/// A request body in a provider's wire protocol, as the client sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeBody {
    /// The adapter protocol it is written in (`anthropic`).
    pub protocol: &'static str,
    pub body: std::sync::Arc<Map<String, Value>>,
}

impl ChatRequest {
    /// Keys that only OpenRouter understands; stripped before any upstream.
    pub const OPENROUTER_ONLY: &'static [&'static str] = &[
        "models",
        "provider",
        "transforms",
        "plugins",
        "usage",
        "route",
        "include_reasoning",
    ];

    pub fn is_stream(&self) -> bool {
        self.stream.unwrap_or(false)
    }

    /// The output cap, whichever of the two spellings the client used.
    pub fn max_output_tokens(&self) -> Option<u32> {
        self.max_completion_tokens.or(self.max_tokens)
    }

    /// Reasoning effort from either `reasoning.effort` or `reasoning_effort`.
    pub fn effort(&self) -> Option<&str> {
        self.reasoning
            .as_ref()
            .and_then(|r| r.effort.as_deref())
            .or(self.reasoning_effort.as_deref())
    }

    /// Whether the client asked for reasoning in any of the accepted ways.
    pub fn wants_reasoning(&self) -> bool {
        if let Some(r) = &self.reasoning {
            if r.enabled == Some(false) {
                return false;
            }
            if r.enabled == Some(true) || r.max_tokens.is_some() {
                return true;
            }
        }
        matches!(self.effort(), Some(e) if e != "none")
    }

    /// Whether reasoning must be kept out of the response.
    pub fn excludes_reasoning(&self) -> bool {
        self.reasoning.as_ref().and_then(|r| r.exclude) == Some(true)
            || self.include_reasoning == Some(false)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = ChatRole)]
pub enum Role {
    System,
    Developer,
    User,
    Assistant,
    Tool,
}

/// One conversation message. A flat struct (rather than an enum per role)
/// keeps translation code simple; role-specific fields are optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Message {
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<MessageContent>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<Vec<ToolCall>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_details: Option<Vec<ReasoningDetail>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Message {
    pub fn new(role: Role, text: impl Into<String>) -> Self {
        Message {
            role,
            content: Some(MessageContent::Text(text.into())),
            name: None,
            tool_calls: None,
            tool_call_id: None,
            refusal: None,
            reasoning: None,
            reasoning_details: None,
            extra: Map::new(),
        }
    }

    pub fn image_count(&self) -> u64 {
        self.content.as_ref().map_or(0, MessageContent::image_count)
    }

    pub fn text(&self) -> String {
        self.content
            .as_ref()
            .map(MessageContent::joined_text)
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Tool {
    /// Always `function` today.
    #[serde(rename = "type")]
    pub kind: String,
    pub function: FunctionDef,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FunctionDef {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// `"auto" | "none" | "required"` or `{type:"function", function:{name}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum ToolChoice {
    Mode(String),
    Named(Value),
}

impl ToolChoice {
    /// The forced function name, for the `{type:function}` form.
    pub fn function_name(&self) -> Option<&str> {
        match self {
            ToolChoice::Named(v) => v.pointer("/function/name").and_then(Value::as_str),
            ToolChoice::Mode(_) => None,
        }
    }

    pub fn mode(&self) -> Option<&str> {
        match self {
            ToolChoice::Mode(m) => Some(m),
            ToolChoice::Named(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseFormat {
    Text,
    JsonObject,
    JsonSchema { json_schema: JsonSchemaFormat },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JsonSchemaFormat {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strict: Option<bool>,
}

/// OpenRouter's unified reasoning control.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReasoningConfig {
    /// `minimal | low | medium | high` (and `none`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
    /// An explicit thinking budget in tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Stop {
    One(String),
    Many(Vec<String>),
}

impl Stop {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Stop::One(s) => vec![s.clone()],
            Stop::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StreamOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_usage: Option<bool>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UsageOptions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_fields_are_kept_and_reemitted() {
        let body = json!({
            "model": "m", "messages": [{"role": "user", "content": "hi", "x_msg": 1}],
            "service_tier": "flex", "stop": "END", "reasoning": {"effort": "high", "exclude": true},
            "provider": {"order": ["groq"]}, "usage": {"include": true}
        });
        let req: ChatRequest = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(req.extra["service_tier"], "flex");
        assert_eq!(req.messages[0].extra["x_msg"], 1);
        assert_eq!(req.stop, Some(Stop::One("END".into())));
        assert_eq!(req.effort(), Some("high"));
        assert!(req.wants_reasoning());
        assert!(req.excludes_reasoning());
        assert_eq!(serde_json::to_value(&req).unwrap(), body);
    }

    #[test]
    fn reasoning_switches() {
        let mut req = ChatRequest::default();
        assert!(!req.wants_reasoning());
        req.reasoning_effort = Some("low".into());
        assert!(req.wants_reasoning());
        req.reasoning = Some(ReasoningConfig {
            enabled: Some(false),
            ..Default::default()
        });
        assert!(!req.wants_reasoning());
        req.reasoning = Some(ReasoningConfig {
            max_tokens: Some(2000),
            ..Default::default()
        });
        assert!(req.wants_reasoning());
    }
}
