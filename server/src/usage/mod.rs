//! Usage: the batched writer of usage records (generations, key spend), and the queries that
//! read them.

pub mod generations;
pub mod record;
mod sql;
#[cfg(test)]
pub(crate) mod tests;
pub mod writer;
