//! The request's `provider` object (OpenRouter's `ProviderPreferences`), parsed into typed,
//! validated values. Every field is optional so an organization's defaults can fill the gaps
//! ([`ProviderPreferences::merged_over`]). A bad value is an error naming the field
//! (`provider.max_price.prompt: ...`), answered with 400.
//!
//! Provider names (`order`, `only`, `ignore`) are kept lowercased and match a provider's slug,
//! its display name or an endpoint tag (`deepinfra/fp8`), case-insensitively, as OpenRouter
//! matches them. Unknown names are not errors: they simply match nothing.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::billing::decimal::DecimalError;
use crate::billing::price::Price;
use crate::gateway::catalog::Quantization;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PreferenceError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DataCollection {
    Allow,
    Deny,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortBy {
    Price,
    Throughput,
    Latency,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Partition {
    /// Sort each model's endpoints; fallback models stay fallbacks (the default).
    Model,
    /// Sort all endpoints of all requested models together.
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sort {
    pub by: SortBy,
    pub partition: Partition,
}

/// Price ceilings, in the catalog's exact units ([`Price`]: nano-dollars per million units).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MaxPrice {
    /// USD per million prompt tokens.
    pub prompt: Option<Price>,
    /// USD per million completion tokens.
    pub completion: Option<Price>,
    /// USD per request.
    pub request: Option<Price>,
    /// USD per input image.
    pub image: Option<Price>,
}

impl MaxPrice {
    pub fn is_empty(&self) -> bool {
        *self == MaxPrice::default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ProviderPreferences {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_fallbacks: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignore: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_parameters: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_collection: Option<DataCollection>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zdr: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantizations: Option<Vec<Quantization>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<Sort>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_price: Option<MaxPrice>,
    /// Tokens per second at p50; soft.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_min_throughput: Option<f64>,
    /// Seconds at p50; soft.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_max_latency: Option<f64>,
}

/// The fields an organization may set as its defaults.
pub const ORG_DEFAULT_FIELDS: &[&str] = &["only", "ignore", "data_collection", "zdr", "sort"];

impl ProviderPreferences {
    /// Parses the request's `provider` value (`null` or absent means no preferences).
    pub fn from_request(value: Option<&Value>) -> Result<Self, PreferenceError> {
        match value {
            None | Some(Value::Null) => Ok(Self::default()),
            Some(v) => Self::parse(v, "provider", None),
        }
    }

    /// Parses an organization's stored or submitted defaults: the provider object restricted
    /// to [`ORG_DEFAULT_FIELDS`].
    pub fn org_defaults(value: &Value) -> Result<Self, PreferenceError> {
        Self::parse(value, "routing", Some(ORG_DEFAULT_FIELDS))
    }

    fn parse(
        value: &Value,
        prefix: &str,
        allowed: Option<&[&str]>,
    ) -> Result<Self, PreferenceError> {
        let Value::Object(map) = value else {
            return Err(err(prefix, "must be an object"));
        };
        let mut p = ProviderPreferences::default();
        for (key, v) in map {
            let field = format!("{prefix}.{key}");
            if allowed.is_some_and(|a| !a.contains(&key.as_str())) {
                return Err(err(&field, "unknown or not settable here"));
            }
            if v.is_null() {
                continue;
            }
            match key.as_str() {
                "order" => p.order = Some(names(v, &field)?),
                "only" => p.only = Some(names(v, &field)?),
                "ignore" => p.ignore = Some(names(v, &field)?),
                "allow_fallbacks" => p.allow_fallbacks = Some(boolean(v, &field)?),
                "require_parameters" => p.require_parameters = Some(boolean(v, &field)?),
                "zdr" => p.zdr = Some(boolean(v, &field)?),
                // Accepted for compatibility; the catalog records no distillation terms.
                "enforce_distillable_text" => {
                    boolean(v, &field)?;
                }
                "data_collection" => {
                    p.data_collection = Some(match v.as_str() {
                        Some("allow") => DataCollection::Allow,
                        Some("deny") => DataCollection::Deny,
                        _ => return Err(err(&field, "must be \"allow\" or \"deny\"")),
                    })
                }
                "quantizations" => p.quantizations = Some(quantizations(v, &field)?),
                "sort" => p.sort = Some(sort(v, &field)?),
                "max_price" => p.max_price = Some(max_price(v, &field)?),
                "preferred_min_throughput" => {
                    p.preferred_min_throughput = Some(percentile_p50(v, &field)?)
                }
                "preferred_max_latency" => {
                    p.preferred_max_latency = Some(percentile_p50(v, &field)?)
                }
                _ => return Err(err(&field, "unknown field")),
            }
        }
        Ok(p)
    }

    /// These preferences (the request's) over an organization's defaults: a field the request
    /// sets wins; the organization's `ignore` list always applies (the union of both).
    pub fn merged_over(mut self, org: &ProviderPreferences) -> Self {
        if let Some(org_ignore) = &org.ignore {
            let ignore = self.ignore.get_or_insert_with(Vec::new);
            for name in org_ignore {
                if !ignore.contains(name) {
                    ignore.push(name.clone());
                }
            }
        }
        if self.only.is_none() {
            self.only.clone_from(&org.only);
        }
        self.data_collection = self.data_collection.or(org.data_collection);
        self.zdr = self.zdr.or(org.zdr);
        self.sort = self.sort.or(org.sort);
        self
    }

    /// Whether `order` was given (it turns off load balancing and prompt-cache stickiness).
    pub fn has_order(&self) -> bool {
        self.order.as_ref().is_some_and(|o| !o.is_empty())
    }

    pub fn allows_fallbacks(&self) -> bool {
        self.allow_fallbacks.unwrap_or(true)
    }
}

fn err(field: &str, message: &str) -> PreferenceError {
    PreferenceError {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}

fn boolean(v: &Value, field: &str) -> Result<bool, PreferenceError> {
    v.as_bool()
        .ok_or_else(|| err(field, "must be true or false"))
}

fn names(v: &Value, field: &str) -> Result<Vec<String>, PreferenceError> {
    let Value::Array(items) = v else {
        return Err(err(field, "must be an array of provider names"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item.as_str().map(str::trim) {
            Some(name) if !name.is_empty() => Ok(name.to_ascii_lowercase()),
            _ => Err(err(
                &format!("{field}[{i}]"),
                "must be a non-empty provider name",
            )),
        })
        .collect()
}

fn quantizations(v: &Value, field: &str) -> Result<Vec<Quantization>, PreferenceError> {
    let Value::Array(items) = v else {
        return Err(err(field, "must be an array of quantizations"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            item.as_str()
                .and_then(|s| Quantization::parse(&s.to_ascii_lowercase()))
                .ok_or_else(|| {
                    err(
                        &format!("{field}[{i}]"),
                        "must be one of int4, int8, fp4, mxfp4, nvfp4, fp6, fp8, mxfp8, fp16, bf16, fp32, unknown",
                    )
                })
        })
        .collect()
}

fn sort_by(v: &Value, field: &str) -> Result<SortBy, PreferenceError> {
    match v.as_str() {
        Some("price") => Ok(SortBy::Price),
        Some("throughput") => Ok(SortBy::Throughput),
        Some("latency") => Ok(SortBy::Latency),
        Some("exacto") => Err(err(field, "\"exacto\" is not supported by this gateway")),
        _ => Err(err(
            field,
            "must be \"price\", \"throughput\" or \"latency\"",
        )),
    }
}

fn sort(v: &Value, field: &str) -> Result<Sort, PreferenceError> {
    if let Value::Object(map) = v {
        for key in map.keys() {
            if key != "by" && key != "partition" {
                return Err(err(&format!("{field}.{key}"), "unknown field"));
            }
        }
        let by = match map.get("by") {
            None | Some(Value::Null) => SortBy::Price,
            Some(by) => sort_by(by, &format!("{field}.by"))?,
        };
        let partition = match map
            .get("partition")
            .and_then(|p| (!p.is_null()).then_some(p))
        {
            None => Partition::Model,
            Some(p) => match p.as_str() {
                Some("model") => Partition::Model,
                Some("none") => Partition::None,
                _ => {
                    return Err(err(
                        &format!("{field}.partition"),
                        "must be \"model\" or \"none\"",
                    ));
                }
            },
        };
        return Ok(Sort { by, partition });
    }
    Ok(Sort {
        by: sort_by(v, field)?,
        partition: Partition::Model,
    })
}

fn max_price(v: &Value, field: &str) -> Result<MaxPrice, PreferenceError> {
    let Value::Object(map) = v else {
        return Err(err(
            field,
            "must be an object such as {\"prompt\": \"1\", \"completion\": \"2\"}",
        ));
    };
    let mut out = MaxPrice::default();
    for (key, value) in map {
        let field = format!("{field}.{key}");
        if value.is_null() {
            continue;
        }
        let slot = match key.as_str() {
            "prompt" => &mut out.prompt,
            "completion" => &mut out.completion,
            "request" => &mut out.request,
            "image" => &mut out.image,
            // Accepted; no catalog endpoint has an audio price to compare.
            "audio" => {
                decimal(value, &field, Price::parse_usd_per_unit)?;
                continue;
            }
            _ => return Err(err(&field, "unknown field")),
        };
        let parse = if matches!(key.as_str(), "prompt" | "completion") {
            Price::parse_usd_per_million
        } else {
            Price::parse_usd_per_unit
        };
        *slot = Some(decimal(value, &field, parse)?);
    }
    Ok(out)
}

/// A price as a decimal string (or a plain JSON number, read from its decimal text, never
/// through a float), parsed exactly.
fn decimal(
    v: &Value,
    field: &str,
    parse: fn(&str) -> Result<Price, DecimalError>,
) -> Result<Price, PreferenceError> {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(err(field, "must be a decimal string such as \"0.5\"")),
    };
    parse(&text).map_err(|e| err(field, &format!("{text:?} {e}")))
}

/// A number, or an object of percentile cutoffs of which `p50` is used (the only percentile
/// the gateway measures; other keys are accepted and ignored).
fn percentile_p50(v: &Value, field: &str) -> Result<f64, PreferenceError> {
    let positive = |n: Option<f64>, field: &str| match n {
        Some(n) if n.is_finite() && n >= 0.0 => Ok(n),
        _ => Err(err(field, "must be a non-negative number")),
    };
    match v {
        Value::Number(n) => positive(n.as_f64(), field),
        Value::Object(map) => {
            check_percentiles(map, field)?;
            match map.get("p50") {
                Some(p) => positive(p.as_f64(), &format!("{field}.p50")),
                None => Err(err(
                    &format!("{field}.p50"),
                    "required (the gateway measures p50 only)",
                )),
            }
        }
        _ => Err(err(field, "must be a number or {\"p50\": number}")),
    }
}

fn check_percentiles(map: &Map<String, Value>, field: &str) -> Result<(), PreferenceError> {
    for (key, value) in map {
        if !matches!(key.as_str(), "p50" | "p75" | "p90" | "p99") {
            return Err(err(&format!("{field}.{key}"), "unknown percentile"));
        }
        if !value.is_number() && !value.is_null() {
            return Err(err(&format!("{field}.{key}"), "must be a number"));
        }
    }
    Ok(())
}
