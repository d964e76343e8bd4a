//! The non-streaming exchange.

use std::time::Instant;

use super::{Connected, Outcome, Relay, Target, sample, unix_now};
use crate::gateway::error::UpstreamError;
use crate::gateway::types::{ChatRequest, ChatResponse, Usage};

impl Relay {
    /// Sends `request` to the first target that answers and returns its response in our terms
    /// (`id` = `generation_id`, `model` = the catalog model, `provider`, priced `usage`).
    pub async fn complete(
        &self,
        targets: &[Target],
        request: &ChatRequest,
        generation_id: &str,
        started: Instant,
    ) -> (Result<ChatResponse, UpstreamError>, Outcome) {
        let mut outcome = Outcome::default();
        let created = unix_now();
        // Nothing reaches the client before the whole body is read and parsed, so a body that
        // fails may still move on to the next endpoint.
        let mut from = 0;
        let (index, mut parsed, headers_at, attempt_started) = loop {
            let Connected {
                index,
                response,
                ctx,
                attempt_started,
            } = match self
                .connect(
                    &targets[from..],
                    |t| t.build(request, created),
                    &mut outcome.attempts,
                    started,
                )
                .await
            {
                Ok(connected) => connected,
                Err(err) => {
                    outcome.error = Some(err.clone());
                    return (Err(err), outcome);
                }
            };
            let index = from + index;
            let headers_at = Instant::now();
            let target = &targets[index];
            outcome.first_byte = Some(started.elapsed());
            let protocol = target.adapter.protocol();
            let parsed = match self.client.read_body(protocol, response).await {
                Ok(body) => target.adapter.parse_response(&body, &ctx),
                Err(err) => Err(err),
            };
            match parsed {
                Ok(parsed) => break (index, parsed, headers_at, attempt_started),
                Err(err) => {
                    self.body_failed(target, &err, &mut outcome.attempts);
                    if self.may_move_on(&err, index, targets.len(), started) {
                        from = index + 1;
                        continue;
                    }
                    outcome.served = Some(target.served());
                    outcome.error = Some(err.clone());
                    return (Err(err), outcome);
                }
            }
        };
        let target = &targets[index];
        outcome.served = Some(target.served());
        outcome.generation_time = outcome
            .first_byte
            .map(|fb| started.elapsed().saturating_sub(fb));
        outcome.upstream_id = Some(std::mem::replace(&mut parsed.id, generation_id.to_owned()));
        parsed.model.clone_from(&target.model_id);
        parsed.provider = Some(target.provider_name.clone());
        parsed.object = ChatResponse::OBJECT.to_owned();
        if request.excludes_reasoning() {
            parsed.strip_reasoning();
        }
        let mut usage: Usage = parsed.usage.take().unwrap_or_default();
        self.health.record_success(
            &target.model_id,
            &target.endpoint_tag,
            sample(attempt_started, headers_at, None, usage.completion_tokens),
        );
        outcome.cost = target.price(&mut usage, super::request_images(request));
        outcome.is_byok = target.is_byok;
        outcome.usage = usage.clone();
        parsed.usage = Some(usage);
        if let Some(choice) = parsed.choices.first() {
            outcome.finish_reason = choice
                .finish_reason
                .as_ref()
                .and_then(|f| serde_json::to_value(f).ok())
                .and_then(|v| v.as_str().map(str::to_owned));
            outcome
                .native_finish_reason
                .clone_from(&choice.native_finish_reason);
        }
        (Ok(parsed), outcome)
    }
}
