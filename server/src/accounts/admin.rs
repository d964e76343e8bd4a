//! Platform administration: the cross-tenant views and actions reserved to platform admins.
//! Every change is written to the audit log in the same transaction.

use chrono::Utc;
use entity::{audit_log, membership, organization, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait, Func},
};

use super::{AccountError, audit};

pub const MAX_PER_PAGE: u64 = 100;

#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub page: u64,
    pub per_page: u64,
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
        Ok(Page { page, per_page })
    }

    fn offset(self) -> u64 {
        (self.page - 1) * self.per_page
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

pub struct OrgRow {
    pub org: organization::Model,
    pub member_count: u64,
}

pub async fn organizations(
    db: &DatabaseConnection,
    search: Option<&str>,
    page: Page,
) -> Result<(Vec<OrgRow>, u64), AccountError> {
    let mut query = organization::Entity::find();
    if let Some(q) = search.map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = like_pattern(q);
        query = query.filter(
            Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(organization::Column::Name)))
                        .like(pattern.clone()),
                )
                .add(organization::Column::Id.eq(q)),
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
        let member_count = membership::Entity::find()
            .filter(membership::Column::OrgId.eq(org.id.clone()))
            .count(db)
            .await?;
        rows.push(OrgRow { org, member_count });
    }
    Ok((rows, total))
}

pub async fn users(
    db: &DatabaseConnection,
    search: Option<&str>,
    page: Page,
) -> Result<(Vec<user::Model>, u64), AccountError> {
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
    Ok((users, total))
}

/// Suspends (`reason` given) or reactivates (`None`) an organization.
pub async fn set_suspended(
    db: &DatabaseConnection,
    actor: &user::Model,
    org_id: &str,
    suspend: Option<String>,
) -> Result<organization::Model, AccountError> {
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
    Ok(org)
}

pub async fn audit_entries(
    db: &DatabaseConnection,
    page: Page,
) -> Result<(Vec<audit_log::Model>, u64), AccountError> {
    let query = audit_log::Entity::find();
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(audit_log::Column::CreatedAt)
        .order_by_desc(audit_log::Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(db)
        .await?;
    Ok((rows, total))
}
