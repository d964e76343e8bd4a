use sea_orm::entity::prelude::*;

/// Whether one alert of an organization has fired (and not yet re-armed). `kind` is
/// `low_balance`, `key_spend_80` or `key_spend_100`; `subject` is the key's hash for key
/// alerts, `''` for the organization's balance. `crossings` counts the times it fired: the
/// event of the n-th crossing is unique by it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alert_states")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    pub fired: bool,
    pub crossings: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
