//! The Anthropic Messages API (`POST /api/v1/messages`).

pub mod doc;
pub mod error;
pub mod request;
pub mod response;
pub mod stream;

pub use request::{MessagesRequest, to_chat};
pub use response::render;
pub use stream::Renderer;
