//! The model catalog: providers, models, endpoints (a model on a provider)
//! and prices, as an immutable in-memory [`Catalog`] snapshot the hot path
//! reads without a database round trip.
//!
//! Data flow: TOML text (the shipped `server/catalog/default.toml`, see
//! [`default_toml`]) → [`CatalogSource`] (the written shape; admin overrides
//! from the database are merged here with [`CatalogSource::merge`]) →
//! [`Catalog::build`] (validation; errors name the bad entry) → a snapshot
//! the server shares behind an `Arc` and swaps whole.
//!
//! Money: every price is an exact `billing::price::Price` and an endpoint's
//! prices a `billing::cost::Pricing`; billing owns their parsing and costs.

mod live;
mod load;
mod snapshot;
mod spec;
pub(crate) mod spec_doc;
mod types;
pub mod views;
mod vocab;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_views;

pub use live::{LiveProvider, live_providers};
pub use load::CatalogError;
pub use snapshot::Catalog;
pub use spec::{CatalogSource, EndpointSpec, ModelSpec, PricingSpec, ProviderSpec};
pub use types::{
    DataPolicy, DefaultParameters, Endpoint, Model, Protocol, Provider, Quantization, ReasoningInfo,
};
pub use vocab::PARAMETERS;

/// The catalog shipped with the server, compiled into the binary. (The path
/// is relative to this file so it resolves in any crate that mounts the
/// gateway module.)
pub fn default_toml() -> &'static str {
    include_str!("../../../catalog/default.toml")
}
