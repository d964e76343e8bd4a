//! OpenRouter's `reasoning_details`: provider reasoning kept losslessly so it
//! can be sent back on the next turn (signatures, encrypted blobs).

use serde::{Deserialize, Serialize};

/// One reasoning detail. Kept as a flat struct rather than an enum so that
/// unknown detail types from clients round-trip instead of failing to parse.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReasoningDetail {
    /// `reasoning.text`, `reasoning.summary` or `reasoning.encrypted`.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// For Gemini, the tool call id a thought signature belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Which provider family produced it, e.g. `anthropic-claude-v1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
}

impl ReasoningDetail {
    pub const TEXT: &'static str = "reasoning.text";
    pub const SUMMARY: &'static str = "reasoning.summary";
    pub const ENCRYPTED: &'static str = "reasoning.encrypted";

    pub const FORMAT_ANTHROPIC: &'static str = "anthropic-claude-v1";
    pub const FORMAT_GEMINI: &'static str = "google-gemini-v1";

    pub fn text(text: impl Into<String>, format: &str, index: u32) -> Self {
        ReasoningDetail {
            kind: Self::TEXT.into(),
            text: Some(text.into()),
            format: Some(format.into()),
            index: Some(index),
            ..Default::default()
        }
    }

    pub fn encrypted(data: impl Into<String>, format: &str, index: u32) -> Self {
        ReasoningDetail {
            kind: Self::ENCRYPTED.into(),
            data: Some(data.into()),
            format: Some(format.into()),
            index: Some(index),
            ..Default::default()
        }
    }

    /// Merges a streamed fragment into this detail (same index): text is
    /// appended, opaque fields are taken from whichever side has them.
    pub fn merge(&mut self, next: &ReasoningDetail) {
        fn append(dst: &mut Option<String>, src: &Option<String>) {
            if let Some(s) = src {
                dst.get_or_insert_with(String::new).push_str(s);
            }
        }
        append(&mut self.text, &next.text);
        append(&mut self.summary, &next.summary);
        append(&mut self.data, &next.data);
        append(&mut self.signature, &next.signature);
        if self.id.is_none() {
            self.id.clone_from(&next.id);
        }
        if self.format.is_none() {
            self.format.clone_from(&next.format);
        }
    }
}
