use sea_orm::entity::prelude::*;

/// What a generation's request and response said, kept only for organizations that opted in
/// (`organization.store_content`). Written with the generation in one transaction; each body
/// capped at `PROMPT_LOG_MAX_BYTES` (`*_truncated` when cut).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "generation_contents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub generation_id: String,
    pub org_id: String,
    /// The request body as the client sent it (the ingress protocol's JSON).
    #[sea_orm(column_type = "Text", nullable)]
    pub request_body: Option<String>,
    /// The response as a `chat.completion` (streams: assembled from their chunks); `None` for
    /// embeddings and for requests that produced no response.
    #[sea_orm(column_type = "Text", nullable)]
    pub response_body: Option<String>,
    pub request_truncated: bool,
    pub response_truncated: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
