//! Organizations, memberships and invites. Rules:
//! - every organization keeps at least one owner; only owners grant or take away ownership;
//! - admins manage members and admins; anyone may leave (except the last owner);
//! - personal organizations have exactly their one owner: to collaborate, create an organization.
//!
//! What the API shows comes back in the shared shapes (`api_types::organizations`).

use api_types::organizations::{InviteView, MemberView, OrganizationView};
use chrono::{Duration, Utc};
use entity::{invite, membership, organization, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::{AccountError, roles::Role, tenant::OrgScope, users};
use crate::ids::new_id;

pub const INVITE_TTL_DAYS: i64 = 14;

/// The caller's role in an organization, or `None` when they are not a member.
pub async fn role_of(
    db: &impl ConnectionTrait,
    org_id: &str,
    user_id: &str,
) -> Result<Option<Role>, AccountError> {
    let found = membership::Entity::find_by_id((org_id.to_owned(), user_id.to_owned()))
        .one(db)
        .await?;
    Ok(found.and_then(|m| Role::parse(&m.role)))
}

/// Verifies membership and returns the scope through which the organization's data is reached.
/// Non-members get "not found" so that organization ids do not leak.
pub async fn scope_for_member(
    db: &impl ConnectionTrait,
    org_id: &str,
    user_id: &str,
) -> Result<OrgScope, AccountError> {
    match role_of(db, org_id, user_id).await? {
        Some(role) => Ok(OrgScope::verified(org_id.to_owned(), role)),
        None => Err(AccountError::NotFound("Organization")),
    }
}

/// The organization as its member sees it (with their role).
fn view(org: &organization::Model, role: Role) -> OrganizationView {
    OrganizationView {
        id: org.id.clone(),
        name: org.name.clone(),
        is_personal: org.is_personal,
        role,
        suspended: org.suspended_at.is_some(),
        created_at: org.created_at,
    }
}

fn invite_view(i: invite::Model) -> InviteView {
    InviteView {
        id: i.id,
        email: i.email,
        role: i.role,
        invited_by_user_id: i.invited_by_user_id,
        created_at: i.created_at,
        expires_at: i.expires_at,
    }
}

/// The caller's organization as they see it.
pub async fn describe(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
) -> Result<OrganizationView, AccountError> {
    Ok(view(&get(db, scope).await?, scope.role()))
}

async fn get(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
) -> Result<organization::Model, AccountError> {
    organization::Entity::find_by_id(scope.org_id().to_owned())
        .one(db)
        .await?
        .ok_or(AccountError::NotFound("Organization"))
}

/// Creates an organization owned by `owner`.
pub async fn create(
    db: &DatabaseConnection,
    owner: &user::Model,
    name: Option<String>,
) -> Result<OrganizationView, AccountError> {
    let name = users::normalize_name(name, "name")?
        .ok_or_else(|| AccountError::invalid("name: required"))?;
    let now = Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let org = organization::ActiveModel {
        id: Set(new_id("org")),
        name: Set(name),
        is_personal: Set(false),
        suspended_at: Set(None),
        suspended_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        store_content: Set(false),
        store_content_changed_by: Set(None),
        store_content_changed_at: Set(None),
    }
    .insert(&txn)
    .await?;
    membership::ActiveModel {
        org_id: Set(org.id.clone()),
        user_id: Set(owner.id.clone()),
        role: Set(Role::Owner.as_str().to_owned()),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(view(&org, Role::Owner))
}

pub async fn rename(
    db: &DatabaseConnection,
    scope: &OrgScope,
    name: Option<String>,
) -> Result<OrganizationView, AccountError> {
    require_manager(scope)?;
    let name = users::normalize_name(name, "name")?
        .ok_or_else(|| AccountError::invalid("name: required"))?;
    let mut org: organization::ActiveModel = get(db, scope).await?.into();
    org.name = Set(name);
    org.updated_at = Set(Utc::now());
    Ok(view(&org.update(db).await?, scope.role()))
}

/// The organizations a user belongs to, with their role, personal organization first.
pub async fn list_for_user(
    db: &impl ConnectionTrait,
    user_id: &str,
) -> Result<Vec<OrganizationView>, AccountError> {
    let rows = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .find_also_related(organization::Entity)
        .order_by_asc(membership::Column::CreatedAt)
        .all(db)
        .await?;
    let mut orgs: Vec<_> = rows
        .into_iter()
        .filter_map(|(m, org)| Some((org?, Role::parse(&m.role)?)))
        .collect();
    orgs.sort_by_key(|(org, _)| !org.is_personal);
    Ok(orgs.iter().map(|(org, role)| view(org, *role)).collect())
}

pub async fn members(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
) -> Result<Vec<MemberView>, AccountError> {
    let rows = membership::Entity::find()
        .filter(membership::Column::OrgId.eq(scope.org_id()))
        .find_also_related(user::Entity)
        .order_by_asc(membership::Column::CreatedAt)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(m, u)| {
            let user = u?;
            Some(MemberView {
                user_id: user.id,
                email: user.email,
                name: user.name,
                role: Role::parse(&m.role)?,
                joined_at: m.created_at,
            })
        })
        .collect())
}

