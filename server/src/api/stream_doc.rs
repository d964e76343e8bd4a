//! Document-only schemas of the inference endpoints' `text/event-stream` answers.
//!
//! OpenAPI 3.1 has no schema for the items of a stream; as OpenAPI 3.2's `itemSchema` (and
//! schemathesis, reading a 3.1 document) take it, the media type's `schema` describes one event
//! as an SSE parser yields it: `data`, the event's payload as text, whose JSON form is the
//! canonical type named by `contentSchema` (the same type the server serializes, so the two
//! cannot drift), and `event`, the event's name. Keep-alive comments are not events.

#![allow(dead_code)] // types for the document, never built

use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Ref, Schema, Type};

/// The schema component `name` as a string's JSON content.
fn json_of(name: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .content_media_type("application/json")
        .content_schema(Some(Ref::from_schema_name(name)))
}

/// `data` of the OpenAI-style streams: a chunk as JSON, or `[DONE]` at the end.
fn chunk_or_done(name: &str, description: &str) -> RefOr<Schema> {
    AnyOfBuilder::new()
        .item(json_of(name))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["[DONE]"])),
        )
        .description(Some(description))
        .into()
}

fn chat_data() -> RefOr<Schema> {
    chunk_or_done(
        "ChatChunk",
        "A `ChatChunk` as JSON (the last one carries `usage`), then `[DONE]`; a stream the \
         provider broke off ends instead with a chunk carrying `error`.",
    )
}

fn text_data() -> RefOr<Schema> {
    chunk_or_done(
        "CompletionResponse",
        "A `CompletionResponse` chunk (`text_completion`) as JSON, then `[DONE]`.",
    )
}

/// One event of a `chat.completion.chunk` stream.
#[derive(ToSchema)]
pub struct ChatStreamEvent {
    #[schema(schema_with = chat_data)]
    data: String,
    /// `message` (the events are unnamed).
    event: Option<String>,
}

/// One event of a legacy `text_completion` stream.
#[derive(ToSchema)]
pub struct CompletionStreamEvent {
    #[schema(schema_with = text_data)]
    data: String,
    /// `message` (the events are unnamed).
    event: Option<String>,
}

/// A payload as the `data` of named events (no `[DONE]` follows them).
fn named(name: &str, description: &str) -> RefOr<Schema> {
    json_of(name).description(Some(description)).into()
}

fn responses_data() -> RefOr<Schema> {
    named(
        "ResponsesStreamPayload",
        "The event's payload as JSON: `response.created`, `response.in_progress`, then the \
         output items' events, and `response.completed` (or `response.incomplete`); a stream \
         the provider broke off ends with `error` and `response.failed`.",
    )
}

fn messages_data() -> RefOr<Schema> {
    named(
        "MessagesStreamPayload",
        "The event's payload as JSON: `message_start`, `ping`, the content blocks' \
         `content_block_start`/`_delta`/`_stop`, `message_delta` (stop reason and usage), \
         `message_stop`; a stream the provider broke off ends with `error`.",
    )
}

/// One event of a Responses API stream.
#[derive(ToSchema)]
pub struct ResponsesStreamEvent {
    #[schema(schema_with = responses_data)]
    data: String,
    /// The payload's `type` (`response.output_text.delta`...).
    #[schema(pattern = r"^(response\.[a-z_.]+|error)$")]
    event: String,
}

/// One event of an Anthropic Messages stream.
#[derive(ToSchema)]
pub struct MessagesStreamEvent {
    #[schema(schema_with = messages_data)]
    data: String,
    /// The payload's `type` (`content_block_delta`...).
    #[schema(
        pattern = "^(message_start|ping|content_block_start|content_block_delta|content_block_stop|message_delta|message_stop|error)$"
    )]
    event: String,
}
