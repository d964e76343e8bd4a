//! Fixture loading and stream-driving helpers shared by the conformance tests.

use std::path::PathBuf;

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use serde_json::Value;

use crate::gateway::providers::{CallContext, ProviderAdapter, StreamEvent};
use crate::gateway::stream::ChunkAccumulator;
use crate::gateway::types::{ChatResponse, Usage};

pub const CREATED: u64 = 1_700_000_000;

/// `GATEWAY_FIXTURES_DIR` wins (for crates laid out elsewhere); otherwise the
/// repository's `tests/fixtures`, next to the server crate.
pub fn fixture_path(rel: &str) -> PathBuf {
    let base = std::env::var("GATEWAY_FIXTURES_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures").into());
    PathBuf::from(base).join(rel)
}

pub fn bytes(rel: &str) -> Vec<u8> {
    let p = fixture_path(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn json(rel: &str) -> Value {
    serde_json::from_slice(&bytes(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

pub fn ctx(model: &str) -> CallContext {
    CallContext::new(model, "test-key", CREATED)
}

/// What a whole stream decodes to.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub events: Vec<StreamEvent>,
    pub usage: Option<Usage>,
}

impl Decoded {
    pub fn chunks(&self) -> Vec<&crate::gateway::types::ChatChunk> {
        self.events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Chunk(c) => Some(c),
                StreamEvent::Error(_) => None,
            })
            .collect()
    }

    pub fn errors(&self) -> Vec<&crate::gateway::error::UpstreamError> {
        self.events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Error(e) => Some(e),
                StreamEvent::Chunk(_) => None,
            })
            .collect()
    }

    /// The chunks folded into a response, with the decoder's usage.
    pub fn response(&self) -> ChatResponse {
        let mut acc = ChunkAccumulator::new();
        for c in self.chunks() {
            assert!(c.usage.is_none(), "decoders never put usage on chunks");
            acc.push(c);
        }
        if let Some(u) = &self.usage {
            acc.set_usage(u.clone());
        }
        acc.finish()
    }
}

pub fn decode_pieces(
    adapter: &dyn ProviderAdapter,
    ctx: &CallContext,
    pieces: &[&[u8]],
) -> Decoded {
    let mut d = adapter.stream_decoder(ctx);
    let mut events = Vec::new();
    for p in pieces {
        events.extend(d.feed(p));
    }
    events.extend(d.finish());
    Decoded {
        events,
        usage: d.usage(),
    }
}

/// Tool call ids minted by an adapter (Gemini) differ per run; blank them
/// so runs compare equal.
fn without_minted_ids(mut d: Decoded) -> Decoded {
    for e in &mut d.events {
        if let StreamEvent::Chunk(c) = e {
            for ch in &mut c.choices {
                for tc in ch.delta.tool_calls.iter_mut().flatten() {
                    if tc.id.is_some() {
                        tc.id = Some("<id>".into());
                    }
                }
                for rd in ch.delta.reasoning_details.iter_mut().flatten() {
                    if rd.id.is_some() {
                        rd.id = Some("<id>".into());
                    }
                }
            }
        }
    }
    d
}

/// Decodes `input` whole, then split at every byte boundary, byte by byte,
/// and at random points; all must agree. Returns the whole-input result.
pub fn decode_any_split(adapter: &dyn ProviderAdapter, ctx: &CallContext, input: &[u8]) -> Decoded {
    let whole = decode_pieces(adapter, ctx, &[input]);
    let norm = without_minted_ids(whole.clone());
    for i in 0..=input.len() {
        let split = decode_pieces(adapter, ctx, &[&input[..i], &input[i..]]);
        assert_eq!(without_minted_ids(split), norm, "split at byte {i}");
    }
    let singles: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(
        without_minted_ids(decode_pieces(adapter, ctx, &singles)),
        norm,
        "byte by byte"
    );
    let mut rng = StdRng::seed_from_u64(input.len() as u64);
    for round in 0..20 {
        let mut pieces = Vec::new();
        let mut rest = input;
        while !rest.is_empty() {
            let n = rng.random_range(1..=rest.len().min(64));
            pieces.push(&rest[..n]);
            rest = &rest[n..];
        }
        assert_eq!(
            without_minted_ids(decode_pieces(adapter, ctx, &pieces)),
            norm,
            "random split round {round}"
        );
    }
    whole
}

/// The `data:` payloads of an SSE fixture, by a naive independent split.
pub fn naive_sse_data(raw: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(raw)
        .replace("\r\n", "\n")
        .lines()
        .filter_map(|l| l.strip_prefix("data:").map(|d| d.trim().to_string()))
        .collect()
}
