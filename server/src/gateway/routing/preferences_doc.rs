//! Document-only schemas for the provider-routing preferences, which the gateway parses by
//! hand (`gateway::routing::preferences`, to name the field at fault). They state that
//! parser's grammar: every field may be `null` (ignored); unknown fields are refused;
//! `max_price` prices are exact decimals (`billing::decimal`'s plain notation) spelt out as
//! patterns generated from the same bounds, checked against the parser by the tests below.

#![allow(dead_code)] // types for the document, never built

use serde::Deserialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, AnyOfBuilder, ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema,
    SchemaType, Type,
};
use utoipa::{PartialSchema, ToSchema};

use crate::gateway::catalog::Quantization;

use crate::gateway::catalog::spec_doc::WHITE_SPACE_CLASS as WHITE_SPACE;

/// A provider name in `order`, `only` and `ignore`: anything but blank (it is trimmed and
/// lower-cased; a name no endpoint has matches nothing). The white space is Rust's
/// `char::is_whitespace`, spelt out.
const PROVIDER_NAME_PATTERN: &str =
    r"[^\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

/// `null`, or a list of provider names.
fn provider_names() -> RefOr<Schema> {
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(PROVIDER_NAME_PATTERN)),
        )
        .description(Some("Provider names (slugs), case-insensitive."))
        .build()
        .into()
}

fn non_negative() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Number)
        .minimum(Some(0))
}

/// `null`, a non-negative number, or percentile cutoffs of which `p50` is required and used
/// (the only percentile the gateway measures; the others may be numbers or `null`).
fn percentile_target() -> RefOr<Schema> {
    let other =
        || ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::Number, Type::Null]));
    let cutoffs = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("p50", non_negative())
        .required("p50")
        .property("p75", other())
        .property("p90", other())
        .property("p99", other())
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    OneOfBuilder::new()
        .item(non_negative())
        .item(cutoffs)
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}

/// `null`, or a list of [`Quantization`] names in any ASCII case (the parser lower-cases them):
/// the names come from the catalog enum's own schema, so the two cannot drift.
fn quantizations() -> RefOr<Schema> {
    let names: Vec<String> = match Quantization::schema() {
        RefOr::T(Schema::Object(object)) => object
            .enum_values
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(any_case(&names)))
                .description(Some("A `Quantization`, case-insensitive.")),
        )
        .build()
        .into()
}

/// One of `names`, each letter in either case.
fn any_case(names: &[String]) -> String {
    let alternatives: Vec<String> = names
        .iter()
        .map(|name| {
            name.chars()
                .map(|c| {
                    if c.is_ascii_alphabetic() {
                        format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        })
        .collect();
    format!("^(?:{})$", alternatives.join("|"))
}

/// Decimal places of `max_price`'s per-million prices (`prompt`, `completion`) and of its
/// per-unit prices (`request`, `image`, `audio`): `billing::price`'s.
const PER_MILLION_DECIMALS: u32 = 9;
const PER_UNIT_DECIMALS: u32 = 15;

/// The plain decimals `billing::decimal::parse(_, decimals, Plain)` accepts, white space
/// around: digits with an optional fraction (`"0.5"`, `"5."`, `".5"`), no sign or exponent, at
/// most `decimals` significant fraction digits (trailing zeros are free, leading zeros too), and
/// a value whose `10^decimals` multiple fits an `i64`.
pub(crate) fn decimal_pattern(decimals: u32) -> String {
    let unit = 10_i64.pow(decimals);
    let int_bound = (i64::MAX / unit).to_string();
    let frac_bound = format!("{:0width$}", i64::MAX % unit, width = decimals as usize);
    let d = decimals;
    let shorter = int_bound.len() - 1;
    let any_frac = format!(r"(?:\.[0-9]{{0,{d}}}0*)?");
    // A fraction of L significant digits is at most the bound's first L digits.
    let mut bounded_frac: Vec<String> = (1..=frac_bound.len())
        .map(|l| digits_at_most(&frac_bound[..l]))
        .collect();
    bounded_frac.push(String::new());
    let forms = [
        // Fewer integer digits than the bound: any fraction.
        format!("0*[0-9]{{1,{shorter}}}{any_frac}"),
        format!(r"0*\.[0-9]{{1,{d}}}0*"),
        // As many digits, below the bound: any fraction.
        format!("0*{}{any_frac}", digits_below(&int_bound)),
        // The bound itself: a fraction up to the bound's.
        format!(r"0*{int_bound}(?:\.(?:{})0*)?", bounded_frac.join("|")),
    ];
    format!("^{WHITE_SPACE}*(?:{}){WHITE_SPACE}*$", forms.join("|"))
}

/// Digit strings as long as `bound` and below it.
fn digits_below(bound: &str) -> String {
    let digits: Vec<u32> = bound.chars().filter_map(|c| c.to_digit(10)).collect();
    let mut alternatives = Vec::new();
    for (i, &digit) in digits.iter().enumerate() {
        if digit == 0 {
            continue;
        }
        let rest = digits.len() - i - 1;
        alternatives.push(format!("{}[0-{}][0-9]{{{rest}}}", &bound[..i], digit - 1));
    }
    if alternatives.is_empty() {
        // Nothing is below all zeros.
        return r"[^\s\S]".to_owned();
    }
    format!("(?:{})", alternatives.join("|"))
}

/// Digit strings as long as `bound` and at most it.
fn digits_at_most(bound: &str) -> String {
    format!("(?:{}|{bound})", digits_below(bound))
}

/// A `max_price` price: a decimal string, or a JSON integer (read from its text, as the
/// string would be) within the same bound; `null` is ignored.
fn price(decimals: u32, unit: &str) -> RefOr<Schema> {
    let max_integer = i64::MAX / 10_i64.pow(decimals);
    AnyOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(decimal_pattern(decimals))),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0))
                .maximum(Some(max_integer)),
        )
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(format!(
            "USD {unit}, an exact decimal of at most {decimals} decimal places (no sign, no \
             exponent). A JSON number is read from its text as a string would be."
        )))
        .into()
}

