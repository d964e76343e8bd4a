//! Buying credit with Stripe: Checkout Sessions (`client`), their webhooks (`signature`,
//! `events`), and crediting each payment exactly once (`purchases`, which documents how a
//! payment and a refund are recorded in the ledger), and auto top-up (`auto_topup`: the
//! rules and the claim; `topups`: the periodic check). `purchasing` ties them together for
//! the API; `history` lists an organization's purchases.

pub mod auto_topup;
pub mod client;
pub mod events;
pub mod history;
pub mod purchases;
pub mod purchasing;
pub mod settings;
pub mod signature;
mod topups;

pub use purchasing::Purchasing;

#[derive(Debug, thiserror::Error)]
pub enum PurchaseError {
    /// No `STRIPE_SECRET_KEY`.
    #[error(
        "Purchasing credits is not configured on this server (no Stripe key); a platform admin can grant credit"
    )]
    NotConfigured,
    /// No `STRIPE_WEBHOOK_SECRET`.
    #[error("The Stripe webhook is not configured on this server")]
    WebhookNotConfigured,
    /// Bad input; the message names the field.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Signature(#[from] signature::SignatureError),
    #[error(transparent)]
    Malformed(#[from] events::MalformedEvent),
    #[error("Checkout session not found")]
    NotFound,
    /// Auto top-up turned on before a card was saved (the request is fine, the state is not).
    #[error("No saved card: buy credit once with save_card: true first")]
    NoSavedCard,
    /// Stripe failed or could not be reached.
    #[error(transparent)]
    Stripe(#[from] client::StripeApiError),
    #[error(transparent)]
    Ledger(#[from] crate::billing::ledger::LedgerError),
}

impl From<sea_orm::DbErr> for PurchaseError {
    fn from(err: sea_orm::DbErr) -> Self {
        PurchaseError::Ledger(err.into())
    }
}
