use sea_orm::entity::prelude::*;

/// An auto top-up's off-session payment, once credited. The ledger entries are the money;
/// this row fixes what the payment bought and how far it has been refunded, so that a
/// `charge.refunded` takes back the right share exactly once (as `stripe_checkouts` does for
/// Checkout purchases).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stripe_topup_charges")]
pub struct Model {
    /// Stripe's PaymentIntent id (`pi_…`), also the ledger entries' reference.
    #[sea_orm(primary_key, auto_increment = false)]
    pub payment_intent: String,
    pub org_id: String,
    /// The credit bought, in cents.
    pub credit_cents: i64,
    /// The platform fee charged on top, in cents.
    pub fee_cents: i64,
    /// Running total refunded on the payment, in cents (of credit + fee).
    pub refunded_cents: i64,
    /// When it was credited.
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
