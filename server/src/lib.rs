//! Switchboard: a self-hostable, OpenAI- and OpenRouter-compatible LLM gateway.
//!
//! Layers, with dependencies pointing one way: `api` (HTTP) -> `accounts`, `billing`
//! -> `entity` (tables). See ARCHITECTURE in the project's shared notes.

pub mod accounts;
pub mod alerts;
pub mod api;
pub mod app;
pub mod billing;
pub mod catalog_store;
pub mod commands;
pub mod config;
pub mod db;
pub mod fingerprint;
pub mod gateway;
pub mod ids;
pub mod inference;
pub mod ingress;
pub mod limits;
pub mod logging;
pub mod metrics;
pub mod otlp;
pub mod state;
pub mod usage;
