//! The schemas of the catalog specs as the admin catalog API takes them
//! (`PUT /admin/catalog/...`), built from the same vocabularies, presets and
//! rules that [`super::Catalog::build`] checks, so the document cannot drift
//! from the validation. What depends on the live catalog (the providers an
//! endpoint may name, the parameter sets) is added when the document is
//! served ([`live_rules`]).

use serde_json::{Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type,
};

use super::snapshot::Catalog;
use super::types::Protocol;
use super::vocab;
use crate::gateway::providers::CompatQuirks;

/// Rust's `char::is_whitespace` (what `trim` strips) as regular-expression class members
/// (JSON Schema's `\s` is another set).
macro_rules! white_space {
    () => {
        r"\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    };
}
pub(crate) const WHITE_SPACE: &str = white_space!();
/// One character `trim` strips.
pub(crate) const WHITE_SPACE_CLASS: &str = concat!("[", white_space!(), "]");
const CONTROL: &str = r"\u0000-\u001f\u007f-\u009f";

/// Some character `trim` keeps (a name that is not blank).
pub(crate) fn not_blank() -> String {
    format!("[^{WHITE_SPACE}]")
}

/// A string that is not blank.
pub(super) fn not_blank_string() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(not_blank()))
        .into()
}

/// `base_url`: http(s)://, a host, no white space or control characters.
pub(super) fn base_url() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!(
            "^https?://[^/{WHITE_SPACE}{CONTROL}][^{WHITE_SPACE}{CONTROL}]*$"
        )))
        .into()
}

/// USD per million tokens: at most 9 integer digits (leading zeros aside) and 9 decimals
/// (trailing zeros aside), no sign, no spaces — what `load::parse_pricing` accepts.
pub(super) const PRICE_PER_MILLION: &str = r"^(0*[0-9]{1,9}(\.[0-9]{0,9}0*)?|\.[0-9]{1,9}0*)$";
/// USD per image or request: at most 3 integer digits and 15 decimals.
pub(super) const PRICE_PER_UNIT: &str = r"^(0*[0-9]{1,3}(\.[0-9]{0,15}0*)?|\.[0-9]{1,15}0*)$";

fn price(pattern: &str, nullable: bool) -> RefOr<Schema> {
    let kind = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::Type(Type::String)
    };
    ObjectBuilder::new()
        .schema_type(kind)
        .pattern(Some(pattern))
        .into()
}

pub(super) fn price_per_million() -> RefOr<Schema> {
    price(PRICE_PER_MILLION, false)
}

pub(super) fn price_per_million_or_null() -> RefOr<Schema> {
    price(PRICE_PER_MILLION, true)
}

pub(super) fn price_per_unit_or_null() -> RefOr<Schema> {
    price(PRICE_PER_UNIT, true)
}

/// ISO 3166-1 alpha-2 country codes.
pub(super) fn countries() -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^[A-Z]{2}$")),
        )
        .into()
}

fn one_of(values: &[&str]) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
}

/// One of `values`, or `null`.
fn one_of_or_null(values: &[&str]) -> ObjectBuilder {
    let mut all: Vec<Value> = values.iter().map(|v| json!(v)).collect();
    all.push(Value::Null);
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(all))
}

fn list_of(values: &[&str]) -> ArrayBuilder {
    ArrayBuilder::new().items(one_of(values))
}

pub(super) fn protocol() -> RefOr<Schema> {
    let names: Vec<&str> = Protocol::ALL.iter().map(|p| p.as_str()).collect();
    one_of(&names).into()
}

pub(super) fn quirks() -> RefOr<Schema> {
    one_of_or_null(CompatQuirks::PRESETS)
        .description(Some(
            "An OpenAI-compatible host's preset (`openai` protocol only).",
        ))
        .into()
}

pub(super) fn parameters() -> RefOr<Schema> {
    list_of(vocab::PARAMETERS)
        .description(Some(
            "Parameter names, or `@set` for a named list of the catalog file.",
        ))
        .into()
}

pub(super) fn parameters_or_null() -> RefOr<Schema> {
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(one_of(vocab::PARAMETERS))
        .description(Some(
            "Replaces the computed list: parameter names, or `@set` for a named list.",
        ))
        .into()
}

pub(super) fn input_modalities() -> RefOr<Schema> {
    list_of(vocab::INPUT_MODALITIES).into()
}

pub(super) fn output_modalities() -> RefOr<Schema> {
    list_of(vocab::OUTPUT_MODALITIES).into()
}

pub(super) fn tokenizer() -> RefOr<Schema> {
    one_of_or_null(vocab::TOKENIZERS).into()
}

