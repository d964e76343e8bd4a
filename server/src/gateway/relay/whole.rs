//! Whole (non-streamed) answers, shared by chat completions and embeddings: connect to the
//! first target that answers, read and parse its whole body. Nothing reaches the client before
//! that, so a body that fails may still move on to the next target.

use std::time::Instant;

use super::{Connected, Outcome, Relay, Target};
use crate::gateway::error::UpstreamError;
use crate::gateway::providers::{CallContext, UpstreamRequest};

/// The target that answered, its parsed body, and when its headers arrived.
pub(super) struct Whole<T> {
    pub index: usize,
    pub parsed: T,
    pub headers_at: Instant,
    pub attempt_started: Instant,
}

impl Relay {
    /// Records the attempts and `first_byte` in `outcome`; on failure also `served` when an
    /// endpoint answered (the caller records the error).
    pub(super) async fn fetch_whole<T>(
        &self,
        targets: &[Target],
        build: impl Fn(&Target) -> Result<(UpstreamRequest, CallContext), UpstreamError>,
        parse: impl Fn(&Target, &[u8], &CallContext) -> Result<T, UpstreamError>,
        outcome: &mut Outcome,
        started: Instant,
    ) -> Result<Whole<T>, UpstreamError> {
        let mut from = 0;
        loop {
            let Connected {
                index,
                response,
                ctx,
                attempt_started,
            } = self
                .connect(
                    &targets[from..],
                    &build,
                    &mut outcome.attempts,
                    started,
                    false,
                )
                .await?;
            let index = from + index;
            let headers_at = Instant::now();
            let target = &targets[index];
            outcome.first_byte = Some(started.elapsed());
            let parsed = match self.client.read_body(response).await {
                Ok(body) => parse(target, &body, &ctx),
                Err(err) => Err(err),
            };
            match parsed {
                Ok(parsed) => {
                    return Ok(Whole {
                        index,
                        parsed,
                        headers_at,
                        attempt_started,
                    });
                }
                Err(err) => {
                    self.body_failed(target, &err, &mut outcome.attempts);
                    if self.may_move_on(&err, index, targets.len(), started) {
                        from = index + 1;
                        continue;
                    }
                    outcome.served = Some(target.clone());
                    return Err(err);
                }
            }
        }
    }
}
