//! Platform administration: the cross-tenant views and actions reserved to platform admins.
//! Every change is written to the audit log in the same transaction. Answers come in the
//! shared API shapes (`api_types::admin`).

use api_types::admin::{
    AdminOrganization, AdminOrganizationList, AdminUser, AdminUserList, AuditEntry, AuditList,
    PageInfo,
};
use api_types::keys::KeyView;
use api_types::organizations::MemberView;
use chrono::Utc;
use entity::{audit_log, membership, org_credit, organization, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Func, Query},
};

use super::api_keys::{self, KeyKind};
use super::key_cache::KeyCache;
use super::roles::Role;
use super::tenant::OrgScope;
use super::{AccountError, audit, key_views, organizations as orgs};
use crate::billing::money::Nanos;
use crate::billing::periods::Periods;

pub const MAX_PER_PAGE: u64 = 100;

#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub page: u64,
    pub per_page: u64,
    /// Rows before this page, computed once with checked arithmetic.
    offset: u64,
}

impl Page {
    pub fn new(page: Option<u64>, per_page: Option<u64>) -> Result<Page, AccountError> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(20);
        if page == 0 {
            return Err(AccountError::invalid("page: starts at 1"));
        }
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(AccountError::invalid(format!(
                "per_page: must be between 1 and {MAX_PER_PAGE}"
            )));
        }
        // The database binds signed 64-bit offsets; a page past them is refused, not wrapped.
        let offset = (page - 1)
            .checked_mul(per_page)
            .filter(|offset| i64::try_from(*offset).is_ok())
            .ok_or_else(|| {
                AccountError::invalid(format!("page: too large for {per_page} per page"))
            })?;
        Ok(Page {
            page,
            per_page,
            offset,
        })
    }

    fn offset(self) -> u64 {
        self.offset
    }

    fn info(self, total: u64) -> PageInfo {
        PageInfo {
            page: self.page,
            per_page: self.per_page,
            total,
        }
    }
}

/// `%text%` for LIKE, with the pattern characters in the search text escaped.
fn like_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// What the admins' listing shows of an organization beside its own row.
#[derive(Default)]
struct OrgFigures {
    member_count: u64,
    owner_email: Option<String>,
    balance: Nanos,
    spent_this_month: Nanos,
}

impl OrgFigures {
    async fn of(db: &impl ConnectionTrait, org_id: &str) -> Result<OrgFigures, AccountError> {
        let member_count = membership::Entity::find()
            .filter(membership::Column::OrgId.eq(org_id))
            .count(db)
            .await?;
        let owner_email = membership::Entity::find()
            .filter(membership::Column::OrgId.eq(org_id))
            .filter(membership::Column::Role.eq("owner"))
            .find_also_related(user::Entity)
            .order_by_asc(membership::Column::CreatedAt)
            .one(db)
            .await?
            .and_then(|(_, owner)| owner.map(|u| u.email));
        let credit = org_credit::Entity::find_by_id(org_id).one(db).await?;
        let month = Periods::at(Utc::now()).month;
        Ok(OrgFigures {
            member_count,
            owner_email,
            balance: Nanos::from_nanos(credit.as_ref().map_or(0, |c| c.balance_nanos)),
            spent_this_month: Nanos::from_nanos(
                credit
                    .filter(|c| c.spent_month == month)
                    .map_or(0, |c| c.spent_monthly_nanos),
            ),
        })
    }
}

fn admin_organization(org: organization::Model, figures: OrgFigures) -> AdminOrganization {
    AdminOrganization {
        id: org.id,
        name: org.name,
        is_personal: org.is_personal,
        member_count: figures.member_count,
        owner_email: figures.owner_email,
        balance: figures.balance.into(),
        spent_this_month: figures.spent_this_month.into(),
        suspended_at: org.suspended_at,
        suspended_reason: org.suspended_reason,
        created_at: org.created_at,
    }
}

pub async fn organizations(
    db: &DatabaseConnection,
    search: Option<&str>,
    page: Page,
) -> Result<AdminOrganizationList, AccountError> {
    let mut query = organization::Entity::find();
    if let Some(q) = search.map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = like_pattern(q);
        query = query.filter(
            Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(organization::Column::Name)))
                        .like(pattern.clone()),
                )
                .add(organization::Column::Id.eq(q))
                // A member's email finds their organizations (personal ones included).
                .add(
                    organization::Column::Id.in_subquery(
                        Query::select()
                            .column((membership::Entity, membership::Column::OrgId))
                            .from(membership::Entity)
                            .inner_join(
                                user::Entity,
                                Expr::col((user::Entity, user::Column::Id))
                                    .equals((membership::Entity, membership::Column::UserId)),
                            )
                            .and_where(
                                Expr::expr(Func::lower(Expr::col((
                                    user::Entity,
                                    user::Column::Email,
                                ))))
                                .like(pattern),
                            )
                            .to_owned(),
                    ),
                ),
        );
    }
    let total = query.clone().count(db).await?;
    let orgs = query
        .order_by_desc(organization::Column::CreatedAt)
        .order_by_asc(organization::Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?;
    let mut rows = Vec::with_capacity(orgs.len());
    for org in orgs {
        let figures = OrgFigures::of(db, &org.id).await?;
        rows.push(admin_organization(org, figures));
    }
    Ok(AdminOrganizationList {
        data: rows,
        pagination: page.info(total),
    })
}

