//! The HTTP client that talks to providers: hyper's pooled client, called directly, one pool
//! per provider with its base URL split once into origin and path prefix. HTTP/1.1, or HTTP/2
//! where the provider offers it by ALPN; rustls with the platform's certificate verifier (as
//! reqwest sets it up); TCP_NODELAY on. `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY`/`NO_PROXY` are
//! honoured as curl reads them, through an `http://` proxy's CONNECT tunnels. The wait for
//! response headers is bounded by the first-byte timeout (or what is left of the retry
//! budget), each body read by the idle timeout, the whole exchange by the total one. Redirects
//! are not followed: a provider API answers in place.
//!
//! Why not reqwest: per request it re-parsed the URL (its redirect layer does, even with
//! redirects off), merged and cloned header maps and went through several tower layers;
//! together about 7 % of the request thread's CPU under load, for features this client does
//! not use.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::task::{Context, Poll};
use std::time::Duration;

use arc_swap::ArcSwap;
use bytes::Bytes;
use futures_util::Stream;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderMap, StatusCode, Uri};
use http_body_util::Full;
use hyper::body::{Body as _, Incoming};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::net::TcpStream;

use super::error::{ErrorType, UpstreamError};
use super::providers::{ProviderAdapter, UpstreamRequest};

/// Largest error body read from an upstream (they are small; this bounds a misbehaving one).
const MAX_ERROR_BODY: usize = 256 * 1024;

#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub connect: Duration,
    /// Until the upstream's response headers arrive, for a whole (non-stream) answer: a
    /// reasoning model may think for minutes before it sends them.
    pub first_byte: Duration,
    /// Until the response headers of a stream arrive. Providers send a stream's headers as soon
    /// as they accept the request, before generating anything, so this can be short: a provider
    /// that accepts the connection and then says nothing is skipped within seconds instead of
    /// holding the client on keep-alive comments. Never longer than `first_byte`.
    pub stream_first_byte: Duration,
    /// Between two chunks of a streamed body.
    pub idle: Duration,
    /// The whole upstream exchange.
    pub total: Duration,
}

impl Timeouts {
    /// The wait for response headers: short for a stream, long for a whole answer.
    pub fn first_byte(&self, stream: bool) -> Duration {
        if stream {
            self.stream_first_byte.min(self.first_byte)
        } else {
            self.first_byte
        }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            first_byte: Duration::from_secs(120),
            stream_first_byte: Duration::from_secs(15),
            idle: Duration::from_secs(120),
            total: Duration::from_secs(900),
        }
    }
}

type Http = Client<HttpsConnector<Route>, Full<Bytes>>;

/// One provider's connection pool and its parsed base URL, built once.
struct ProviderPool {
    /// The base URL as configured, to notice when an admin changes it.
    configured: String,
    scheme: Scheme,
    authority: Authority,
    /// The base URL's path without its trailing slash (`/v1`, or empty).
    prefix: String,
    http: Http,
}

type Pools = HashMap<String, Arc<ProviderPool>>;

/// The upstream HTTP client: one connection pool per provider, so a slow provider holds only
/// its own connections.
#[derive(Clone)]
pub struct UpstreamClient {
    pools: Arc<ArcSwap<Pools>>,
    tls: Arc<rustls::ClientConfig>,
    pub timeouts: Timeouts,
}

/// The error type connectors and the client report.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The proxy settings from the environment, read once.
static PROXIES: LazyLock<Matcher> = LazyLock::new(Matcher::from_env);

