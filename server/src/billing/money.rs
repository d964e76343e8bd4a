//! Money is an integer count of nano-dollars (1e-9 USD) in an `i64` (range ±9.2 billion USD).
//!
//! Rounding rule: amounts given in USD with more than nine decimals are rounded half away from
//! zero to the nearest nano-dollar. JSON numbers are converted through their shortest decimal
//! representation, so `0.1` becomes exactly 100,000,000 nanos; no float arithmetic touches money.
//! Floats appear only when rendering a USD figure into a JSON number, as OpenRouter's API does.

use std::fmt;

use serde::{Serialize, Serializer};

pub const NANOS_PER_USD: i64 = 1_000_000_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Nanos(pub i64);

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

impl Nanos {
    pub const ZERO: Nanos = Nanos(0);

    /// Parse a USD amount written as a decimal string (`"12"`, `"0.000001"`, `"1e-3"`).
    pub fn from_usd_str(text: &str) -> Result<Nanos, MoneyError> {
        let text = text.trim();
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
            Some(i) => (
                &unsigned[..i],
                unsigned[i + 1..]
                    .parse::<i32>()
                    .map_err(|_| MoneyError::Malformed)?,
            ),
            None => (unsigned, 0),
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if int_part.is_empty() && frac_part.is_empty()
            || !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(MoneyError::Malformed);
        }
        // All digits as one integer, scaled by 10^(exponent - frac digits + 9).
        let digits: String = int_part.chars().chain(frac_part.chars()).collect();
        let digits = digits.trim_start_matches('0');
        let scale = exponent - frac_part.len() as i32 + 9;
        let magnitude = scale_digits(digits, scale)?;
        if negative && magnitude != 0 {
            return Err(MoneyError::Negative);
        }
        Ok(Nanos(magnitude))
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

    pub fn saturating_sub(self, other: Nanos) -> Nanos {
        Nanos(self.0.saturating_sub(other.0))
    }
}

/// `digits` (no leading zeros) times 10^scale, rounding half away from zero when scale < 0.
fn scale_digits(digits: &str, scale: i32) -> Result<i64, MoneyError> {
    if digits.is_empty() {
        return Ok(0);
    }
    let max_digits = 19;
    if scale >= 0 {
        if digits.len() as i32 + scale > max_digits {
            return Err(MoneyError::TooLarge);
        }
        let base: i64 = digits.parse().map_err(|_| MoneyError::TooLarge)?;
        return base
            .checked_mul(10i64.pow(scale as u32))
            .ok_or(MoneyError::TooLarge);
    }
    let drop = (-scale) as usize;
    if drop > digits.len() {
        return Ok(0); // below half a nano-dollar (at least two orders of magnitude smaller)
    }
    let (kept, dropped) = digits.split_at(digits.len() - drop);
    if kept.len() as i32 > max_digits {
        return Err(MoneyError::TooLarge);
    }
    let mut value: i64 = if kept.is_empty() {
        0
    } else {
        kept.parse().map_err(|_| MoneyError::TooLarge)?
    };
    if dropped.as_bytes().first().is_some_and(|&d| d >= b'5') {
        value = value.checked_add(1).ok_or(MoneyError::TooLarge)?;
    }
    Ok(value)
}

impl fmt::Display for Nanos {
    /// Exact decimal USD, without trailing zeros: `1.5`, `0.000000001`, `-2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = abs / NANOS_PER_USD as u64;
        let frac = abs % NANOS_PER_USD as u64;
        if frac == 0 {
            write!(f, "{sign}{whole}")
        } else {
            let frac = format!("{frac:09}");
            write!(f, "{sign}{whole}.{}", frac.trim_end_matches('0'))
        }
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
}
