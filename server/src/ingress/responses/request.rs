//! Responses request -> canonical chat request.
//!
//! Stateless only: `store: true` and `previous_response_id` are refused, since the gateway keeps
//! no conversation. Items the chat model has no form for (hosted tools, item references) are
//! refused with 400 naming them; tools other than `function` are dropped, as OpenRouter does.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::super::InvalidRequest;
use crate::gateway::types::{
    ChatRequest, ContentPart, FileData, FunctionDef, ImageUrl, JsonSchemaFormat, Message,
    MessageContent, ReasoningConfig, ReasoningDetail, ResponseFormat, Role, Tool, ToolCall,
    ToolChoice,
};

/// The reasoning format of OpenAI's encrypted reasoning items, as OpenRouter names it.
pub const REASONING_FORMAT: &str = "openai-responses-v1";

/// `POST /responses` body: the fields the gateway models. Others are accepted and ignored
/// (`include`, `truncation`, `client_metadata`...), except those carried on to the upstream.
/// Its schema is derived from these fields, the hand-parsed ones typed by `super::doc`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct ResponsesRequest {
    /// A model id, as for chat completions; may be left out when `models` is given.
    #[serde(default)]
    #[schema(required = true, min_length = 1, pattern = r"\S")]
    pub model: String,
    pub models: Option<Vec<String>>,
    /// Required unless `instructions` are given.
    #[schema(value_type = super::doc::ResponsesInput, required = true)]
    pub input: Option<Input>,
    /// A system message before the input.
    pub instructions: Option<String>,
    #[schema(minimum = 1, maximum = 4_294_967_295_u64)]
    pub max_output_tokens: Option<u32>,
    /// Function tools; hosted tools are dropped.
    #[schema(value_type = Option<Vec<super::doc::ResponsesTool>>)]
    pub tools: Option<Vec<Value>>,
    #[schema(value_type = Option<super::doc::ResponsesToolChoice>)]
    pub tool_choice: Option<Value>,
    pub parallel_tool_calls: Option<bool>,
    #[schema(value_type = Option<super::doc::ResponsesTextConfig>)]
    pub text: Option<Value>,
    pub reasoning: Option<ReasoningIn>,
    #[schema(minimum = 0, maximum = 2)]
    pub temperature: Option<f64>,
    #[schema(minimum = 0, maximum = 1)]
    pub top_p: Option<f64>,
    #[schema(maximum = 4_294_967_295_u64)]
    pub top_k: Option<u32>,
    /// Echoed in the response.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
    pub stream: Option<bool>,
    /// Only `false`: the gateway is stateless.
    #[schema(schema_with = store_false)]
    pub store: Option<bool>,
    /// Refused (the gateway keeps no conversation): only `null`.
    #[schema(schema_with = only_null)]
    pub previous_response_id: Option<String>,
    pub user: Option<String>,
    #[schema(value_type = Option<crate::gateway::routing::preferences_doc::ProviderPreferencesDoc>)]
    pub provider: Option<Value>,
    pub session_id: Option<String>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub plugins: Option<Vec<Value>>,
    pub transforms: Option<Vec<String>>,
    /// Fields chat completions also knows; carried to the upstream unchanged.
    #[schema(value_type = Option<String>)]
    pub prompt_cache_key: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub service_tier: Option<Value>,
    #[schema(value_type = Option<String>)]
    pub safety_identifier: Option<Value>,
}

fn store_false() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Boolean, Type::Null]))
        .enum_values(Some([Value::Bool(false), Value::Null]))
        .build()
}

fn only_null() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new().schema_type(Type::Null).build()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Input {
    Text(String),
    Items(Vec<Value>),
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[schema(as = ResponsesReasoning)]
pub struct ReasoningIn {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(maximum = 4_294_967_295_u64)]
    pub max_tokens: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude: Option<bool>,
}

impl ResponsesRequest {
    pub fn is_stream(&self) -> bool {
        self.stream == Some(true)
    }
}

/// Translates the body, or names what cannot be served.
pub fn to_chat(req: &ResponsesRequest) -> Result<ChatRequest, InvalidRequest> {
    if req.store == Some(true) {
        return Err(InvalidRequest::new(
            "store: true is not supported, this gateway is stateless (send store: false or omit it)",
        ));
    }
    if req.previous_response_id.is_some() {
        return Err(InvalidRequest::new(
            "previous_response_id: not supported; this gateway is stateless: send the whole conversation in input",
        ));
    }
    let mut messages = Vec::new();
    if let Some(instructions) = req.instructions.as_deref().filter(|i| !i.is_empty()) {
        messages.push(Message::new(Role::System, instructions));
    }
    match &req.input {
        Some(Input::Text(text)) => messages.push(Message::new(Role::User, text.as_str())),
        Some(Input::Items(items)) => translate_items(items, &mut messages)?,
        None => {}
    }
    let mut extra = Map::new();
    for (key, value) in [
        ("prompt_cache_key", &req.prompt_cache_key),
        ("service_tier", &req.service_tier),
        ("safety_identifier", &req.safety_identifier),
    ] {
        if let Some(value) = value {
            extra.insert(key.into(), value.clone());
        }
    }
    Ok(ChatRequest {
        model: req.model.clone(),
        messages,
        tools: tools(req.tools.as_deref())?,
        tool_choice: req.tool_choice.as_ref().map(tool_choice).transpose()?,
        parallel_tool_calls: req.parallel_tool_calls,
        response_format: req
            .text
            .as_ref()
            .map(response_format)
            .transpose()?
            .flatten(),
        reasoning: req.reasoning.as_ref().map(|r| ReasoningConfig {
            effort: r.effort.clone(),
            max_tokens: r.max_tokens,
            exclude: r.exclude,
            enabled: r.enabled,
        }),
        temperature: req.temperature,
        top_p: req.top_p,
        top_k: req.top_k,
        max_tokens: req.max_output_tokens,
        user: req.user.clone(),
        stream: req.stream,
        models: req.models.clone(),
        provider: req.provider.clone(),
        plugins: req.plugins.clone(),
        transforms: req.transforms.clone(),
        extra,
        ..ChatRequest::default()
    })
}

