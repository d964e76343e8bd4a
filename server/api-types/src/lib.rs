//! The request and response types of Switchboard's account, key, catalog and admin APIs, shared by the
//! server (which renders them) and the web app (which reads and sends them), so the dashboard
//! never keeps a copy. Only serde and chrono here: the crate compiles for
//! `wasm32-unknown-unknown`. With the feature `openapi`, every type also derives
//! `utoipa::ToSchema` for the server's OpenAPI document.
//!
//! Money is USD as a JSON number ([`money::Usd`]), OpenRouter's representation. The server
//! computes in exact integers and converts at the edge; the types here only carry the figure.

pub mod account;
pub mod admin;
pub mod alerts;
pub mod analytics;
pub mod byok;
pub mod catalog;
pub mod credits;
pub mod error;
pub mod keys;
pub mod money;
pub mod organizations;
pub mod privacy;

pub use money::Usd;
