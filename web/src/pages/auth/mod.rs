//! `/login` and `/signup`.

pub mod form;
pub mod login;
pub mod signup;
