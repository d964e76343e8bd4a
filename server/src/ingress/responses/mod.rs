//! The OpenAI Responses API (`POST /api/v1/responses`), stateless, in OpenRouter's shape.

pub mod doc;
pub mod error;
pub mod request;
pub mod response;
pub mod stream;

pub use request::{ResponsesRequest, to_chat};
pub use response::{Echo, render};
pub use stream::Renderer;
