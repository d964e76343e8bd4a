//! Server-sent events: an incremental parser for upstream streams, an emitter
//! for our own output, and an accumulator that folds chunks into a response.

pub mod accumulator;
pub mod emitter;
pub mod parser;

pub use accumulator::ChunkAccumulator;
pub use parser::{SseEvent, SseParser};
