//! Message content: a plain string or a list of typed parts.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `content` of a message: OpenAI accepts either form, and so do we.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum MessageContent {
    Text(String),
    Parts(Vec<ContentPart>),
}

impl MessageContent {
    /// Image parts, which endpoints may price per image.
    pub fn image_count(&self) -> u64 {
        match self {
            MessageContent::Text(_) => 0,
            MessageContent::Parts(parts) => parts
                .iter()
                .filter(|p| matches!(p, ContentPart::ImageUrl { .. }))
                .count() as u64,
        }
    }

    /// All text parts joined; non-text parts are ignored.
    pub fn joined_text(&self) -> String {
        match self {
            MessageContent::Text(t) => t.clone(),
            MessageContent::Parts(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    ContentPart::Text { text, .. } => Some(text.as_str()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join(""),
        }
    }

    /// The content as parts, turning a plain string into one text part.
    pub fn to_parts(&self) -> Vec<ContentPart> {
        match self {
            MessageContent::Text(t) => vec![ContentPart::Text {
                text: t.clone(),
                cache_control: None,
            }],
            MessageContent::Parts(p) => p.clone(),
        }
    }
}

/// One part of a multi-part message. `cache_control` is Anthropic's prompt
/// caching marker, which OpenRouter accepts on parts and passes through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    Text {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<Value>,
    },
    ImageUrl {
        image_url: ImageUrl,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<Value>,
    },
    InputAudio {
        input_audio: InputAudio,
    },
    File {
        file: FileData,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<Value>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImageUrl {
    /// An http(s) URL or a `data:` URI.
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InputAudio {
    /// Base64 audio bytes.
    pub data: String,
    /// `wav`, `mp3`, ...
    pub format: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FileData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// A `data:` URI (OpenRouter also accepts a URL here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_data: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
}

/// A parsed `data:<mime>;base64,<data>` URI. Only base64 URIs are accepted:
/// every provider that takes inline bytes wants base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataUri<'a> {
    pub mime_type: &'a str,
    pub data: &'a str,
}

impl<'a> DataUri<'a> {
    pub fn parse(uri: &'a str) -> Option<Self> {
        let rest = uri.strip_prefix("data:")?;
        let (meta, data) = rest.split_once(',')?;
        let mime_type = meta.strip_suffix(";base64")?;
        Some(DataUri {
            mime_type: if mime_type.is_empty() {
                "application/octet-stream"
            } else {
                mime_type
            },
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_uri_parses_base64_only() {
        let d = DataUri::parse("data:image/png;base64,AAAA").unwrap();
        assert_eq!(d.mime_type, "image/png");
        assert_eq!(d.data, "AAAA");
        assert!(DataUri::parse("data:text/plain,hello").is_none());
        assert!(DataUri::parse("https://x/y.png").is_none());
    }

    #[test]
    fn content_string_or_parts() {
        let c: MessageContent = serde_json::from_str(r#""hi""#).unwrap();
        assert_eq!(c, MessageContent::Text("hi".into()));
        let c: MessageContent = serde_json::from_str(
            r#"[{"type":"text","text":"a","cache_control":{"type":"ephemeral"}},
                {"type":"image_url","image_url":{"url":"https://x","detail":"low"}}]"#,
        )
        .unwrap();
        let MessageContent::Parts(parts) = &c else {
            panic!("parts expected")
        };
        assert_eq!(parts.len(), 2);
        assert_eq!(c.joined_text(), "a");
        let back = serde_json::to_value(&c).unwrap();
        assert_eq!(back[0]["cache_control"]["type"], "ephemeral");
        assert_eq!(back[1]["image_url"]["detail"], "low");
    }
}
