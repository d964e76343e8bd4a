//! Model variants: a `:suffix` on a model id that changes how its endpoints are chosen.
//! A catalog model whose id carries the suffix itself (`meta-llama/llama-3.3-70b-instruct:free`)
//! is looked up exactly and needs no interpretation; otherwise the suffix is split off the
//! base model ([`crate::gateway::catalog::Catalog::resolve`]) and applied here:
//!
//! | variant     | effect                                                                    |
//! |-------------|---------------------------------------------------------------------------|
//! | `:free`     | only endpoints whose every price is zero                                  |
//! | `:nitro`    | endpoints by measured throughput, fastest first (as `sort: "throughput"`) |
//! | `:floor`    | endpoints by price, cheapest first (as `sort: "price"`)                   |
//! | `:thinking` | reasoning turned on for the request; only endpoints that accept it        |
//!
//! A request is sent as one body to whichever endpoint serves it, so `:thinking` on any of
//! the requested models turns reasoning on for the whole request.

use super::preferences::SortBy;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Free,
    Nitro,
    Floor,
    Thinking,
}

impl Variant {
    pub const NAMES: &'static str = "free, nitro, floor, thinking";

    pub fn parse(suffix: &str) -> Option<Variant> {
        match suffix {
            "free" => Some(Variant::Free),
            "nitro" => Some(Variant::Nitro),
            "floor" => Some(Variant::Floor),
            "thinking" => Some(Variant::Thinking),
            _ => None,
        }
    }

    /// The sort the variant implies, overriding `provider.sort` (the model name is the more
    /// specific request).
    pub fn sort(self) -> Option<SortBy> {
        match self {
            Variant::Nitro => Some(SortBy::Throughput),
            Variant::Floor => Some(SortBy::Price),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Free => "free",
            Variant::Nitro => "nitro",
            Variant::Floor => "floor",
            Variant::Thinking => "thinking",
        }
    }
}
