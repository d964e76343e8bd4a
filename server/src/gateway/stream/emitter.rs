//! SSE framing for our own output, in the shape OpenRouter clients expect
//! (see fixtures/openrouter/chat_stream_*.sse).

use bytes::Bytes;
use serde::Serialize;

use crate::gateway::error::UpstreamError;
use crate::gateway::failure::{Failure, Reported};
use crate::gateway::types::{ChatChunk, Delta, FinishReason};

/// The keep-alive comment OpenRouter sends while waiting on an upstream.
pub const PROCESSING_COMMENT: &str = "OPENROUTER PROCESSING";

/// `data: <json>\n\n`.
pub fn data<T: Serialize>(value: &T) -> Bytes {
    let mut buf = b"data: ".to_vec();
    // Serializing our own types cannot fail (string keys, no NaN floats
    // from upstream since serde_json rejects them on input).
    serde_json::to_writer(&mut buf, value).expect("serializable chunk");
    buf.extend_from_slice(b"\n\n");
    Bytes::from(buf)
}

/// `: <text>\n\n`, ignored by SSE clients; keeps proxies from timing out.
pub fn comment(text: &str) -> Bytes {
    Bytes::from(format!(": {text}\n\n"))
}

pub fn keep_alive() -> Bytes {
    comment(PROCESSING_COMMENT)
}

pub fn done() -> Bytes {
    Bytes::from_static(b"data: [DONE]\n\n")
}

/// The in-band error chunk sent once a stream has started: the envelope
/// (`id`, `created`, `model`, `provider`) of `template`, a top-level `error`
/// and one choice with an empty delta and `finish_reason: "error"`.
pub fn error_chunk(template: &ChatChunk, error: &UpstreamError) -> ChatChunk {
    failure_chunk(template, &Failure::of(error, None, None, Reported::InBand))
}

/// [`error_chunk`] for a failure already put through the error table.
pub fn failure_chunk(template: &ChatChunk, failure: &Failure) -> ChatChunk {
    let mut chunk = ChatChunk::new(
        template.id.clone(),
        template.created,
        template.model.clone(),
    )
    .with_delta(0, Delta::content(""));
    chunk.provider.clone_from(&template.provider);
    chunk.choices[0].finish_reason = Some(FinishReason::Error);
    chunk.error = Some(failure.error_object());
    chunk
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::error::ErrorType;

    #[test]
    fn framing() {
        assert_eq!(&keep_alive()[..], b": OPENROUTER PROCESSING\n\n");
        assert_eq!(&done()[..], b"data: [DONE]\n\n");
        let chunk = ChatChunk::new("gen-1", 5, "m").with_delta(0, Delta::content("hi"));
        let out = String::from_utf8(data(&chunk).to_vec()).unwrap();
        assert!(out.starts_with("data: {\"id\":\"gen-1\""));
        assert!(out.ends_with("}\n\n"));
    }

    #[test]
    fn error_chunk_shape() {
        let mut t = ChatChunk::new("gen-abc123", 1234567890, "openai/gpt-4o");
        t.provider = Some("OpenAI".into());
        let e = UpstreamError::new(
            "openai",
            ErrorType::RateLimitExceeded,
            "Rate limit exceeded",
        );
        let v = serde_json::to_value(error_chunk(&t, &e)).unwrap();
        assert_eq!(v["error"]["code"], 429);
        assert_eq!(v["error"]["metadata"]["error_type"], "rate_limit_exceeded");
        assert_eq!(v["choices"][0]["finish_reason"], "error");
        assert_eq!(v["choices"][0]["delta"], serde_json::json!({"content": ""}));
        assert_eq!(v["provider"], "OpenAI");
        assert!(v.get("usage").is_none());
    }
}
