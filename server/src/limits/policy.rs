//! Which limits apply to an organization: the configured plan, an admin's override laid over
//! it, and the `:free` daily cap that grows once the organization has bought credits.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::billing::money::Nanos;
use crate::config::Config;

/// The largest value an override may set (0 means "no limit").
pub const MAX_LIMIT: u32 = 100_000_000;

/// The configured plan every organization gets unless an admin overrides it.
#[derive(Clone, Debug)]
pub struct Plan {
    pub window: Duration,
    pub key_requests_per_window: u32,
    pub org_requests_per_window: u32,
    pub free_requests_per_window: u32,
    pub free_requests_per_day: u32,
    pub free_requests_per_day_purchased: u32,
    /// Lifetime purchases at or above this raise the daily `:free` cap.
    pub free_unlock_purchase: Nanos,
}

impl Plan {
    pub fn from_config(config: &Config) -> Plan {
        Plan {
            window: Duration::from_secs(config.rate_limit_window_secs.max(1)),
            key_requests_per_window: config.rate_limit_key_requests_per_window,
            org_requests_per_window: config.rate_limit_org_requests_per_window,
            free_requests_per_window: config.free_model_requests_per_window,
            free_requests_per_day: config.free_model_requests_per_day,
            free_requests_per_day_purchased: config.free_model_requests_per_day_purchased,
            free_unlock_purchase: Nanos::from_cents(config.free_model_unlock_purchase_cents),
        }
    }

    /// The limits of an organization with this override (if any) and these lifetime purchases.
    pub fn effective(&self, over: Option<&Override>, purchased: Nanos) -> Limits {
        let over = over.cloned().unwrap_or_default();
        let daily = if purchased >= self.free_unlock_purchase {
            self.free_requests_per_day_purchased
        } else {
            self.free_requests_per_day
        };
        Limits {
            window_seconds: self.window.as_secs(),
            key_requests_per_window: over
                .key_requests_per_window
                .unwrap_or(self.key_requests_per_window),
            org_requests_per_window: over
                .org_requests_per_window
                .unwrap_or(self.org_requests_per_window),
            free_requests_per_window: over
                .free_requests_per_window
                .unwrap_or(self.free_requests_per_window),
            free_requests_per_day: over.free_requests_per_day.unwrap_or(daily),
        }
    }
}

/// An admin's per-organization override: each field given replaces the plan's value; an
/// absent or null field keeps it. 0 means "no limit".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Override {
    #[schema(maximum = 100_000_000)]
    pub key_requests_per_window: Option<u32>,
    #[schema(maximum = 100_000_000)]
    pub org_requests_per_window: Option<u32>,
    #[schema(maximum = 100_000_000)]
    pub free_requests_per_window: Option<u32>,
    /// Replaces the daily `:free` cap whatever the organization has purchased.
    #[schema(maximum = 100_000_000)]
    pub free_requests_per_day: Option<u32>,
}

impl Override {
    /// Checks the values before anything is stored; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        for (name, value) in [
            ("key_requests_per_window", self.key_requests_per_window),
            ("org_requests_per_window", self.org_requests_per_window),
            ("free_requests_per_window", self.free_requests_per_window),
            ("free_requests_per_day", self.free_requests_per_day),
        ] {
            if value.is_some_and(|v| v > MAX_LIMIT) {
                return Err(format!(
                    "{name}: must be between 0 (no limit) and {MAX_LIMIT}"
                ));
            }
        }
        if *self == Override::default() {
            return Err(
                "Give at least one limit to override (or DELETE the override to use the plan)"
                    .into(),
            );
        }
        Ok(())
    }
}

/// The limits in force for an organization. 0 means "no limit".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Limits {
    /// The window the `*_per_window` limits refill over.
    pub window_seconds: u64,
    pub key_requests_per_window: u32,
    pub org_requests_per_window: u32,
    pub free_requests_per_window: u32,
    pub free_requests_per_day: u32,
}

