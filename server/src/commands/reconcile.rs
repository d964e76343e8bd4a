//! `switchboard reconcile`: the ledger's sums against the cached balances, for every
//! organization, printed as JSON (the same document as `GET /api/v1/admin/credits/reconcile`).

use crate::config::Config;

pub async fn run(config: Config) -> Result<bool, Box<dyn std::error::Error>> {
    let db = crate::db::connect(&config.resolved_database_url()?, 2).await?;
    crate::db::migrate(&db).await?;
    let checked = crate::api::credits::reconciliation(&db).await?;
    println!("{}", serde_json::to_string_pretty(&checked)?);
    Ok(checked.mismatches.is_empty())
}
