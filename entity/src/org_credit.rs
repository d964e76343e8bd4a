use sea_orm::entity::prelude::*;

/// An organization's credit as cached sums of its ledger entries (the reconcile check proves
/// they agree). No row: the organization never had a ledger entry, so all sums are zero.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "org_credit")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: String,
    /// Sum of every entry (nano-dollars); may be negative after a refund.
    pub balance_nanos: i64,
    /// Sum of purchases and auto top-ups, ever (refunds do not lower it).
    pub purchased_nanos: i64,
    /// Sum of generation debits and BYOK fees, ever (a positive number).
    pub spent_nanos: i64,
    /// The UTC day (days since 1970) `spent_daily_nanos` counts; the usage writer restarts
    /// the counter with the first debit of a new day. Likewise for the week (days since 1970
    /// of its Monday) and the month (year × 12 + month − 1).
    pub spent_day: i64,
    pub spent_daily_nanos: i64,
    pub spent_week: i64,
    pub spent_weekly_nanos: i64,
    pub spent_month: i64,
    pub spent_monthly_nanos: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
