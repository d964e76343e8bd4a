//! A handler that panics answers 500 in the error shape, with its request id, and the worker
//! keeps serving. Without this, actix drops the connection with no response at all.
//!
//! The answer leaves as an `Err` from the outermost middleware: building a `ServiceResponse`
//! would need the `HttpRequest`, and a clone of it held across the call would make actix's
//! router (which needs the only reference) panic in its turn. Actix turns an `Err` from the
//! app into the error's own response on the same connection.

use std::any::Any;
use std::future::{Future, Ready};
use std::panic::AssertUnwindSafe;

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderValue;
use actix_web::{HttpResponse, ResponseError};
use futures_util::FutureExt;
use futures_util::future::{CatchUnwind, Either};
use serde_json::json;

use super::error::error_body;
use crate::app::REQUEST_ID;

/// A request whose handler panicked.
#[derive(Debug, thiserror::Error)]
#[error("Internal server error")]
pub struct Panicked {
    pub request_id: String,
}

impl ResponseError for Panicked {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut builder = HttpResponse::build(status);
        if let Ok(id) = HeaderValue::from_str(&self.request_id) {
            builder.insert_header((REQUEST_ID, id));
        }
        builder.json(error_body(
            status,
            &self.to_string(),
            Some(json!({ "request_id": self.request_id })),
        ))
    }
}

/// A caught panic's payload.
pub type Panic = Box<dyn Any + Send>;

/// The future [`catch`] returns: the request's own, or the panic that stopped it starting.
pub type Catching<F> =
    Either<CatchUnwind<AssertUnwindSafe<F>>, Ready<Result<<F as Future>::Output, Panic>>>;

/// Runs `start` now (it starts the request, synchronously) and returns its future, either
/// one catching a panic. Costs nothing until something panics. (A named type rather than an
/// `async` block, which would borrow what `start` borrows.)
pub fn catch<F: Future>(start: impl FnOnce() -> F) -> Catching<F> {
    match std::panic::catch_unwind(AssertUnwindSafe(start)) {
        Ok(future) => Either::Left(AssertUnwindSafe(future).catch_unwind()),
        Err(panic) => Either::Right(std::future::ready(Err(panic))),
    }
}

/// Logs the panic's message (inside the request's span: id, method and path; never the
/// query string, headers or body) and answers [`Panicked`].
pub fn answer(panic: Panic, request_id: &str) -> actix_web::Error {
    tracing::error!(panic = message(&*panic), "handler panicked; answered 500");
    Panicked {
        request_id: request_id.to_owned(),
    }
    .into()
}

fn message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(not a string)")
}

#[cfg(test)]
mod tests {
    use super::*;

    type Answer = Result<u8, actix_web::Error>;

    async fn panics_while_running() -> Answer {
        panic!("boom")
    }

    fn panics_while_starting() -> std::future::Ready<u8> {
        panic!("before the future")
    }

    async fn answer(request_id: &str, start: impl FnOnce() -> std::future::Ready<u8>) -> Answer {
        catch(start)
            .await
            .map_err(|panic| super::answer(panic, request_id))
    }

    #[actix_web::test]
    async fn a_panic_becomes_a_500_with_the_request_id() {
        assert_eq!(answer("req_1", || std::future::ready(7)).await.unwrap(), 7);
        let ran: Result<Answer, Panic> = catch(panics_while_running).await;
        let response = ran
            .map_err(|panic| super::answer(panic, "req_2"))
            .and_then(|answer| answer)
            .unwrap_err()
            .error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers().get(REQUEST_ID).unwrap(), "req_2");

        let response = answer("req_3", panics_while_starting)
            .await
            .unwrap_err()
            .error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers().get(REQUEST_ID).unwrap(), "req_3");
    }
}
