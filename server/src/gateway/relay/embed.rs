//! The embeddings exchange (OpenAI-style `/embeddings` upstreams).

use std::time::Instant;

use super::{Connected, Outcome, Relay, Target, sample, unix_now};
use crate::gateway::error::UpstreamError;
use crate::gateway::types::{EmbeddingRequest, EmbeddingResponse};

impl Relay {
    /// Sends an embeddings request to the first target that answers; `model` and `provider`
    /// are ours, `usage` is priced (prompt tokens only).
    pub async fn embed(
        &self,
        targets: &[Target],
        request: &EmbeddingRequest,
        started: Instant,
    ) -> (Result<EmbeddingResponse, UpstreamError>, Outcome) {
        let mut outcome = Outcome::default();
        let created = unix_now();
        // As for chat: a body that fails before anything reached the client may move on.
        let mut from = 0;
        let (index, mut parsed, headers_at, attempt_started) = loop {
            let Connected {
                index,
                response,
                attempt_started,
                ..
            } = match self
                .connect(
                    &targets[from..],
                    |t| t.build_embeddings(request, created),
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
            let protocol = target.adapter.protocol();
            outcome.first_byte = Some(started.elapsed());
            let parsed = match self.client.read_body(protocol, response).await {
                Ok(body) => serde_json::from_slice::<EmbeddingResponse>(&body)
                    .map_err(|e| UpstreamError::malformed(protocol, e)),
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
        parsed.model.clone_from(&target.model_id);
        parsed.provider = Some(target.provider_name.clone());
        self.health.record_success(
            &target.model_id,
            &target.endpoint_tag,
            sample(attempt_started, headers_at, None, 0),
        );
        let mut usage = parsed.usage.take().unwrap_or_default();
        usage.completion_tokens = 0;
        outcome.cost = target.price(&mut usage, 0);
        outcome.is_byok = target.is_byok;
        outcome.usage = usage.clone();
        parsed.usage = Some(usage);
        (Ok(parsed), outcome)
    }
}