/// `max_price`: `null`, or prices of which each may be `null`; other keys are refused.
fn max_price() -> RefOr<Schema> {
    let per_million = || price(PER_MILLION_DECIMALS, "per million tokens");
    let per_unit = |unit| price(PER_UNIT_DECIMALS, unit);
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .property("prompt", per_million())
        .property("completion", per_million())
        .property("request", per_unit("per request"))
        .property("image", per_unit("per image"))
        .property("audio", per_unit("per audio unit (accepted, not compared)"))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .description(Some(
            "Only endpoints whose prices are at most these (`prompt`/`completion` USD per \
             million tokens, `request`/`image` USD each).",
        ))
        .into()
}

/// `data_collection`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DataCollection {
    Allow,
    Deny,
}

/// `sort` as a string: the order endpoints are tried in.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SortBy {
    Price,
    Throughput,
    Latency,
}

/// `sort.partition`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Partition {
    Model,
    None,
}

/// `sort` as an object.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SortObject {
    by: Option<SortBy>,
    partition: Option<Partition>,
}

/// `sort`: a key, or `{by, partition}`.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Sort {
    By(SortBy),
    Object(SortObject),
}

/// The request's `provider` object (OpenRouter's provider routing).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ProviderPreferences)]
pub struct ProviderPreferencesDoc {
    /// Whether other providers may serve the request when the preferred ones fail.
    allow_fallbacks: Option<bool>,
    /// Only endpoints that support every parameter of the request.
    require_parameters: Option<bool>,
    /// Only endpoints with zero data retention.
    zdr: Option<bool>,
    data_collection: Option<DataCollection>,
    sort: Option<Sort>,
    /// Providers to try first, in this order (turns off load balancing).
    #[schema(schema_with = provider_names)]
    order: Option<Vec<String>>,
    /// Only these providers.
    #[schema(schema_with = provider_names)]
    only: Option<Vec<String>>,
    /// Never these providers.
    #[schema(schema_with = provider_names)]
    ignore: Option<Vec<String>>,
    /// Only endpoints serving one of these weight precisions (`Quantization`, in any case).
    #[schema(schema_with = quantizations)]
    quantizations: Option<Vec<Quantization>>,
    /// Only endpoints priced at most this much.
    #[schema(schema_with = max_price)]
    max_price: Option<f64>,
    /// Accepted for compatibility (the catalog records no distillation terms).
    enforce_distillable_text: Option<bool>,
    /// Prefer endpoints with at least this median throughput (tokens per second).
    #[schema(schema_with = percentile_target)]
    preferred_min_throughput: Option<f64>,
    /// Prefer endpoints with at most this median latency (seconds).
    #[schema(schema_with = percentile_target)]
    preferred_max_latency: Option<f64>,
}

/// `PUT /organizations/{org_id}/routing`: the organization's defaults, merged under each
/// request's `provider`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RoutingDefaultsRequest)]
pub struct RoutingDefaultsDoc {
    zdr: Option<bool>,
    data_collection: Option<DataCollection>,
    sort: Option<Sort>,
    /// Only these providers (a request's own `only` replaces it).
    #[schema(schema_with = provider_names)]
    only: Option<Vec<String>>,
    /// Never these providers (added to a request's own `ignore`).
    #[schema(schema_with = provider_names)]
    ignore: Option<Vec<String>>,
}

