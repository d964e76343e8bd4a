//! The non-streaming exchange.

use std::time::Instant;

use super::whole::Whole;
use super::{Outcome, Relay, Target, sample, unix_now};
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
        let Whole {
            index,
            mut parsed,
            headers_at,
            attempt_started,
        } = match self
            .fetch_whole(
                targets,
                |t| t.build(request, created),
                |t, body, ctx| t.adapter.parse_response(body, ctx),
                &mut outcome,
                started,
            )
            .await
        {
            Ok(whole) => whole,
            Err(err) => {
                outcome.error = Some(err.clone());
                return (Err(err), outcome);
            }
        };
        let target = &targets[index];
        outcome.served = Some(target.clone());
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
        outcome.native_tokens = parsed.usage.as_ref().map(super::NativeTokens::of);
        let mut usage: Usage = parsed.usage.take().unwrap_or_default();
        self.health.record_success(
            &target.model_id,
            &target.endpoint_tag,
            sample(attempt_started, headers_at, None, usage.completion_tokens),
        );
        let priced = target.price(&mut usage, super::request_images(request));
        outcome.cost = priced.cost;
        outcome.upstream_cost = priced.upstream_cost;
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
