//! The one decimal parser and the one decimal renderer of money: exact text <-> an `i64`
//! counting units of 10^-`decimals` (nano-dollars: 9 decimals; nano-dollars per million
//! units: 9 decimals per million, 15 per unit). No floating point, no allocation.

use std::fmt;

/// How much a decimal text may say, and what happens to digits finer than the scale.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notation {
    /// Digits with an optional fraction (`"0.15"`, `".5"`): no sign, no exponent. Digits
    /// finer than the scale are rejected, never rounded (a published price is exact).
    Plain,
    /// A number as JSON writes it: an optional sign and exponent (`"-0"`, `"1.5e2"`). Digits
    /// finer than the scale are rounded half away from zero (see `billing`'s rounding rules);
    /// a negative amount is refused unless it is zero.
    Rounded,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
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

/// `text` × 10^`decimals` as an exact non-negative `i64` (`decimals` ≤ 18).
pub fn parse(text: &str, decimals: u32, notation: Notation) -> Result<i64, DecimalError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DecimalError::Empty);
    }
    let (negative, unsigned) = match (notation, text.strip_prefix('-')) {
        (Notation::Plain, Some(_)) => return Err(DecimalError::Negative),
        (Notation::Plain, None) => (false, text),
        (Notation::Rounded, Some(rest)) => (true, rest),
        (Notation::Rounded, None) => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (mantissa, exponent) = match notation {
        Notation::Rounded => match unsigned.find(['e', 'E']) {
            Some(i) => (
                &unsigned[..i],
                unsigned[i + 1..]
                    .parse::<i32>()
                    .map_err(|_| DecimalError::Malformed)?,
            ),
            None => (unsigned, 0),
        },
        Notation::Plain => (unsigned, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int_part.is_empty() && frac_part.is_empty()) || !digits(int_part) || !digits(frac_part) {
        return Err(DecimalError::Malformed);
    }
    // Trailing zeros add no precision: "0.150000000000" is as exact as "0.15".
    let frac_part = frac_part.trim_end_matches('0');
    // The value is all the digits read as one integer, times 10^scale.
    let scale = i64::from(exponent) + i64::from(decimals) - frac_part.len() as i64;
    if scale < 0 && notation == Notation::Plain {
        return Err(DecimalError::TooPrecise { max: decimals });
    }
    let magnitude = scale_digits(int_part.as_bytes(), frac_part.as_bytes(), scale)?;
    if negative && magnitude != 0 {
        return Err(DecimalError::Negative);
    }
    Ok(magnitude)
}

/// The integer of the ASCII digits `int` then `frac` times 10^`scale`, exactly; when
/// `scale` is negative the dropped digits round half away from zero.
fn scale_digits(int: &[u8], frac: &[u8], scale: i64) -> Result<i64, DecimalError> {
    let len = int.len() + frac.len();
    let drop = usize::try_from(-scale).unwrap_or(0);
    if drop > len {
        // Even the first dropped digit is an implied leading zero: below half a unit.
        return Ok(0);
    }
    let kept = len - drop;
    let mut value: i64 = 0;
    let mut round_up = false;
    for (i, &digit) in int.iter().chain(frac).enumerate() {
        if i < kept {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(i64::from(digit - b'0')))
                .ok_or(DecimalError::TooLarge)?;
        } else {
            // Only the first dropped digit decides: below 5 rounds down, 5 and above up.
            round_up = digit >= b'5';
            break;
        }
    }
    if round_up {
        value = value.checked_add(1).ok_or(DecimalError::TooLarge)?;
    }
    if value == 0 || scale <= 0 {
        return Ok(value);
    }
    u32::try_from(scale)
        .ok()
        .and_then(|s| 10_i64.checked_pow(s))
        .and_then(|factor| value.checked_mul(factor))
        .ok_or(DecimalError::TooLarge)
}

/// `value` / 10^`decimals` as exact decimal text without exponent or trailing zeros
/// (`1.5`, `0.000000001`, `-2`, `0`). Writes straight into the formatter.
#[derive(Clone, Copy, Debug)]
pub struct Fixed {
    pub value: i64,
    pub decimals: u32,
}

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.value < 0 { "-" } else { "" };
        let abs = self.value.unsigned_abs();
        let unit = 10_u64.pow(self.decimals);
        let (whole, mut frac) = (abs / unit, abs % unit);
        if frac == 0 {
            return write!(f, "{sign}{whole}");
        }
        let mut width = self.decimals as usize;
        while frac % 10 == 0 {
            frac /= 10;
            width -= 1;
        }
        write!(f, "{sign}{whole}.{frac:0width$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly_by_notation() {
        use DecimalError::*;
        use Notation::*;
        for (notation, text, expected) in [
            // Plain: prices, exact, excess precision refused.
            (Plain, "0.15", Ok(150_000_000)),
            (Plain, ".5", Ok(500_000_000)),
            (Plain, "7.", Ok(7_000_000_000)),
            (Plain, "0.0000000010", Ok(1)),
            (Plain, "0.0000000011", Err(TooPrecise { max: 9 })),
            (Plain, "+1", Err(Malformed)),
            (Plain, "-0", Err(Negative)),
            (Plain, "1e3", Err(Malformed)),
            (Plain, "9223372036.854775807", Ok(i64::MAX)),
            (Plain, "9223372036.854775808", Err(TooLarge)),
            // Rounded: amounts, signs and exponents, half away from zero.
            (Rounded, "+1e-9", Ok(1)),
            (Rounded, "1E+1", Ok(10_000_000_000)),
            (Rounded, "0.0000000005", Ok(1)),
            (Rounded, "5e-10", Ok(1)),
            (Rounded, "5e-11", Ok(0)),
            (Rounded, "0.00000000049999", Ok(0)),
            (Rounded, "0.00000000000000000001", Ok(0)),
            (Rounded, "000.0000000025", Ok(3)),
            (Rounded, "0e999999999", Ok(0)),
            (Rounded, "1e999999999", Err(TooLarge)),
            (Rounded, "1e-2147483648", Ok(0)),
            (Rounded, "-0.0000000001", Ok(0)),
            (Rounded, "-0.000000001", Err(Negative)),
            (Rounded, "-x", Err(Malformed)),
            (Rounded, "9223372036.8547758075", Err(TooLarge)),
        ] {
            assert_eq!(parse(text, 9, notation), expected, "{notation:?} {text}");
        }
    }

    #[test]
    fn fixed_renders_exact_text() {
        let f = |value, decimals| Fixed { value, decimals }.to_string();
        assert_eq!(f(1_500_000, 9), "0.0015");
        assert_eq!(f(-1, 9), "-0.000000001");
        assert_eq!(f(-2_000_000_000, 9), "-2");
        assert_eq!(f(0, 15), "0");
        assert_eq!(f(150_000_000, 15), "0.00000015");
        assert_eq!(f(i64::MIN, 9), "-9223372036.854775808");
        assert_eq!(f(i64::MAX, 18), "9.223372036854775807");
    }
}
