//! Exact prices: decimal strings in, integers held, decimal strings out.
//!
//! A [`Price`] is an `i64` count of **nano-dollars (1e-9 USD) per million
//! units** — per million tokens for token prices, per million requests or
//! images for the per-unit ones. One unit for every price keeps the cost
//! formula uniform (`units × price / 1e6`) and is exact for every published
//! per-token price down to 1e-15 USD. No floating point touches a price.

use std::fmt;

use serde::{Serialize, Serializer};

/// Nano-dollars in one USD.
const NANOS_PER_USD: i64 = 1_000_000_000;

/// Nano-dollars per million units. See the module documentation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Price(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("is empty")]
    Empty,
    #[error("is not a plain decimal number such as \"0.15\"")]
    Malformed,
    #[error("must not be negative")]
    Negative,
    #[error("has more than {max} decimal places")]
    TooPrecise { max: u32 },
    #[error("is too large")]
    TooLarge,
}

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

    /// Parses USD per million units (`"0.15"` → 150,000,000), the way token
    /// prices are published. At most nine decimals: anything finer is not a
    /// whole nano-dollar per million and is rejected rather than rounded.
    pub fn parse_usd_per_million(text: &str) -> Result<Price, PriceError> {
        parse_scaled(text, 9).map(Price)
    }

    /// Parses USD per single unit (`"0.005"` per request or per image) into
    /// nano-dollars per million units; at most fifteen decimals.
    pub fn parse_usd_per_unit(text: &str) -> Result<Price, PriceError> {
        parse_scaled(text, 15).map(Price)
    }

    /// USD per single unit as OpenRouter writes it (`"0.00000015"`): exact,
    /// no exponent, trailing zeros trimmed, `"0"` for free.
    pub fn usd_per_unit(self) -> String {
        render(self.0, 15)
    }

    /// USD per million units (`"0.15"`), the inverse of
    /// [`Price::parse_usd_per_million`] when the price has ≤ 9 decimals.
    pub fn usd_per_million(self) -> String {
        render(self.0, 9)
    }
}

impl fmt::Display for Price {
    /// USD per million units.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.usd_per_million())
    }
}

impl Serialize for Price {
    /// As the USD-per-million decimal string, so a snapshot dumped to JSON
    /// reads like the data file.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.usd_per_million())
    }
}

/// `text` × 10^`decimals`, exactly, from a plain non-negative decimal.
fn parse_scaled(text: &str, decimals: u32) -> Result<i64, PriceError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(PriceError::Empty);
    }
    if text.starts_with('-') {
        return Err(PriceError::Negative);
    }
    let (int_part, frac_part) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty()) || !digits(int_part) || !digits(frac_part) {
        return Err(PriceError::Malformed);
    }
    // Trailing zeros add no precision: "0.150000000000" is fine.
    let frac_part = frac_part.trim_end_matches('0');
    if frac_part.len() > decimals as usize {
        return Err(PriceError::TooPrecise { max: decimals });
    }
    // Digits only by now, so a parse failure can only be overflow.
    let int_digits = int_part.trim_start_matches('0');
    let int: i64 = if int_digits.is_empty() {
        0
    } else {
        int_digits.parse().map_err(|_| PriceError::TooLarge)?
    };
    let frac: i64 = if frac_part.is_empty() {
        0
    } else {
        // ≤ 15 digits always fits; pad to `decimals` digits.
        frac_part
            .parse::<i64>()
            .map_err(|_| PriceError::Malformed)?
            * 10_i64.pow(decimals - frac_part.len() as u32)
    };
    int.checked_mul(10_i64.pow(decimals))
        .and_then(|v| v.checked_add(frac))
        .ok_or(PriceError::TooLarge)
}

/// `value` / 10^`decimals` as an exact decimal string.
fn render(value: i64, decimals: u32) -> String {
    let scale = 10_i64.pow(decimals);
    let (int, frac) = (value / scale, (value % scale).abs());
    let sign = if value < 0 && int == 0 { "-" } else { "" };
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let frac = format!("{frac:0width$}", width = decimals as usize);
    format!("{sign}{int}.{}", frac.trim_end_matches('0'))
}

/// Nano-dollars as an exact USD decimal string (`1_500_000` → `"0.0015"`),
/// for callers rendering a cost.
pub fn nanos_to_usd(nanos: i64) -> String {
    render(nanos, NANOS_PER_USD.ilog10())
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
        use PriceError::*;
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
        assert_eq!(nanos_to_usd(1_500_000), "0.0015");
        assert_eq!(nanos_to_usd(-1), "-0.000000001");
    }
}
