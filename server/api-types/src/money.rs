//! USD figures as the API writes them.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A USD amount rendered as a JSON number: whole amounts without a fraction (`5`), others as
/// the nearest double (`0.25`, `1e-9`), exactly as the server's integer money type writes them.
/// A display figure only: the server never computes with it, and neither should a client
/// beyond showing it.
#[derive(Clone, Copy, Debug, Default, PartialEq, PartialOrd)]
pub struct Usd(f64);

impl Usd {
    pub const ZERO: Usd = Usd(0.0);

    /// The figure as a double (the server passes the double nearest its exact amount).
    pub fn from_f64(usd: f64) -> Usd {
        Usd(usd)
    }

    pub fn as_f64(self) -> f64 {
        self.0
    }

    /// The exact amount in nanodollars (10^-9 USD) the figure stands for. The server holds money
    /// as integer nanos and writes the double nearest them, so rounding back recovers them exactly
    /// for amounts up to $2 million (beyond, within a few nanos). Clients compute with these,
    /// never with the double.
    pub fn to_nanos(self) -> i64 {
        (self.0 * NANOS_PER_USD as f64).round() as i64
    }

    /// The figure for an exact amount in nanodollars.
    pub fn from_nanos(nanos: i64) -> Usd {
        Usd(nanos as f64 / NANOS_PER_USD as f64)
    }
}

/// Nanodollars per US dollar: the unit of the server's integer money.
pub const NANOS_PER_USD: i64 = 1_000_000_000;

/// Whole amounts leave as JSON integers, the rest as doubles.
impl Serialize for Usd {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Every whole double below 2^63 converts to i64 exactly.
        const I64_BOUND: f64 = 9_223_372_036_854_775_808.0;
        if self.0.fract() == 0.0 && self.0.abs() < I64_BOUND {
            serializer.serialize_i64(self.0 as i64)
        } else {
            serializer.serialize_f64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Usd {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Usd, D::Error> {
        f64::deserialize(deserializer).map(Usd)
    }
}

#[cfg(test)]
mod tests {
    use super::Usd;

    #[test]
    fn whole_amounts_are_integers_others_doubles() {
        let json = |usd: f64| serde_json::to_string(&Usd::from_f64(usd)).unwrap();
        assert_eq!(json(0.0), "0");
        assert_eq!(json(25.0), "25");
        assert_eq!(json(-2.0), "-2");
        assert_eq!(json(25.5), "25.5");
        assert_eq!(json(1e-9), "1e-9");
        let back: Usd = serde_json::from_str("12").unwrap();
        assert_eq!(back.as_f64(), 12.0);
        let back: Usd = serde_json::from_str("0.000001").unwrap();
        assert_eq!(back.as_f64(), 0.000001);
    }

    #[test]
    fn nanos_survive_the_double() {
        // The server writes nanos as the nearest double; clients get the same nanos back.
        for nanos in [
            0,
            1,
            -1,
            7,
            123_456_789,
            999_999_999,
            1_000_000_001,
            10_000_000_000,
            -5_432_100_000_123,
            2_000_000_000_000_000,
            -1_999_999_999_999_999,
        ] {
            assert_eq!(Usd::from_nanos(nanos).to_nanos(), nanos, "{nanos}");
            let json = serde_json::to_string(&Usd::from_nanos(nanos)).unwrap();
            let back: Usd = serde_json::from_str(&json).unwrap();
            assert_eq!(back.to_nanos(), nanos, "{json}");
        }
        assert_eq!(
            Usd::from_f64(0.1).to_nanos() + Usd::from_f64(0.2).to_nanos(),
            300_000_000
        );
    }
}
