use sea_orm::entity::prelude::*;

/// An alert to deliver to the organization's webhook (the outbox) and its delivery state.
/// `payload` is the exact JSON body sent, so every attempt signs the same bytes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    /// `low_balance`, `key_spend_80`, `key_spend_100` or `test`.
    pub kind: String,
    /// The key's hash for key alerts, `''` otherwise.
    pub subject: String,
    /// Unique: one event per crossing (`<org>:<kind>:<subject>:<crossing>`), or `test:<id>`.
    #[sea_orm(unique)]
    pub dedupe_key: String,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// `pending`, `delivered` or `failed` (attempts exhausted).
    pub status: String,
    pub attempts: i32,
    /// Unix ms before which the next attempt is not made.
    pub next_attempt_ms: i64,
    /// Unix ms until which one server process holds the delivery (0: nobody).
    pub claimed_until_ms: i64,
    /// The webhook's HTTP status on the last attempt, if it answered.
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
