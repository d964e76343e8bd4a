//! Document-only schemas of `POST /messages`: the grammar `request.rs` parses by hand (turns,
//! content blocks per role, tools, `tool_choice`, `thinking`), the message `response.rs`
//! renders and the stream events `stream.rs` emits. The parser reads `serde_json::Value`s to
//! name the field at fault, so these types state its rules; `tests` below check the schema and
//! the parser agree on fixtures, and tests/openapi_answers.rs checks real answers against the
//! rendered ones.
//!
//! What the parser ignores (unknown fields, `cache_control` contents) stays allowed; what it
//! refuses (a `tool_use` block in a user turn, a `tool_choice` without `type`) is outside.

#![allow(dead_code)] // types for the document, never built

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A turn of `messages`; the blocks a turn may hold depend on its role.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum MessagesTurn {
    User(MessagesUserTurn),
    Assistant(MessagesAssistantTurn),
    /// A system turn between the others (as Claude Code sends them).
    System(MessagesSystemTurn),
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessagesUserRole {
    User,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessagesAssistantRole {
    Assistant,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessagesSystemRole {
    System,
}

#[derive(Deserialize, ToSchema)]
pub struct MessagesUserTurn {
    role: MessagesUserRole,
    content: MessagesUserContent,
}

#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum MessagesUserContent {
    Text(String),
    /// At least one block (`crate::ingress::document_rules`).
    Blocks(Vec<MessagesUserBlock>),
}

#[derive(Deserialize, ToSchema)]
pub struct MessagesAssistantTurn {
    role: MessagesAssistantRole,
    content: MessagesAssistantContent,
}

#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum MessagesAssistantContent {
    Text(String),
    Blocks(Vec<MessagesAssistantBlock>),
}

#[derive(Deserialize, ToSchema)]
pub struct MessagesSystemTurn {
    role: MessagesSystemRole,
    content: MessagesSystem,
}

/// `system` (and a system turn's content): text, or text, image and document blocks.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum MessagesSystem {
    Text(String),
    Blocks(Vec<MessagesContentBlock>),
}

/// A block any turn may hold.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessagesContentBlock {
    Text {
        text: Option<String>,
        #[schema(value_type = Option<Object>)]
        cache_control: Option<Value>,
    },
    Image {
        source: MessagesSource,
        #[schema(value_type = Option<Object>)]
        cache_control: Option<Value>,
    },
    Document {
        source: MessagesSource,
        title: Option<String>,
        #[schema(value_type = Option<Object>)]
        cache_control: Option<Value>,
    },
}

/// A block of a user turn: those of any turn, and tool results.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessagesUserBlock {
    Text {
        text: Option<String>,
        #[schema(value_type = Option<Object>)]
        cache_control: Option<Value>,
    },
    Image {
        source: MessagesSource,
        #[schema(value_type = Option<Object>)]
        cache_control: Option<Value>,
    },
    Document {
        source: MessagesSource,
        title: Option<String>,
        #[schema(value_type = Option<Object>)]
        cache_control: Option<Value>,
    },
    ToolResult {
        tool_use_id: String,
        /// Text, or text, image and document blocks.
        content: Option<MessagesSystem>,
        is_error: Option<bool>,
        #[schema(value_type = Option<Object>)]
        cache_control: Option<Value>,
    },
}

/// A block of an assistant turn: those of any turn, tool calls and thinking.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessagesAssistantBlock {
    Text {
        text: Option<String>,
        #[schema(value_type = Option<Object>)]
        cache_control: Option<Value>,
    },
    Image {
        source: MessagesSource,
        #[schema(value_type = Option<Object>)]
        cache_control: Option<Value>,
    },
    Document {
        source: MessagesSource,
        title: Option<String>,
        #[schema(value_type = Option<Object>)]
        cache_control: Option<Value>,
    },
    ToolUse {
        id: Option<String>,
        name: Option<String>,
        #[schema(value_type = Option<Object>)]
        input: Option<Value>,
    },
    Thinking {
        thinking: Option<String>,
        signature: Option<String>,
    },
    RedactedThinking {
        data: Option<String>,
    },
}

/// An image's or a document's data.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessagesSource {
    Base64 {
        media_type: Option<String>,
        data: Option<String>,
    },
    Url {
        url: Option<String>,
    },
    /// A plain-text document.
    Text {
        data: Option<String>,
    },
}

