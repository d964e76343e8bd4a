use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    /// Every user owns exactly one personal organization; it cannot be left or deleted.
    pub is_personal: bool,
    /// Set by a platform admin; while set, every API and management key of the organization gets 403.
    pub suspended_at: Option<DateTimeUtc>,
    pub suspended_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Prompts and completions are stored (see `generation_content`); off unless an owner or
    /// admin opted in.
    pub store_content: bool,
    /// Who last changed `store_content`: a user id, or `key:<hash>` for a management key.
    pub store_content_changed_by: Option<String>,
    pub store_content_changed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::membership::Entity")]
    Membership,
    #[sea_orm(has_many = "super::api_key::Entity")]
    ApiKey,
}

impl Related<super::membership::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Membership.def()
    }
}

impl Related<super::api_key::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ApiKey.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