/// The patterns must accept exactly what the parsers accept, or a client (and the fuzzer) is
/// told a lie: checked on the edges of every rule.
#[cfg(test)]
mod tests {
    use regex::RegexBuilder;

    use super::*;
    use crate::billing::decimal::{Notation, parse};

    fn matches(pattern: &str, text: &str) -> bool {
        RegexBuilder::new(pattern)
            .size_limit(1 << 26)
            .build()
            .unwrap_or_else(|e| panic!("{pattern}: {e}"))
            .is_match(text)
    }

    #[test]
    fn decimal_patterns_accept_what_the_parser_accepts() {
        for decimals in [PER_MILLION_DECIMALS, PER_UNIT_DECIMALS] {
            let pattern = decimal_pattern(decimals);
            let unit = 10_i64.pow(decimals);
            let int = (i64::MAX / unit).to_string();
            let frac = format!("{:0w$}", i64::MAX % unit, w = decimals as usize);
            let below_frac = format!("{:0w$}", i64::MAX % unit - 1, w = decimals as usize);
            let above_frac = format!("{:0w$}", i64::MAX % unit + 1, w = decimals as usize);
            let next_int = (i64::MAX / unit + 1).to_string();
            let fine = "1".repeat(decimals as usize);
            let too_fine = "1".repeat(decimals as usize + 1);
            let mut samples: Vec<String> = [
                "0",
                "00",
                "0.5",
                "5.",
                ".5",
                ".",
                "",
                " ",
                "-0",
                "-1",
                "+1",
                "1e3",
                "1E-3",
                "0x10",
                "1.2.3",
                "1,5",
                "١",
                " 1 ",
                "\u{a0}2\u{3000}",
                "\u{feff}1",
                "1\u{1c}",
                "0.50000000000000000000",
                "abc",
                "1 1",
                "007.25",
                "5.0",
                "00000000000000000000000001",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            for s in [
                format!("0.{fine}"),
                format!("0.{too_fine}"),
                format!("0.{fine}0000"),
                format!(".{too_fine}"),
                int.clone(),
                format!("{int}."),
                format!("{int}.{frac}"),
                format!("{int}.{frac}000"),
                format!("{int}.{below_frac}"),
                format!("{int}.{above_frac}"),
                format!("{int}.{}", &frac[..1]),
                format!("{int}.{}", (frac[..1].parse::<u32>().unwrap() + 1)),
                format!("000{int}.{frac}"),
                next_int.clone(),
                format!("{next_int}.0"),
                format!("{}.9", &int[..int.len() - 1]),
                format!("{}9", &int[..int.len() - 1]),
                "9".repeat(int.len() - 1),
                "9".repeat(int.len()),
                "1".repeat(int.len() + 1),
            ] {
                samples.push(s);
            }
            for d in 0..int.len() {
                // Each digit of the bound one lower and one higher.
                for delta in [-1i32, 1] {
                    let mut digits: Vec<u8> = int.bytes().collect();
                    let v = i32::from(digits[d] - b'0') + delta;
                    if (0..=9).contains(&v) {
                        digits[d] = b'0' + v as u8;
                        samples.push(String::from_utf8(digits).unwrap());
                    }
                }
            }
            for text in samples {
                let parsed = parse(&text, decimals, Notation::Plain).is_ok();
                assert_eq!(
                    matches(&pattern, &text),
                    parsed,
                    "{decimals} decimals: {text:?} (parser accepts: {parsed})"
                );
            }
        }
    }

    #[test]
    fn quantizations_in_any_case() {
        let RefOr::T(Schema::Array(array)) = quantizations() else {
            panic!("an array schema")
        };
        let json = serde_json::to_value(&array).unwrap();
        let pattern = json["items"]["pattern"].as_str().expect("a pattern");
        for name in [
            "int4", "INT8", "Fp4", "mxfp4", "nvFP4", "fp6", "fp8", "mxfp8", "fp16", "BF16", "fp32",
            "unknown",
        ] {
            assert!(matches(pattern, name), "{name}");
            assert!(Quantization::parse(&name.to_ascii_lowercase()).is_some());
        }
        for name in ["", "int 4", "fp64", " fp8", "fp8 ", "ınt4"] {
            assert!(!matches(pattern, name), "{name}");
            assert!(Quantization::parse(&name.to_ascii_lowercase()).is_none());
        }
    }
}
