//! The one typed configuration. Sources, later ones winning: built-in defaults, an optional
//! TOML file (`CONFIG_FILE`, else `./switchboard.toml` when present), then environment
//! variables named after the fields in upper case (`BIND`, `DATABASE_URL`, ...).
//! Every setting is documented in README.md ("Configuration").

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {source}")]
    ParseFile {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },
    #[error("invalid value for {name}: {message}")]
    InvalidEnv { name: &'static str, message: String },
    #[error("cannot prepare data folder {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub bind: String,
    /// Folder for the embedded SQLite database and generated secrets.
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; default: SQLite file `<data_dir>/switchboard.db`.
    pub database_url: Option<String>,
    /// Largest number of pooled database connections.
    pub database_max_connections: u32,
    /// Externally visible base URL (used for cookies' `Secure` flag and links).
    pub public_url: Option<String>,
    /// HMAC secret for session JWTs. Default: generated once and kept in `<data_dir>/jwt_secret`.
    pub jwt_secret: Option<String>,
    /// Ensure a platform admin with this email exists at start (needs `admin_password`).
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    /// Lifetime of a session's access JWT, in seconds.
    pub access_token_ttl_secs: u64,
    /// Lifetime of a session (its refresh token), in seconds.
    pub session_ttl_secs: u64,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Login attempts allowed per client IP per minute.
    pub login_per_ip_per_minute: u32,
    /// Login attempts allowed per email address per minute.
    pub login_per_email_per_minute: u32,
    /// Sign-ups allowed per client IP per hour.
    pub signup_per_ip_per_hour: u32,
    /// Honour `X-Forwarded-For` for the client IP (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// HTTP worker threads; default: one per core.
    pub workers: Option<usize>,
    /// Seconds to let in-flight requests finish on SIGTERM/SIGINT.
    pub shutdown_timeout_secs: u64,
    /// New inference requests are refused (503) once the usage writer has been failing this
    /// long (README, "Usage records").
    pub usage_refuse_after_secs: u64,
    /// At shutdown, how long the usage writer waits for a failing database before it puts
    /// the unwritten records in the dead-letter file.
    pub usage_shutdown_flush_secs: u64,
    /// Serve Prometheus metrics at `GET /metrics` (README, "Metrics").
    pub metrics_enabled: bool,
    /// Bearer token `GET /metrics` requires; unset, the endpoint is open (keep it off the
    /// public internet then).
    pub metrics_token: Option<String>,
    /// OTLP/HTTP base endpoint (`http://collector:4318`): one span per generation goes to
    /// `<endpoint>/v1/traces` (README, "Metrics"). Unset: no export.
    pub otel_exporter_otlp_endpoint: Option<String>,
    /// The exported spans' `service.name`.
    pub otel_service_name: String,
    /// Provider credentials and URLs by their environment variable names
    /// (`OPENAI_API_KEY`, `ANTHROPIC_BASE_URL`, ...); the process environment wins.
    pub provider_env: std::collections::BTreeMap<String, String>,
    /// Seconds until an upstream connection is established.
    pub upstream_connect_timeout_secs: u64,
    /// Seconds until an upstream's response headers arrive, for a whole (non-stream) answer.
    pub upstream_first_byte_timeout_secs: u64,
    /// Seconds until the response headers of an upstream *stream* arrive (capped by
    /// `upstream_first_byte_timeout_secs`). Providers send a stream's headers when they accept
    /// the request, before the model generates (or thinks): OpenAI, Anthropic and Gemini answer
    /// them in well under a second, a few seconds at worst under load. 15 s is several times
    /// that worst case, so a healthy but busy provider is not abandoned, while a provider that
    /// accepted the connection and hangs is skipped for the next endpoint within seconds rather
    /// than after the whole answer's 120 s.
    pub upstream_stream_first_byte_timeout_secs: u64,
    /// Seconds an upstream stream may stay silent.
    pub upstream_idle_timeout_secs: u64,
    /// Seconds for a whole upstream exchange.
    pub upstream_total_timeout_secs: u64,
    /// Milliseconds between `: OPENROUTER PROCESSING` comments while a stream waits.
    pub stream_keep_alive_ms: u64,
    /// Milliseconds from a request's start within which a failed attempt moves on to the next
    /// endpoint (before the first byte reached the client); an attempt's wait for its first
    /// byte also ends with it.
    pub retry_budget_ms: u64,
    /// Consecutive failures (connect errors, timeouts, 5xx, overloaded) that open an
    /// endpoint's circuit breaker.
    pub breaker_failure_threshold: u32,
    /// Failure rate (percent) over an endpoint's last `breaker_failure_rate_window` outcomes
    /// that opens its breaker; 0 turns the rule off.
    pub breaker_failure_rate_percent: u32,
    /// Outcomes (at most 64) the failure rate looks at.
    pub breaker_failure_rate_window: u32,
    /// Milliseconds an opened breaker keeps the endpoint out before one probe request is let
    /// through; doubles with each failed probe.
    pub breaker_cooldown_ms: u64,
    /// Longest breaker cooldown, and the cap on how long an upstream's `Retry-After` cools it.
    pub breaker_max_cooldown_ms: u64,
    /// Milliseconds an endpoint cools after a 429 that names no `Retry-After`.
    pub rate_limit_cooldown_ms: u64,
    /// Folder with the built web bundle (`pkg/`: wasm, js, css) from `scripts/build-web.sh`.
    pub site_root: PathBuf,
    /// Milliseconds a stream request waits for its first upstream answer before committing
    /// to `200 OK` (a failure known earlier is answered with its real status).
    pub stream_commit_ms: u64,
    /// Seconds a replica's credit lease lives without renewal (renewed every third of it). A
    /// crashed replica's leased credit returns to its organizations after at most this long.
    pub credit_lease_ttl_secs: u64,
    /// Seconds a lease may sit unused before the replica gives it back to the database.
    pub credit_lease_idle_secs: u64,
    /// Seconds of the request-rate window; the `*_requests_per_window` limits refill over it.
    pub rate_limit_window_secs: u64,
    /// Requests per window for each API key (0: no limit). Admins override per organization.
    pub rate_limit_key_requests_per_window: u32,
    /// Requests per window for each organization, all its keys together (0: no limit).
    pub rate_limit_org_requests_per_window: u32,
    /// Requests per window to `:free` model variants for each API key (0: no limit).
    pub free_model_requests_per_window: u32,
    /// `:free` requests per UTC day for an organization that has bought less than
    /// `free_model_unlock_purchase_cents` of credits (0: no limit).
    pub free_model_requests_per_day: u32,
    /// `:free` requests per UTC day once the organization has bought at least
    /// `free_model_unlock_purchase_cents` of credits (0: no limit).
    pub free_model_requests_per_day_purchased: u32,
    /// Lifetime credit purchases, in US cents, that raise the daily `:free` cap.
    pub free_model_unlock_purchase_cents: u64,
    /// Key that encrypts organizations' own provider keys (BYOK) at rest: 32 bytes, base64.
    /// Default: generated once and kept in `<data_dir>/master_key`, with a warning (set it in
    /// production, and keep it apart from database backups). Rotate with
    /// `switchboard rotate-master-key` (README, "BYOK").
    pub master_key: Option<String>,
    /// The BYOK fee in basis points of what the platform's price for a request would have been
    /// (500 = 5 %), charged from credits for each request served with an organization's own
    /// provider key, after its free BYOK requests of the month.
    pub byok_fee_basis_points: u32,
    /// BYOK requests per organization and UTC calendar month that carry no fee.
    pub byok_free_requests_per_month: u64,
    /// Stripe secret key (`sk_...`); unset: purchasing answers that it is not configured.
    pub stripe_secret_key: Option<String>,
    /// Signing secret of the webhook endpoint (`whsec_...`); unset: the webhook is refused.
    pub stripe_webhook_secret: Option<String>,
    /// Stripe API base URL (a local fake in tests); default: `https://api.stripe.com/`.
    pub stripe_api_base: Option<String>,
    /// Smallest credit purchase, in US cents.
    pub checkout_min_cents: u64,
    /// Largest credit purchase, in US cents.
    pub checkout_max_cents: u64,
    /// The platform fee on a purchase, in basis points of the credit (550 = 5.5 %).
    pub purchase_fee_basis_points: u64,
    /// The smallest platform fee on a purchase, in US cents.
    pub purchase_fee_min_cents: u64,
    /// Seconds between checks of organizations' auto top-up thresholds (each process).
    pub auto_topup_check_secs: u64,
    /// Seconds before a declined auto top-up is tried again.
    pub auto_topup_retry_secs: u64,
    /// Days raw generation records are kept (0 = forever); rollups are kept regardless.
    pub generation_retention_days: u64,
    /// Let alert webhooks point at loopback, private, link-local and other non-public
    /// addresses (checked when the URL is set and on every delivery's resolved addresses).
    pub alert_webhook_allow_private: bool,
    /// Seconds one webhook delivery may take (connect, send, answer).
    pub alert_webhook_timeout_secs: u64,
    /// Deliveries of one alert event before it is marked failed.
    pub alert_max_attempts: u32,
    /// Wait before the second delivery attempt (ms); doubles per attempt up to
    /// `alert_retry_max_secs`.
    pub alert_retry_first_ms: u64,
    pub alert_retry_max_secs: u64,
    /// Seconds between sweeps of every organization's alert thresholds (each process); spend
    /// this process records is checked as soon as it is committed.
    pub alert_check_secs: u64,
    /// Bytes kept of each request and response body of organizations that opted in to storing
    /// prompts and completions (a longer body is cut and flagged `*_truncated`).
    pub prompt_log_max_bytes: usize,
    /// `openrouter/auto`'s candidate models (the `[auto_router]` table of the config file;
    /// see `gateway::routing::auto` for the rules).
    pub auto_router: crate::gateway::routing::AutoRouter,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            database_url: None,
            database_max_connections: 16,
            public_url: None,
            jwt_secret: None,
            admin_email: None,
            admin_password: None,
            access_token_ttl_secs: 15 * 60,
            session_ttl_secs: 30 * 24 * 3600,
            max_body_bytes: 20 * 1024 * 1024,
            login_per_ip_per_minute: 30,
            login_per_email_per_minute: 10,
            signup_per_ip_per_hour: 30,
            trust_forwarded_for: false,
            workers: None,
            shutdown_timeout_secs: 30,
            usage_refuse_after_secs: 10,
            usage_shutdown_flush_secs: 30,
            metrics_enabled: true,
            metrics_token: None,
            otel_exporter_otlp_endpoint: None,
            otel_service_name: "switchboard".into(),
            provider_env: Default::default(),
            upstream_connect_timeout_secs: 10,
            upstream_first_byte_timeout_secs: 120,
            upstream_stream_first_byte_timeout_secs: 15,
            upstream_idle_timeout_secs: 120,
            upstream_total_timeout_secs: 900,
            stream_keep_alive_ms: 10_000,
            retry_budget_ms: 180_000,
            breaker_failure_threshold: 5,
            breaker_failure_rate_percent: 50,
            breaker_failure_rate_window: 20,
            breaker_cooldown_ms: 30_000,
            breaker_max_cooldown_ms: 300_000,
            rate_limit_cooldown_ms: 1_000,
            stream_commit_ms: 2_000,
            credit_lease_ttl_secs: 30,
            credit_lease_idle_secs: 10,
            rate_limit_window_secs: 60,
            rate_limit_key_requests_per_window: 600,
            rate_limit_org_requests_per_window: 3_000,
            free_model_requests_per_window: 20,
            free_model_requests_per_day: 50,
            free_model_requests_per_day_purchased: 1_000,
            free_model_unlock_purchase_cents: 1_000,
            site_root: PathBuf::from("target/site"),
            master_key: None,
            byok_fee_basis_points: 500,
            byok_free_requests_per_month: 1_000_000,
            stripe_secret_key: None,
            stripe_webhook_secret: None,
            stripe_api_base: None,
            checkout_min_cents: 500,
            checkout_max_cents: 1_000_000,
            purchase_fee_basis_points: 550,
            purchase_fee_min_cents: 80,
            auto_topup_check_secs: 10,
            auto_topup_retry_secs: 600,
            generation_retention_days: 0,
            alert_webhook_allow_private: false,
            alert_webhook_timeout_secs: 10,
            alert_max_attempts: 8,
            alert_retry_first_ms: 1_000,
            alert_retry_max_secs: 600,
            alert_check_secs: 10,
            prompt_log_max_bytes: 64 * 1024,
            auto_router: Default::default(),
        }
    }
}

