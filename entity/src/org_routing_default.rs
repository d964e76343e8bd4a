use sea_orm::entity::prelude::*;

/// An organization's routing defaults: the `provider` object's `only`, `ignore`,
/// `data_collection`, `zdr` and `sort`, applied under every request of the organization.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "org_routing_defaults")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: String,
    /// The defaults in the `provider` object's JSON shape.
    pub preferences: Json,
    pub updated_by_user_id: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
