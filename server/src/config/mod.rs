//! The one typed configuration. Sources, later ones winning: built-in defaults, an optional
//! TOML file (`CONFIG_FILE`, else `./switchboard.toml` when present), then environment
//! variables named after the fields in upper case (`BIND`, `DATABASE_URL`, ...).
//! Every setting is documented here and in README.md ("Configuration"). The environment is
//! read in [`env`], the generated development secrets are kept in [`secrets`].

mod env;
mod secrets;

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
    InvalidEnv { name: String, message: String },
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
    /// Test alerts (`POST /alerts/test`) an organization may send in any minute; each is a
    /// real delivery to its webhook, so the bound keeps the endpoint from being used to flood
    /// a URL. Counted in the database, so across replicas.
    pub alert_tests_per_minute: u32,
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
            alert_tests_per_minute: 5,
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
}
