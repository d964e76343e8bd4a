use sea_orm::entity::prelude::*;

/// A Stripe Checkout Session this server created to sell credit. The ledger entries are the
/// money; this row is what the session was for (its organization and amounts, fixed at
/// creation) and how far it has been refunded, so that webhooks can be checked against it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stripe_checkouts")]
pub struct Model {
    /// Stripe's Checkout Session id (`cs_…`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub session_id: String,
    pub org_id: String,
    /// Who started it (a session user; none for a management key).
    pub user_id: Option<String>,
    /// The credit bought, in cents.
    pub credit_cents: i64,
    /// The platform fee charged on top, in cents.
    pub fee_cents: i64,
    /// Known once Stripe reports the payment (the intent its charges and refunds name).
    pub payment_intent: Option<String>,
    /// `open` until credited, then `credited`.
    pub status: String,
    /// Running total refunded on the payment, in cents (of credit + fee).
    pub refunded_cents: i64,
    /// The customer asked to keep the card (for auto top-up).
    pub save_card: bool,
    pub created_at: DateTimeUtc,
    pub credited_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
