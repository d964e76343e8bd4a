//! Credit (`/credits`, `/credits/ledger`, `/credits/purchases`) and the platform admins' grants and reconcile check.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Usd;

/// `GET /credits`, OpenRouter's shape: the balance is `total_credits - total_usage`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditsResponse {
    pub data: Credits,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Credits {
    /// Every credit ever added (purchases net of fees, grants, adjustments, less refunds).
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub total_credits: Usd,
    /// Every credit ever spent (generations and BYOK fees).
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub total_usage: Usd,
}

/// One ledger entry as the organization sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerEntry {
    /// Also the cursor: pass it as `before` for the next page.
    pub id: i64,
    /// `purchase`, `purchase_fee`, `refund`, `grant`, `adjustment`, `generation`, `byok_fee`,
    /// `auto_topup`.
    pub kind: String,
    /// Positive adds credit, negative spends it.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub amount: Usd,
    /// A generation id, a Checkout Session id, …
    pub reference: Option<String>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerPage {
    /// Newest first.
    pub data: Vec<LedgerEntry>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

/// One purchase of credit: a Checkout Session the organization started, or an auto top-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Purchase {
    /// The Checkout Session id (`cs_…`), or the PaymentIntent id (`pi_…`) of an auto top-up.
    pub id: String,
    /// `checkout` or `auto_topup`.
    pub source: String,
    pub created_at: DateTime<Utc>,
    /// When its credit was added (absent while pending).
    pub credited_at: Option<DateTime<Utc>>,
    /// The credit bought.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub amount: Usd,
    /// The platform fee, charged on top.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub fee: Usd,
    /// What the customer was charged: `amount + fee`.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub total: Usd,
    /// `pending` (not paid: the customer has not finished, or has abandoned, the payment
    /// page) or `paid` (credited).
    pub status: String,
    /// Refunded to the customer so far (part of `total`; the credit's share of it was taken
    /// back from the balance).
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub refunded: Usd,
}

/// `GET /credits/purchases`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PurchasePage {
    /// Newest first.
    pub data: Vec<Purchase>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<String>,
}

/// `POST /admin/organizations/{org_id}/credits`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    /// USD. A `grant` must be positive; an `adjustment` may be negative (not zero).
    #[cfg_attr(
        feature = "openapi",
        schema(minimum = -9000000000.0, maximum = 9000000000.0)
    )]
    pub amount: f64,
    /// `grant` (default) or `adjustment`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(grant|adjustment)$"))]
    pub kind: Option<String>,
    /// Why (required; 1 to 500 characters): shown in the organization's ledger and the audit
    /// log.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 1, max_length = 500, pattern = r"\S")
    )]
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrantResponse {
    pub data: LedgerEntry,
    /// The organization's balance after it.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub balance: Usd,
}

/// One organization's credit sums (nano-dollars, exact).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditSumsNanos {
    pub balance_nanos: i64,
    pub purchased_nanos: i64,
    pub spent_nanos: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditMismatch {
    pub org_id: String,
    /// What the ledger adds up to.
    pub ledger: CreditSumsNanos,
    /// What the cached balance holds.
    pub cached: CreditSumsNanos,
}

/// `GET /admin/credits/reconcile`: every organization's cached balance against its ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reconciliation {
    pub organizations: u64,
    /// Empty when every organization agrees.
    pub mismatches: Vec<CreditMismatch>,
}

/// `PUT /organizations/{org_id}/budgets` and `PUT /admin/organizations/{org_id}/budgets`:
/// caps in USD on the organization's spending; `null` or absent: no cap.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BudgetsRequest {
    /// Per UTC day.
    #[cfg_attr(
        feature = "openapi",
        schema(exclusive_minimum = 0, maximum = 1000000000.0)
    )]
    pub daily: Option<f64>,
    /// Per week, from Monday 00:00 UTC.
    #[cfg_attr(
        feature = "openapi",
        schema(exclusive_minimum = 0, maximum = 1000000000.0)
    )]
    pub weekly: Option<f64>,
    /// Per UTC calendar month.
    #[cfg_attr(
        feature = "openapi",
        schema(exclusive_minimum = 0, maximum = 1000000000.0)
    )]
    pub monthly: Option<f64>,
    /// Ever.
    #[cfg_attr(
        feature = "openapi",
        schema(exclusive_minimum = 0, maximum = 1000000000.0)
    )]
    pub lifetime: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BudgetsView {
    pub org_id: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub daily: Option<Usd>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub weekly: Option<Usd>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub monthly: Option<Usd>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<f64>))]
    pub lifetime: Option<Usd>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// `POST /credits/checkout`: buy `amount` USD of credit (whole cents; the platform fee is
/// charged on top).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CheckoutRequest {
    /// USD, whole cents, from `CHECKOUT_MIN_CENTS` to `CHECKOUT_MAX_CENTS` (default $5 to
    /// $10,000; the served document states this server's bounds).
    pub amount: f64,
    /// Keep the card for auto top-up.
    #[serde(default)]
    pub save_card: bool,
}

/// `GET/PUT /credits/auto-topup`: when the balance falls below `threshold`, `amount` (plus
/// the fee) is charged to the saved card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AutoTopupRequest {
    /// Turning it on needs a card saved by a purchase (`save_card`); else 409.
    pub enabled: bool,
    /// USD: 0, or whole cents up to the largest purchase.
    pub threshold: f64,
    /// USD, whole cents, within the purchase bounds.
    pub amount: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AutoTopup {
    pub enabled: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub threshold: Usd,
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub amount: Usd,
    /// A card is saved (a purchase with `save_card`).
    pub card_saved: bool,
    /// Declines in a row (auto top-up turns off after 3).
    pub failures: i32,
    /// Stripe's message for the last decline.
    pub last_error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AutoTopupResponse {
    pub data: AutoTopup,
}

/// A Checkout Session to send the customer to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Checkout {
    /// The Checkout Session id (`cs_…`).
    pub id: String,
    /// Stripe's hosted payment page.
    pub url: String,
    /// The credit bought.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub amount: Usd,
    /// The platform fee, charged on top.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub fee: Usd,
    /// What the customer pays: `amount + fee`.
    #[cfg_attr(feature = "openapi", schema(value_type = f64))]
    pub total: Usd,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckoutResponse {
    pub data: Checkout,
}

/// A Checkout Session as the return page sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckoutStatus {
    pub id: String,
    /// Stripe's session status: `open`, `complete` or `expired`.
    pub status: Option<String>,
    /// Stripe says it was paid.
    pub paid: bool,
    /// Its credit is in the organization's balance.
    pub credited: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckoutStatusResponse {
    pub data: CheckoutStatus,
}