fn str_of<'a>(item: &'a Value, key: &str) -> Option<&'a str> {
    item.get(key).and_then(Value::as_str)
}

/// Items in order. Function calls join the assistant turn before them; reasoning items ride
/// on the assistant turn that follows them, as the upstream expects them replayed.
fn translate_items(items: &[Value], out: &mut Vec<Message>) -> Result<(), InvalidRequest> {
    let mut pending_reasoning: Vec<ReasoningDetail> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let kind = str_of(item, "type").unwrap_or("message");
        match kind {
            "message" => {
                let role = match str_of(item, "role") {
                    Some("user") => Role::User,
                    Some("assistant") => Role::Assistant,
                    Some("system") => Role::System,
                    Some("developer") => Role::Developer,
                    other => {
                        return Err(InvalidRequest::new(format!(
                            "input[{i}].role: expected user, assistant, system or developer, got {other:?}"
                        )));
                    }
                };
                let mut message = Message::new(role, "");
                message.content = Some(content(item.get("content"), i)?);
                if role == Role::Assistant {
                    attach_reasoning(&mut message, &mut pending_reasoning);
                    // Text replayed after a function call of the same turn stays its own message.
                }
                out.push(message);
            }
            "function_call" => {
                let call_id = str_of(item, "call_id")
                    .ok_or_else(|| InvalidRequest::new(format!("input[{i}].call_id: missing")))?;
                let call = ToolCall::function(
                    call_id,
                    str_of(item, "name").unwrap_or_default(),
                    str_of(item, "arguments").unwrap_or("{}").to_owned(),
                );
                let joins_previous = pending_reasoning.is_empty()
                    && matches!(out.last(), Some(m) if m.role == Role::Assistant);
                if !joins_previous {
                    let mut message = Message::new(Role::Assistant, "");
                    message.content = None;
                    attach_reasoning(&mut message, &mut pending_reasoning);
                    out.push(message);
                }
                let last = out.last_mut().expect("an assistant message");
                last.tool_calls.get_or_insert_with(Vec::new).push(call);
            }
            "function_call_output" => {
                let call_id = str_of(item, "call_id")
                    .ok_or_else(|| InvalidRequest::new(format!("input[{i}].call_id: missing")))?;
                let output = match item.get("output") {
                    Some(Value::String(s)) => MessageContent::Text(s.clone()),
                    Some(parts @ Value::Array(_)) => content(Some(parts), i)?,
                    _ => MessageContent::Text(String::new()),
                };
                let mut message = Message::new(Role::Tool, "");
                message.content = Some(output);
                message.tool_call_id = Some(call_id.to_owned());
                out.push(message);
            }
            "reasoning" => pending_reasoning.extend(reasoning_details(item)),
            other => {
                return Err(InvalidRequest::new(format!(
                    "input[{i}].type: {other} items are not supported (stateless gateway: send messages, function_call, function_call_output and reasoning items)"
                )));
            }
        }
    }
    Ok(())
}

fn attach_reasoning(message: &mut Message, pending: &mut Vec<ReasoningDetail>) {
    if pending.is_empty() {
        return;
    }
    let text: String = pending
        .iter()
        .filter_map(|d| d.summary.as_deref())
        .collect();
    if !text.is_empty() {
        message.reasoning = Some(text);
    }
    message.reasoning_details = Some(std::mem::take(pending));
}

/// A replayed reasoning item: its summary and its encrypted content, both kept so that the
/// upstream that produced them can continue its chain of thought.
fn reasoning_details(item: &Value) -> Vec<ReasoningDetail> {
    let id = str_of(item, "id").map(str::to_owned);
    let mut details = Vec::new();
    let summary: String = item
        .get("summary")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| str_of(s, "text"))
        .collect::<Vec<_>>()
        .join("\n\n");
    if !summary.is_empty() {
        details.push(ReasoningDetail {
            kind: ReasoningDetail::SUMMARY.into(),
            summary: Some(summary),
            id: id.clone(),
            format: Some(REASONING_FORMAT.into()),
            index: Some(0),
            ..Default::default()
        });
    }
    if let Some(data) = str_of(item, "encrypted_content") {
        let mut d = ReasoningDetail::encrypted(data, REASONING_FORMAT, details.len() as u32);
        d.id = id;
        details.push(d);
    }
    details
}

