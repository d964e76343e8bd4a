use sea_orm::entity::prelude::*;

/// An organization's own provider key (BYOK). The key is stored only as AES-256-GCM
/// ciphertext (base64) with its nonce (base64), under the deployment's master key, with the
/// organization and provider bound as associated data: a row copied to another organization
/// or provider does not decrypt.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "byok_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    /// Catalog provider slug (`openai`, `anthropic`, ...).
    pub provider: String,
    pub name: Option<String>,
    /// `...` and the key's last four characters: all that is ever shown again.
    pub label: String,
    pub nonce: String,
    #[sea_orm(column_type = "Text")]
    pub ciphertext: String,
    /// Tried after the platform's endpoints rather than before.
    pub is_fallback: bool,
    /// No fallback to the platform's capacity for this provider while the key applies.
    pub always_use: bool,
    pub disabled: bool,
    /// JSON array of model ids, or NULL (any model).
    pub allowed_models: Option<Json>,
    /// JSON array of API key hashes, or NULL (any key of the organization).
    pub allowed_api_key_hashes: Option<Json>,
    /// Order among the organization's keys for one provider (ascending).
    pub sort_order: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
