//! Embeddings through Gemini: one text goes to `models/{m}:embedContent`
//! (`{"content":{"parts":[{"text"}]},"outputDimensionality"}` -> `{"embedding":{"values"}}`),
//! several to `models/{m}:batchEmbedContents` (`{"requests":[{"model":"models/{m}",...}]}` ->
//! `{"embeddings":[{"values"}]}`, in request order). Answered in OpenAI's shape; floats are
//! re-encoded when the client asked for `base64`, since Gemini only returns floats.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::gateway::error::{TranslateError, UpstreamError};
use crate::gateway::providers::{CallContext, UpstreamRequest};
use crate::gateway::types::{
    Embedding, EmbeddingInput, EmbeddingRequest, EmbeddingResponse, EmbeddingVector, Usage,
};

use super::PROTOCOL;

pub(super) fn build(
    req: &EmbeddingRequest,
    ctx: &CallContext,
) -> Result<UpstreamRequest, TranslateError> {
    let model = &ctx.model;
    let one = |text: &str| {
        let mut body = json!({"content": {"parts": [{"text": text}]}});
        if let Some(d) = req.dimensions {
            body["outputDimensionality"] = d.into();
        }
        body
    };
    let (path, body) = match &req.input {
        EmbeddingInput::One(text) => (format!("/v1beta/models/{model}:embedContent"), one(text)),
        EmbeddingInput::Many(texts) => {
            let requests: Vec<Value> = texts
                .iter()
                .map(|t| {
                    let mut r = one(t);
                    r["model"] = format!("models/{model}").into();
                    r
                })
                .collect();
            (
                format!("/v1beta/models/{model}:batchEmbedContents"),
                json!({ "requests": requests }),
            )
        }
        // Token ids are another tokenizer's; Gemini takes text only.
        EmbeddingInput::Tokens(_) | EmbeddingInput::TokenBatches(_) => {
            return Err(TranslateError::Unsupported {
                provider: PROTOCOL,
                feature: "token-id embedding input".into(),
            });
        }
    };
    let mut out = UpstreamRequest::post(path, body);
    out.secret_header("x-goog-api-key", &ctx.api_key)?;
    Ok(out)
}

#[derive(Deserialize)]
struct ContentEmbedding {
    values: Vec<f32>,
}

/// `embedContent`'s and `batchEmbedContents`' answers, and the usage some deployments add.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GeminiEmbeddings {
    #[serde(default)]
    embedding: Option<ContentEmbedding>,
    #[serde(default)]
    embeddings: Option<Vec<ContentEmbedding>>,
    #[serde(default)]
    usage_metadata: Option<Value>,
}

pub(super) fn parse(
    body: &[u8],
    req: &EmbeddingRequest,
    ctx: &CallContext,
) -> Result<EmbeddingResponse, UpstreamError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|e| UpstreamError::malformed(PROTOCOL, e))?;
    if v.get("error").is_some() {
        return Err(super::error::from_body(v, None));
    }
    let wire: GeminiEmbeddings =
        serde_json::from_value(v).map_err(|e| UpstreamError::malformed(PROTOCOL, e))?;
    let vectors = match (wire.embedding, wire.embeddings) {
        (Some(one), None) => vec![one],
        (None, Some(many)) => many,
        _ => {
            return Err(UpstreamError::malformed(
                PROTOCOL,
                "neither `embedding` nor `embeddings`",
            ));
        }
    };
    if vectors.len() != req.input.len() {
        return Err(UpstreamError::malformed(
            PROTOCOL,
            format!(
                "{} embeddings for {} inputs",
                vectors.len(),
                req.input.len()
            ),
        ));
    }
    let base64 = req.encoding_format.as_deref() == Some("base64");
    let data = (0..)
        .zip(vectors)
        .map(|(index, e)| {
            let vector = EmbeddingVector::Float(e.values);
            Embedding {
                object: "embedding".into(),
                index,
                embedding: if base64 { vector.to_base64() } else { vector },
            }
        })
        .collect();
    Ok(EmbeddingResponse {
        object: "list".into(),
        data,
        model: ctx.model.clone(),
        provider: None,
        usage: Some(usage(wire.usage_metadata.as_ref(), &req.input)),
    })
}

/// Google's count where the answer carries one (`usageMetadata.promptTokenCount`); the
/// Gemini API's embedding answers carry none, so the input is counted as the gateway estimates
/// prompts elsewhere.
fn usage(meta: Option<&Value>, input: &EmbeddingInput) -> Usage {
    let reported = meta
        .and_then(|m| m.get("promptTokenCount"))
        .and_then(Value::as_u64);
    let prompt_tokens = reported.unwrap_or_else(|| {
        let chars = match input {
            EmbeddingInput::One(t) => t.len(),
            EmbeddingInput::Many(ts) => ts.iter().map(String::len).sum(),
            EmbeddingInput::Tokens(_) | EmbeddingInput::TokenBatches(_) => 0,
        };
        crate::gateway::relay::estimate_tokens(chars)
    });
    Usage {
        prompt_tokens,
        total_tokens: prompt_tokens,
        ..Default::default()
    }
}
