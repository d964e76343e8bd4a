//! Environment overrides: each setting from the variable named after its field in upper case
//! (`bind` from `BIND`). An empty or blank variable counts as unset.

use std::path::PathBuf;

use super::{Config, ConfigError};

/// A setting's value read from its variable's text.
trait FromEnv: Sized {
    fn from_env(text: &str) -> Result<Self, String>;
}

macro_rules! parsed_from_env {
    ($($t:ty),*) => {$(
        impl FromEnv for $t {
            fn from_env(text: &str) -> Result<Self, String> {
                text.trim().parse().map_err(|e: <$t as std::str::FromStr>::Err| e.to_string())
            }
        }
    )*};
}
parsed_from_env!(u32, u64, usize, bool);

/// Text is taken without surrounding white space, which a shell or `.env` file easily adds
/// to a URL, token or key.
impl FromEnv for String {
    fn from_env(text: &str) -> Result<Self, String> {
        Ok(text.trim().to_owned())
    }
}

impl FromEnv for PathBuf {
    fn from_env(text: &str) -> Result<Self, String> {
        Ok(PathBuf::from(text.trim()))
    }
}

impl<T: FromEnv> FromEnv for Option<T> {
    fn from_env(text: &str) -> Result<Self, String> {
        T::from_env(text).map(Some)
    }
}

/// `self.field = <FIELD>` for each field named, where the variable is set.
macro_rules! from_env {
    ($config:ident, $get:ident: $($field:ident),* $(,)?) => {$(
        let name = stringify!($field).to_ascii_uppercase();
        if let Some(text) = $get(&name).filter(|v| !v.trim().is_empty()) {
            $config.$field = FromEnv::from_env(&text)
                .map_err(|message| ConfigError::InvalidEnv { name: name.clone(), message })?;
        }
    )*};
}

impl Config {
    /// Overrides from an environment lookup; taking a closure keeps tests off the real
    /// environment. Every field but `provider_env` and `auto_router` (file only; provider
    /// variables are read from the process environment directly, see
    /// [`Config::provider_setting`]).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        from_env!(self, get:
            bind, data_dir, database_url, database_max_connections, public_url, jwt_secret,
            admin_email, access_token_ttl_secs, session_ttl_secs, max_body_bytes,
            login_per_ip_per_minute, login_per_email_per_minute, signup_per_ip_per_hour,
            trust_forwarded_for, workers, shutdown_timeout_secs, usage_refuse_after_secs,
            usage_shutdown_flush_secs, metrics_enabled, metrics_token,
            otel_exporter_otlp_endpoint, otel_service_name, upstream_connect_timeout_secs,
            upstream_first_byte_timeout_secs, upstream_stream_first_byte_timeout_secs,
            upstream_idle_timeout_secs, upstream_total_timeout_secs, stream_keep_alive_ms,
            retry_budget_ms, breaker_failure_threshold, breaker_failure_rate_percent,
            breaker_failure_rate_window, breaker_cooldown_ms, breaker_max_cooldown_ms,
            rate_limit_cooldown_ms, site_root, stream_commit_ms, credit_lease_ttl_secs,
            credit_lease_idle_secs, rate_limit_window_secs, rate_limit_key_requests_per_window,
            rate_limit_org_requests_per_window, free_model_requests_per_window,
            free_model_requests_per_day, free_model_requests_per_day_purchased,
            free_model_unlock_purchase_cents, master_key, byok_fee_basis_points,
            byok_free_requests_per_month, stripe_secret_key, stripe_webhook_secret,
            stripe_api_base, checkout_min_cents, checkout_max_cents, purchase_fee_basis_points,
            purchase_fee_min_cents, auto_topup_check_secs, auto_topup_retry_secs,
            generation_retention_days, alert_webhook_allow_private, alert_webhook_timeout_secs,
            alert_max_attempts, alert_retry_first_ms, alert_retry_max_secs, alert_check_secs,
            alert_tests_per_minute, prompt_log_max_bytes,
        );
        // A password is taken exactly as given: white space may be part of it.
        if let Some(password) = get("ADMIN_PASSWORD").filter(|v| !v.trim().is_empty()) {
            self.admin_password = Some(password);
        }
        Ok(())
    }
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
                "STRIPE_API_BASE" => Some(" http://127.0.0.1:2/ \n".into()),
                "ALERT_TESTS_PER_MINUTE" => Some("12".into()),
                "ADMIN_PASSWORD" => Some(" spaced ".into()),
                "METRICS_TOKEN" => Some("   ".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(config.bind, "127.0.0.1:1");
        assert!(config.trust_forwarded_for);
        assert_eq!(config.workers, Some(3));
        assert_eq!(
            config.stripe_api_base.as_deref(),
            Some("http://127.0.0.1:2/")
        );
        assert_eq!(config.alert_tests_per_minute, 12);
        assert_eq!(config.admin_password.as_deref(), Some(" spaced "));
        assert_eq!(config.metrics_token, None, "a blank variable is unset");
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
