//! Chat completions (and legacy completions, translated to chat): validate, admit, plan,
//! relay whole or streamed; the completion hook takes it from there.

use std::time::Instant;

use tracing::Instrument;

use super::admission::{admit, is_free_chat, recording_admits, validate_chat};
use super::funding::{Payer, fund_chat};
use super::hook::CompletionHook;
use super::record::{Recording, new_generation_id};
use super::response::{ChatAnswer, InferenceError, Served};
use super::routing_metadata;
use super::{Caller, Inference};
use crate::gateway::failure::{Failure, Reported};
use crate::gateway::relay::{ChunkFormat, StreamStart};
use crate::gateway::routing::{ByokContext, PlanContext};
use crate::gateway::types::{ChatRequest, ReasoningConfig};

impl Inference {
    /// Serves a chat request for `caller`: a whole response, or (`stream: true`) its SSE
    /// frames in `format`. `started` is when the request arrived.
    pub async fn chat(
        &self,
        caller: Caller,
        mut request: ChatRequest,
        format: ChunkFormat,
        started: Instant,
    ) -> Result<Served<ChatAnswer>, InferenceError> {
        validate_chat(&request)?;
        let parts = &*self.0;
        recording_admits(&parts.usage)?;
        let admission = match admit(
            &parts.limits,
            &parts.credit,
            &caller.key,
            is_free_chat(&request),
        ) {
            Ok(admission) => admission,
            Err(err) => return Err(self.refused_chat(&caller, &request, err).await),
        };
        let org_id = caller.key.key.org_id.as_str();
        let org_defaults = parts.org_routing.get(org_id);
        let byok = parts.byok.get(org_id);
        let mut plan = parts.routing.load().plan(
            &request,
            &PlanContext {
                org_id,
                org_defaults: org_defaults.as_deref(),
                byok: byok.as_deref().map(|keys| ByokContext {
                    keys,
                    key_hash: &caller.key.key.hash,
                }),
                health: parts.relay.health.as_ref(),
                sticky: Some(&parts.sticky),
            },
        )?;
        if plan.enable_reasoning {
            request
                .reasoning
                .get_or_insert_with(ReasoningConfig::default)
                .enabled = Some(true);
        }
        let funding = match fund_chat(
            &parts.credit_accounts,
            Payer::of(&caller.key, &parts.budgets),
            &mut request,
            &mut plan.targets,
            &parts.credits_url,
        )
        .await
        {
            Ok(funding) => funding,
            Err(err) => return Err(self.refused_chat(&caller, &request, err).await),
        };
        let generation_id = new_generation_id();
        let streamed = request.is_stream();
        let with_metadata = caller.with_metadata;
        // Completions are kept only for an organization that stores them.
        let capture = caller.request_body.is_some().then_some(parts.content_cap);
        let recording = Recording::of(
            &generation_id,
            caller,
            &request.model,
            request.user.as_ref(),
            parts.content_cap,
        );
        let hook = CompletionHook::arm(self.clone(), recording, funding, plan.sticky_key, streamed);

        if !streamed {
            // Boxed, so that this future and the streaming branch's locals do not both inflate
            // the request's state machine. Dropped meanwhile (the client left), the hook fires
            // from its `Drop`.
            let (result, mut outcome) = Box::pin(parts.relay.complete(
                &plan.targets,
                &request,
                &generation_id,
                started,
            ))
            .await;
            if capture.is_some()
                && let Ok(response) = &result
            {
                outcome.response = Some(Box::new(response.clone()));
            }
            let routing_metadata = with_metadata.then(|| routing_metadata::of(&plan, &outcome));
            let result = hook.complete_whole(result, outcome).await;
            return match result {
                Ok(response) => Ok(Served {
                    generation_id,
                    admission,
                    answer: ChatAnswer::Whole {
                        response,
                        routing_metadata,
                    },
                }),
                Err(mut failure) => {
                    if let Some(routing) = routing_metadata {
                        failure
                            .metadata
                            .insert("openrouter_metadata".into(), routing);
                    }
                    Err(failure.into())
                }
            };
        }

        let handle = parts.relay.stream(
            plan.targets.clone(),
            request,
            generation_id.clone(),
            started,
            format,
            capture,
        );
        let frames = if with_metadata {
            routing_metadata::on_stream(handle.frames, handle.done, plan, hook)
        } else {
            tokio::spawn(hook.complete_stream(handle.done).in_current_span());
            handle.frames
        };
        // A failure known before the commit deadline gets its real status; after it, the stream
        // has begun (keep-alive comments) and a failure arrives in-band.
        if let Ok(Ok(StreamStart::Failed(err, provider, attempts))) =
            tokio::time::timeout(parts.stream_commit, handle.start).await
        {
            return Err(Failure::of(
                &err,
                provider.as_deref(),
                Some(&attempts),
                Reported::AsResponse,
            )
            .into());
        }
        Ok(Served {
            generation_id,
            admission,
            answer: ChatAnswer::Stream(frames),
        })
    }

    /// Records a refused chat request (see [`Inference::refused`]).
    async fn refused_chat(
        &self,
        caller: &Caller,
        request: &ChatRequest,
        err: InferenceError,
    ) -> InferenceError {
        let (model, user) = (&request.model, request.user.as_ref());
        self.refused(caller, model, user, request.is_stream(), err)
            .await
    }
}
