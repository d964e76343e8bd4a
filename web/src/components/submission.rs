//! A form's call to the API. Every form does the same around it: clear the last error, mark
//! itself busy (its button disables itself and says what is happening), call, then either act
//! on the answer or show the error, and be ready again.

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::ApiFailure;

#[derive(Clone, Copy)]
pub struct Submission {
    /// A call is on its way.
    pub busy: RwSignal<bool>,
    /// Why the last call, or the form's own check before it, failed (see `FormError`).
    pub failure: RwSignal<Option<String>>,
}

impl Submission {
    pub fn new() -> Self {
        Submission {
            busy: RwSignal::new(false),
            failure: RwSignal::new(None),
        }
    }

    /// The form's own check refused what was entered: nothing is sent.
    pub fn refuse(self, message: impl Into<String>) {
        self.failure.set(Some(message.into()));
    }

    /// Sends `call`, then hands its answer to `done`; a failure's message is shown instead.
    pub fn send<T: 'static>(
        self,
        call: impl Future<Output = Result<T, ApiFailure>> + 'static,
        done: impl FnOnce(T) + 'static,
    ) {
        self.failure.set(None);
        self.busy.set(true);
        spawn_local(async move {
            match call.await {
                Ok(answer) => done(answer),
                Err(err) => self.failure.set(Some(err.message)),
            }
            self.busy.set(false);
        });
    }
}

impl Default for Submission {
    fn default() -> Self {
        Submission::new()
    }
}
