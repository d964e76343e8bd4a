//! Conformance tests driven by the recorded provider fixtures in
//! `tests/fixtures/`. Every fixture file is covered (see `coverage.rs`).

mod anthropic;
mod coverage;
mod empty_tool_arguments;
mod gemini;
mod gemini_embeddings;
mod ingress_messages;
mod ingress_responses;
mod ingress_responses_stream;
mod openai;
mod openrouter;
mod support;
mod yaml;
