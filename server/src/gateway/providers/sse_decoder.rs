//! Glue between the SSE parser and a protocol's per-event logic, shared by
//! every adapter's stream decoder.

use crate::gateway::stream::{SseEvent, SseParser};
use crate::gateway::types::Usage;

use super::{StreamDecoder, StreamEvent};

/// A protocol's stream semantics, one SSE event at a time.
pub(crate) trait EventHandler: Send {
    fn on_event(&mut self, event: SseEvent, out: &mut Vec<StreamEvent>);
    /// The body ended; report truncation if the protocol's end was not seen.
    fn on_end(&mut self, out: &mut Vec<StreamEvent>);
    fn usage(&self) -> Option<Usage>;
}

pub(crate) struct SseDecoder<H> {
    parser: SseParser,
    handler: H,
    finished: bool,
}

impl<H: EventHandler> SseDecoder<H> {
    pub(crate) fn new(handler: H) -> Self {
        SseDecoder {
            parser: SseParser::new(),
            handler,
            finished: false,
        }
    }
}

impl<H: EventHandler> StreamDecoder for SseDecoder<H> {
    fn feed(&mut self, bytes: &[u8]) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        for ev in self.parser.feed(bytes) {
            self.handler.on_event(ev, &mut out);
        }
        out
    }

    fn finish(&mut self) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        if std::mem::replace(&mut self.finished, true) {
            return out;
        }
        if let Some(ev) = self.parser.finish() {
            self.handler.on_event(ev, &mut out);
        }
        self.handler.on_end(&mut out);
        out
    }

    fn usage(&self) -> Option<Usage> {
        self.handler.usage()
    }
}
