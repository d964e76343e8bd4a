//! Users, organizations, sessions, API keys and the admin audit log: the data layer for
//! everything a tenant owns. Tenant data is only reachable through an [`tenant::OrgScope`];
//! API keys only through a [`key_rules::KeyAccess`], whose changes invalidate the key cache.
//! What the API shows is built here, in the shared `api_types` shapes.

pub mod admin;
pub mod api_keys;
pub mod audit;
pub mod bootstrap;
pub mod byok;
pub mod key_cache;
pub mod key_rules;
pub mod key_views;
pub mod organizations;
pub mod passwords;
pub mod privacy;
pub mod roles;
pub mod routing_defaults;
pub mod sessions;
pub mod tenant;
pub mod users;

use sea_orm::{DbErr, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("Invalid email or password")]
    InvalidCredentials,
    #[error("An account with this email already exists")]
    EmailTaken,
    /// Bad input; the message names the field.
    #[error("{0}")]
    Invalid(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("Session expired or revoked; log in again")]
    SessionInvalid,
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl AccountError {
    pub fn invalid(message: impl Into<String>) -> Self {
        AccountError::Invalid(message.into())
    }
}

/// True when a database error is a unique-constraint violation (a lost race on insert).
pub(crate) fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