impl UpstreamClient {
    /// Fails at start, not on the first request, if the TLS stack cannot be set up.
    pub fn new(timeouts: Timeouts) -> Result<Self, BoxError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = rustls_platform_verifier::Verifier::new(provider.clone())?;
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        Ok(UpstreamClient {
            pools: Arc::new(ArcSwap::from_pointee(HashMap::new())),
            tls: Arc::new(tls),
            timeouts,
        })
    }

    fn build_http(&self, base: &Uri) -> Http {
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(self.timeouts.connect));
        let route = match PROXIES.intercept(base) {
            Some(proxy) if proxy.uri().scheme_str() != Some("http") => {
                // The URL may hold credentials: only its scheme goes to the log.
                tracing::warn!(
                    scheme = proxy.uri().scheme_str().unwrap_or(""),
                    "only http:// proxies are supported; connecting to the provider directly"
                );
                Route::Direct(tcp)
            }
            Some(proxy) => {
                let mut tunnel = Tunnel::new(proxy.uri().clone(), tcp);
                if let Some(auth) = proxy.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                Route::Tunnel(tunnel)
            }
            None => Route::Direct(tcp),
        };
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(rustls::ClientConfig::clone(&self.tls))
            .https_or_http()
            .enable_all_versions()
            .wrap_connector(route);
        Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(256)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(connector)
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
        let base: Uri = base_url
            .trim_end_matches('/')
            .parse()
            .map_err(|e| unusable(format!("invalid base URL for provider {provider}: {e}")))?;
        let (Some(scheme), Some(authority)) = (base.scheme().cloned(), base.authority().cloned())
        else {
            return Err(unusable(format!(
                "invalid base URL for provider {provider}: it needs a scheme and a host"
            )));
        };
        if scheme != Scheme::HTTP && scheme != Scheme::HTTPS {
            return Err(unusable(format!(
                "invalid base URL for provider {provider}: only http and https are supported"
            )));
        }
        let pool = Arc::new(ProviderPool {
            configured: base_url.to_owned(),
            prefix: base.path().trim_end_matches('/').to_owned(),
            http: self.build_http(&base),
            scheme,
            authority,
        });
        self.pools.rcu(|current| {
            let mut next = Pools::clone(current);
            next.insert(provider.to_owned(), Arc::clone(&pool));
            next
        });
        Ok(pool)
    }

    /// The pool's origin + its path prefix + `path_and_query`.
    fn uri(pool: &ProviderPool, path_and_query: &str) -> Result<Uri, http::Error> {
        let mut joined = String::with_capacity(pool.prefix.len() + path_and_query.len());
        joined.push_str(&pool.prefix);
        joined.push_str(path_and_query);
        Uri::builder()
            .scheme(pool.scheme.clone())
            .authority(pool.authority.clone())
            .path_and_query(PathAndQuery::try_from(joined)?)
            .build()
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
    ) -> Result<UpstreamResponse, UpstreamError> {
        let protocol = adapter.protocol();
        let invalid = |e: String| UpstreamError::new(protocol, ErrorType::InvalidRequest, e);
        let pool = self.pool(provider, base_url, protocol)?;
        let uri = Self::uri(&pool, &request.path).map_err(|e| invalid(e.to_string()))?;
        let body = request
            .body
            .into_bytes()
            .map_err(|e| invalid(e.to_string()))?;
        let mut outgoing = http::Request::new(Full::new(Bytes::from(body)));
        *outgoing.method_mut() = request.method;
        *outgoing.uri_mut() = uri;
        *outgoing.headers_mut() = request.headers;
        let deadline = tokio::time::Instant::now() + self.timeouts.total;
        let pending = pool.http.request(outgoing);
        let response =
            match tokio::time::timeout(first_byte.min(self.timeouts.total), pending).await {
                Err(_) => {
                    return Err(UpstreamError::new(
                        protocol,
                        ErrorType::Timeout,
                        format!("no response within {} ms", first_byte.as_millis()),
                    ));
                }
                Ok(Err(err)) => return Err(request_error(protocol, &err)),
                Ok(Ok(response)) => response,
            };
        let (head, body) = response.into_parts();
        let response = UpstreamResponse {
            status: head.status,
            headers: head.headers,
            body: UpstreamBody {
                body,
                protocol,
                deadline: Box::pin(tokio::time::sleep_until(deadline)),
            },
        };
        if response.status.is_success() {
            return Ok(response);
        }
        let status = response.status;
        let headers = response.headers.clone();
        let body = read_bounded(response.body, MAX_ERROR_BODY).await;
        Err(adapter.parse_error(status.as_u16(), &headers, &body))
    }

    /// Reads a whole (non-stream) body, bounded by the idle timeout between chunks.
    pub async fn read_body(&self, response: UpstreamResponse) -> Result<Bytes, UpstreamError> {
        let mut body = response.body;
        let protocol = body.protocol;
        // Most answers arrive in one chunk: that one is passed on without a copy.
        let mut chunks: Vec<Bytes> = Vec::new();
        loop {
            match tokio::time::timeout(self.timeouts.idle, body.next_chunk()).await {
                Err(_) => {
                    return Err(UpstreamError::new(
                        protocol,
                        ErrorType::Timeout,
                        "upstream stalled",
                    ));
                }
                Ok(None) if chunks.len() == 1 => return Ok(chunks.swap_remove(0)),
                Ok(None) => return Ok(Bytes::from(chunks.concat())),
                Ok(Some(Err(err))) => return Err(err),
                Ok(Some(Ok(chunk))) => chunks.push(chunk),
            }
        }
    }
}

/// An upstream's answer: status and headers, and its body still to be read.
pub struct UpstreamResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: UpstreamBody,
}

/// A response body as a stream of chunks; a transport failure, or the exchange outliving the
/// total timeout, ends it with an [`UpstreamError`].
pub struct UpstreamBody {
    body: Incoming,
    protocol: &'static str,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl UpstreamBody {
    pub async fn next_chunk(&mut self) -> Option<Result<Bytes, UpstreamError>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }
}

