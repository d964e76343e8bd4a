//! Sign-up and password authentication.

use api_types::account::UserView;
use chrono::Utc;
use entity::{membership, organization, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

use super::{AccountError, is_unique_violation, organizations, passwords, roles::Role};
use crate::ids::new_id;

pub const MAX_NAME_CHARS: usize = 100;

pub struct SignupInput {
    pub email: String,
    pub password: String,
    pub name: Option<String>,
}

/// The user as the API shows them (to themselves).
pub fn view(user: &user::Model) -> UserView {
    UserView {
        id: user.id.clone(),
        email: user.email.clone(),
        name: user.name.clone(),
        is_platform_admin: user.is_platform_admin,
        personal_organization_id: user.personal_org_id.clone(),
        created_at: user.created_at,
    }
}

/// Trims and lower-cases an email, and checks it has a plausible shape.
pub fn normalize_email(raw: &str) -> Result<String, AccountError> {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && local.len() <= 64
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(email)
    } else {
        Err(AccountError::invalid("email: not a valid email address"))
    }
}

pub fn normalize_name(raw: Option<String>, field: &str) -> Result<Option<String>, AccountError> {
    let Some(name) = raw.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(AccountError::invalid(format!(
            "{field}: must be at most {MAX_NAME_CHARS} printable characters"
        )));
    }
    Ok(Some(name))
}

/// Creates the user, their personal organization (as owner) and accepts pending invites.
pub async fn signup(
    db: &DatabaseConnection,
    input: SignupInput,
) -> Result<user::Model, AccountError> {
    let email = normalize_email(&input.email)?;
    let name = normalize_name(input.name, "name")?;
    passwords::check_policy(&input.password, &email)?;
    if find_by_email(db, &email).await?.is_some() {
        return Err(AccountError::EmailTaken);
    }
    let password_hash = passwords::hash(input.password).await?;
    let txn = crate::db::begin_write(db).await?;
    let user = create_with_personal_org(&txn, &email, name, password_hash, false)
        .await
        .map_err(|e| match e {
            AccountError::Db(err) if is_unique_violation(&err) => AccountError::EmailTaken,
            other => other,
        })?;
    organizations::accept_pending_invites(&txn, &user).await?;
    txn.commit().await?;
    Ok(user)
}

/// Checks an email/password pair. Unknown email and wrong password give the same error
/// after the same amount of work.
pub async fn authenticate(
    db: &DatabaseConnection,
    email: &str,
    password: String,
) -> Result<user::Model, AccountError> {
    let email = normalize_email(email).map_err(|_| AccountError::InvalidCredentials)?;
    let user = find_by_email(db, &email).await?;
    let ok = passwords::verify(password, user.as_ref().map(|u| u.password_hash.clone())).await;
    match user {
        Some(user) if ok => {
            organizations::accept_pending_invites(db, &user).await?;
            Ok(user)
        }
        _ => Err(AccountError::InvalidCredentials),
    }
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<user::Model>, AccountError> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?)
}

pub async fn find(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Option<user::Model>, AccountError> {
    Ok(user::Entity::find_by_id(user_id.to_owned()).one(db).await?)
}

pub(crate) async fn create_with_personal_org(
    db: &impl ConnectionTrait,
    email: &str,
    name: Option<String>,
    password_hash: String,
    is_platform_admin: bool,
) -> Result<user::Model, AccountError> {
    let now = Utc::now();
    let org_id = new_id("org");
    let user_id = new_id("usr");
    organization::ActiveModel {
        id: Set(org_id.clone()),
        name: Set(name.clone().unwrap_or_else(|| "Personal".to_owned())),
        is_personal: Set(true),
        suspended_at: Set(None),
        suspended_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        store_content: Set(false),
        store_content_changed_by: Set(None),
        store_content_changed_at: Set(None),
    }
    .insert(db)
    .await?;
    let user = user::ActiveModel {
        id: Set(user_id.clone()),
        email: Set(email.to_owned()),
        name: Set(name),
        password_hash: Set(password_hash),
        is_platform_admin: Set(is_platform_admin),
        personal_org_id: Set(org_id.clone()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    membership::ActiveModel {
        org_id: Set(org_id),
        user_id: Set(user_id),
        role: Set(Role::Owner.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            normalize_email("  Alice@Example.COM ").unwrap(),
            "alice@example.com"
        );
        for bad in [
            "", "alice", "a@b", "a b@c.d", "@c.d", "a@.c", "a@c.", "a@b@c.d",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }
}
