//! Start-up: make sure the configured platform admin exists.

use chrono::Utc;
use entity::user;
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

use super::{AccountError, passwords, users};

/// Ensures `email` is a platform admin. A new account gets `password`, or a generated one
/// that is printed once; an existing account keeps its password and is promoted.
pub async fn ensure_admin(
    db: &DatabaseConnection,
    email: &str,
    password: Option<&str>,
) -> Result<user::Model, AccountError> {
    let email = users::normalize_email(email)?;
    if let Some(existing) = users::find_by_email(db, &email).await? {
        if existing.is_platform_admin {
            return Ok(existing);
        }
        let mut row: user::ActiveModel = existing.into();
        row.is_platform_admin = Set(true);
        row.updated_at = Set(Utc::now());
        let promoted = row.update(db).await?;
        tracing::info!(email = %email, "promoted existing user to platform admin");
        return Ok(promoted);
    }
    let password = match password {
        Some(p) => {
            passwords::check_policy(p, &email)
                .map_err(|e| AccountError::invalid(format!("ADMIN_PASSWORD: {e}")))?;
            p.to_owned()
        }
        None => {
            let generated = crate::ids::random_hex_secret()[..24].to_owned();
            // Printed once on purpose: this is the operator's only way to learn it.
            println!("Created platform admin {email} with generated password: {generated}");
            generated
        }
    };
    let hash = passwords::hash(password).await?;
    let admin =
        users::create_with_personal_org(db, &email, Some("Admin".into()), hash, true).await?;
    tracing::info!(email = %email, "created platform admin");
    Ok(admin)
}