pub(super) fn instruct_type() -> RefOr<Schema> {
    one_of_or_null(vocab::INSTRUCT_TYPES).into()
}

pub(super) fn quantization() -> RefOr<Schema> {
    let names: Vec<&str> = super::types::Quantization::ALL
        .iter()
        .map(|q| q.as_str())
        .collect();
    one_of_or_null(&names).into()
}

/// `reasoning` (OpenRouter's `ModelReasoning`), with the efforts the catalog knows.
pub(super) fn reasoning() -> RefOr<Schema> {
    let nullable_bool =
        || ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::Boolean, Type::Null]));
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .property("mandatory", ObjectBuilder::new().schema_type(Type::Boolean))
        .property("default_enabled", nullable_bool())
        .property("default_effort", one_of_or_null(vocab::REASONING_EFFORTS))
        .property(
            "supported_efforts",
            ArrayBuilder::new()
                .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
                .items(one_of(vocab::REASONING_EFFORTS)),
        )
        .property("supports_max_tokens", nullable_bool())
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .into()
}

/// `default_parameters` (OpenRouter's `DefaultParameters`).
pub(super) fn default_parameters() -> RefOr<Schema> {
    let number =
        || ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::Number, Type::Null]));
    let mut object =
        ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::Object, Type::Null]));
    for name in [
        "temperature",
        "top_p",
        "frequency_penalty",
        "presence_penalty",
        "repetition_penalty",
    ] {
        object = object.property(name, number());
    }
    object
        .property(
            "top_k",
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
                .minimum(Some(i64::MIN as f64))
                .maximum(Some(i64::MAX as f64)),
        )
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .into()
}

/// Adds what depends on the live catalog to a served document: the providers an endpoint
/// may name, and `@set` names in parameter lists.
pub(crate) fn live_rules(doc: &mut Value, catalog: &Catalog) {
    let schemas = &mut doc["components"]["schemas"];
    let slugs: Vec<&str> = catalog
        .providers()
        .iter()
        .map(|p| p.slug.as_str())
        .collect();
    let provider = &mut schemas["CatalogEndpointSpec"]["properties"]["provider"];
    if provider.is_object() {
        provider["enum"] = json!(slugs);
    }
    let sets: Vec<String> = catalog
        .parameter_sets()
        .iter()
        .map(|name| format!("@{name}"))
        .collect();
    for (schema, field) in [
        ("CatalogProviderSpec", "supported_parameters"),
        ("CatalogModelSpec", "supported_parameters"),
        ("CatalogEndpointSpec", "supported_parameters"),
    ] {
        if let Some(names) = schemas[schema]["properties"][field]["items"]["enum"].as_array_mut() {
            names.extend(sets.iter().map(|s| json!(s)));
        }
    }
}

#[cfg(test)]
mod tests {
    use regex::Regex;

    use super::super::load::parse_price;
    use super::*;

    /// The price patterns accept exactly what the catalog's price parser accepts.
    #[test]
    fn price_patterns_match_the_parser() {
        let samples = [
            "0",
            "0.",
            ".5",
            ".",
            "",
            " 1",
            "1 ",
            "-1",
            "+1",
            "1e3",
            "0.15",
            "00000000001",
            "123456789",
            "999999999",
            "1000000000",
            "0999999999",
            "999999999.999999999",
            "999999999.9999999999",
            "1.1234567890",
            "1.12345678900000",
            "0.0000000001",
            "1,5",
            "999",
            "1000",
            "999.999999999999999",
            "999.9999999999999999",
            "0.000000000000001",
            "0.0000000000000001",
            "١",
            "0x1",
            "1.2.3",
            ".0",
            "00.00",
        ];
        for (pattern, per_unit) in [(PRICE_PER_MILLION, false), (PRICE_PER_UNIT, true)] {
            let regex = Regex::new(pattern).unwrap();
            for sample in samples {
                assert_eq!(
                    regex.is_match(sample),
                    parse_price(sample, per_unit).is_ok(),
                    "{sample:?} (per unit: {per_unit})"
                );
            }
        }
    }

    #[test]
    fn base_url_pattern_matches_the_rule() {
        let RefOr::T(Schema::Object(schema)) = base_url() else {
            panic!("an object schema");
        };
        let regex = Regex::new(schema.pattern.as_deref().unwrap()).unwrap();
        for ok in [
            "https://api.openai.com/v1",
            "http://localhost:11434/",
            "https://a",
        ] {
            assert!(regex.is_match(ok), "{ok}");
        }
        for bad in [
            "https://",
            "https:///v1",
            " https://a",
            "https://a b",
            "ftp://a",
            "https://a\u{85}",
        ] {
            assert!(!regex.is_match(bad), "{bad}");
        }
    }
}