/// Whether the free-variant limits apply to a request, decided from the model names it asks
/// for (`model` and its `models` fallbacks) before routing: a request that may be served by a
/// `:free` variant (or the `openrouter/free` router) counts as a free request, so a paid
/// fallback cannot be used to dodge the free caps. Once routing exposes `is_free` on its plan,
/// that is the better source.
pub fn is_free_request<S: AsRef<str>>(models: &[S]) -> bool {
    models.iter().map(AsRef::as_ref).any(|m| {
        let m = m.trim();
        m.ends_with(":free") || m == "openrouter/free"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan::from_config(&Config::default())
    }

    #[test]
    fn defaults_follow_openrouters_free_limits() {
        let limits = plan().effective(None, Nanos::ZERO);
        assert_eq!(limits.window_seconds, 60);
        assert_eq!(limits.free_requests_per_window, 20);
        assert_eq!(limits.free_requests_per_day, 50);
        // $10 of purchases unlock 1000 per day; $9.99 do not.
        let ten = Nanos::from_cents(1_000);
        assert_eq!(plan().effective(None, ten).free_requests_per_day, 1000);
        assert_eq!(
            plan()
                .effective(None, ten.saturating_sub(Nanos::from_cents(1)))
                .free_requests_per_day,
            50
        );
    }

    #[test]
    fn the_plan_comes_from_the_environment_too() {
        let mut config = Config::default();
        config
            .apply_env(|name| match name {
                "RATE_LIMIT_WINDOW_SECS" => Some("10".into()),
                "RATE_LIMIT_KEY_REQUESTS_PER_WINDOW" => Some("7".into()),
                "RATE_LIMIT_ORG_REQUESTS_PER_WINDOW" => Some("0".into()),
                "FREE_MODEL_REQUESTS_PER_WINDOW" => Some("3".into()),
                "FREE_MODEL_REQUESTS_PER_DAY" => Some("9".into()),
                "FREE_MODEL_REQUESTS_PER_DAY_PURCHASED" => Some("90".into()),
                "FREE_MODEL_UNLOCK_PURCHASE_CENTS" => Some("500".into()),
                _ => None,
            })
            .unwrap();
        let plan = Plan::from_config(&config);
        let five_dollars = Nanos::from_cents(500);
        assert_eq!(
            plan.effective(None, Nanos::ZERO),
            Limits {
                window_seconds: 10,
                key_requests_per_window: 7,
                org_requests_per_window: 0,
                free_requests_per_window: 3,
                free_requests_per_day: 9,
            }
        );
        assert_eq!(plan.effective(None, five_dollars).free_requests_per_day, 90);
        let err = Config::default()
            .apply_env(|name| (name == "FREE_MODEL_REQUESTS_PER_DAY").then(|| "-1".into()))
            .unwrap_err();
        assert!(
            err.to_string().contains("FREE_MODEL_REQUESTS_PER_DAY"),
            "{err}"
        );
    }

    #[test]
    fn an_override_replaces_only_what_it_names() {
        let over = Override {
            key_requests_per_window: Some(5),
            free_requests_per_day: Some(0),
            ..Override::default()
        };
        let limits = plan().effective(Some(&over), Nanos::ZERO);
        assert_eq!(limits.key_requests_per_window, 5);
        assert_eq!(limits.free_requests_per_day, 0);
        assert_eq!(
            limits.org_requests_per_window,
            Config::default().rate_limit_org_requests_per_window
        );
    }

    #[test]
    fn validation_names_the_field() {
        let err = Override {
            org_requests_per_window: Some(MAX_LIMIT + 1),
            ..Override::default()
        }
        .validate()
        .unwrap_err();
        assert!(err.starts_with("org_requests_per_window:"), "{err}");
        assert!(Override::default().validate().is_err());
    }

    #[test]
    fn free_requests_are_recognised_by_name() {
        assert!(is_free_request(&["meta-llama/llama-3.3-70b-instruct:free"]));
        assert!(is_free_request(&["openai/gpt-4o", "x/y:free"]));
        assert!(is_free_request(&["openrouter/free"]));
        assert!(!is_free_request(&[
            "openai/gpt-4o",
            "anthropic/claude:freedom"
        ]));
        assert!(!is_free_request::<&str>(&[]));
    }
}
