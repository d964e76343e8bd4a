//! Embeddings: validate, admit, route to the model's endpoints, relay; then the hook.

use std::time::Instant;

use super::admission::{admit, recording_admits, validate_embeddings};
use super::funding::{Payer, fund_embeddings};
use super::hook::CompletionHook;
use super::record::{Recording, new_generation_id};
use super::response::{InferenceError, Served};
use super::{Caller, Inference};
use crate::gateway::routing::ByokContext;
use crate::gateway::types::{EmbeddingRequest, EmbeddingResponse};
use crate::limits::is_free_request;

impl Inference {
    /// Serves an embeddings request for `caller`; `started` is when it arrived.
    pub async fn embed(
        &self,
        caller: Caller,
        request: EmbeddingRequest,
        started: Instant,
    ) -> Result<Served<EmbeddingResponse>, InferenceError> {
        validate_embeddings(&request)?;
        let parts = &*self.0;
        recording_admits(&parts.usage)?;
        let model = std::slice::from_ref(&request.model);
        let refused =
            |err| self.refused(&caller, &request.model, request.user.as_ref(), false, err);
        let admission = match admit(
            &parts.limits,
            &parts.credit,
            &caller.key,
            is_free_request(model),
        ) {
            Ok(admission) => admission,
            Err(err) => return Err(refused(err).await),
        };
        let byok = parts.byok.get(&caller.key.key.org_id);
        let byok = byok.as_deref().map(|keys| ByokContext {
            keys,
            key_hash: &caller.key.key.hash,
        });
        let targets = parts.routing.load().plan_models(model, byok)?;
        let payer = Payer::of(&caller.key, &parts.budgets);
        let funding = match fund_embeddings(&parts.credit_accounts, payer, &request, &targets).await
        {
            Ok(funding) => funding,
            Err(err) => return Err(refused(err).await),
        };
        let generation_id = new_generation_id();
        let recording = Recording::of(
            &generation_id,
            caller,
            &request.model,
            request.user.as_ref(),
            parts.content_cap,
        );
        let hook = CompletionHook::arm(self.clone(), recording, funding, None, false);
        let (result, outcome) = parts.relay.embed(&targets, &request, started).await;
        let response = hook.complete_whole(result, outcome).await?;
        Ok(Served {
            generation_id,
            admission,
            answer: response,
        })
    }
}
