//! Behaviour knobs: timing, reply shaping and fault injection.
//!
//! One set of names serves every way of setting a knob, so a scenario reads the same wherever it
//! is written:
//! - emulator-wide defaults: [`crate::EmulatorConfig::knobs`], [`crate::RunningEmulator::set_knobs`],
//!   `POST /_emulator/knobs`, or the binary's `--<name> <value>` flags;
//! - per request, as a header `x-emulator-<name>: <value>`;
//! - per request, as a directive anywhere in the request body text:
//!   `[[emulator: <name>=<value> <name>=<value>]]`. A gateway forwards prompt text verbatim but not
//!   arbitrary headers, so the directive is how a test steers the emulator *through* the gateway.
//!
//! Later layers override earlier ones: defaults, then headers, then the directive.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Header prefix of the per-request knobs.
pub const HEADER_PREFIX: &str = "x-emulator-";
/// Opening of the in-body directive.
pub const DIRECTIVE_OPEN: &str = "[[emulator:";
/// Closing of the in-body directive.
pub const DIRECTIVE_CLOSE: &str = "]]";

/// Every knob. `None`/zero means "behave like the real provider".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Knobs {
    /// `latency-ms`: delay before the response headers.
    pub latency_ms: u64,
    /// `ttft-ms`: delay before the first frame carrying model output (streams), or added to the
    /// latency (non-stream).
    pub ttft_ms: u64,
    /// `chunk-delay-ms`: delay between later stream frames.
    pub chunk_delay_ms: u64,
    /// `chunks`: split the streamed reply into this many content chunks (default: one per token).
    pub chunks: Option<usize>,
    /// `reply`: fixed reply text instead of the echo.
    pub reply: Option<String>,
    /// `reply-tokens`: pad or cut the reply to exactly this many tokens (before max_tokens).
    pub reply_tokens: Option<usize>,
    /// `status`: answer with this HTTP error status and the provider's error body.
    pub status: Option<u16>,
    /// `fail-first`: only the first N requests (per `scenario`) get `status` (default 500).
    pub fail_first: Option<u32>,
    /// `scenario`: key of the `fail-first` counter, so concurrent tests do not share it.
    pub scenario: Option<String>,
    /// `retry-after`: seconds for the `Retry-After` header (sent on 429, default 1).
    pub retry_after: Option<u64>,
    /// `disconnect-after`: close the connection abruptly after K stream frames; on a
    /// non-streamed OpenAI reply, after the first half of the body (K is ignored).
    pub disconnect_after: Option<usize>,
    /// `malformed-after`: insert one unparsable event after K stream frames.
    pub malformed_after: Option<usize>,
    /// `stream-error-after`: after K frames send the provider's in-band error and end the stream.
    pub stream_error_after: Option<usize>,
    /// `usage-null-chunks`: OpenAI only: put `"usage":null` on every chunk when
    /// `stream_options.include_usage` is set (what the live API does; the recorded fixture omits it).
    pub usage_null_chunks: bool,
    /// `cached-tokens`: OpenAI only: report this many prompt tokens (at most all of them) as
    /// read from the provider's prompt cache (`usage.prompt_tokens_details.cached_tokens`).
    pub cached_tokens: Option<usize>,
}

/// A knob name or value that could not be understood.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KnobError {
    #[error("unknown emulator knob `{0}`")]
    Unknown(String),
    #[error("emulator knob `{name}`: cannot parse `{value}`")]
    BadValue { name: String, value: String },
}

fn parse<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, KnobError> {
    value.trim().parse().map_err(|_| KnobError::BadValue {
        name: name.to_owned(),
        value: value.to_owned(),
    })
}

fn parse_bool(name: &str, value: &str) -> Result<bool, KnobError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(KnobError::BadValue {
            name: name.to_owned(),
            value: value.to_owned(),
        }),
    }
}

