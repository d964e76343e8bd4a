//! The embeddings exchange; each adapter builds and reads its protocol's embeddings call.

use std::time::Instant;

use super::whole::Whole;
use super::{Outcome, Relay, Target, sample, unix_now};
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
        let Whole {
            index,
            mut parsed,
            headers_at,
            attempt_started,
        } = match self
            .fetch_whole(
                targets,
                |t| t.build_embeddings(request, created),
                |t, body, ctx| t.adapter.parse_embeddings(body, request, ctx),
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
        parsed.model.clone_from(&target.model_id);
        parsed.provider = Some(target.provider_name.clone());
        self.health.record_success(
            &target.model_id,
            &target.endpoint_tag,
            sample(attempt_started, headers_at, None, 0),
        );
        outcome.native_tokens = parsed.usage.as_ref().map(super::NativeTokens::of);
        let mut usage = parsed.usage.take().unwrap_or_default();
        usage.completion_tokens = 0;
        let priced = target.price(&mut usage, 0);
        outcome.cost = priced.cost;
        outcome.upstream_cost = priced.upstream_cost;
        outcome.is_byok = target.is_byok;
        outcome.usage = usage.clone();
        parsed.usage = Some(usage);
        (Ok(parsed), outcome)
    }
}