/// One organization as platform admins read it: its row and figures, its members and its
/// inference keys (the first page, disabled ones included). Reads are not audited; changes
/// are.
pub async fn organization(
    db: &DatabaseConnection,
    org_id: &str,
) -> Result<(AdminOrganization, Vec<MemberView>, Vec<KeyView>), AccountError> {
    let org = organization::Entity::find_by_id(org_id.to_owned())
        .one(db)
        .await?
        .ok_or(AccountError::NotFound("Organization"))?;
    // Made only here, for a caller the handler has checked is a platform admin: a read-only
    // scope over the organization (a member's role reads everything these lists hold).
    let scope = OrgScope::verified(org.id.clone(), Role::Member);
    let members = orgs::members(db, &scope).await?;
    let keys = api_keys::list(db, &scope, KeyKind::Inference, true, 0).await?;
    let figures = OrgFigures::of(db, &org.id).await?;
    Ok((
        admin_organization(org, figures),
        members,
        keys.iter().map(key_views::key).collect(),
    ))
}

/// 404 unless the organization exists.
pub async fn require_organization(
    db: &DatabaseConnection,
    org_id: &str,
) -> Result<(), AccountError> {
    organization::Entity::find_by_id(org_id.to_owned())
        .one(db)
        .await?
        .map(|_| ())
        .ok_or(AccountError::NotFound("Organization"))
}

pub async fn users(
    db: &DatabaseConnection,
    search: Option<&str>,
    page: Page,
) -> Result<AdminUserList, AccountError> {
    let mut query = user::Entity::find();
    if let Some(q) = search.map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = like_pattern(q);
        query = query.filter(
            Condition::any()
                .add(user::Column::Email.like(pattern.clone()))
                .add(Expr::expr(Func::lower(Expr::col(user::Column::Name))).like(pattern))
                .add(user::Column::Id.eq(q)),
        );
    }
    let total = query.clone().count(db).await?;
    let users = query
        .order_by_desc(user::Column::CreatedAt)
        .order_by_asc(user::Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?;
    Ok(AdminUserList {
        data: users
            .into_iter()
            .map(|u| AdminUser {
                id: u.id,
                email: u.email,
                name: u.name,
                is_platform_admin: u.is_platform_admin,
                personal_organization_id: u.personal_org_id,
                created_at: u.created_at,
            })
            .collect(),
        pagination: page.info(total),
    })
}

/// Suspends (`reason` given) or reactivates (`None`) an organization, and drops every cached
/// key so that the change holds at once on this replica (keys are cached for up to a second).
/// The answer reports no member count (0).
pub async fn set_suspended(
    db: &DatabaseConnection,
    keys: &KeyCache,
    actor: &user::Model,
    org_id: &str,
    suspend: Option<String>,
) -> Result<AdminOrganization, AccountError> {
    let txn = crate::db::begin_write(db).await?;
    let org = organization::Entity::find_by_id(org_id.to_owned())
        .one(&txn)
        .await?
        .ok_or(AccountError::NotFound("Organization"))?;
    let was_suspended = org.suspended_at.is_some();
    let now = Utc::now();
    let action = if suspend.is_some() {
        "organization.suspend"
    } else {
        "organization.reactivate"
    };
    let mut row: organization::ActiveModel = org.into();
    row.suspended_at = Set(suspend.as_ref().map(|_| now));
    row.suspended_reason = Set(suspend.clone());
    row.updated_at = Set(now);
    let org = row.update(&txn).await?;
    audit::record(
        &txn,
        actor,
        action,
        "organization",
        &org.id,
        serde_json::json!({ "was_suspended": was_suspended, "reason": suspend }),
    )
    .await?;
    txn.commit().await?;
    // An organization-wide change; rare, so dropping every cached key is fine.
    keys.invalidate_all();
    let figures = OrgFigures::of(db, &org.id).await?;
    Ok(admin_organization(org, figures))
}

pub async fn audit_entries(db: &DatabaseConnection, page: Page) -> Result<AuditList, AccountError> {
    let query = audit_log::Entity::find();
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(audit_log::Column::CreatedAt)
        .order_by_desc(audit_log::Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?;
    Ok(AuditList {
        data: rows
            .into_iter()
            .map(|a: audit_log::Model| AuditEntry {
                id: a.id,
                actor_user_id: a.actor_user_id,
                actor_email: a.actor_email,
                action: a.action,
                target_type: a.target_type,
                target_id: a.target_id,
                details: a.details,
                created_at: a.created_at,
            })
            .collect(),
        pagination: page.info(total),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_offsets_are_checked() {
        let page = Page::new(Some(3), Some(20)).unwrap();
        assert_eq!(page.offset(), 40);
        assert_eq!(Page::new(None, None).unwrap().offset(), 0);
        assert!(Page::new(Some(0), None).is_err());
        assert!(Page::new(None, Some(MAX_PER_PAGE + 1)).is_err());
        // 15850615744084172799 × 100 wraps a u64; 2^63 / 100 + 2 pages pass i64::MAX.
        assert!(Page::new(Some(15_850_615_744_084_172_800), Some(100)).is_err());
        assert!(Page::new(Some(i64::MAX as u64 / 100 + 2), Some(100)).is_err());
        assert!(Page::new(Some(u64::MAX), Some(1)).is_err());
    }
}
