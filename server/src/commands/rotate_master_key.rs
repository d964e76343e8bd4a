//! `switchboard rotate-master-key`: re-encrypts every stored BYOK key from `OLD_MASTER_KEY` to
//! `MASTER_KEY` (both base64, 32 bytes, both required); see README, "BYOK".

use crate::accounts::byok::crypto::MasterKey;
use crate::accounts::byok::rotate;
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
    let done = rotate::rotate(&db, &old, &new).await;
    db.close().await.ok();
    let done = done?;
    tracing::info!(
        reencrypted = done.reencrypted,
        unchanged = done.unchanged,
        "BYOK keys now under the new master key; restart every server process with it"
    );
    Ok(())
}