/// A tool: client tools (`input_schema`) are served; server tools (a dated `type` such as
/// `web_search_20250305`) are accepted and dropped.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum MessagesTool {
    Client(MessagesClientTool),
    Server(MessagesServerTool),
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessagesCustomType {
    Custom,
}

#[derive(Deserialize, ToSchema)]
pub struct MessagesClientTool {
    #[serde(rename = "type")]
    kind: Option<MessagesCustomType>,
    name: String,
    description: Option<String>,
    /// A JSON Schema of the input.
    #[schema(value_type = Option<Object>)]
    input_schema: Option<Value>,
    strict: Option<bool>,
    #[schema(value_type = Option<Object>)]
    cache_control: Option<Value>,
}

#[derive(Deserialize, ToSchema)]
pub struct MessagesServerTool {
    #[serde(rename = "type")]
    #[schema(pattern = r"^[a-z][a-z0-9_]*_[0-9]{8}$")]
    kind: String,
}

/// `tool_choice`.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessagesToolChoice {
    Auto {
        disable_parallel_tool_use: Option<bool>,
    },
    Any {
        disable_parallel_tool_use: Option<bool>,
    },
    None {},
    Tool {
        name: String,
        disable_parallel_tool_use: Option<bool>,
    },
}

/// `thinking`: a budget, the model's own choice (`adaptive`), or none.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessagesThinking {
    Enabled {
        #[schema(minimum = 0)]
        budget_tokens: Option<u64>,
    },
    Adaptive {},
    Disabled {},
}

/// `metadata`: `user_id` becomes the request's user.
#[derive(Deserialize, ToSchema)]
pub struct MessagesMetadata {
    user_id: Option<String>,
}

// ---- the message ----

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessagesMessageType {
    Message,
}

/// A `message`: the whole answer, or (empty, `stop_reason` null) the stream's `message_start`.
#[derive(Deserialize, ToSchema)]
pub struct MessagesMessage {
    /// The generation id.
    id: String,
    #[serde(rename = "type")]
    kind: MessagesMessageType,
    role: MessagesAssistantRole,
    model: String,
    content: Vec<MessagesResponseBlock>,
    stop_reason: Option<MessagesStopReason>,
    #[schema(value_type = Option<String>)]
    stop_sequence: Option<Value>,
    usage: MessagesUsage,
    /// The provider that served it (OpenRouter's extra).
    #[serde(default)]
    provider: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessagesStopReason {
    EndTurn,
    MaxTokens,
    StopSequence,
    ToolUse,
    PauseTurn,
    Refusal,
    ModelContextWindowExceeded,
}

/// A content block of the answer.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessagesResponseBlock {
    Text {
        text: String,
    },
    Thinking {
        thinking: String,
        signature: String,
    },
    RedactedThinking {
        data: String,
    },
    ToolUse {
        id: String,
        name: String,
        #[schema(value_type = Object)]
        input: Value,
    },
}

/// Anthropic's usage: `input_tokens` excludes the cached ones.
#[derive(Deserialize, ToSchema)]
pub struct MessagesUsage {
    input_tokens: u64,
    cache_creation_input_tokens: u64,
    cache_read_input_tokens: u64,
    output_tokens: u64,
    /// The cost in USD (OpenRouter's extra).
    #[serde(default)]
    cost: Option<f64>,
}

// ---- the stream ----

/// The JSON payload of a stream event; `type` is also the event's name.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessagesStreamPayload {
    MessageStart {
        message: MessagesMessage,
    },
    Ping {},
    ContentBlockStart {
        index: u32,
        content_block: MessagesResponseBlock,
    },
    ContentBlockDelta {
        index: u32,
        delta: MessagesDelta,
    },
    ContentBlockStop {
        index: u32,
    },
    MessageDelta {
        delta: MessagesMessageDelta,
        usage: MessagesUsage,
    },
    MessageStop {},
    /// A stream the provider broke off ends with an error event (Anthropic's envelope).
    Error {
        #[schema(value_type = super::error::ErrorDetail)]
        error: Value,
    },
}

#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MessagesDelta {
    TextDelta { text: String },
    ThinkingDelta { thinking: String },
    SignatureDelta { signature: String },
    InputJsonDelta { partial_json: String },
}

#[derive(Deserialize, ToSchema)]
pub struct MessagesMessageDelta {
    stop_reason: MessagesStopReason,
    #[schema(value_type = Option<String>)]
    stop_sequence: Option<Value>,
}
