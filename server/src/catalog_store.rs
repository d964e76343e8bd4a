//! The catalog as the deployment runs it: the shipped `server/catalog/default.toml` with the
//! admins' overrides from the database laid over it, built into the routing table that the
//! hot path reads. Every change is validated by building the whole catalog before it is
//! stored, written with its audit entry in one transaction, then swapped in.

use chrono::Utc;
use entity::{catalog_override, user};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryOrder,
    sea_query::OnConflict,
};

use crate::accounts::{AccountError, audit};
use crate::config::Config;
use crate::gateway::catalog::{Catalog, CatalogError, CatalogSource, ModelSpec, ProviderSpec};
use crate::gateway::routing::RoutingTable;

#[derive(Debug, thiserror::Error)]
pub enum CatalogStoreError {
    #[error("{0}")]
    Invalid(#[from] CatalogError),
    #[error("{0}")]
    Mismatch(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Account(#[from] AccountError),
}

/// One overridden entry.
pub enum Override {
    Provider(Box<ProviderSpec>),
    Model(Box<ModelSpec>),
}

impl Override {
    fn id(&self) -> String {
        match self {
            Override::Provider(p) => format!("provider:{}", p.slug),
            Override::Model(m) => format!("model:{}", m.id),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Override::Provider(_) => "provider",
            Override::Model(_) => "model",
        }
    }

    fn spec(&self) -> serde_json::Value {
        match self {
            Override::Provider(p) => serde_json::to_value(p),
            Override::Model(m) => serde_json::to_value(m),
        }
        .unwrap_or_default()
    }
}

/// All stored overrides as a catalog source (rows that no longer parse are skipped, loudly).
pub async fn load_overrides(db: &impl ConnectionTrait) -> Result<CatalogSource, DbErr> {
    let rows = catalog_override::Entity::find()
        .order_by_asc(catalog_override::Column::UpdatedAt)
        .all(db)
        .await?;
    let mut source = CatalogSource::default();
    for row in rows {
        let parsed = match row.kind.as_str() {
            "provider" => serde_json::from_value(row.spec).map(|p| source.providers.push(p)),
            _ => serde_json::from_value(row.spec).map(|m| source.models.push(m)),
        };
        if let Err(err) = parsed {
            tracing::error!(id = %row.id, %err, "stored catalog override no longer parses; skipped");
        }
    }
    Ok(source)
}

/// The shipped catalog with `overrides` laid over it, built and validated.
pub fn build_catalog(overrides: CatalogSource) -> Result<Catalog, CatalogError> {
    let mut source = CatalogSource::from_toml(crate::gateway::catalog::default_toml())?;
    source.merge(overrides);
    Catalog::build(source)
}

/// The routing table for a catalog in this deployment's environment.
pub fn routing_table(catalog: Catalog, config: &Config) -> RoutingTable {
    for model in config.auto_router.models() {
        if catalog.lookup(model).is_none() {
            tracing::warn!(%model, "auto_router names a model the catalog lacks; openrouter/auto falls back past it");
        }
    }
    RoutingTable::with_env(
        catalog,
        |name| config.provider_setting(name),
        config.auto_router.clone(),
    )
}

/// Validates the catalog with `change` applied, stores it with an audit entry, and returns
/// the new catalog for the caller to swap in.
pub async fn upsert(
    db: &DatabaseConnection,
    actor: &user::Model,
    change: Override,
) -> Result<Catalog, CatalogStoreError> {
    // Validate against the stored overrides first, then open a transaction whose first
    // statement writes: on SQLite a read-then-write transaction fails with SQLITE_BUSY when
    // another connection (the usage writer) commits in between, instead of waiting.
    let mut overrides = load_overrides(db).await?;
    let id = change.id();
    let spec = change.spec();
    let change_kind = change.kind();
    match change {
        Override::Provider(p) => {
            overrides
                .providers
                .retain(|existing| existing.slug != p.slug);
            overrides.providers.push(*p);
        }
        Override::Model(m) => {
            overrides.models.retain(|existing| existing.id != m.id);
            overrides.models.push(*m);
        }
    }
    let catalog = build_catalog(overrides)?;
    let kind = change_kind;
    let txn = crate::db::begin_write(db).await?;
    catalog_override::Entity::insert(catalog_override::ActiveModel {
        id: Set(id.clone()),
        kind: Set(kind.to_owned()),
        spec: Set(spec.clone()),
        updated_by_user_id: Set(actor.id.clone()),
        updated_at: Set(Utc::now()),
    })
    .on_conflict(
        OnConflict::column(catalog_override::Column::Id)
            .update_columns([
                catalog_override::Column::Spec,
                catalog_override::Column::UpdatedByUserId,
                catalog_override::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(&txn)
    .await?;
    audit::record(
        &txn,
        actor,
        &format!("catalog.{kind}.upsert"),
        kind,
        &id,
        spec,
    )
    .await?;
    txn.commit().await?;
    Ok(catalog)
}

/// Removes an override (the shipped entry, if any, applies again).
pub async fn remove(
    db: &DatabaseConnection,
    actor: &user::Model,
    id: &str,
) -> Result<Catalog, CatalogStoreError> {
    let txn = crate::db::begin_write(db).await?;
    let deleted = catalog_override::Entity::delete_by_id(id.to_owned())
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(CatalogStoreError::NotFound(format!(
            "Catalog override {id}"
        )));
    }
    let catalog = build_catalog(load_overrides(&txn).await?)?;
    let kind = id.split(':').next().unwrap_or("catalog");
    audit::record(
        &txn,
        actor,
        &format!("catalog.{kind}.remove"),
        kind,
        id,
        serde_json::json!({}),
    )
    .await?;
    txn.commit().await?;
    Ok(catalog)
}

/// The overrides as stored, newest last.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<catalog_override::Model>, DbErr> {
    catalog_override::Entity::find()
        .order_by_asc(catalog_override::Column::UpdatedAt)
        .all(db)
        .await
}
