//! Anthropic Messages request -> canonical chat request.
//!
//! The mirror of `gateway::providers::anthropic::request`: blocks become parts, `tool_use`
//! becomes `tool_calls`, `tool_result` becomes `tool` messages, thinking blocks become
//! `reasoning_details` in Anthropic's format (signatures intact, so that an Anthropic upstream
//! receives them back unchanged), and `cache_control` markers stay on their parts.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::super::InvalidRequest;
use crate::gateway::types::{
    ChatRequest, ContentPart, FileData, FunctionDef, ImageUrl, JsonSchemaFormat, Message,
    MessageContent, NativeBody, ReasoningConfig, ReasoningDetail, ResponseFormat, Role, Stop, Tool,
    ToolCall, ToolChoice,
};

const FORMAT: &str = ReasoningDetail::FORMAT_ANTHROPIC;

/// `POST /messages` body. Unknown fields (`service_tier`, `container`, `mcp_servers`...) are
/// accepted and ignored. Its schema is derived from these fields, the hand-parsed ones typed
/// by `super::doc`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct MessagesRequest {
    /// A model id, as for chat completions; may be left out when `models` is given.
    #[serde(default)]
    #[schema(required = true, min_length = 1, pattern = r"\S")]
    pub model: String,
    pub models: Option<Vec<String>>,
    #[schema(minimum = 1, maximum = 4_294_967_295_u64)]
    pub max_tokens: Option<u32>,
    /// May be empty when `system` is given.
    #[serde(default)]
    #[schema(value_type = Vec<super::doc::MessagesTurn>, required = true, min_items = 1)]
    pub messages: Vec<InMessage>,
    #[schema(value_type = Option<super::doc::MessagesSystem>)]
    pub system: Option<Value>,
    #[schema(value_type = Option<Vec<super::doc::MessagesTool>>)]
    pub tools: Option<Vec<Value>>,
    #[schema(value_type = Option<super::doc::MessagesToolChoice>)]
    pub tool_choice: Option<Value>,
    #[schema(value_type = Option<super::doc::MessagesThinking>)]
    pub thinking: Option<Value>,
    pub stop_sequences: Option<Vec<String>>,
    #[schema(value_type = Option<super::doc::MessagesMetadata>)]
    pub metadata: Option<Value>,
    pub stream: Option<bool>,
    #[schema(minimum = 0, maximum = 2)]
    pub temperature: Option<f64>,
    #[schema(minimum = 0, maximum = 1)]
    pub top_p: Option<f64>,
    #[schema(maximum = 4_294_967_295_u64)]
    pub top_k: Option<u32>,
    /// Structured outputs (`{type: json_schema, schema}`), as `output_format` or
    /// `output_config.format`.
    #[schema(value_type = Option<Object>)]
    pub output_format: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub output_config: Option<Value>,
    #[schema(value_type = Option<crate::gateway::routing::preferences_doc::ProviderPreferencesDoc>)]
    pub provider: Option<Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub plugins: Option<Vec<Value>>,
    pub transforms: Option<Vec<String>>,
    /// Fields the gateway does not model (`service_tier`, `context_management`,
    /// `container`...): carried to an Anthropic upstream unchanged, dropped for others.
    #[serde(flatten)]
    #[schema(ignore)]
    pub unknown: Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct InMessage {
    pub role: String,
    pub content: Value,
}

