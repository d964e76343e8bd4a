use sea_orm::entity::prelude::*;

/// Append-only record of every change a platform admin makes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub actor_user_id: String,
    pub actor_email: String,
    /// Dotted verb, e.g. `organization.suspend`.
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// JSON object with the change's details (before/after, reason).
    pub details: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
