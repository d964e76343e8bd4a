use sea_orm::entity::prelude::*;

/// An organization's auto top-up: when its balance falls below `threshold_cents`, one
/// off-session payment of `amount_cents` (plus the fee) is charged to the saved card.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "auto_topups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: String,
    pub enabled: bool,
    pub threshold_cents: i64,
    pub amount_cents: i64,
    /// The Stripe customer and payment method saved by a purchase with `save_card`.
    pub stripe_customer: Option<String>,
    pub payment_method: Option<String>,
    /// Unix ms until which one server process holds the right to charge (0: nobody): the
    /// conditional update that sets it is what keeps two processes from charging at once.
    pub claimed_until_ms: i64,
    /// Declines in a row; auto top-up turns itself off after a few.
    pub failures: i32,
    pub last_error: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
