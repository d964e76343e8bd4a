//! Exact prices: decimal strings in, integers held, decimal strings out.
//!
//! A [`Price`] is an `i64` count of **nano-dollars (1e-9 USD) per million
//! units** — per million tokens for token prices, per million requests or
//! images for the per-unit ones. One unit for every price keeps the cost
//! formula uniform (`units × price / 1e6`) and is exact for every published
//! per-token price down to 1e-15 USD. No floating point touches a price.

use std::fmt;

use serde::{Serialize, Serializer};

use super::decimal::{self, DecimalError, Fixed, Notation};
use super::money::USD_DECIMALS;

/// Decimal places of a price's text in USD per million units (whole nano-dollars).
const PER_MILLION_DECIMALS: u32 = USD_DECIMALS;
/// Decimal places of a price's text in USD per single unit: a million is six more.
const PER_UNIT_DECIMALS: u32 = USD_DECIMALS + 6;

/// Nano-dollars per million units. See the module documentation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Price(i64);

impl Price {
    pub const ZERO: Price = Price(0);

    pub const fn from_nanos_per_million(nanos: i64) -> Price {
        Price(nanos)
    }

    /// The exact integer: nano-dollars per million units.
    pub const fn nanos_per_million(self) -> i64 {
        self.0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// The sum of two prices, saturating (a ranking key, never a charge).
    pub fn saturating_add(self, other: Price) -> Price {
        Price(self.0.saturating_add(other.0))
    }

    /// Parses USD per million units (`"0.15"` → 150,000,000), the way token
    /// prices are published. At most nine decimals: anything finer is not a
    /// whole nano-dollar per million and is rejected rather than rounded.
    pub fn parse_usd_per_million(text: &str) -> Result<Price, DecimalError> {
        decimal::parse(text, PER_MILLION_DECIMALS, Notation::Plain).map(Price)
    }

    /// Parses USD per single unit (`"0.005"` per request or per image) into
    /// nano-dollars per million units; at most fifteen decimals.
    pub fn parse_usd_per_unit(text: &str) -> Result<Price, DecimalError> {
        decimal::parse(text, PER_UNIT_DECIMALS, Notation::Plain).map(Price)
    }

    /// USD per single unit as OpenRouter writes it (`"0.00000015"`): exact,
    /// no exponent, trailing zeros trimmed, `"0"` for free.
    pub fn usd_per_unit(self) -> String {
        self.text(PER_UNIT_DECIMALS).to_string()
    }

    /// USD per million units (`"0.15"`), the inverse of
    /// [`Price::parse_usd_per_million`] when the price has ≤ 9 decimals.
    pub fn usd_per_million(self) -> String {
        self.text(PER_MILLION_DECIMALS).to_string()
    }

    fn text(self, decimals: u32) -> Fixed {
        Fixed {
            value: self.0,
            decimals,
        }
    }
}

impl fmt::Display for Price {
    /// USD per million units.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.text(PER_MILLION_DECIMALS).fmt(f)
    }
}

impl Serialize for Price {
    /// As the USD-per-million decimal string, so a snapshot dumped to JSON
    /// reads like the data file.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_million_prices_parse_exactly() {
        let p = |s| Price::parse_usd_per_million(s).unwrap().nanos_per_million();
        assert_eq!(p("0.15"), 150_000_000);
        assert_eq!(p("0.0375"), 37_500_000);
        assert_eq!(p("2.50"), 2_500_000_000);
        assert_eq!(p("75"), 75_000_000_000);
        assert_eq!(p(".5"), 500_000_000);
        assert_eq!(p("0"), 0);
        assert_eq!(p("000.000000001"), 1);
        assert_eq!(p("0.150000000000"), 150_000_000);
    }

    #[test]
    fn per_unit_prices_scale_to_per_million() {
        let p = Price::parse_usd_per_unit("0.005").unwrap();
        assert_eq!(p.nanos_per_million(), 5_000_000_000_000);
        assert_eq!(p.usd_per_unit(), "0.005");
        let tiny = Price::parse_usd_per_unit("0.000000000000001").unwrap();
        assert_eq!(tiny.nanos_per_million(), 1);
    }

    #[test]
    fn bad_prices_are_rejected() {
        use DecimalError::*;
        let p = Price::parse_usd_per_million;
        assert_eq!(p(""), Err(Empty));
        assert_eq!(p("-1"), Err(Negative));
        assert_eq!(p("1e-3"), Err(Malformed));
        assert_eq!(p("$1"), Err(Malformed));
        assert_eq!(p("1.2.3"), Err(Malformed));
        assert_eq!(p("."), Err(Malformed));
        assert_eq!(p("0.0000000001"), Err(TooPrecise { max: 9 }));
        assert_eq!(p("99999999999999999999"), Err(TooLarge));
        assert_eq!(p("9300000000"), Err(TooLarge));
    }

    #[test]
    fn renders_openrouter_per_token_strings() {
        let p = |s| Price::parse_usd_per_million(s).unwrap();
        assert_eq!(p("0.15").usd_per_unit(), "0.00000015");
        assert_eq!(p("0.0375").usd_per_unit(), "0.0000000375");
        assert_eq!(p("30").usd_per_unit(), "0.00003");
        assert_eq!(p("2.50").usd_per_unit(), "0.0000025");
        assert_eq!(p("0").usd_per_unit(), "0");
        assert_eq!(p("1000000").usd_per_unit(), "1");
        assert_eq!(p("0.15").usd_per_million(), "0.15");
        assert_eq!(p("0.15").to_string(), "0.15");
        assert_eq!(serde_json::to_string(&p("2.50")).unwrap(), "\"2.5\"");
    }
}
