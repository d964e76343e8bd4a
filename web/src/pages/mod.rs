//! One module per page, laid out by URL.

pub mod admin;
pub mod app;
pub mod auth;
pub mod not_found;
pub mod public;
