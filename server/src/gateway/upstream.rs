//! The HTTP client that talks to providers: a pooled client per provider with its base URL
//! parsed once; TCP_NODELAY on; the wait for response headers is bounded by the first-byte
//! timeout (or what is left of the retry budget), the whole exchange by the total one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

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

/// One provider's connection pool and its parsed base URL, built once.
struct ProviderPool {
    /// The base URL as configured, to notice when an admin changes it.
    configured: String,
    base: reqwest::Url,
    http: reqwest::Client,
}

type Pools = HashMap<String, Arc<ProviderPool>>;

/// The upstream HTTP client: one `reqwest::Client` (one connection pool) per provider, so a slow
/// provider holds only its own connections; HTTP/2 where the provider offers it via ALPN.
#[derive(Clone)]
pub struct UpstreamClient {
    pools: Arc<ArcSwap<Pools>>,
    pub timeouts: Timeouts,
}

impl UpstreamClient {
    pub fn new(timeouts: Timeouts) -> Result<Self, reqwest::Error> {
        // Fail at start, not on the first request, if the TLS stack cannot be set up.
        Self::build_http(&timeouts)?;
        Ok(UpstreamClient {
            pools: Arc::new(ArcSwap::from_pointee(HashMap::new())),
            timeouts,
        })
    }

    fn build_http(timeouts: &Timeouts) -> Result<reqwest::Client, reqwest::Error> {
        reqwest::Client::builder()
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.total)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(256)
            .build()
    }

    /// The provider's pool: a lock-free read, built on first use (or when its URL changed).
    fn pool(
        &self,
        provider: &str,
        base_url: &str,
        protocol: &'static str,
    ) -> Result<Arc<ProviderPool>, UpstreamError> {
        if let Some(pool) = self.pools.load().get(provider)
            && pool.configured == base_url
        {
            return Ok(Arc::clone(pool));
        }
        let unusable =
            |what: String| UpstreamError::new(protocol, ErrorType::ProviderUnavailable, what);
        let base = reqwest::Url::parse(base_url.trim_end_matches('/'))
            .map_err(|e| unusable(format!("invalid base URL for provider {provider}: {e}")))?;
        let http = Self::build_http(&self.timeouts)
            .map_err(|e| unusable(format!("cannot build an HTTP client: {e}")))?;
        let pool = Arc::new(ProviderPool {
            configured: base_url.to_owned(),
            base,
            http,
        });
        self.pools.rcu(|current| {
            let mut next = Pools::clone(current);
            next.insert(provider.to_owned(), Arc::clone(&pool));
            next
        });
        Ok(pool)
    }

    /// `base` + `path_and_query`, without re-parsing the scheme and host.
    fn url(base: &reqwest::Url, path_and_query: &str) -> reqwest::Url {
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        let mut url = base.clone();
        let prefix = base.path().trim_end_matches('/');
        let mut joined = String::with_capacity(prefix.len() + path.len());
        joined.push_str(prefix);
        joined.push_str(path);
        url.set_path(&joined);
        url.set_query(query);
        url
    }

    /// Sends a request to `provider` at `base_url` (which carries any version prefix) and
    /// returns the response once its headers arrived with a 2xx status within `first_byte`;
    /// anything else is an [`UpstreamError`] in the adapter's terms.
    pub async fn send(
        &self,
        provider: &str,
        adapter: &dyn ProviderAdapter,
        base_url: &str,
        request: UpstreamRequest,
        first_byte: Duration,
    ) -> Result<reqwest::Response, UpstreamError> {
        let protocol = adapter.protocol();
        let pool = self.pool(provider, base_url, protocol)?;
        let url = Self::url(&pool.base, &request.path);
        let body = request
            .body
            .into_bytes()
            .map_err(|e| UpstreamError::new(protocol, ErrorType::InvalidRequest, e.to_string()))?;
        let pending = pool
            .http
            .request(request.method, url)
            .headers(request.headers)
            .body(body)
            .send();
        let response = match tokio::time::timeout(first_byte, pending).await {
            Err(_) => {
                return Err(UpstreamError::new(
                    protocol,
                    ErrorType::Timeout,
                    format!("no response within {} ms", first_byte.as_millis()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_without_doubling_slashes_and_keep_queries() {
        let base = reqwest::Url::parse("https://api.example.com/openai/v1").unwrap();
        let url = UpstreamClient::url(&base, "/chat/completions");
        assert_eq!(
            url.as_str(),
            "https://api.example.com/openai/v1/chat/completions"
        );
        let root = reqwest::Url::parse("http://127.0.0.1:9/").unwrap();
        let url = UpstreamClient::url(&root, "/v1beta/models/g:streamGenerateContent?alt=sse");
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/v1beta/models/g:streamGenerateContent?alt=sse"
        );
    }

    #[test]
    fn one_pool_per_provider_rebuilt_when_its_url_changes() {
        let client = UpstreamClient::new(Timeouts::default()).unwrap();
        let a = client.pool("a", "http://127.0.0.1:1/v1", "openai").unwrap();
        let again = client.pool("a", "http://127.0.0.1:1/v1", "openai").unwrap();
        assert!(Arc::ptr_eq(&a, &again));
        let b = client.pool("b", "http://127.0.0.1:1/v1", "openai").unwrap();
        assert!(!Arc::ptr_eq(&a, &b));
        let moved = client.pool("a", "http://127.0.0.1:2/v1", "openai").unwrap();
        assert_eq!(moved.base.port(), Some(2));
        assert!(client.pool("c", "not a url", "openai").is_err());
    }
}