impl Knobs {
    /// Sets one knob by name (`latency-ms`, `latency_ms` and `LATENCY-MS` are the same knob).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), KnobError> {
        let key = name.trim().to_ascii_lowercase().replace('_', "-");
        match key.as_str() {
            "latency-ms" => self.latency_ms = parse(&key, value)?,
            "ttft-ms" => self.ttft_ms = parse(&key, value)?,
            "chunk-delay-ms" => self.chunk_delay_ms = parse(&key, value)?,
            "chunks" => self.chunks = Some(parse(&key, value)?),
            "reply" => self.reply = Some(value.to_owned()),
            "reply-tokens" => self.reply_tokens = Some(parse(&key, value)?),
            "status" => self.status = Some(parse(&key, value)?),
            "fail-first" => self.fail_first = Some(parse(&key, value)?),
            "scenario" => self.scenario = Some(value.trim().to_owned()),
            "retry-after" => self.retry_after = Some(parse(&key, value)?),
            "disconnect-after" => self.disconnect_after = Some(parse(&key, value)?),
            "malformed-after" => self.malformed_after = Some(parse(&key, value)?),
            "stream-error-after" => self.stream_error_after = Some(parse(&key, value)?),
            "usage-null-chunks" => self.usage_null_chunks = parse_bool(&key, value)?,
            "cached-tokens" => self.cached_tokens = Some(parse(&key, value)?),
            _ => return Err(KnobError::Unknown(name.to_owned())),
        }
        Ok(())
    }

    /// Applies every `x-emulator-*` header.
    pub fn apply_headers(
        &mut self,
        headers: &actix_web::http::header::HeaderMap,
    ) -> Result<(), KnobError> {
        for (name, value) in headers {
            if let Some(knob) = name.as_str().strip_prefix(HEADER_PREFIX) {
                let value = value.to_str().map_err(|_| KnobError::BadValue {
                    name: knob.to_owned(),
                    value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
                })?;
                self.set(knob, value)?;
            }
        }
        Ok(())
    }

    /// Applies the first `[[emulator: k=v ...]]` directive found in a raw request body.
    ///
    /// The body is searched as bytes, so the directive works inside any JSON string of any
    /// provider's format (values cannot contain spaces, quotes or backslashes).
    pub fn apply_directive(&mut self, body: &[u8]) -> Result<(), KnobError> {
        let Some(start) = memchr::memmem::find(body, DIRECTIVE_OPEN.as_bytes()) else {
            return Ok(());
        };
        let rest = &body[start + DIRECTIVE_OPEN.len()..];
        let end = memchr::memmem::find(rest, DIRECTIVE_CLOSE.as_bytes()).unwrap_or(rest.len());
        let text = String::from_utf8_lossy(&rest[..end]);
        for item in text.split_whitespace() {
            let (name, value) = item.split_once('=').unwrap_or((item, ""));
            self.set(name, value)?;
        }
        Ok(())
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms)
    }
    pub fn ttft(&self) -> Duration {
        Duration::from_millis(self.ttft_ms)
    }
    pub fn chunk_delay(&self) -> Duration {
        Duration::from_millis(self.chunk_delay_ms)
    }
}

/// Removes a `[[emulator: ...]]` directive from a prompt so the echo does not repeat it.
pub fn strip_directive(text: &str) -> std::borrow::Cow<'_, str> {
    match text.find(DIRECTIVE_OPEN) {
        None => std::borrow::Cow::Borrowed(text),
        Some(start) => {
            let after = &text[start..];
            let end = after
                .find(DIRECTIVE_CLOSE)
                .map(|e| start + e + DIRECTIVE_CLOSE.len())
                .unwrap_or(text.len());
            let before = text[..start].trim_end();
            let after = text[end..].trim_start();
            let joined = match (before.is_empty(), after.is_empty()) {
                (true, _) => after.to_owned(),
                (_, true) => before.to_owned(),
                _ => format!("{before} {after}"),
            };
            std::borrow::Cow::Owned(joined)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised() {
        let mut k = Knobs::default();
        k.set("LATENCY_MS", "5").unwrap();
        k.set("fail-first", "2").unwrap();
        assert_eq!(k.latency_ms, 5);
        assert_eq!(k.fail_first, Some(2));
        assert!(k.set("nope", "1").is_err());
        assert!(k.set("chunks", "x").is_err());
    }

    #[test]
    fn directive_in_body() {
        let mut k = Knobs::default();
        k.apply_directive(br#"{"content":"hi [[emulator: status=429 retry-after=7]] there"}"#)
            .unwrap();
        assert_eq!(k.status, Some(429));
        assert_eq!(k.retry_after, Some(7));
        assert_eq!(
            strip_directive("hi [[emulator: status=429]] there"),
            "hi there"
        );
        assert_eq!(strip_directive("[[emulator: status=429]] there"), "there");
        assert_eq!(strip_directive("hi [[emulator: x=1]]"), "hi");
    }
}
