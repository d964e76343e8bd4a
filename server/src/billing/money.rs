//! Money is an integer count of nano-dollars (1e-9 USD) in an `i64` (range ±9.2 billion USD).
//! The field is private: amounts are made with [`Nanos::from_nanos`] (a stored column) or
//! parsed, and combined only through the checked or saturating methods here. How USD text
//! rounds to nano-dollars is written in `billing`'s module documentation.
//!
//! Floats appear only when rendering a USD figure into a JSON number, as OpenRouter's API does.

use std::fmt;

use serde::{Serialize, Serializer};

use super::decimal::{self, DecimalError, Fixed, Notation};

/// Decimal places of a USD amount held in nano-dollars.
pub const USD_DECIMALS: u32 = 9;
/// Nano-dollars in one USD: the one place this number is written.
pub const NANOS_PER_USD: i64 = 10_i64.pow(USD_DECIMALS);
/// The largest amount a caller may set as a limit or budget: far above any real spend, and a
/// bound the OpenAPI document can state exactly (the `i64` nano-dollar range ends at an
/// awkward 9223372036.854775807).
pub const MAX_SETTABLE_USD: f64 = 1_000_000_000.0;
const NANOS_PER_CENT: i64 = NANOS_PER_USD / 100;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Nanos(i64);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MoneyError {
    #[error("must be a finite number")]
    NotFinite,
    #[error("must not be negative")]
    Negative,
    #[error("is too large")]
    TooLarge,
    #[error("is not a decimal number")]
    Malformed,
}

impl From<DecimalError> for MoneyError {
    fn from(e: DecimalError) -> Self {
        match e {
            DecimalError::Negative => MoneyError::Negative,
            DecimalError::TooLarge => MoneyError::TooLarge,
            // `Rounded` notation never refuses precision; empty text is malformed here.
            DecimalError::Empty | DecimalError::Malformed | DecimalError::TooPrecise { .. } => {
                MoneyError::Malformed
            }
        }
    }
}

impl Nanos {
    pub const ZERO: Nanos = Nanos(0);
    pub const MAX: Nanos = Nanos(i64::MAX);

    /// An amount already counted in nano-dollars (a stored `*_nanos` column).
    pub const fn from_nanos(nanos: i64) -> Nanos {
        Nanos(nanos)
    }

    /// The count of nano-dollars, for storing in an integer column.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Whole cents (a configured threshold), saturating at [`Nanos::MAX`].
    pub fn from_cents(cents: u64) -> Nanos {
        Nanos(
            i64::try_from(cents)
                .ok()
                .and_then(|c| c.checked_mul(NANOS_PER_CENT))
                .unwrap_or(i64::MAX),
        )
    }

    /// Parse a USD amount written as a decimal string (`"12"`, `"0.000001"`, `"1e-3"`).
    pub fn from_usd_str(text: &str) -> Result<Nanos, MoneyError> {
        Ok(Nanos(decimal::parse(
            text,
            USD_DECIMALS,
            Notation::Rounded,
        )?))
    }

    /// Parse a USD amount that arrived as a JSON number.
    pub fn from_usd_f64(value: f64) -> Result<Nanos, MoneyError> {
        if !value.is_finite() {
            return Err(MoneyError::NotFinite);
        }
        // `Display` of an f64 is the shortest string that round-trips: exactly what was written.
        Nanos::from_usd_str(&format!("{value}"))
    }

    /// The amount as a JSON-ready USD number (the one place a float appears): the double
    /// nearest to the exact decimal amount. Up to 2^53 nanos (about 9 million USD) both
    /// operands are exact doubles and IEEE division rounds correctly, so one division gives
    /// that double; beyond, the decimal text is parsed instead.
    pub fn to_usd_f64(self) -> f64 {
        const EXACT: i64 = 1 << 53;
        if (-EXACT..=EXACT).contains(&self.0) {
            return self.0 as f64 / NANOS_PER_USD as f64;
        }
        self.to_string().parse().unwrap_or(0.0)
    }

    /// `None` when the sum leaves the `i64` range.
    pub fn checked_add(self, other: Nanos) -> Option<Nanos> {
        self.0.checked_add(other.0).map(Nanos)
    }

    /// `None` when the difference leaves the `i64` range.
    pub fn checked_sub(self, other: Nanos) -> Option<Nanos> {
        self.0.checked_sub(other.0).map(Nanos)
    }

    /// For reported figures, where a clamped value beats an error.
    pub fn saturating_add(self, other: Nanos) -> Nanos {
        Nanos(self.0.saturating_add(other.0))
    }

    pub fn saturating_sub(self, other: Nanos) -> Nanos {
        Nanos(self.0.saturating_sub(other.0))
    }

    /// What is left of `self` after `spent`, never below zero (a limit's remainder).
    pub fn remaining_after(self, spent: Nanos) -> Nanos {
        self.saturating_sub(spent).max(Nanos::ZERO)
    }

    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }
}

impl fmt::Display for Nanos {
    /// Exact decimal USD, without trailing zeros: `1.5`, `0.000000001`, `-2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Fixed {
            value: self.0,
            decimals: USD_DECIMALS,
        }
        .fmt(f)
    }
}

/// Serialized as a USD JSON number, OpenRouter's representation of money.
impl Serialize for Nanos {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0 % NANOS_PER_USD == 0 {
            serializer.serialize_i64(self.0 / NANOS_PER_USD)
        } else {
            serializer.serialize_f64(self.to_usd_f64())
        }
    }
}

