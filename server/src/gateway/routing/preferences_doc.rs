//! Document-only schemas for the provider-routing preferences, which the gateway parses by
//! hand (`gateway::routing::preferences`, to name the field at fault). They describe the part
//! of that grammar a client is most likely to send; the parser accepts more (`order`, `only`,
//! `ignore`, `quantizations`, `max_price`, `sort` as an object, throughput and latency
//! targets), documented in the README. Unknown fields are refused, as the parser refuses them.

#![allow(dead_code)] // types for the document, never built

use serde::Deserialize;
use utoipa::ToSchema;

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
}

/// `PUT /organizations/{org_id}/routing`: the organization's defaults, merged under each
/// request's `provider` (also `only` and `ignore`, lists of provider names).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RoutingDefaultsRequest)]
pub struct RoutingDefaultsDoc {
    zdr: Option<bool>,
    data_collection: Option<DataCollection>,
    sort: Option<Sort>,
}
