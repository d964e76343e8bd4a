//! Document-only schemas of `POST /responses`: the grammar `request.rs` parses by hand (items,
//! content parts, tools, `text.format`), the response object `response.rs` renders and the
//! stream events `stream.rs` emits. The parser reads `serde_json::Value`s to name the field at
//! fault, so these types state its rules; `tests` below check the schema and the parser agree
//! on fixtures, and tests/openapi_answers.rs checks real answers against the rendered ones.
//!
//! What the parser ignores (unknown fields, ids, `status`) stays allowed; what it refuses is
//! outside the schema. Where the schema is stricter than the parser (a field documented as a
//! string that the parser would skip when it is not one) it states the API's contract.

#![allow(dead_code)] // types for the document, never built

use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// `input`: a user message as text, or conversation items.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ResponsesInput {
    Text(String),
    /// At least one item that becomes a message (not only `reasoning` items), unless
    /// `instructions` are given (`crate::ingress::document_rules`).
    Items(Vec<ResponsesInputItem>),
}

/// An input item. `type` may be left out of a message.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ResponsesInputItem {
    Message(ResponsesInputMessage),
    FunctionCall(ResponsesFunctionCallInput),
    FunctionCallOutput(ResponsesFunctionCallOutput),
    Reasoning(ResponsesReasoningInput),
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponsesMessageType {
    Message,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponsesInputRole {
    User,
    Assistant,
    System,
    Developer,
}

#[derive(Deserialize, ToSchema)]
pub struct ResponsesInputMessage {
    #[serde(rename = "type")]
    kind: Option<ResponsesMessageType>,
    role: ResponsesInputRole,
    /// Text, or content parts; `null` is empty.
    content: Option<ResponsesContent>,
}

#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ResponsesContent {
    Text(String),
    Parts(Vec<ResponsesInputPart>),
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponsesFunctionCallType {
    FunctionCall,
}

/// A function call of an earlier assistant turn, replayed.
#[derive(Deserialize, ToSchema)]
pub struct ResponsesFunctionCallInput {
    #[serde(rename = "type")]
    kind: ResponsesFunctionCallType,
    call_id: String,
    name: Option<String>,
    /// JSON text; `{}` when left out.
    arguments: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponsesFunctionCallOutputType {
    FunctionCallOutput,
}

/// The result of a function call.
#[derive(Deserialize, ToSchema)]
pub struct ResponsesFunctionCallOutput {
    #[serde(rename = "type")]
    kind: ResponsesFunctionCallOutputType,
    call_id: String,
    output: Option<ResponsesContent>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponsesReasoningType {
    Reasoning,
}

/// A reasoning item of an earlier turn, replayed to the upstream that produced it.
#[derive(Deserialize, ToSchema)]
pub struct ResponsesReasoningInput {
    #[serde(rename = "type")]
    kind: ResponsesReasoningType,
    id: Option<String>,
    summary: Option<Vec<ResponsesSummaryText>>,
    encrypted_content: Option<String>,
}

/// A content part of an input message (`file_id` images are not supported).
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponsesInputPart {
    InputText {
        text: Option<String>,
        #[schema(value_type = Option<Object>)]
        cache_control: Option<Value>,
    },
    OutputText {
        text: Option<String>,
    },
    Text {
        text: Option<String>,
    },
    Refusal {
        refusal: Option<String>,
    },
    InputImage {
        /// A URL or a `data:` URI.
        image_url: String,
        detail: Option<String>,
    },
    InputFile {
        filename: Option<String>,
        file_data: Option<String>,
        file_url: Option<String>,
        file_id: Option<String>,
    },
}

/// A tool: `function` tools are served; hosted tools are accepted and dropped.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ResponsesTool {
    Function(ResponsesFunctionTool),
    Hosted(ResponsesHostedTool),
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponsesFunctionType {
    Function,
}

#[derive(Deserialize, ToSchema)]
pub struct ResponsesFunctionTool {
    #[serde(rename = "type")]
    kind: ResponsesFunctionType,
    name: String,
    description: Option<String>,
    /// A JSON Schema of the arguments.
    #[schema(value_type = Option<Object>)]
    parameters: Option<Value>,
    strict: Option<bool>,
}

/// OpenAI's hosted tools, which the gateway drops (as OpenRouter does).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponsesHostedToolType {
    WebSearch,
    WebSearchPreview,
    FileSearch,
    CodeInterpreter,
    ComputerUsePreview,
    ImageGeneration,
    Mcp,
    LocalShell,
    Custom,
}

#[derive(Deserialize, ToSchema)]
pub struct ResponsesHostedTool {
    #[serde(rename = "type")]
    kind: ResponsesHostedToolType,
}

/// `tool_choice`: a mode, or one function by name.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ResponsesToolChoice {
    Mode(ResponsesToolMode),
    Function(ResponsesNamedFunction),
    ModeObject(ResponsesToolModeObject),
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponsesToolMode {
    Auto,
    None,
    Required,
}

#[derive(Deserialize, ToSchema)]
pub struct ResponsesNamedFunction {
    #[serde(rename = "type")]
    kind: ResponsesFunctionType,
    name: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ResponsesToolModeObject {
    #[serde(rename = "type")]
    kind: ResponsesToolMode,
}

/// `text`: the output format.
#[derive(Deserialize, ToSchema)]
pub struct ResponsesTextConfig {
    format: Option<ResponsesTextFormat>,
}

#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponsesTextFormat {
    Text {},
    JsonObject {},
    /// Structured output: the flat form (`name`, `schema`, `strict` beside `type`).
    JsonSchema {
        /// `response` when left out.
        name: Option<String>,
        description: Option<String>,
        #[schema(value_type = Option<Object>)]
        schema: Option<Value>,
        strict: Option<bool>,
    },
}

// ---- the response object ----

/// A `response` object: the whole answer, or the state a stream event carries.
#[derive(Deserialize, ToSchema)]
pub struct ResponsesResponse {
    /// The generation id.
    id: String,
    #[schema(pattern = "^response$")]
    object: String,
    created_at: u64,
    /// Set once the response is finished (or failed).
    completed_at: Option<u64>,
    model: String,
    status: ResponsesStatus,
    error: Option<ResponsesFailure>,
    incomplete_details: Option<ResponsesIncomplete>,
    output: Vec<ResponsesOutputItem>,
    /// The request's, echoed.
    instructions: Option<String>,
    max_output_tokens: Option<u32>,
    #[schema(value_type = Object)]
    metadata: Value,
    parallel_tool_calls: bool,
    temperature: f64,
    #[schema(value_type = Option<f64>)]
    frequency_penalty: Option<Value>,
    #[schema(value_type = Option<f64>)]
    presence_penalty: Option<Value>,
    top_p: f64,
    /// The request's `tool_choice`, echoed (`auto` when left out).
    tool_choice: Value,
    /// The request's function tools.
    #[schema(value_type = Vec<Object>)]
    tools: Vec<Value>,
    /// The request's `text`, echoed.
    text: Value,
    #[schema(value_type = Option<Object>)]
    reasoning: Option<Value>,
    /// Always `false`: the gateway is stateless.
    store: bool,
    #[schema(value_type = Option<String>)]
    previous_response_id: Option<Value>,
    #[schema(pattern = "^disabled$")]
    truncation: String,
    user: Option<String>,
    /// `null` until the answer ends.
    usage: Option<ResponsesUsage>,
    /// The provider that served it (OpenRouter's extra).
    #[serde(default)]
    provider: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponsesStatus {
    InProgress,
    Completed,
    Incomplete,
    Failed,
}

#[derive(Deserialize, ToSchema)]
pub struct ResponsesFailure {
    code: String,
    message: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ResponsesIncomplete {
    reason: ResponsesIncompleteReason,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponsesIncompleteReason {
    MaxOutputTokens,
    ContentFilter,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponsesItemStatus {
    InProgress,
    Completed,
    Incomplete,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponsesAssistantRole {
    Assistant,
}

/// An output item.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponsesOutputItem {
    Message {
        id: String,
        status: ResponsesItemStatus,
        role: ResponsesAssistantRole,
        content: Vec<ResponsesOutputContent>,
    },
    FunctionCall {
        id: String,
        call_id: String,
        name: String,
        /// JSON text.
        arguments: String,
        status: ResponsesItemStatus,
    },
    Reasoning {
        id: String,
        summary: Vec<ResponsesSummaryText>,
        /// OpenAI's encrypted reasoning, for a replay.
        #[serde(default)]
        encrypted_content: Option<String>,
    },
}

#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponsesOutputContent {
    OutputText {
        text: String,
        #[schema(value_type = Vec<Object>)]
        annotations: Vec<Value>,
        #[schema(value_type = Vec<Object>)]
        logprobs: Vec<Value>,
    },
    Refusal {
        refusal: String,
    },
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResponsesSummaryTextType {
    SummaryText,
}

#[derive(Deserialize, ToSchema)]
pub struct ResponsesSummaryText {
    #[serde(rename = "type")]
    kind: ResponsesSummaryTextType,
    text: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ResponsesUsage {
    input_tokens: u64,
    input_tokens_details: ResponsesInputTokensDetails,
    output_tokens: u64,
    output_tokens_details: ResponsesOutputTokensDetails,
    total_tokens: u64,
    /// The cost in USD (OpenRouter's extra).
    #[serde(default)]
    cost: Option<f64>,
    #[serde(default)]
    is_byok: Option<bool>,
    /// The upstream's cost split, for BYOK requests.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    cost_details: Option<Map<String, Value>>,
}

#[derive(Deserialize, ToSchema)]
pub struct ResponsesInputTokensDetails {
    cached_tokens: u64,
}

#[derive(Deserialize, ToSchema)]
pub struct ResponsesOutputTokensDetails {
    reasoning_tokens: u64,
}

// ---- the stream ----

/// The JSON payload of a stream event; `type` is also the event's name. `sequence_number`
/// counts the events from 0.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type")]
pub enum ResponsesStreamPayload {
    #[serde(rename = "response.created")]
    Created {
        response: ResponsesResponse,
        sequence_number: u64,
    },
    #[serde(rename = "response.in_progress")]
    InProgress {
        response: ResponsesResponse,
        sequence_number: u64,
    },
    #[serde(rename = "response.output_item.added")]
    OutputItemAdded {
        output_index: u32,
        item: ResponsesOutputItem,
        sequence_number: u64,
    },
    #[serde(rename = "response.output_item.done")]
    OutputItemDone {
        output_index: u32,
        item: ResponsesOutputItem,
        sequence_number: u64,
    },
    #[serde(rename = "response.content_part.added")]
    ContentPartAdded {
        item_id: String,
        output_index: u32,
        content_index: u32,
        part: ResponsesOutputContent,
        sequence_number: u64,
    },
    #[serde(rename = "response.content_part.done")]
    ContentPartDone {
        item_id: String,
        output_index: u32,
        content_index: u32,
        part: ResponsesOutputContent,
        sequence_number: u64,
    },
    #[serde(rename = "response.output_text.delta")]
    OutputTextDelta {
        item_id: String,
        output_index: u32,
        content_index: u32,
        delta: String,
        #[schema(value_type = Vec<Object>)]
        logprobs: Vec<Value>,
        sequence_number: u64,
    },
    #[serde(rename = "response.output_text.done")]
    OutputTextDone {
        item_id: String,
        output_index: u32,
        content_index: u32,
        text: String,
        #[schema(value_type = Vec<Object>)]
        logprobs: Vec<Value>,
        sequence_number: u64,
    },
    #[serde(rename = "response.reasoning_summary_part.added")]
    ReasoningSummaryPartAdded {
        item_id: String,
        output_index: u32,
        summary_index: u32,
        part: ResponsesSummaryText,
        sequence_number: u64,
    },
    #[serde(rename = "response.reasoning_summary_part.done")]
    ReasoningSummaryPartDone {
        item_id: String,
        output_index: u32,
        summary_index: u32,
        part: ResponsesSummaryText,
        sequence_number: u64,
    },
    #[serde(rename = "response.reasoning_summary_text.delta")]
    ReasoningSummaryTextDelta {
        item_id: String,
        output_index: u32,
        summary_index: u32,
        delta: String,
        sequence_number: u64,
    },
    #[serde(rename = "response.reasoning_summary_text.done")]
    ReasoningSummaryTextDone {
        item_id: String,
        output_index: u32,
        summary_index: u32,
        text: String,
        sequence_number: u64,
    },
    #[serde(rename = "response.function_call_arguments.delta")]
    FunctionCallArgumentsDelta {
        item_id: String,
        output_index: u32,
        delta: String,
        sequence_number: u64,
    },
    #[serde(rename = "response.function_call_arguments.done")]
    FunctionCallArgumentsDone {
        item_id: String,
        output_index: u32,
        name: String,
        arguments: String,
        sequence_number: u64,
    },
    /// The last events: `response.completed` (or `response.incomplete` when the output was
    /// cut), or `error` then `response.failed` when the provider broke the stream off.
    #[serde(rename = "response.completed")]
    Completed {
        response: ResponsesResponse,
        sequence_number: u64,
    },
    #[serde(rename = "response.incomplete")]
    Incomplete {
        response: ResponsesResponse,
        sequence_number: u64,
    },
    #[serde(rename = "error")]
    Error {
        /// OpenAI's string code (`server_error`, `rate_limit_exceeded`...).
        code: String,
        message: String,
        #[schema(value_type = Option<String>)]
        param: Option<Value>,
        sequence_number: u64,
    },
    #[serde(rename = "response.failed")]
    Failed {
        response: ResponsesResponse,
        sequence_number: u64,
    },
}
