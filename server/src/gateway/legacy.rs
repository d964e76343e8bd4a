//! Legacy text completions (`POST /completions`) served through the chat path: the prompt
//! becomes one user message, and answers and chunks are turned back into `text_completion`
//! objects. This way every provider protocol serves the legacy API, not only hosts that still
//! expose `/completions`.

use serde_json::Value;

use super::error::TranslateError;
use super::types::{
    ChatChunk, ChatRequest, ChatResponse, CompletionChoice, CompletionRequest, CompletionResponse,
    Message, Role,
};

/// The chat request equivalent to a completion request.
pub fn to_chat(request: &CompletionRequest) -> Result<ChatRequest, TranslateError> {
    let prompt = match &request.prompt {
        Value::String(text) => text.clone(),
        Value::Array(items) if items.len() == 1 && items[0].is_string() => {
            items[0].as_str().unwrap_or_default().to_owned()
        }
        Value::Array(_) => {
            return Err(TranslateError::InvalidRequest(
                "prompt: only a single string prompt is supported (not batches or token arrays)"
                    .into(),
            ));
        }
        _ => {
            return Err(TranslateError::InvalidRequest(
                "prompt: must be a string".into(),
            ));
        }
    };
    if request.echo == Some(true)
        || request.best_of.is_some_and(|b| b > 1)
        || request.suffix.is_some()
    {
        return Err(TranslateError::InvalidRequest(
            "echo, best_of and suffix are not supported".into(),
        ));
    }
    Ok(ChatRequest {
        model: request.model.clone(),
        messages: vec![Message::new(Role::User, prompt)],
        max_tokens: request.max_tokens,
        temperature: request.temperature,
        top_p: request.top_p,
        n: request.n,
        stream: request.stream,
        stream_options: request.stream_options.clone(),
        stop: request.stop.clone(),
        presence_penalty: request.presence_penalty,
        frequency_penalty: request.frequency_penalty,
        logit_bias: request.logit_bias.clone(),
        seed: request.seed,
        user: request.user.clone(),
        models: request.models.clone(),
        provider: request.provider.clone(),
        transforms: request.transforms.clone(),
        ..ChatRequest::default()
    })
}

/// A chat answer as a `text_completion`.
pub fn from_chat(response: ChatResponse) -> CompletionResponse {
    CompletionResponse {
        id: response.id,
        object: CompletionResponse::OBJECT.to_owned(),
        created: response.created,
        model: response.model,
        provider: response.provider,
        system_fingerprint: response.system_fingerprint,
        choices: response
            .choices
            .into_iter()
            .map(|c| CompletionChoice {
                text: c.message.content.unwrap_or_default(),
                index: c.index,
                logprobs: c.logprobs,
                finish_reason: c.finish_reason,
                native_finish_reason: c.native_finish_reason,
            })
            .collect(),
        usage: response.usage,
    }
}

/// A chat chunk as a `text_completion` stream chunk (usage and error chunks keep their fields).
pub fn chunk_from_chat(chunk: &ChatChunk) -> CompletionResponse {
    CompletionResponse {
        id: chunk.id.clone(),
        object: CompletionResponse::OBJECT.to_owned(),
        created: chunk.created,
        model: chunk.model.clone(),
        provider: chunk.provider.clone(),
        system_fingerprint: chunk.system_fingerprint.clone(),
        choices: chunk
            .choices
            .iter()
            .map(|c| CompletionChoice {
                text: c.delta.content.clone().unwrap_or_default(),
                index: c.index,
                logprobs: c.logprobs.clone(),
                finish_reason: c.finish_reason,
                native_finish_reason: c.native_finish_reason.clone(),
            })
            .collect(),
        usage: chunk.usage.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn prompt_becomes_one_user_message_and_answers_come_back_as_text() {
        let request: CompletionRequest = serde_json::from_value(json!({
            "model": "m", "prompt": "Once upon", "max_tokens": 5, "stop": ["\n"], "stream": true
        }))
        .unwrap();
        let chat = to_chat(&request).unwrap();
        assert_eq!(chat.messages.len(), 1);
        assert_eq!(chat.messages[0].text(), "Once upon");
        assert_eq!(chat.max_tokens, Some(5));
        assert!(chat.is_stream());
        let bad: CompletionRequest =
            serde_json::from_value(json!({ "model": "m", "prompt": [[1, 2]] })).unwrap();
        assert!(to_chat(&bad).is_err());
        let batch: CompletionRequest =
            serde_json::from_value(json!({ "model": "m", "prompt": ["a", "b"] })).unwrap();
        assert!(to_chat(&batch).is_err());

        let response: ChatResponse = serde_json::from_value(json!({
            "id": "gen-1", "object": "chat.completion", "created": 1, "model": "m", "system_fingerprint": null,
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": "a time" }, "finish_reason": "stop" }]
        }))
        .unwrap();
        let text = from_chat(response);
        assert_eq!(text.object, "text_completion");
        assert_eq!(text.choices[0].text, "a time");
    }
}
