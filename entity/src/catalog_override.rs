use sea_orm::entity::prelude::*;

/// An admin's change to the shipped catalog: a whole provider or model spec (the same shape as
/// an entry of `server/catalog/default.toml`), laid over the shipped catalog at load.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "catalog_overrides")]
pub struct Model {
    /// `provider:<slug>` or `model:<id>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// `provider` or `model`.
    pub kind: String,
    pub spec: Json,
    pub updated_by_user_id: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
