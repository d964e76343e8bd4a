use sea_orm::entity::prelude::*;

/// An organization's spending caps (nano-dollars; `None`: no cap), set by its owners and
/// admins or by platform admins. Spending is `org_credit`'s period counters.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "org_budgets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: String,
    pub daily_nanos: Option<i64>,
    pub weekly_nanos: Option<i64>,
    pub monthly_nanos: Option<i64>,
    pub lifetime_nanos: Option<i64>,
    pub updated_by_user_id: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
