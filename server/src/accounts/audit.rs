//! The audit log: who changed what, when — platform admins' changes, and changes to an
//! organization's provider keys. Written in the same transaction as the change it records.

use chrono::Utc;
use entity::{audit_log, user};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

use super::AccountError;
use crate::ids::new_id;

pub async fn record(
    db: &impl ConnectionTrait,
    actor: &user::Model,
    action: &str,
    target_type: &str,
    target_id: &str,
    details: serde_json::Value,
) -> Result<audit_log::Model, AccountError> {
    let by = (actor.id.clone(), actor.email.clone());
    insert(db, by, action, target_type, target_id, details).await
}

/// One entry, by `(actor_user_id, actor_email)`.
async fn insert(
    db: &impl ConnectionTrait,
    (actor_user_id, actor_email): (String, String),
    action: &str,
    target_type: &str,
    target_id: &str,
    details: serde_json::Value,
) -> Result<audit_log::Model, AccountError> {
    Ok(audit_log::ActiveModel {
        id: Set(new_id("aud")),
        actor_user_id: Set(actor_user_id),
        actor_email: Set(actor_email),
        action: Set(action.to_owned()),
        target_type: Set(target_type.to_owned()),
        target_id: Set(target_id.to_owned()),
        details: Set(details),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?)
}

/// Who made a change to an organization's data: a member's session or a management key.
#[derive(Clone, Copy)]
pub enum Actor<'a> {
    User(&'a user::Model),
    /// A management key, by its hash (its public identifier).
    ManagementKey(&'a str),
}

/// [`record`] for a change made by a member or by a management key. A management key has no
/// user: it is recorded as `key:<hash>` with the email `management key`.
pub async fn record_by(
    db: &impl ConnectionTrait,
    actor: Actor<'_>,
    action: &str,
    target_type: &str,
    target_id: &str,
    details: serde_json::Value,
) -> Result<audit_log::Model, AccountError> {
    match actor {
        Actor::User(user) => record(db, user, action, target_type, target_id, details).await,
        Actor::ManagementKey(hash) => {
            let by = (format!("key:{hash}"), "management key".to_owned());
            insert(db, by, action, target_type, target_id, details).await
        }
    }
}
