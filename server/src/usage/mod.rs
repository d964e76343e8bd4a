//! Usage: the batched writer of usage records (generations, key spend), and the queries that
//! read them.

pub mod analytics;
mod commit;
pub mod content;
pub mod dead_letter;
pub mod generations;
pub mod histogram;
pub mod query;
pub mod record;
pub mod retention;
pub mod rollup;
pub mod spend_changed;
mod sql;
#[cfg(test)]
pub(crate) mod tests;
pub mod writer;
