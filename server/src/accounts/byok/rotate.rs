//! Master key rotation: every secret sealed under the master key (BYOK keys here, alert
//! webhook secrets in `alerts::settings`) re-encrypted from the old key to the new one (fresh
//! nonces), inside the caller's transaction, so that either every row moves or none does
//! (`commands::rotate_master_key`).
//!
//! Rows already under the new key are left as they are, so the command may be run again
//! (after a process still holding the old key added a key meanwhile, say). A row that opens
//! under neither key is reported by its id, and the command then changes nothing.
//! `updated_at` is not touched: running processes keep their decrypted keys in memory and
//! pick the new key up when restarted with it.

use entity::byok_key;
use sea_orm::{ActiveModelTrait, DatabaseTransaction, DbErr, EntityTrait, Set};

use super::crypto::{MasterKey, Sealed};

/// What a rotation did to one kind of sealed secret.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub reencrypted: u64,
    /// Already under the new key.
    pub unchanged: u64,
    /// Ids of rows that open under neither key.
    pub undecryptable: Vec<String>,
}

impl Tally {
    /// `sealed` (bound to `org_id` and `purpose`) re-encrypted under `new`, counted; `None`
    /// when there is nothing to write (already moved, or undecryptable: then `id` is noted).
    pub fn reseal(
        &mut self,
        (old, new): (&MasterKey, &MasterKey),
        id: &str,
        org_id: &str,
        purpose: &str,
        sealed: &Sealed,
    ) -> Option<Sealed> {
        match old.open(org_id, purpose, sealed) {
            Ok(secret) => {
                self.reencrypted += 1;
                Some(new.seal(org_id, purpose, &secret))
            }
            Err(_) if new.open(org_id, purpose, sealed).is_ok() => {
                self.unchanged += 1;
                None
            }
            Err(_) => {
                self.undecryptable.push(id.to_owned());
                None
            }
        }
    }
}

/// Re-encrypts every BYOK key (bound to its organization and provider) in `txn`.
pub async fn reseal_keys(
    txn: &DatabaseTransaction,
    old: &MasterKey,
    new: &MasterKey,
) -> Result<Tally, DbErr> {
    let mut tally = Tally::default();
    for row in byok_key::Entity::find().all(txn).await? {
        let sealed = Sealed {
            nonce: row.nonce.clone(),
            ciphertext: row.ciphertext.clone(),
        };
        let keys = (old, new);
        if let Some(resealed) = tally.reseal(keys, &row.id, &row.org_id, &row.provider, &sealed) {
            let mut active: byok_key::ActiveModel = row.into();
            active.nonce = Set(resealed.nonce);
            active.ciphertext = Set(resealed.ciphertext);
            active.update(txn).await?;
        }
    }
    Ok(tally)
}
