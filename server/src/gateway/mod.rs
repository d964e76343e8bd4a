//! The LLM gateway core: canonical types, provider adapters and SSE plumbing.
//!
//! Everything here takes plain values and returns plain values (or incremental
//! decoders), so it can be tested without a server, a database or a network.
//! The HTTP layer picks an adapter from [`providers::ProviderRegistry`] by the
//! endpoint's protocol name and never branches on the provider itself.

pub mod catalog;
pub mod error;
pub mod failure;
pub mod health;
pub mod legacy;
pub mod providers;
pub mod relay;
pub mod routing;
pub mod stream;
pub mod types;
pub mod upstream;

#[cfg(test)]
mod tests;

pub use error::{ErrorType, TranslateError, UpstreamError};
pub use providers::{
    CallContext, ProviderAdapter, ProviderRegistry, StreamDecoder, StreamEvent, UpstreamRequest,
};