impl MessagesRequest {
    pub fn is_stream(&self) -> bool {
        self.stream == Some(true)
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

pub fn to_chat(req: &MessagesRequest) -> Result<ChatRequest, InvalidRequest> {
    let mut messages = Vec::new();
    if let Some(system) = &req.system {
        let mut m = Message::new(Role::System, "");
        m.content = Some(system_content(system, "system")?);
        messages.push(m);
    }
    for (i, m) in req.messages.iter().enumerate() {
        match m.role.as_str() {
            "user" => user_turn(&m.content, i, &mut messages)?,
            "assistant" => messages.push(assistant_turn(&m.content, i)?),
            // Claude Code sends system turns between the others; they stay system messages.
            "system" => {
                let mut system = Message::new(Role::System, "");
                system.content = Some(system_content(&m.content, &format!("messages[{i}]"))?);
                messages.push(system);
            }
            other => {
                return Err(InvalidRequest::new(format!(
                    "messages[{i}].role: expected user, assistant or system, got {other:?}"
                )));
            }
        }
    }
    let (tool_choice, parallel_tool_calls) = match &req.tool_choice {
        Some(tc) => tool_choice(tc)?,
        None => (None, None),
    };
    Ok(ChatRequest {
        model: req.model.clone(),
        messages,
        tools: tools(req.tools.as_deref())?,
        tool_choice,
        parallel_tool_calls,
        response_format: response_format(req),
        reasoning: req.thinking.as_ref().map(reasoning).transpose()?.flatten(),
        stop: req.stop_sequences.clone().map(Stop::Many),
        temperature: req.temperature,
        top_p: req.top_p,
        top_k: req.top_k,
        max_tokens: req.max_tokens,
        user: req
            .metadata
            .as_ref()
            .and_then(|m| str_of(m, "user_id"))
            .map(str::to_owned),
        stream: req.stream,
        models: req.models.clone(),
        provider: req.provider.clone(),
        plugins: req.plugins.clone(),
        transforms: req.transforms.clone(),
        extra: Map::new(),
        native: Some(native_body(req)),
        ..ChatRequest::default()
    })
}

/// What an Anthropic upstream receives as the client sent it: the fields the canonical form
/// narrows (tools with server tools and per-tool `cache_control`, `tool_choice`, `thinking`
/// such as `adaptive`, `metadata`) and those it does not model at all.
fn native_body(req: &MessagesRequest) -> NativeBody {
    let mut body = req.unknown.clone();
    // OpenRouter's own fields are the gateway's, never the provider's.
    for key in ChatRequest::OPENROUTER_ONLY.iter().chain(&["session_id"]) {
        body.remove(*key);
    }
    for (key, value) in [
        ("tools", req.tools.as_ref().map(|t| Value::Array(t.clone()))),
        ("tool_choice", req.tool_choice.clone()),
        ("thinking", req.thinking.clone()),
        ("metadata", req.metadata.clone()),
    ] {
        if let Some(value) = value {
            body.insert(key.into(), value);
        }
    }
    NativeBody {
        protocol: crate::gateway::providers::anthropic::PROTOCOL,
        body: std::sync::Arc::new(body),
    }
}

/// `system` (top-level or a system turn): a string or text blocks.
fn system_content(system: &Value, at: &str) -> Result<MessageContent, InvalidRequest> {
    match system {
        Value::String(s) => Ok(MessageContent::Text(s.clone())),
        Value::Array(blocks) => Ok(MessageContent::Parts(
            blocks
                .iter()
                .enumerate()
                .map(|(j, b)| part(b, &format!("{at}[{j}]")))
                .collect::<Result<_, _>>()?,
        )),
        _ => Err(InvalidRequest::new(format!(
            "{at}: expected a string or blocks"
        ))),
    }
}

/// A user turn: `tool_result` blocks become `tool` messages (first, as they answer the calls
/// just before), the other blocks one user message.
fn user_turn(content: &Value, i: usize, out: &mut Vec<Message>) -> Result<(), InvalidRequest> {
    let blocks = match content {
        Value::String(s) => {
            out.push(Message::new(Role::User, s.as_str()));
            return Ok(());
        }
        Value::Array(blocks) => blocks,
        _ => {
            return Err(InvalidRequest::new(format!(
                "messages[{i}].content: expected a string or blocks"
            )));
        }
    };
    let mut parts = Vec::new();
    for (j, b) in blocks.iter().enumerate() {
        let at = format!("messages[{i}].content[{j}]");
        if str_of(b, "type") == Some("tool_result") {
            let id = str_of(b, "tool_use_id")
                .ok_or_else(|| InvalidRequest::new(format!("{at}.tool_use_id: missing")))?;
            let mut result = match b.get("content") {
                Some(Value::String(s)) => MessageContent::Text(s.clone()),
                Some(Value::Array(inner)) => MessageContent::Parts(
                    inner
                        .iter()
                        .enumerate()
                        .map(|(k, p)| part(p, &format!("{at}.content[{k}]")))
                        .collect::<Result<_, _>>()?,
                ),
                _ => MessageContent::Text(String::new()),
            };
            // The canonical tool message has no error flag; the model still learns of it.
            if b.get("is_error").and_then(Value::as_bool) == Some(true) {
                result = MessageContent::Text(format!("Error: {}", result.joined_text()));
            }
            let mut m = Message::new(Role::Tool, "");
            m.content = Some(result);
            m.tool_call_id = Some(id.to_owned());
            out.push(m);
        } else {
            parts.push(part(b, &at)?);
        }
    }
    if !parts.is_empty() {
        let mut m = Message::new(Role::User, "");
        m.content = Some(MessageContent::Parts(parts));
        out.push(m);
    }
    Ok(())
}

fn assistant_turn(content: &Value, i: usize) -> Result<Message, InvalidRequest> {
    let mut m = Message::new(Role::Assistant, "");
    let blocks = match content {
        Value::String(s) => return Ok(Message::new(Role::Assistant, s.as_str())),
        Value::Array(blocks) => blocks,
        _ => {
            return Err(InvalidRequest::new(format!(
                "messages[{i}].content: expected a string or blocks"
            )));
        }
    };
    let mut parts = Vec::new();
    let mut calls = Vec::new();
    let mut details = Vec::new();
    let mut reasoning = String::new();
    for (j, b) in blocks.iter().enumerate() {
        let at = format!("messages[{i}].content[{j}]");
        match str_of(b, "type") {
            Some("tool_use") => calls.push(ToolCall::function(
                str_of(b, "id").unwrap_or_default(),
                str_of(b, "name").unwrap_or_default(),
                b.get("input").unwrap_or(&json!({})).to_string(),
            )),
            Some("thinking") => {
                let text = str_of(b, "thinking").unwrap_or_default();
                reasoning.push_str(text);
                let mut d = ReasoningDetail::text(text, FORMAT, details.len() as u32);
                d.signature = str_of(b, "signature").map(str::to_owned);
                details.push(d);
            }
            Some("redacted_thinking") => details.push(ReasoningDetail::encrypted(
                str_of(b, "data").unwrap_or_default(),
                FORMAT,
                details.len() as u32,
            )),
            _ => parts.push(part(b, &at)?),
        }
    }
    m.content = (!parts.is_empty()).then_some(MessageContent::Parts(parts));
    m.tool_calls = (!calls.is_empty()).then_some(calls);
    m.reasoning = (!reasoning.is_empty()).then_some(reasoning);
    m.reasoning_details = (!details.is_empty()).then_some(details);
    Ok(m)
}

/// A content block (text, image, document) as a canonical part, `cache_control` kept.
fn part(b: &Value, at: &str) -> Result<ContentPart, InvalidRequest> {
    let cache_control = b.get("cache_control").cloned();
    match str_of(b, "type") {
        Some("text") => Ok(ContentPart::Text {
            text: str_of(b, "text").unwrap_or_default().to_owned(),
            cache_control,
        }),
        Some("image") => Ok(ContentPart::ImageUrl {
            image_url: ImageUrl {
                url: source_url(b, at)?,
                detail: None,
            },
            cache_control,
        }),
        Some("document") => Ok(ContentPart::File {
            file: FileData {
                filename: str_of(b, "title").map(str::to_owned),
                file_data: Some(source_url(b, at)?),
                file_id: None,
            },
            cache_control,
        }),
        other => Err(InvalidRequest::new(format!(
            "{at}.type: {other:?} blocks are not supported here"
        ))),
    }
}

/// `source` as a URL: base64 data becomes a `data:` URI.
fn source_url(b: &Value, at: &str) -> Result<String, InvalidRequest> {
    let source = b
        .get("source")
        .ok_or_else(|| InvalidRequest::new(format!("{at}.source: missing")))?;
    match str_of(source, "type") {
        Some("base64") => Ok(format!(
            "data:{};base64,{}",
            str_of(source, "media_type").unwrap_or("application/octet-stream"),
            str_of(source, "data").unwrap_or_default()
        )),
        Some("url") => Ok(str_of(source, "url").unwrap_or_default().to_owned()),
        Some("text") => Ok(format!(
            "data:text/plain;base64,{}",
            base64_encode(str_of(source, "data").unwrap_or_default())
        )),
        other => Err(InvalidRequest::new(format!(
            "{at}.source.type: {other:?} is not supported"
        ))),
    }
}

fn base64_encode(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// Client tools (`name`, `description`, `input_schema`); server tools (`type` such as
/// `web_search_20250305`) have no canonical form and are dropped.
fn tools(tools: Option<&[Value]>) -> Result<Option<Vec<Tool>>, InvalidRequest> {
    let Some(tools) = tools else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for (i, t) in tools.iter().enumerate() {
        if str_of(t, "type").is_some_and(|k| k != "custom") {
            continue;
        }
        let name = str_of(t, "name")
            .ok_or_else(|| InvalidRequest::new(format!("tools[{i}].name: missing")))?;
        out.push(Tool {
            kind: "function".into(),
            function: FunctionDef {
                name: name.to_owned(),
                description: str_of(t, "description").map(str::to_owned),
                parameters: t.get("input_schema").cloned(),
                strict: t.get("strict").and_then(Value::as_bool),
            },
        });
    }
    Ok((!out.is_empty()).then_some(out))
}

fn tool_choice(tc: &Value) -> Result<(Option<ToolChoice>, Option<bool>), InvalidRequest> {
    let parallel = (tc.get("disable_parallel_tool_use").and_then(Value::as_bool) == Some(true))
        .then_some(false);
    let choice = match str_of(tc, "type") {
        Some("auto") => ToolChoice::Mode("auto".into()),
        Some("any") => ToolChoice::Mode("required".into()),
        Some("none") => ToolChoice::Mode("none".into()),
        Some("tool") => {
            let name = str_of(tc, "name")
                .ok_or_else(|| InvalidRequest::new("tool_choice.name: missing"))?;
            ToolChoice::Named(json!({"type": "function", "function": {"name": name}}))
        }
        _ => {
            return Err(InvalidRequest::new(
                "tool_choice.type: expected auto, any, tool or none",
            ));
        }
    };
    Ok((Some(choice), parallel))
}

/// `thinking`: `enabled` with `budget_tokens`, `adaptive` (the model decides), or `disabled`.
fn reasoning(thinking: &Value) -> Result<Option<ReasoningConfig>, InvalidRequest> {
    match str_of(thinking, "type") {
        Some("enabled") => Ok(Some(ReasoningConfig {
            max_tokens: thinking
                .get("budget_tokens")
                .and_then(Value::as_u64)
                .map(|b| b.min(u64::from(u32::MAX)) as u32),
            enabled: Some(true),
            ..Default::default()
        })),
        Some("adaptive") => Ok(Some(ReasoningConfig {
            enabled: Some(true),
            ..Default::default()
        })),
        Some("disabled") => Ok(None),
        _ => Err(InvalidRequest::new(
            "thinking.type: expected enabled, adaptive or disabled",
        )),
    }
}

fn response_format(req: &MessagesRequest) -> Option<ResponseFormat> {
    let format = req
        .output_format
        .as_ref()
        .or_else(|| req.output_config.as_ref().and_then(|c| c.get("format")))?;
    (str_of(format, "type") == Some("json_schema")).then(|| ResponseFormat::JsonSchema {
        json_schema: JsonSchemaFormat {
            name: str_of(format, "name").unwrap_or("response").to_owned(),
            description: None,
            schema: format.get("schema").cloned(),
            strict: Some(true),
        },
    })
}
