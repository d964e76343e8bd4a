//! What purchasing needs from the configuration, checked once: the purchase bounds and the
//! platform fee, in cents (Stripe's unit for USD), and the Stripe credentials.

use crate::config::Config;

/// The purchase rules: bounds and fee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PurchaseRules {
    pub min_cents: u64,
    pub max_cents: u64,
    /// Basis points of the credit (550 = 5.5 %).
    pub fee_basis_points: u64,
    pub fee_min_cents: u64,
}

impl PurchaseRules {
    pub fn from_config(config: &Config) -> Self {
        PurchaseRules {
            min_cents: config.checkout_min_cents,
            max_cents: config.checkout_max_cents,
            fee_basis_points: config.purchase_fee_basis_points,
            fee_min_cents: config.purchase_fee_min_cents,
        }
    }

    /// The fee on `credit_cents` of credit: the percentage rounded half up to the cent, at
    /// least the minimum. Charged on top: the customer pays credit + fee.
    pub fn fee_cents(&self, credit_cents: u64) -> u64 {
        let scaled = u128::from(credit_cents) * u128::from(self.fee_basis_points);
        let rounded = (scaled + 5_000) / 10_000;
        u64::try_from(rounded)
            .unwrap_or(u64::MAX)
            .max(self.fee_min_cents)
    }

    /// Checks a requested amount of credit against the bounds.
    pub fn check(&self, credit_cents: u64) -> Result<(), String> {
        if credit_cents < self.min_cents || credit_cents > self.max_cents {
            return Err(format!(
                "amount: must be from ${} to ${}",
                cents_text(self.min_cents),
                cents_text(self.max_cents)
            ));
        }
        Ok(())
    }
}

/// `1234` → `"12.34"`.
pub fn cents_text(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Stripe's credentials and where its API lives.
#[derive(Clone, Debug)]
pub struct StripeSettings {
    pub secret_key: Option<String>,
    pub webhook_secret: Option<String>,
    pub api_base: Option<String>,
    pub rules: PurchaseRules,
    /// Where Stripe sends the customer back (`PUBLIC_URL`, else `http://BIND`).
    pub public_url: String,
}

impl StripeSettings {
    pub fn from_config(config: &Config) -> Self {
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", config.bind));
        StripeSettings {
            secret_key: config.stripe_secret_key.clone(),
            webhook_secret: config.stripe_webhook_secret.clone(),
            api_base: config.stripe_api_base.clone(),
            rules: PurchaseRules::from_config(config),
            public_url: public_url.trim_end_matches('/').to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> PurchaseRules {
        PurchaseRules::from_config(&Config::default())
    }

    #[test]
    fn the_fee_is_five_and_a_half_percent_at_least_eighty_cents() {
        let rules = rules();
        assert_eq!(rules.fee_cents(500), 80); // 27.5 cents → the minimum
        assert_eq!(rules.fee_cents(1_455), 80); // 80.025 → 80
        assert_eq!(rules.fee_cents(2_000), 110);
        assert_eq!(rules.fee_cents(1_000_000), 55_000);
        assert_eq!(rules.fee_cents(1_550), 85); // 85.25 → 85
        assert_eq!(rules.fee_cents(1_610), 89); // 88.55 → 89 (half up)
    }

    #[test]
    fn bounds_default_to_five_and_ten_thousand_dollars() {
        let rules = rules();
        assert!(rules.check(500).is_ok());
        assert!(rules.check(1_000_000).is_ok());
        let err = rules.check(499).unwrap_err();
        assert_eq!(err, "amount: must be from $5.00 to $10000.00");
        assert!(rules.check(1_000_001).is_err());
    }
}
