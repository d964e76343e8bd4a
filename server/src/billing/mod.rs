//! Money: amounts, prices, the cost of a generation and the credit view the hot path reads
//! (later the ledger, reservations and Stripe). Only exact integer arithmetic here; the
//! rest of the server holds [`money::Nanos`] and [`price::Price`] and asks this module to
//! combine them.
//!
//! # Rounding rules (the only two)
//!
//! - **Reading a USD amount** ([`money::Nanos::from_usd_str`], `from_usd_f64`): more than
//!   nine decimals are rounded half away from zero to the nearest nano-dollar. JSON numbers
//!   are read through their shortest decimal representation, so `0.1` becomes exactly
//!   100,000,000 nanos; no float arithmetic touches money. Prices are never rounded: a
//!   price finer than its scale is refused ([`price::Price::parse_usd_per_million`]).
//! - **The cost of a generation** ([`cost::Pricing::cost`]): every token (or image, or
//!   request) count is multiplied by its price (nano-dollars per million units) and the
//!   products are summed exactly in `i128`; the sum is then divided by 1,000,000 and rounded
//!   **half up** to whole nano-dollars. Rounding happens once per generation, never per
//!   component, so splitting a prompt into cached and uncached parts never moves the total
//!   by more than the single final rounding. The reported prompt part is its own sum
//!   rounded the same way, and the completion part is the total minus it.

pub mod budgets;
pub mod byok_fee;
pub mod cost;
pub mod credit;
pub mod decimal;
pub mod grants;
pub mod leases;
pub mod ledger;
pub mod money;
pub mod periods;
pub mod price;
pub mod reservations;
pub mod stripe;