/// A message's `content`: a string, or `input_text`/`output_text`/`input_image`/`input_file`
/// /`refusal` parts.
fn content(content: Option<&Value>, i: usize) -> Result<MessageContent, InvalidRequest> {
    let parts = match content {
        None | Some(Value::Null) => return Ok(MessageContent::Text(String::new())),
        Some(Value::String(s)) => return Ok(MessageContent::Text(s.clone())),
        Some(Value::Array(parts)) => parts,
        Some(_) => {
            return Err(InvalidRequest::new(format!(
                "input[{i}].content: expected a string or an array of parts"
            )));
        }
    };
    let mut out = Vec::with_capacity(parts.len());
    for (j, part) in parts.iter().enumerate() {
        let text = |k: &str| str_of(part, k).unwrap_or_default().to_owned();
        out.push(match str_of(part, "type").unwrap_or_default() {
            "input_text" | "output_text" | "text" => ContentPart::Text {
                text: text("text"),
                cache_control: part.get("cache_control").cloned(),
            },
            "refusal" => ContentPart::Text {
                text: text("refusal"),
                cache_control: None,
            },
            "input_image" => {
                let url = str_of(part, "image_url").ok_or_else(|| {
                    InvalidRequest::new(format!(
                        "input[{i}].content[{j}].image_url: required (file_id images are not supported)"
                    ))
                })?;
                ContentPart::ImageUrl {
                    image_url: ImageUrl {
                        url: url.to_owned(),
                        detail: str_of(part, "detail").map(str::to_owned),
                    },
                    cache_control: None,
                }
            }
            "input_file" => ContentPart::File {
                file: FileData {
                    filename: str_of(part, "filename").map(str::to_owned),
                    file_data: str_of(part, "file_data")
                        .or_else(|| str_of(part, "file_url"))
                        .map(str::to_owned),
                    file_id: str_of(part, "file_id").map(str::to_owned),
                },
                cache_control: None,
            },
            other => {
                return Err(InvalidRequest::new(format!(
                    "input[{i}].content[{j}].type: {other:?} is not supported"
                )));
            }
        });
    }
    Ok(MessageContent::Parts(out))
}

/// Function tools in the Responses' flat form; other tool types are dropped.
fn tools(tools: Option<&[Value]>) -> Result<Option<Vec<Tool>>, InvalidRequest> {
    let Some(tools) = tools else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for (i, tool) in tools.iter().enumerate() {
        if str_of(tool, "type") != Some("function") {
            continue;
        }
        let name = str_of(tool, "name")
            .ok_or_else(|| InvalidRequest::new(format!("tools[{i}].name: missing")))?;
        out.push(Tool {
            kind: "function".into(),
            function: FunctionDef {
                name: name.to_owned(),
                description: str_of(tool, "description").map(str::to_owned),
                parameters: tool.get("parameters").filter(|p| !p.is_null()).cloned(),
                strict: tool.get("strict").and_then(Value::as_bool),
            },
        });
    }
    Ok((!out.is_empty()).then_some(out))
}

fn tool_choice(choice: &Value) -> Result<ToolChoice, InvalidRequest> {
    match choice {
        Value::String(mode) => Ok(ToolChoice::Mode(mode.clone())),
        Value::Object(o) => match (o.get("type").and_then(Value::as_str), o.get("name")) {
            (Some("function"), Some(name)) => Ok(ToolChoice::Named(
                json!({"type": "function", "function": {"name": name}}),
            )),
            (Some(mode @ ("auto" | "none" | "required")), _) => {
                Ok(ToolChoice::Mode(mode.to_owned()))
            }
            _ => Err(InvalidRequest::new(
                "tool_choice: expected auto, none, required or {type: function, name}",
            )),
        },
        _ => Err(InvalidRequest::new(
            "tool_choice: expected a string or an object",
        )),
    }
}

/// `text.format`: `json_schema` (flat: name, schema, strict) or `json_object`.
fn response_format(text: &Value) -> Result<Option<ResponseFormat>, InvalidRequest> {
    let Some(format) = text.get("format") else {
        return Ok(None);
    };
    match str_of(format, "type") {
        Some("json_schema") => Ok(Some(ResponseFormat::JsonSchema {
            json_schema: JsonSchemaFormat {
                name: str_of(format, "name").unwrap_or("response").to_owned(),
                description: str_of(format, "description").map(str::to_owned),
                schema: format.get("schema").cloned(),
                strict: format.get("strict").and_then(Value::as_bool),
            },
        })),
        Some("json_object") => Ok(Some(ResponseFormat::JsonObject)),
        Some("text") | None => Ok(None),
        Some(other) => Err(InvalidRequest::new(format!(
            "text.format.type: {other} is not supported"
        ))),
    }
}
