//! The HTTP client that talks to providers. One pooled client for all upstreams (reqwest pools
//! per host, so a slow provider holds only its own connections); TCP_NODELAY on; the wait for
//! response headers is bounded by the first-byte timeout and the whole exchange by the total one.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;

use super::error::{ErrorType, UpstreamError};
use super::providers::{ProviderAdapter, UpstreamRequest};

/// Largest error body read from an upstream (they are small; this bounds a misbehaving one).
const MAX_ERROR_BODY: usize = 256 * 1024;

#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub connect: Duration,
    /// Until the upstream's response headers arrive.
    pub first_byte: Duration,
    /// Between two chunks of a streamed body.
    pub idle: Duration,
    /// The whole upstream exchange.
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            first_byte: Duration::from_secs(120),
            idle: Duration::from_secs(120),
            total: Duration::from_secs(900),
        }
    }
}

#[derive(Clone)]
pub struct UpstreamClient {
    http: reqwest::Client,
    pub timeouts: Timeouts,
}

impl UpstreamClient {
    pub fn new(timeouts: Timeouts) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.total)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(256)
            .build()?;
        Ok(UpstreamClient { http, timeouts })
    }

    /// Sends a request to `base_url` (which carries any version prefix) and returns the
    /// response once its headers arrived with a 2xx status; anything else is an
    /// [`UpstreamError`] in the adapter's terms.
    pub async fn send(
        &self,
        adapter: &dyn ProviderAdapter,
        base_url: &str,
        request: UpstreamRequest,
    ) -> Result<reqwest::Response, UpstreamError> {
        let protocol = adapter.protocol();
        let url = format!("{}{}", base_url.trim_end_matches('/'), request.path);
        let body = serde_json::to_vec(&request.body)
            .map_err(|e| UpstreamError::new(protocol, ErrorType::InvalidRequest, e.to_string()))?;
        let pending = self
            .http
            .request(request.method, url)
            .headers(request.headers)
            .body(body)
            .send();
        let response = match tokio::time::timeout(self.timeouts.first_byte, pending).await {
            Err(_) => {
                return Err(UpstreamError::new(
                    protocol,
                    ErrorType::Timeout,
                    format!(
                        "no response within {} s",
                        self.timeouts.first_byte.as_secs()
                    ),
                ));
            }
            Ok(Err(err)) => return Err(transport_error(protocol, &err)),
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let body = read_bounded(response, MAX_ERROR_BODY).await;
        Err(adapter.parse_error(status.as_u16(), &headers, &body))
    }

    /// Reads a whole (non-stream) body, bounded by the idle timeout between chunks.
    pub async fn read_body(
        &self,
        protocol: &'static str,
        response: reqwest::Response,
    ) -> Result<Bytes, UpstreamError> {
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        loop {
            match tokio::time::timeout(self.timeouts.idle, stream.next()).await {
                Err(_) => {
                    return Err(UpstreamError::new(
                        protocol,
                        ErrorType::Timeout,
                        "upstream stalled",
                    ));
                }
                Ok(None) => return Ok(Bytes::from(body)),
                Ok(Some(Err(err))) => return Err(transport_error(protocol, &err)),
                Ok(Some(Ok(chunk))) => body.extend_from_slice(&chunk),
            }
        }
    }
}

pub fn transport_error(protocol: &'static str, err: &reqwest::Error) -> UpstreamError {
    let error_type = if err.is_timeout() {
        ErrorType::Timeout
    } else {
        ErrorType::ProviderUnavailable
    };
    // The URL may carry a key in its query for some providers; keep it out of messages.
    let message = if err.is_connect() {
        "could not connect to the provider".to_owned()
    } else if err.is_timeout() {
        "the provider timed out".to_owned()
    } else {
        let kind = if err.is_body() || err.is_decode() {
            "reading the response"
        } else {
            "sending the request"
        };
        format!("transport error while {kind}")
    };
    UpstreamError::new(protocol, error_type, message)
}

async fn read_bounded(response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        let room = limit.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    body
}
