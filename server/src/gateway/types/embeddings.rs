//! Embeddings (`POST /embeddings`), OpenAI shape.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::usage::Usage;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EmbeddingRequest {
    #[serde(default)]
    #[schema(required = true, min_length = 1, pattern = r"\S")]
    pub model: String,
    pub input: EmbeddingInput,
    /// `float` (default) or `base64`; OpenAI SDKs send `base64` by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(float|base64)$")]
    pub encoding_format: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::gateway::routing::preferences_doc::ProviderPreferencesDoc>)]
    pub provider: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum EmbeddingInput {
    One(String),
    Many(Vec<String>),
    Tokens(Vec<u32>),
    TokenBatches(Vec<Vec<u32>>),
}

impl EmbeddingInput {
    pub fn len(&self) -> usize {
        match self {
            EmbeddingInput::One(_) | EmbeddingInput::Tokens(_) => 1,
            EmbeddingInput::Many(v) => v.len(),
            EmbeddingInput::TokenBatches(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Key presence per CLIENT-REQUIREMENTS.md: `usage` is omitted, never null.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EmbeddingResponse {
    /// Always `list`.
    #[schema(pattern = "^list$")]
    pub object: String,
    pub data: Vec<Embedding>,
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Embedding {
    /// Always `embedding`.
    #[schema(pattern = "^embedding$")]
    pub object: String,
    pub index: u32,
    pub embedding: EmbeddingVector,
}

/// Floats, or base64 of little-endian f32s when `encoding_format=base64`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum EmbeddingVector {
    Float(Vec<f32>),
    Base64(String),
}

impl EmbeddingVector {
    /// Re-encodes a float vector as OpenAI's base64 form, for clients that
    /// asked for it from an upstream that only returns floats.
    pub fn to_base64(&self) -> EmbeddingVector {
        use base64::Engine as _;
        match self {
            EmbeddingVector::Float(v) => {
                let bytes: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
                EmbeddingVector::Base64(base64::engine::general_purpose::STANDARD.encode(bytes))
            }
            EmbeddingVector::Base64(_) => self.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn input_forms() {
        for (v, n) in [
            (json!("a"), 1),
            (json!(["a", "b"]), 2),
            (json!([1, 2, 3]), 1),
            (json!([[1], [2]]), 2),
        ] {
            let req: EmbeddingRequest =
                serde_json::from_value(json!({"model": "m", "input": v})).unwrap();
            assert_eq!(req.input.len(), n);
        }
    }

    #[test]
    fn base64_matches_openai_encoding() {
        // 1.0f32 little-endian is 00 00 80 3f.
        let b = EmbeddingVector::Float(vec![1.0]).to_base64();
        assert_eq!(b, EmbeddingVector::Base64("AACAPw==".into()));
        let resp = EmbeddingResponse {
            object: "list".into(),
            data: vec![Embedding {
                object: "embedding".into(),
                index: 0,
                embedding: b,
            }],
            model: "m".into(),
            provider: None,
            usage: None,
        };
        let v = serde_json::to_value(&resp).unwrap();
        assert!(v.get("usage").is_none());
        assert_eq!(v["data"][0]["embedding"], "AACAPw==");
    }
}
