//! The platform admins' audit log: who changed what, when. Written in the same transaction
//! as the change it records.

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
    Ok(audit_log::ActiveModel {
        id: Set(new_id("aud")),
        actor_user_id: Set(actor.id.clone()),
        actor_email: Set(actor.email.clone()),
        action: Set(action.to_owned()),
        target_type: Set(target_type.to_owned()),
        target_id: Set(target_id.to_owned()),
        details: Set(details),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?)
}
