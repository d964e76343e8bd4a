//! Usage: the batched writer of generation records, and the queries that read them.

pub mod generations;
pub mod writer;
