//! Master key rotation: every stored BYOK key re-encrypted from the old master key to the new
//! one (fresh nonces), in one transaction: either every row moves or none does.
//!
//! Rows already under the new key are left as they are, so the command may be run again
//! (after a process still holding the old key added a key meanwhile, say). A row that opens
//! under neither key stops the rotation with its id: nothing is changed.
//! `updated_at` is not touched: running processes keep their decrypted keys in memory and
//! pick the new key up when restarted with it.

use entity::byok_key;
use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, EntityTrait, Set};

use super::crypto::{MasterKey, Sealed};

#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(
        "{} BYOK key(s) open under neither the old nor the new master key (ids: {}); nothing was changed",
        .0.len(),
        .0.join(", ")
    )]
    Undecryptable(Vec<String>),
}

/// What a rotation did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rotated {
    pub reencrypted: u64,
    /// Already under the new key.
    pub unchanged: u64,
}

pub async fn rotate(
    db: &DatabaseConnection,
    old: &MasterKey,
    new: &MasterKey,
) -> Result<Rotated, RotateError> {
    let txn = crate::db::begin_write(db).await?;
    let rows = byok_key::Entity::find().all(&txn).await?;
    let mut done = Rotated::default();
    let mut failed = Vec::new();
    let mut updates = Vec::new();
    for row in rows {
        let sealed = Sealed {
            nonce: row.nonce.clone(),
            ciphertext: row.ciphertext.clone(),
        };
        match old.open(&row.org_id, &row.provider, &sealed) {
            Ok(secret) => {
                let resealed = new.seal(&row.org_id, &row.provider, &secret);
                let mut active: byok_key::ActiveModel = row.into();
                active.nonce = Set(resealed.nonce);
                active.ciphertext = Set(resealed.ciphertext);
                updates.push(active);
            }
            Err(_) if new.open(&row.org_id, &row.provider, &sealed).is_ok() => {
                done.unchanged += 1;
            }
            Err(_) => failed.push(row.id),
        }
    }
    if !failed.is_empty() {
        return Err(RotateError::Undecryptable(failed));
    }
    for active in updates {
        active.update(&txn).await?;
        done.reencrypted += 1;
    }
    txn.commit().await?;
    Ok(done)
}
