//! Document-only schemas for the provider-routing preferences, which the gateway parses by
//! hand (`gateway::routing::preferences`, to name the field at fault). They state that
//! parser's grammar: every field may be `null` (ignored); unknown fields are refused. Left out:
//! `max_price`, whose decimal grammar (exact digits, no exponent, a magnitude bound) and JSON
//! numbers read from their text no JSON Schema states exactly; the README documents it.

#![allow(dead_code)] // types for the document, never built

use serde::Deserialize;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
};

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

/// `quantizations` entries (OpenRouter's; case-insensitive).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Quantization {
    Int4,
    Int8,
    Fp4,
    Mxfp4,
    Nvfp4,
    Fp6,
    Fp8,
    Mxfp8,
    Fp16,
    Bf16,
    Fp32,
    Unknown,
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
    /// Only endpoints serving one of these weight precisions.
    quantizations: Option<Vec<Quantization>>,
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
