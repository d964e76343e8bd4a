use sea_orm::entity::prelude::*;

/// An organization's alert settings. The webhook's signing secret is stored only as
/// AES-256-GCM ciphertext (base64) with its nonce, under the deployment's master key with the
/// organization bound as associated data, as BYOK keys are. Money columns are nano-dollars.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: String,
    /// Where events are POSTed; NULL: alerts are off.
    pub webhook_url: Option<String>,
    pub secret_nonce: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub secret_ciphertext: Option<String>,
    /// Alert when the balance falls below this; NULL: no low-balance alert.
    pub low_balance_threshold_nanos: Option<i64>,
    /// Alert when a key's spend reaches 80 % and 100 % of its limit.
    pub key_spend_alerts: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
