use sea_orm::entity::prelude::*;

/// One change of an organization's credit, never updated or deleted: the balance is the sum of
/// an organization's entries. `kind` is one of `billing::ledger::EntryKind`'s names.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: String,
    pub kind: String,
    /// Nano-dollars; positive adds credit, negative spends it.
    pub amount_nanos: i64,
    /// What the entry is about (a Checkout Session id, a generation id); unique per kind, so
    /// that posting the same event twice is harmless.
    pub reference: Option<String>,
    /// Why, for grants and adjustments (shown to the organization).
    pub reason: Option<String>,
    /// The platform admin who granted or adjusted.
    pub actor_user_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
