use sea_orm::entity::prelude::*;

/// Credit one server process may spend from a subject (an organization's balance, later a
/// key's limit or a budget) without asking the database, until `expires_at_ms`. The sum of a
/// subject's live leases never exceeds what the subject holds (see `billing::leases`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credit_leases")]
pub struct Model {
    /// `org:<id>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    /// The process holding it (random per process start).
    #[sea_orm(primary_key, auto_increment = false)]
    pub holder: String,
    /// What the holder may still spend, nano-dollars (its debits subtract from it as they
    /// commit).
    pub amount_nanos: i64,
    /// Unix milliseconds; renewed while the holder lives, ignored once past.
    pub expires_at_ms: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
