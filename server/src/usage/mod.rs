//! Usage: the batched writer of generation records, and the queries that read them.

mod batch_sql;
pub mod generations;
mod sqlite_batch;
pub mod writer;
