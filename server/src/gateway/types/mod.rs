//! Canonical request/response/chunk types: the OpenAI chat completions format
//! plus OpenRouter's extras. Every adapter translates to and from these.

pub mod chunk;
pub mod completions;
pub mod content;
pub mod embeddings;
pub mod reasoning;
pub mod request;
pub mod response;
pub mod usage;

pub use chunk::{ChatChunk, ChunkChoice, Delta, FunctionCallDelta, ToolCallDelta};
pub use completions::{CompletionChoice, CompletionRequest, CompletionResponse};
pub use content::{ContentPart, DataUri, FileData, ImageUrl, InputAudio, MessageContent};
pub use embeddings::{
    Embedding, EmbeddingInput, EmbeddingRequest, EmbeddingResponse, EmbeddingVector,
};
pub use reasoning::ReasoningDetail;
pub use request::{
    ChatRequest, FunctionDef, JsonSchemaFormat, Message, NativeBody, ReasoningConfig,
    ResponseFormat, Role, Stop, StreamOptions, Tool, ToolChoice, UsageOptions,
};
pub use response::{ChatResponse, Choice, FinishReason, FunctionCall, ResponseMessage, ToolCall};
pub use usage::{CompletionTokensDetails, PromptTokensDetails, Usage};
