use sea_orm::entity::prelude::*;

/// A platform admin's rate-limit override for one organization. A `None` field keeps the
/// configured plan's value; `0` means "no limit" for that dimension.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rate_limit_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: String,
    /// Requests per rate-limit window for each API key of the organization.
    pub key_requests_per_window: Option<i64>,
    /// Requests per rate-limit window for the organization as a whole.
    pub org_requests_per_window: Option<i64>,
    /// Requests per window to `:free` model variants, for each API key.
    pub free_requests_per_window: Option<i64>,
    /// Requests per UTC day to `:free` model variants, for the organization.
    pub free_requests_per_day: Option<i64>,
    pub updated_by_user_id: String,
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