pub async fn change_role(
    db: &DatabaseConnection,
    scope: &OrgScope,
    target_user_id: &str,
    new_role: Role,
) -> Result<Role, AccountError> {
    require_manager(scope)?;
    let txn = crate::db::begin_write(db).await?;
    let current = role_of(&txn, scope.org_id(), target_user_id)
        .await?
        .ok_or(AccountError::NotFound("Member"))?;
    if (current == Role::Owner || new_role == Role::Owner) && scope.role() != Role::Owner {
        return Err(AccountError::Forbidden(
            "Only owners can grant or remove the owner role".into(),
        ));
    }
    if current == Role::Owner && new_role != Role::Owner {
        ensure_another_owner(&txn, scope.org_id()).await?;
    }
    let org = get(&txn, scope).await?;
    if org.is_personal && new_role != Role::Owner {
        return Err(AccountError::Conflict(
            "The owner of a personal organization cannot be demoted".into(),
        ));
    }
    membership::Entity::update_many()
        .col_expr(
            membership::Column::Role,
            sea_orm::sea_query::Expr::value(new_role.as_str()),
        )
        .col_expr(
            membership::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(membership::Column::OrgId.eq(scope.org_id()))
        .filter(membership::Column::UserId.eq(target_user_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(new_role)
}

/// Removes a member; members may remove themselves (leave).
pub async fn remove_member(
    db: &DatabaseConnection,
    scope: &OrgScope,
    caller_user_id: &str,
    target_user_id: &str,
) -> Result<(), AccountError> {
    let leaving = caller_user_id == target_user_id;
    if !leaving {
        require_manager(scope)?;
    }
    let txn = crate::db::begin_write(db).await?;
    let target_role = role_of(&txn, scope.org_id(), target_user_id)
        .await?
        .ok_or(AccountError::NotFound("Member"))?;
    if target_role == Role::Owner {
        if !leaving && scope.role() != Role::Owner {
            return Err(AccountError::Forbidden(
                "Only owners can remove an owner".into(),
            ));
        }
        if get(&txn, scope).await?.is_personal {
            return Err(AccountError::Conflict(
                "The owner cannot leave their personal organization".into(),
            ));
        }
        ensure_another_owner(&txn, scope.org_id()).await?;
    }
    membership::Entity::delete_by_id((scope.org_id().to_owned(), target_user_id.to_owned()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

async fn ensure_another_owner(db: &impl ConnectionTrait, org_id: &str) -> Result<(), AccountError> {
    let owners = membership::Entity::find()
        .filter(membership::Column::OrgId.eq(org_id))
        .filter(membership::Column::Role.eq(Role::Owner.as_str()))
        .count(db)
        .await?;
    if owners < 2 {
        return Err(AccountError::Conflict(
            "An organization must keep at least one owner".into(),
        ));
    }
    Ok(())
}

pub async fn invite(
    db: &DatabaseConnection,
    scope: &OrgScope,
    inviter: &user::Model,
    email: &str,
    role: Role,
) -> Result<InviteView, AccountError> {
    require_manager(scope)?;
    let email = users::normalize_email(email)?;
    if role == Role::Owner && scope.role() != Role::Owner {
        return Err(AccountError::Forbidden(
            "Only owners can invite owners".into(),
        ));
    }
    let org = get(db, scope).await?;
    if org.is_personal {
        return Err(AccountError::Conflict(
            "Personal organizations cannot have other members; create an organization to collaborate".into(),
        ));
    }
    if let Some(existing) = users::find_by_email(db, &email).await?
        && role_of(db, scope.org_id(), &existing.id).await?.is_some()
    {
        return Err(AccountError::Conflict(format!(
            "{email} is already a member"
        )));
    }
    let now = Utc::now();
    // Re-inviting replaces the pending invite (new role, fresh expiry).
    invite::Entity::delete_many()
        .filter(invite::Column::OrgId.eq(scope.org_id()))
        .filter(invite::Column::Email.eq(email.clone()))
        .filter(invite::Column::AcceptedAt.is_null())
        .exec(db)
        .await?;
    let invite = invite::ActiveModel {
        id: Set(new_id("inv")),
        org_id: Set(scope.org_id().to_owned()),
        email: Set(email),
        role: Set(role.as_str().to_owned()),
        invited_by_user_id: Set(inviter.id.clone()),
        created_at: Set(now),
        expires_at: Set(now + Duration::days(INVITE_TTL_DAYS)),
        accepted_at: Set(None),
        accepted_by_user_id: Set(None),
    }
    .insert(db)
    .await?;
    Ok(invite_view(invite))
}

pub async fn pending_invites(
    db: &impl ConnectionTrait,
    scope: &OrgScope,
) -> Result<Vec<InviteView>, AccountError> {
    let invites = invite::Entity::find()
        .filter(invite::Column::OrgId.eq(scope.org_id()))
        .filter(invite::Column::AcceptedAt.is_null())
        .filter(invite::Column::ExpiresAt.gt(Utc::now()))
        .order_by_desc(invite::Column::CreatedAt)
        .all(db)
        .await?;
    Ok(invites.into_iter().map(invite_view).collect())
}

pub async fn revoke_invite(
    db: &DatabaseConnection,
    scope: &OrgScope,
    invite_id: &str,
) -> Result<(), AccountError> {
    require_manager(scope)?;
    let deleted = invite::Entity::delete_many()
        .filter(invite::Column::OrgId.eq(scope.org_id()))
        .filter(invite::Column::Id.eq(invite_id))
        .filter(invite::Column::AcceptedAt.is_null())
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(AccountError::NotFound("Invite"));
    }
    Ok(())
}

/// Turns the user's pending, unexpired invites into memberships (on sign-up and login).
pub async fn accept_pending_invites(
    db: &impl ConnectionTrait,
    user: &user::Model,
) -> Result<usize, AccountError> {
    let now = Utc::now();
    let pending = invite::Entity::find()
        .filter(invite::Column::Email.eq(user.email.clone()))
        .filter(invite::Column::AcceptedAt.is_null())
        .filter(invite::Column::ExpiresAt.gt(now))
        .all(db)
        .await?;
    let mut accepted = 0;
    for inv in pending {
        if role_of(db, &inv.org_id, &user.id).await?.is_none() {
            membership::ActiveModel {
                org_id: Set(inv.org_id.clone()),
                user_id: Set(user.id.clone()),
                role: Set(inv.role.clone()),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
            accepted += 1;
        }
        let mut row: invite::ActiveModel = inv.into();
        row.accepted_at = Set(Some(now));
        row.accepted_by_user_id = Set(Some(user.id.clone()));
        row.update(db).await?;
    }
    Ok(accepted)
}

/// The caller manages the organization (owner or admin). Handlers call it before reading a
/// body, so a plain member gets 403 whatever the body holds; the actions check it again.
pub fn require_manager(scope: &OrgScope) -> Result<(), AccountError> {
    if scope.role().is_manager() {
        Ok(())
    } else {
        Err(AccountError::Forbidden(
            "This action needs the owner or admin role in the organization".into(),
        ))
    }
}
