//! `switchboard rotate-master-key`: re-encrypts every secret sealed under the master key (the
//! BYOK keys and the alert webhooks' signing secrets) from `OLD_MASTER_KEY` to `MASTER_KEY`
//! (both base64, 32 bytes, both required), in one transaction; see README, "BYOK".

use crate::accounts::byok::crypto::MasterKey;
use crate::accounts::byok::rotate::{self, Tally};
use crate::config::Config;

type BoxError = Box<dyn std::error::Error>;

/// The command, with the old key given (from `OLD_MASTER_KEY`). Migrates the database first,
/// so that it works on a database the server has not started on yet.
pub async fn run(config: &Config, old: Option<String>) -> Result<(), BoxError> {
    let old = old
        .filter(|v| !v.trim().is_empty())
        .ok_or("OLD_MASTER_KEY: required (the master key the BYOK keys are encrypted under now)")?;
    let old = MasterKey::from_base64(&old).map_err(|e| format!("OLD_MASTER_KEY: {e}"))?;
    let new = config
        .master_key
        .as_deref()
        .ok_or("MASTER_KEY: required (the new master key)")?;
    let new = MasterKey::from_base64(new).map_err(|e| format!("MASTER_KEY: {e}"))?;
    let db = crate::db::connect(&config.resolved_database_url()?, 2).await?;
    crate::db::migrate(&db).await?;
    let done = rotate_all(&db, &old, &new).await;
    db.close().await.ok();
    let (keys, secrets) = done?;
    tracing::info!(
        byok_reencrypted = keys.reencrypted,
        byok_unchanged = keys.unchanged,
        webhook_secrets_reencrypted = secrets.reencrypted,
        webhook_secrets_unchanged = secrets.unchanged,
        "secrets now under the new master key; restart every server process with it"
    );
    Ok(())
}

/// Both kinds of sealed secret in one transaction, committed only when every row opened.
async fn rotate_all(
    db: &sea_orm::DatabaseConnection,
    old: &MasterKey,
    new: &MasterKey,
) -> Result<(Tally, Tally), BoxError> {
    let txn = crate::db::begin_write(db).await?;
    let keys = rotate::reseal_keys(&txn, old, new).await?;
    let secrets = crate::alerts::settings::reseal_secrets(&txn, old, new).await?;
    if !keys.undecryptable.is_empty() || !secrets.undecryptable.is_empty() {
        // Dropping the transaction rolls it back.
        return Err(format!(
            "{} BYOK key(s) (ids: {}) and {} alert webhook secret(s) (organizations: {}) open under neither the old nor the new master key; nothing was changed",
            keys.undecryptable.len(),
            keys.undecryptable.join(", "),
            secrets.undecryptable.len(),
            secrets.undecryptable.join(", "),
        )
        .into());
    }
    txn.commit().await?;
    Ok((keys, secrets))
}