impl Stream for UpstreamBody {
    type Item = Result<Bytes, UpstreamError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            match Pin::new(&mut this.body).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) if data.is_empty() => continue,
                    Ok(data) => return Poll::Ready(Some(Ok(data))),
                    Err(_trailers) => continue,
                },
                Poll::Ready(Some(Err(err))) => {
                    let error_type = if err.is_timeout() {
                        ErrorType::Timeout
                    } else {
                        ErrorType::ProviderUnavailable
                    };
                    return Poll::Ready(Some(Err(UpstreamError::new(
                        this.protocol,
                        error_type,
                        "transport error while reading the response",
                    ))));
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => {
                    return match this.deadline.as_mut().poll(cx) {
                        Poll::Ready(()) => Poll::Ready(Some(Err(UpstreamError::new(
                            this.protocol,
                            ErrorType::Timeout,
                            "the provider timed out",
                        )))),
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    }
}

/// A request that failed before any response: connecting, or sending.
fn request_error(protocol: &'static str, err: &hyper_util::client::legacy::Error) -> UpstreamError {
    // The URL may carry a key in its query for some providers; keep it out of messages.
    let message = if err.is_connect() {
        "could not connect to the provider"
    } else {
        "transport error while sending the request"
    };
    // The cause sits a few wrappers down (connector, TLS, ConnectError): walk the chain.
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(err);
    let mut timed_out = false;
    while let Some(error) = cause {
        if error
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        {
            timed_out = true;
            break;
        }
        cause = error.source();
    }
    let error_type = if timed_out {
        ErrorType::Timeout
    } else {
        ErrorType::ProviderUnavailable
    };
    UpstreamError::new(protocol, error_type, message)
}

async fn read_bounded(mut body: UpstreamBody, limit: usize) -> Vec<u8> {
    let mut read = Vec::new();
    while let Some(Ok(chunk)) = body.next_chunk().await {
        let room = limit.saturating_sub(read.len());
        read.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if read.len() >= limit {
            break;
        }
    }
    read
}

/// How connections reach a provider: straight, or through the environment's proxy.
#[derive(Clone)]
enum Route {
    Direct(HttpConnector),
    Tunnel(Tunnel<HttpConnector>),
}

impl tower_service::Service<Uri> for Route {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        match self {
            Route::Direct(tcp) => tcp.poll_ready(cx).map_err(Into::into),
            Route::Tunnel(tunnel) => tunnel.poll_ready(cx).map_err(Into::into),
        }
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        match self {
            Route::Direct(tcp) => {
                let connecting = tcp.call(dst);
                Box::pin(async move { connecting.await.map_err(Into::into) })
            }
            Route::Tunnel(tunnel) => {
                let connecting = tunnel.call(dst);
                Box::pin(async move { connecting.await.map_err(Into::into) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> UpstreamClient {
        UpstreamClient::new(Timeouts::default()).unwrap()
    }

    #[test]
    fn streams_wait_less_for_headers_than_whole_answers_and_never_longer() {
        let t = Timeouts::default();
        assert_eq!(t.first_byte(false), Duration::from_secs(120));
        assert_eq!(t.first_byte(true), Duration::from_secs(15));
        let short = Timeouts {
            first_byte: Duration::from_secs(5),
            ..t
        };
        assert_eq!(short.first_byte(true), Duration::from_secs(5));
    }

    #[tokio::test]
    async fn urls_join_without_doubling_slashes_and_keep_queries() {
        let client = client();
        let pool = client
            .pool("a", "https://api.example.com/openai/v1/", "openai")
            .unwrap();
        let uri = UpstreamClient::uri(&pool, "/chat/completions").unwrap();
        assert_eq!(
            uri.to_string(),
            "https://api.example.com/openai/v1/chat/completions"
        );
        let root = client.pool("b", "http://127.0.0.1:9/", "gemini").unwrap();
        let uri =
            UpstreamClient::uri(&root, "/v1beta/models/g:streamGenerateContent?alt=sse").unwrap();
        assert_eq!(
            uri.to_string(),
            "http://127.0.0.1:9/v1beta/models/g:streamGenerateContent?alt=sse"
        );
    }

    #[tokio::test]
    async fn one_pool_per_provider_rebuilt_when_its_url_changes() {
        let client = client();
        let a = client.pool("a", "http://127.0.0.1:1/v1", "openai").unwrap();
        let again = client.pool("a", "http://127.0.0.1:1/v1", "openai").unwrap();
        assert!(Arc::ptr_eq(&a, &again));
        let b = client.pool("b", "http://127.0.0.1:1/v1", "openai").unwrap();
        assert!(!Arc::ptr_eq(&a, &b));
        let moved = client.pool("a", "http://127.0.0.1:2/v1", "openai").unwrap();
        assert_eq!(moved.authority.port_u16(), Some(2));
        assert!(client.pool("c", "not a url", "openai").is_err());
        assert!(client.pool("d", "ftp://127.0.0.1/v1", "openai").is_err());
    }
}