impl Config {
    /// Defaults, then the TOML file, then the process environment.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var_os("CONFIG_FILE")
            .map(PathBuf::from)
            .or_else(|| Some(PathBuf::from("switchboard.toml")).filter(|p| p.exists()));
        let mut config = match file {
            Some(path) => Self::from_file(&path)?,
            None => Config::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::ParseFile {
            path: path.to_owned(),
            source: Box::new(source),
        })
    }

    /// Overrides from an environment lookup; taking a closure keeps tests off the real environment.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parsed<T: std::str::FromStr>(name: &'static str, value: String) -> Result<T, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            value
                .trim()
                .parse()
                .map_err(|e: T::Err| ConfigError::InvalidEnv {
                    name,
                    message: e.to_string(),
                })
        }
        let text = |name: &str| get(name).filter(|v| !v.trim().is_empty());

        if let Some(v) = text("BIND") {
            self.bind = v;
        }
        if let Some(v) = text("DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = text("DATABASE_URL") {
            self.database_url = Some(v);
        }
        if let Some(v) = text("DATABASE_MAX_CONNECTIONS") {
            self.database_max_connections = parsed("DATABASE_MAX_CONNECTIONS", v)?;
        }
        if let Some(v) = text("PUBLIC_URL") {
            self.public_url = Some(v);
        }
        if let Some(v) = text("JWT_SECRET") {
            self.jwt_secret = Some(v);
        }
        if let Some(v) = text("ADMIN_EMAIL") {
            self.admin_email = Some(v);
        }
        if let Some(v) = text("ADMIN_PASSWORD") {
            self.admin_password = Some(v);
        }
        if let Some(v) = text("ACCESS_TOKEN_TTL_SECS") {
            self.access_token_ttl_secs = parsed("ACCESS_TOKEN_TTL_SECS", v)?;
        }
        if let Some(v) = text("SESSION_TTL_SECS") {
            self.session_ttl_secs = parsed("SESSION_TTL_SECS", v)?;
        }
        if let Some(v) = text("MAX_BODY_BYTES") {
            self.max_body_bytes = parsed("MAX_BODY_BYTES", v)?;
        }
        if let Some(v) = text("LOGIN_PER_IP_PER_MINUTE") {
            self.login_per_ip_per_minute = parsed("LOGIN_PER_IP_PER_MINUTE", v)?;
        }
        if let Some(v) = text("LOGIN_PER_EMAIL_PER_MINUTE") {
            self.login_per_email_per_minute = parsed("LOGIN_PER_EMAIL_PER_MINUTE", v)?;
        }
        if let Some(v) = text("SIGNUP_PER_IP_PER_HOUR") {
            self.signup_per_ip_per_hour = parsed("SIGNUP_PER_IP_PER_HOUR", v)?;
        }
        if let Some(v) = text("TRUST_FORWARDED_FOR") {
            self.trust_forwarded_for = parsed("TRUST_FORWARDED_FOR", v)?;
        }
        if let Some(v) = text("WORKERS") {
            self.workers = Some(parsed("WORKERS", v)?);
        }
        if let Some(v) = text("SHUTDOWN_TIMEOUT_SECS") {
            self.shutdown_timeout_secs = parsed("SHUTDOWN_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = text("USAGE_REFUSE_AFTER_SECS") {
            self.usage_refuse_after_secs = parsed("USAGE_REFUSE_AFTER_SECS", v)?;
        }
        if let Some(v) = text("USAGE_SHUTDOWN_FLUSH_SECS") {
            self.usage_shutdown_flush_secs = parsed("USAGE_SHUTDOWN_FLUSH_SECS", v)?;
        }
        if let Some(v) = text("METRICS_ENABLED") {
            self.metrics_enabled = parsed("METRICS_ENABLED", v)?;
        }
        if let Some(v) = text("METRICS_TOKEN") {
            self.metrics_token = Some(v.trim().to_owned());
        }
        if let Some(v) = text("OTEL_EXPORTER_OTLP_ENDPOINT") {
            self.otel_exporter_otlp_endpoint = Some(v.trim().to_owned());
        }
        if let Some(v) = text("OTEL_SERVICE_NAME") {
            self.otel_service_name = v.trim().to_owned();
        }
        if let Some(v) = text("UPSTREAM_CONNECT_TIMEOUT_SECS") {
            self.upstream_connect_timeout_secs = parsed("UPSTREAM_CONNECT_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = text("UPSTREAM_FIRST_BYTE_TIMEOUT_SECS") {
            self.upstream_first_byte_timeout_secs = parsed("UPSTREAM_FIRST_BYTE_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = text("UPSTREAM_STREAM_FIRST_BYTE_TIMEOUT_SECS") {
            self.upstream_stream_first_byte_timeout_secs =
                parsed("UPSTREAM_STREAM_FIRST_BYTE_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = text("UPSTREAM_IDLE_TIMEOUT_SECS") {
            self.upstream_idle_timeout_secs = parsed("UPSTREAM_IDLE_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = text("UPSTREAM_TOTAL_TIMEOUT_SECS") {
            self.upstream_total_timeout_secs = parsed("UPSTREAM_TOTAL_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = text("STREAM_KEEP_ALIVE_MS") {
            self.stream_keep_alive_ms = parsed("STREAM_KEEP_ALIVE_MS", v)?;
        }
        if let Some(v) = text("RETRY_BUDGET_MS") {
            self.retry_budget_ms = parsed("RETRY_BUDGET_MS", v)?;
        }
        if let Some(v) = text("BREAKER_FAILURE_THRESHOLD") {
            self.breaker_failure_threshold = parsed("BREAKER_FAILURE_THRESHOLD", v)?;
        }
        if let Some(v) = text("BREAKER_FAILURE_RATE_PERCENT") {
            self.breaker_failure_rate_percent = parsed("BREAKER_FAILURE_RATE_PERCENT", v)?;
        }
        if let Some(v) = text("BREAKER_FAILURE_RATE_WINDOW") {
            self.breaker_failure_rate_window = parsed("BREAKER_FAILURE_RATE_WINDOW", v)?;
        }
        if let Some(v) = text("BREAKER_COOLDOWN_MS") {
            self.breaker_cooldown_ms = parsed("BREAKER_COOLDOWN_MS", v)?;
        }
        if let Some(v) = text("BREAKER_MAX_COOLDOWN_MS") {
            self.breaker_max_cooldown_ms = parsed("BREAKER_MAX_COOLDOWN_MS", v)?;
        }
        if let Some(v) = text("RATE_LIMIT_COOLDOWN_MS") {
            self.rate_limit_cooldown_ms = parsed("RATE_LIMIT_COOLDOWN_MS", v)?;
        }
        if let Some(v) = text("SITE_ROOT") {
            self.site_root = PathBuf::from(v);
        }
        if let Some(v) = text("STREAM_COMMIT_MS") {
            self.stream_commit_ms = parsed("STREAM_COMMIT_MS", v)?;
        }
        if let Some(v) = text("CREDIT_LEASE_TTL_SECS") {
            self.credit_lease_ttl_secs = parsed("CREDIT_LEASE_TTL_SECS", v)?;
        }
        if let Some(v) = text("CREDIT_LEASE_IDLE_SECS") {
            self.credit_lease_idle_secs = parsed("CREDIT_LEASE_IDLE_SECS", v)?;
        }
        if let Some(v) = text("RATE_LIMIT_WINDOW_SECS") {
            self.rate_limit_window_secs = parsed("RATE_LIMIT_WINDOW_SECS", v)?;
        }
        if let Some(v) = text("RATE_LIMIT_KEY_REQUESTS_PER_WINDOW") {
            self.rate_limit_key_requests_per_window =
                parsed("RATE_LIMIT_KEY_REQUESTS_PER_WINDOW", v)?;
        }
        if let Some(v) = text("RATE_LIMIT_ORG_REQUESTS_PER_WINDOW") {
            self.rate_limit_org_requests_per_window =
                parsed("RATE_LIMIT_ORG_REQUESTS_PER_WINDOW", v)?;
        }
        if let Some(v) = text("FREE_MODEL_REQUESTS_PER_WINDOW") {
            self.free_model_requests_per_window = parsed("FREE_MODEL_REQUESTS_PER_WINDOW", v)?;
        }
        if let Some(v) = text("FREE_MODEL_REQUESTS_PER_DAY") {
            self.free_model_requests_per_day = parsed("FREE_MODEL_REQUESTS_PER_DAY", v)?;
        }
        if let Some(v) = text("FREE_MODEL_REQUESTS_PER_DAY_PURCHASED") {
            self.free_model_requests_per_day_purchased =
                parsed("FREE_MODEL_REQUESTS_PER_DAY_PURCHASED", v)?;
        }
        if let Some(v) = text("FREE_MODEL_UNLOCK_PURCHASE_CENTS") {
            self.free_model_unlock_purchase_cents = parsed("FREE_MODEL_UNLOCK_PURCHASE_CENTS", v)?;
        }
        if let Some(v) = text("MASTER_KEY") {
            self.master_key = Some(v);
        }
        if let Some(v) = text("BYOK_FEE_BASIS_POINTS") {
            self.byok_fee_basis_points = parsed("BYOK_FEE_BASIS_POINTS", v)?;
        }
        if let Some(v) = text("BYOK_FREE_REQUESTS_PER_MONTH") {
            self.byok_free_requests_per_month = parsed("BYOK_FREE_REQUESTS_PER_MONTH", v)?;
        }
        if let Some(v) = text("STRIPE_SECRET_KEY") {
            self.stripe_secret_key = Some(v.trim().to_owned());
        }
        if let Some(v) = text("STRIPE_WEBHOOK_SECRET") {
            self.stripe_webhook_secret = Some(v.trim().to_owned());
        }
        if let Some(v) = text("STRIPE_API_BASE") {
            self.stripe_api_base = Some(v.trim().to_owned());
        }
        if let Some(v) = text("CHECKOUT_MIN_CENTS") {
            self.checkout_min_cents = parsed("CHECKOUT_MIN_CENTS", v)?;
        }
        if let Some(v) = text("CHECKOUT_MAX_CENTS") {
            self.checkout_max_cents = parsed("CHECKOUT_MAX_CENTS", v)?;
        }
        if let Some(v) = text("PURCHASE_FEE_BASIS_POINTS") {
            self.purchase_fee_basis_points = parsed("PURCHASE_FEE_BASIS_POINTS", v)?;
        }
        if let Some(v) = text("PURCHASE_FEE_MIN_CENTS") {
            self.purchase_fee_min_cents = parsed("PURCHASE_FEE_MIN_CENTS", v)?;
        }
        if let Some(v) = text("AUTO_TOPUP_CHECK_SECS") {
            self.auto_topup_check_secs = parsed("AUTO_TOPUP_CHECK_SECS", v)?;
        }
        if let Some(v) = text("AUTO_TOPUP_RETRY_SECS") {
            self.auto_topup_retry_secs = parsed("AUTO_TOPUP_RETRY_SECS", v)?;
        }
        if let Some(v) = text("GENERATION_RETENTION_DAYS") {
            self.generation_retention_days = parsed("GENERATION_RETENTION_DAYS", v)?;
        }
        if let Some(v) = text("ALERT_WEBHOOK_ALLOW_PRIVATE") {
            self.alert_webhook_allow_private = parsed("ALERT_WEBHOOK_ALLOW_PRIVATE", v)?;
        }
        if let Some(v) = text("ALERT_WEBHOOK_TIMEOUT_SECS") {
            self.alert_webhook_timeout_secs = parsed("ALERT_WEBHOOK_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = text("ALERT_MAX_ATTEMPTS") {
            self.alert_max_attempts = parsed("ALERT_MAX_ATTEMPTS", v)?;
        }
        if let Some(v) = text("ALERT_RETRY_FIRST_MS") {
            self.alert_retry_first_ms = parsed("ALERT_RETRY_FIRST_MS", v)?;
        }
        if let Some(v) = text("ALERT_RETRY_MAX_SECS") {
            self.alert_retry_max_secs = parsed("ALERT_RETRY_MAX_SECS", v)?;
        }
        if let Some(v) = text("ALERT_CHECK_SECS") {
            self.alert_check_secs = parsed("ALERT_CHECK_SECS", v)?;
        }
        if let Some(v) = text("PROMPT_LOG_MAX_BYTES") {
            self.prompt_log_max_bytes = parsed("PROMPT_LOG_MAX_BYTES", v)?;
        }
        Ok(())
    }

    /// A provider setting by its variable name: the process environment, then `provider_env`.
    pub fn provider_setting(&self, name: &str) -> Option<String> {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .or_else(|| self.provider_env.get(name).cloned())
    }

    /// The database URL, defaulting to an SQLite file in the data folder (created if missing).
    pub fn resolved_database_url(&self) -> Result<String, ConfigError> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        self.ensure_data_dir()?;
        let path = self.data_dir.join("switchboard.db");
        Ok(format!("sqlite://{}?mode=rwc", path.display()))
    }

    pub fn ensure_data_dir(&self) -> Result<(), ConfigError> {
        std::fs::create_dir_all(&self.data_dir).map_err(|source| ConfigError::DataDir {
            path: self.data_dir.clone(),
            source,
        })
    }

    /// Cookies get `Secure` unless the public URL is plain http (local development).
    pub fn cookies_secure(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }

    /// The JWT secret from the config, else the one kept in the data folder (created once).
    pub fn resolved_jwt_secret(&self) -> Result<String, ConfigError> {
        if let Some(secret) = &self.jwt_secret {
            return Ok(secret.clone());
        }
        self.ensure_data_dir()?;
        let path = self.data_dir.join("jwt_secret");
        let io_err = |source| ConfigError::DataDir {
            path: path.clone(),
            source,
        };
        if let Ok(existing) = std::fs::read_to_string(&path)
            && existing.trim().len() >= 32
        {
            tracing::warn!(path = %path.display(), "JWT_SECRET not set; using the generated secret kept in the data folder");
            return Ok(existing.trim().to_owned());
        }
        let secret = hex::encode(rand::random::<[u8; 32]>());
        std::fs::write(&path, &secret).map_err(io_err)?;
        tracing::warn!(path = %path.display(), "JWT_SECRET not set; generated one and kept it in the data folder (set JWT_SECRET in production)");
        Ok(secret)
    }
}

impl Config {
    /// The BYOK master key from the config, else the one kept in the data folder (generated
    /// once, with a warning: a development default). A malformed value is an error, never
    /// replaced: keys encrypted under it would become unreadable.
    pub fn resolved_master_key(
        &self,
    ) -> Result<crate::accounts::byok::crypto::MasterKey, ConfigError> {
        use crate::accounts::byok::crypto::MasterKey;
        let invalid = |message: String| ConfigError::InvalidEnv {
            name: "MASTER_KEY",
            message,
        };
        if let Some(text) = &self.master_key {
            return MasterKey::from_base64(text).map_err(|e| invalid(e.to_string()));
        }
        self.ensure_data_dir()?;
        let path = self.data_dir.join("master_key");
        let io_err = |source| ConfigError::DataDir {
            path: path.clone(),
            source,
        };
        let read = || {
            let existing = std::fs::read_to_string(&path).map_err(io_err)?;
            MasterKey::from_base64(existing.trim())
                .map_err(|e| invalid(format!("{}: {e}", path.display())))
        };
        if path.exists() {
            tracing::warn!(path = %path.display(), "MASTER_KEY not set; using the development key kept in the data folder");
            return read();
        }
        let key = MasterKey::generate();
        match write_private(&path, &key.to_base64()) {
            Ok(()) => {
                tracing::warn!(path = %path.display(), "MASTER_KEY not set; generated a development key and kept it in the data folder (set MASTER_KEY in production)");
                Ok(key)
            }
            // Another process sharing the data folder wrote it first: use that one.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(),
            Err(e) => Err(io_err(e)),
        }
    }
}

/// Writes a secret file readable by its owner only (where the platform has permissions).
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file_and_defaults() {
        let mut config: Config = toml::from_str("bind = \"0.0.0.0:9000\"\nworkers = 3").unwrap();
        assert_eq!(config.bind, "0.0.0.0:9000");
        assert_eq!(config.session_ttl_secs, Config::default().session_ttl_secs);
        config
            .apply_env(|name| match name {
                "BIND" => Some("127.0.0.1:1".into()),
                "TRUST_FORWARDED_FOR" => Some("true".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(config.bind, "127.0.0.1:1");
        assert!(config.trust_forwarded_for);
        assert_eq!(config.workers, Some(3));
    }

    #[test]
    fn the_development_master_key_is_generated_once_and_kept() {
        let dir = std::env::temp_dir().join(format!("sb-master-{}", rand::random::<u64>()));
        let config = Config {
            data_dir: dir.clone(),
            ..Config::default()
        };
        let first = config.resolved_master_key().unwrap();
        let again = config.resolved_master_key().unwrap();
        assert_eq!(first.to_base64(), again.to_base64());
        let given = Config {
            master_key: Some("not a key".into()),
            ..config
        };
        assert!(
            given
                .resolved_master_key()
                .unwrap_err()
                .to_string()
                .contains("MASTER_KEY")
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn bad_values_are_named() {
        let err = Config::default()
            .apply_env(|name| (name == "WORKERS").then(|| "many".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("WORKERS"), "{err}");
        assert!(toml::from_str::<Config>("no_such_setting = 1").is_err());
    }
}
