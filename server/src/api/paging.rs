//! Bounded integers for listings (`offset`, `page`, `per_page`, `limit`). Each type parses
//! its own field and refuses, with a message naming the field, any value outside its range:
//! so no number a caller writes can reach the database beyond what it binds (an offset above
//! `i64::MAX` once panicked sea-query's SQLite binding) or overflow the page arithmetic.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::accounts::admin::MAX_PER_PAGE;

/// Far beyond any listing this gateway holds, and far below what the database binds.
pub const MAX_OFFSET: u64 = 1_000_000_000;
/// The last page at the largest page size still starts within [`MAX_OFFSET`].
pub const MAX_PAGE: u64 = MAX_OFFSET / MAX_PER_PAGE;
const _: () = assert!((MAX_PAGE - 1) * MAX_PER_PAGE <= MAX_OFFSET);

/// The range one field accepts.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    pub field: &'static str,
    pub min: u64,
    pub max: u64,
}

impl Bounds {
    fn message(&self) -> String {
        format!(
            "{}: must be an integer from {} to {}",
            self.field, self.min, self.max
        )
    }

    fn check(&self, value: Option<u64>) -> Result<u64, String> {
        value
            .filter(|v| (self.min..=self.max).contains(v))
            .ok_or_else(|| self.message())
    }

    /// Decimal digits only: a sign, a fraction or anything else is refused like an
    /// out-of-range value.
    pub fn parse(&self, text: &str) -> Result<u64, String> {
        self.check(text.parse::<u64>().ok())
    }

    fn deserialize<'de, D: Deserializer<'de>>(self, deserializer: D) -> Result<u64, D::Error> {
        // `any`: query strings hand over text, JSON bodies numbers.
        deserializer.deserialize_any(BoundedVisitor(self))
    }
}

struct BoundedVisitor(Bounds);

impl<'de> Visitor<'de> for BoundedVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an integer from {} to {}", self.0.min, self.0.max)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        self.0.check(Some(v)).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        self.0.check(u64::try_from(v).ok()).map_err(E::custom)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<u64, E> {
        Err(E::custom(self.0.message()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        self.0.parse(v).map_err(E::custom)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<u64, E> {
        Err(E::custom(self.0.message()))
    }
}

macro_rules! bounded_integer {
    ($(#[$doc:meta])* $name:ident, $field:literal, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name(u64);

        impl $name {
            pub const BOUNDS: Bounds = Bounds {
                field: $field,
                min: $min,
                max: $max,
            };

            pub fn get(self) -> u64 {
                self.0
            }

            pub fn parse(text: &str) -> Result<Self, String> {
                Self::BOUNDS.parse(text).map($name)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Self::BOUNDS.deserialize(deserializer).map($name)
            }
        }
    };
}

bounded_integer!(
    /// Items to skip in a listing.
    Offset,
    "offset",
    0,
    MAX_OFFSET
);
bounded_integer!(
    /// A 1-based page number.
    PageNumber,
    "page",
    1,
    MAX_PAGE
);
bounded_integer!(
    /// Items per page.
    PerPage,
    "per_page",
    1,
    MAX_PER_PAGE
);
bounded_integer!(
    /// The most items a listing returns (0: an empty page).
    Limit,
    "limit",
    0,
    MAX_OFFSET
);

#[cfg(test)]
mod tests {
    use actix_web::web;
    use serde::Deserialize;

    use super::*;

    fn refused(result: Result<impl fmt::Debug, String>, field: &str) {
        let message = result.expect_err("out of range");
        assert!(message.starts_with(&format!("{field}: ")), "{message}");
    }

    #[test]
    fn offset_edges() {
        assert_eq!(Offset::parse("0").unwrap().get(), 0);
        assert_eq!(
            Offset::parse(&MAX_OFFSET.to_string()).unwrap().get(),
            MAX_OFFSET
        );
        refused(Offset::parse(&(MAX_OFFSET + 1).to_string()), "offset");
        refused(Offset::parse("9223372036854775808"), "offset");
        refused(Offset::parse("99999999999999999999999"), "offset");
        refused(Offset::parse("-1"), "offset");
        refused(Offset::parse("ten"), "offset");
        refused(Offset::parse("1.5"), "offset");
        refused(Offset::parse(""), "offset");
    }

    #[test]
    fn page_edges() {
        refused(PageNumber::parse("0"), "page");
        assert_eq!(PageNumber::parse("1").unwrap().get(), 1);
        assert_eq!(
            PageNumber::parse(&MAX_PAGE.to_string()).unwrap().get(),
            MAX_PAGE
        );
        refused(PageNumber::parse(&(MAX_PAGE + 1).to_string()), "page");
        refused(PageNumber::parse("15850615744084172800"), "page");
        refused(PageNumber::parse("-1"), "page");
        refused(PageNumber::parse("x"), "page");
    }

    #[test]
    fn per_page_edges() {
        refused(PerPage::parse("0"), "per_page");
        assert_eq!(PerPage::parse("1").unwrap().get(), 1);
        assert_eq!(PerPage::parse("100").unwrap().get(), MAX_PER_PAGE);
        refused(PerPage::parse("101"), "per_page");
        refused(PerPage::parse("-1"), "per_page");
        refused(PerPage::parse("many"), "per_page");
    }

    #[test]
    fn limit_edges() {
        assert_eq!(Limit::parse("0").unwrap().get(), 0);
        assert_eq!(
            Limit::parse(&MAX_OFFSET.to_string()).unwrap().get(),
            MAX_OFFSET
        );
        refused(Limit::parse(&(MAX_OFFSET + 1).to_string()), "limit");
        refused(Limit::parse("-1"), "limit");
        refused(Limit::parse("all"), "limit");
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Listing {
        offset: Option<Offset>,
        page: Option<PageNumber>,
    }

    #[test]
    fn query_strings_name_the_field() {
        let parsed = web::Query::<Listing>::from_query("offset=7&page=2").unwrap();
        assert_eq!(parsed.offset.map(Offset::get), Some(7));
        assert_eq!(parsed.page.map(PageNumber::get), Some(2));
        assert!(
            web::Query::<Listing>::from_query("")
                .unwrap()
                .offset
                .is_none()
        );
        let err = web::Query::<Listing>::from_query("offset=9223372036854775808")
            .err()
            .unwrap();
        assert!(err.to_string().contains("offset: must be"), "{err}");
        let err = web::Query::<Listing>::from_query("page=-3").err().unwrap();
        assert!(err.to_string().contains("page: must be"), "{err}");
    }

    #[test]
    fn json_numbers_are_bounded_too() {
        let parsed: Offset = serde_json::from_str("12").unwrap();
        assert_eq!(parsed.get(), 12);
        for bad in ["-1", "1.5", "1e30", "true", "1000000001"] {
            let err = serde_json::from_str::<Offset>(bad).unwrap_err();
            assert!(err.to_string().starts_with("offset: "), "{bad}: {err}");
        }
        assert_eq!(serde_json::from_str::<Offset>("\"3\"").unwrap().get(), 3);
    }
}
