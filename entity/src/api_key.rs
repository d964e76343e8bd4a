use sea_orm::entity::prelude::*;

/// An inference or management key. The plaintext is never stored: `hash` is the
/// hex SHA-256 of the full key and doubles as its public identifier (as on OpenRouter).
/// Money columns are nano-dollars (1e-9 USD), see `billing::money`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub hash: String,
    pub org_id: String,
    /// `inference` or `management`.
    pub kind: String,
    pub name: String,
    /// Masked form shown in lists, e.g. `sk-or-v1-abc...f12`.
    pub label: String,
    pub limit_nanos: Option<i64>,
    /// `daily`, `weekly`, `monthly` or NULL (never resets).
    pub limit_reset: Option<String>,
    pub include_byok_in_limit: bool,
    pub disabled: bool,
    pub expires_at: Option<DateTimeUtc>,
    pub creator_user_id: Option<String>,
    pub usage_nanos: i64,
    pub byok_usage_nanos: i64,
    pub last_used_at: Option<DateTimeUtc>,
    /// The UTC day (days since 1970) `usage_daily_nanos` and `byok_usage_daily_nanos` count.
    pub usage_day: i64,
    pub usage_daily_nanos: i64,
    pub byok_usage_daily_nanos: i64,
    /// The week (days since 1970 of its Monday) the weekly counters count.
    pub usage_week: i64,
    pub usage_weekly_nanos: i64,
    pub byok_usage_weekly_nanos: i64,
    /// The month (year × 12 + month − 1) the monthly counters count.
    pub usage_month: i64,
    pub usage_monthly_nanos: i64,
    pub byok_usage_monthly_nanos: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrgId",
        to = "super::organization::Column::Id",
        on_delete = "Cascade"
    )]
    Organization,
}

impl Related<super::organization::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Organization.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
