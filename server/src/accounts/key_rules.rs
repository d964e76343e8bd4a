//! Who may read, create, change or delete an API key, and the key-cache invalidation every
//! change needs. Key records are reachable only through a [`KeyAccess`], which only
//! [`KeyAccess::check`] makes; its changes take the [`KeyCache`] and drop the key from it in
//! the same call, so no caller can change a key and leave a stale copy authenticating.
//!
//! The rules:
//! - inference keys: any member of the organization (any role) and its management keys list,
//!   read and create them; the key's creator, an owner, an admin or a management key change
//!   and delete them;
//! - management keys: only a session of an owner or admin lists, creates, changes or deletes
//!   them (a management key cannot mint or alter management keys);
//! - a key, of either kind, reads its own record ([`own_key`]);
//! - a platform admin's suspension or reactivation of an organization drops every cached key
//!   (see [`super::admin::set_suspended`]).

use api_types::keys::{CurrentKey, KeyView};
use sea_orm::ConnectionTrait;

use super::api_keys::{self, KeyKind, KeyPatch, NewKey};
use super::key_cache::{AuthKey, KeyCache};
use super::key_views::{self, RateFigures};
use super::tenant::OrgScope;
use super::{AccountError, organizations};
use entity::api_key;

/// The right to act on one kind of key in one organization, for one caller.
pub struct KeyAccess<'a> {
    scope: &'a OrgScope,
    /// The acting user; `None` for a management key.
    user_id: Option<&'a str>,
    kind: KeyKind,
}

/// A new key with its plaintext, which is never available again.
pub struct CreatedKey {
    pub key: KeyView,
    pub plaintext: String,
}

impl<'a> KeyAccess<'a> {
    /// Checks that the caller (a member's session with `user_id`, or a management key with
    /// `None`) may manage keys of `kind` at all; per-key rights are checked on each change.
    pub fn check(
        scope: &'a OrgScope,
        user_id: Option<&'a str>,
        kind: KeyKind,
    ) -> Result<Self, AccountError> {
        if kind == KeyKind::Management {
            if user_id.is_none() {
                return Err(AccountError::Forbidden(
                    "Management keys can only be managed from a user session".into(),
                ));
            }
            if !scope.role().is_manager() {
                return Err(AccountError::Forbidden(
                    "Managing management keys needs the owner or admin role".into(),
                ));
            }
        }
        Ok(KeyAccess {
            scope,
            user_id,
            kind,
        })
    }

    pub async fn list(
        &self,
        db: &impl ConnectionTrait,
        include_disabled: bool,
        offset: u64,
    ) -> Result<Vec<KeyView>, AccountError> {
        let keys = api_keys::list(db, self.scope, self.kind, include_disabled, offset).await?;
        Ok(keys.iter().map(key_views::key).collect())
    }

    pub async fn get(
        &self,
        db: &impl ConnectionTrait,
        hash: &str,
    ) -> Result<KeyView, AccountError> {
        let key = api_keys::get(db, self.scope, self.kind, hash).await?;
        Ok(key_views::key(&key))
    }

    /// Creates a key recorded as made by `creator_user_id` (a member of the organization),
    /// or by the calling user when `None`.
    pub async fn create(
        &self,
        db: &impl ConnectionTrait,
        creator_user_id: Option<String>,
        new: NewKey,
    ) -> Result<CreatedKey, AccountError> {
        let creator = match creator_user_id {
            Some(user_id) => {
                if organizations::role_of(db, self.scope.org_id(), &user_id)
                    .await?
                    .is_none()
                {
                    return Err(AccountError::invalid(
                        "creator_user_id: not a member of this organization",
                    ));
                }
                Some(user_id)
            }
            None => self.user_id.map(str::to_owned),
        };
        let (key, plaintext) = api_keys::create(db, self.scope, self.kind, creator, new).await?;
        Ok(CreatedKey {
            key: key_views::key(&key),
            plaintext,
        })
    }

    /// Changes a key (disabling it, a new limit...) and drops it from the cache at once.
    pub async fn update(
        &self,
        db: &impl ConnectionTrait,
        cache: &KeyCache,
        hash: &str,
        patch: KeyPatch,
    ) -> Result<KeyView, AccountError> {
        let existing = self.modifiable(db, hash).await?;
        let key = api_keys::update(db, existing, patch).await?;
        cache.invalidate(hash).await;
        Ok(key_views::key(&key))
    }

    /// Deletes a key; it stops authenticating at once.
    pub async fn delete(
        &self,
        db: &impl ConnectionTrait,
        cache: &KeyCache,
        hash: &str,
    ) -> Result<(), AccountError> {
        self.modifiable(db, hash).await?;
        api_keys::delete(db, self.scope, self.kind, hash).await?;
        cache.invalidate(hash).await;
        Ok(())
    }

    /// The key, if the caller may change it: members change their own keys; owners, admins
    /// and management keys change any.
    async fn modifiable(
        &self,
        db: &impl ConnectionTrait,
        hash: &str,
    ) -> Result<api_key::Model, AccountError> {
        let key = api_keys::get(db, self.scope, self.kind, hash).await?;
        let own = self
            .user_id
            .is_some_and(|user| key.creator_user_id.as_deref() == Some(user));
        if own || self.scope.role().is_manager() {
            Ok(key)
        } else {
            Err(AccountError::Forbidden(
                "Only the key's creator, an owner or an admin can change this key".into(),
            ))
        }
    }
}

/// The calling key's own record for `GET /key`. Authentication used the cached key; its
/// usage figures are read fresh.
pub async fn own_key(
    db: &impl ConnectionTrait,
    caller: &AuthKey,
    rates: &RateFigures,
) -> Result<CurrentKey, AccountError> {
    let key = api_keys::get_any_kind(db, &caller.scope(), &caller.key.hash).await?;
    Ok(key_views::current_key(&key, rates))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::roles::Role;

    fn scope(role: Role) -> OrgScope {
        OrgScope::verified("org_1".into(), role)
    }

    fn forbidden(result: Result<KeyAccess<'_>, AccountError>) -> String {
        match result {
            Err(AccountError::Forbidden(message)) => message,
            Err(other) => panic!("expected Forbidden, got {other}"),
            Ok(_) => panic!("expected Forbidden, got access"),
        }
    }

    #[test]
    fn anyone_in_the_organization_manages_inference_keys() {
        for role in [Role::Member, Role::Admin, Role::Owner] {
            assert!(KeyAccess::check(&scope(role), Some("usr_1"), KeyKind::Inference).is_ok());
        }
        // A management key acts with an admin's scope and no user.
        assert!(KeyAccess::check(&scope(Role::Admin), None, KeyKind::Inference).is_ok());
    }

    #[test]
    fn management_keys_need_a_managers_session() {
        let owner = scope(Role::Owner);
        let admin = scope(Role::Admin);
        assert!(KeyAccess::check(&owner, Some("usr_1"), KeyKind::Management).is_ok());
        assert!(KeyAccess::check(&admin, Some("usr_1"), KeyKind::Management).is_ok());
        let member = scope(Role::Member);
        assert_eq!(
            forbidden(KeyAccess::check(
                &member,
                Some("usr_1"),
                KeyKind::Management
            )),
            "Managing management keys needs the owner or admin role"
        );
        assert_eq!(
            forbidden(KeyAccess::check(&admin, None, KeyKind::Management)),
            "Management keys can only be managed from a user session"
        );
    }
}
