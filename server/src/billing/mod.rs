//! Money: prices, costs, the ledger and (later) Stripe. Only exact integer arithmetic here.

pub mod money;
