//! Prompt-cache stickiness: once a provider served a prompt from its cache, the next request
//! of the same organization for the same model with the same prompt prefix goes to that
//! provider again, so the cache keeps paying off. Entries expire after 10 idle minutes (the
//! providers' own cache lifetimes are 5–10 minutes); the cache is bounded. An explicit
//! `provider.order` overrides stickiness.
//!
//! **The prefix.** If any message part carries a `cache_control` breakpoint, the prefix is
//! every message up to and including the last such message; otherwise it is the first
//! [`PREFIX_BYTES`] bytes of the conversation's text (role-tagged, in order). Providers only
//! cache prompts of 1024 tokens or more (about 4 KB), so a conversation that grows turn by
//! turn keeps the same key once it is worth caching.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use crate::gateway::types::{ChatRequest, ContentPart, MessageContent};

/// Bytes of conversation text hashed when there is no cache breakpoint.
pub const PREFIX_BYTES: usize = 4096;
/// Entries kept at most.
pub const CAPACITY: u64 = 100_000;
/// Idle lifetime of an entry.
pub const IDLE: Duration = Duration::from_secs(600);

/// `(organization, model, prompt prefix)` as one hash.
pub type StickyKey = u64;

#[derive(Clone)]
pub struct StickyCache {
    providers: moka::sync::Cache<StickyKey, Arc<str>>,
}

impl Default for StickyCache {
    fn default() -> Self {
        Self::new(CAPACITY, IDLE)
    }
}

impl StickyCache {
    pub fn new(capacity: u64, idle: Duration) -> Self {
        StickyCache {
            providers: moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_idle(idle)
                .build(),
        }
    }

    /// The provider slug a prompt is stuck to.
    pub fn get(&self, key: StickyKey) -> Option<Arc<str>> {
        self.providers.get(&key)
    }

    /// After a response whose prompt was (partly) read from `provider_slug`'s cache.
    pub fn remember(&self, key: StickyKey, provider_slug: &str) {
        self.providers.insert(key, Arc::from(provider_slug));
    }
}

/// The key of a request for `org_id` and `model_id` (see the module documentation).
pub fn key(org_id: &str, model_id: &str, request: &ChatRequest) -> StickyKey {
    let mut h = DefaultHasher::new();
    org_id.hash(&mut h);
    model_id.hash(&mut h);
    let breakpoint = request.messages.iter().rposition(|m| match &m.content {
        Some(MessageContent::Parts(parts)) => parts.iter().any(|p| {
            matches!(
                p,
                ContentPart::Text {
                    cache_control: Some(_),
                    ..
                } | ContentPart::ImageUrl {
                    cache_control: Some(_),
                    ..
                } | ContentPart::File {
                    cache_control: Some(_),
                    ..
                }
            )
        }),
        _ => m.extra.contains_key("cache_control"),
    });
    let limit = if breakpoint.is_some() {
        usize::MAX
    } else {
        PREFIX_BYTES
    };
    let messages = match breakpoint {
        Some(last) => &request.messages[..=last],
        None => &request.messages[..],
    };
    let mut left = limit;
    for m in messages {
        if left == 0 {
            break;
        }
        (m.role as u8).hash(&mut h);
        match &m.content {
            Some(MessageContent::Text(t)) => feed(t, &mut left, &mut h),
            Some(MessageContent::Parts(parts)) => {
                for p in parts {
                    match p {
                        ContentPart::Text { text, .. } => feed(text, &mut left, &mut h),
                        ContentPart::ImageUrl { image_url, .. } => {
                            feed(&image_url.url, &mut left, &mut h)
                        }
                        _ => {}
                    }
                }
            }
            None => {}
        }
    }
    h.finish()
}

/// Hashes up to `left` bytes of `text` (whole characters) and counts them off.
fn feed(text: &str, left: &mut usize, h: &mut DefaultHasher) {
    let take = floor_char_boundary(text, (*left).min(text.len()));
    h.write(&text.as_bytes()[..take]);
    *left -= take;
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}