/// The API's USD figure (shared with the web app): the same JSON number as [`Nanos`] writes.
impl From<Nanos> for api_types::Usd {
    fn from(amount: Nanos) -> Self {
        api_types::Usd::from_f64(amount.to_usd_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_decimal_usd_exactly() {
        assert_eq!(Nanos::from_usd_f64(0.1), Ok(Nanos(100_000_000)));
        assert_eq!(Nanos::from_usd_f64(100.0), Ok(Nanos(100 * NANOS_PER_USD)));
        assert_eq!(Nanos::from_usd_f64(74.5), Ok(Nanos(74_500_000_000)));
        assert_eq!(Nanos::from_usd_f64(1e-9), Ok(Nanos(1)));
        assert_eq!(Nanos::from_usd_str("0.0000000015"), Ok(Nanos(2)));
        assert_eq!(Nanos::from_usd_str("0.0000000014"), Ok(Nanos(1)));
        assert_eq!(Nanos::from_usd_str("0.00000000049"), Ok(Nanos(0)));
        assert_eq!(Nanos::from_usd_str("1.5e2"), Ok(Nanos(150 * NANOS_PER_USD)));
        assert_eq!(Nanos::from_usd_str("007"), Ok(Nanos(7 * NANOS_PER_USD)));
        assert_eq!(Nanos::from_usd_str("-0"), Ok(Nanos(0)));
    }

    #[test]
    fn rejects_bad_amounts() {
        assert_eq!(Nanos::from_usd_f64(-1.0), Err(MoneyError::Negative));
        assert_eq!(Nanos::from_usd_f64(f64::NAN), Err(MoneyError::NotFinite));
        assert_eq!(Nanos::from_usd_f64(1e12), Err(MoneyError::TooLarge));
        assert_eq!(Nanos::from_usd_str("1.2.3"), Err(MoneyError::Malformed));
        assert_eq!(Nanos::from_usd_str(""), Err(MoneyError::Malformed));
        assert_eq!(Nanos::from_usd_str("1e"), Err(MoneyError::Malformed));
    }

    #[test]
    fn renders_exact_decimal_and_json_number() {
        assert_eq!(Nanos(74_500_000_000).to_string(), "74.5");
        assert_eq!(Nanos(1).to_string(), "0.000000001");
        assert_eq!(Nanos(-2 * NANOS_PER_USD).to_string(), "-2");
        assert_eq!(
            serde_json::to_string(&Nanos(25_500_000_000)).unwrap(),
            "25.5"
        );
        assert_eq!(serde_json::to_string(&Nanos(0)).unwrap(), "0");
        assert_eq!(serde_json::to_string(&Nanos(1)).unwrap(), "1e-9");
    }

    /// The division gives exactly the double that parsing the decimal text gives, which is
    /// the correctly rounded one; checked across magnitudes and awkward digit patterns.
    #[test]
    fn the_float_is_the_decimal_amounts_nearest_double() {
        let mut samples: Vec<i64> = vec![0, 1, 7, 10, 150, 2_550, 999_999_999, 1_000_000_001];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            // xorshift: varied digits at every magnitude up to 2^53.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let bits = (x % 54) as u32;
            samples.push((x >> 10) as i64 & ((1i64 << bits) - 1).max(1));
        }
        samples.extend([
            (1 << 53) - 1,
            1 << 53,
            (1 << 53) + 1,
            i64::MAX,
            -(1 << 53),
            -3,
        ]);
        for nanos in samples {
            let parsed: f64 = Nanos(nanos).to_string().parse().unwrap();
            assert_eq!(
                Nanos(nanos).to_usd_f64().to_bits(),
                parsed.to_bits(),
                "{nanos}"
            );
        }
    }

    #[test]
    fn arithmetic_is_checked_or_saturating() {
        let one = Nanos::from_nanos(1);
        assert_eq!(one.checked_add(one), Some(Nanos(2)));
        assert_eq!(Nanos::MAX.checked_add(one), None);
        assert_eq!(Nanos::ZERO.checked_sub(one), Some(Nanos(-1)));
        assert_eq!(Nanos(i64::MIN).checked_sub(one), None);
        assert_eq!(Nanos::MAX.saturating_add(one), Nanos::MAX);
        assert_eq!(Nanos(i64::MIN).saturating_sub(one), Nanos(i64::MIN));
        assert_eq!(Nanos(10).remaining_after(Nanos(3)), Nanos(7));
        assert_eq!(Nanos(10).remaining_after(Nanos(30)), Nanos::ZERO);
        assert_eq!(Nanos::from_nanos(42).as_nanos(), 42);
        assert!(one.is_positive() && !Nanos::ZERO.is_positive() && !Nanos(-1).is_positive());
    }

    #[test]
    fn cents_convert_exactly_and_saturate() {
        assert_eq!(Nanos::from_cents(1_000), Nanos(10 * NANOS_PER_USD));
        assert_eq!(Nanos::from_cents(1), Nanos(10_000_000));
        assert_eq!(Nanos::from_cents(u64::MAX), Nanos::MAX);
        assert_eq!(
            Nanos::from_cents(i64::MAX as u64 / 10_000_000 + 1),
            Nanos::MAX
        );
    }

    #[test]
    fn renders_costs_as_exact_usd_text() {
        assert_eq!(Nanos(1_500_000).to_string(), "0.0015");
        assert_eq!(Nanos(-1).to_string(), "-0.000000001");
    }
}
