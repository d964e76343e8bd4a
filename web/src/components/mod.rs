//! Pieces shared by several pages.

pub mod budget_form;
pub mod chart;
pub mod chrome;
pub mod code;
pub mod confirm_button;
pub mod copy_button;
pub mod field;
pub mod status;
pub mod submission;
