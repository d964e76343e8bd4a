//! Organization budgets: caps on what an organization spends per UTC day, week (from
//! Monday), month, and ever. Enforced like the balance: an organization with a budget
//! reserves from a lease on its remaining budget (`budget:<org>`, see [`super::leases`]);
//! short of it, a request gets 403 naming the budget. The hot path knows which organizations
//! have budgets from an in-memory view ([`OrgBudgets`]), refreshed on change on every replica.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use entity::{org_budget, org_credit, organization, user};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait};

use super::money::Nanos;
use super::periods::Periods;
use crate::accounts::audit;

/// The caps of one organization (`None`: no cap).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budgets {
    pub daily: Option<Nanos>,
    pub weekly: Option<Nanos>,
    pub monthly: Option<Nanos>,
    pub lifetime: Option<Nanos>,
}

impl Budgets {
    pub fn is_empty(&self) -> bool {
        *self == Budgets::default()
    }

    fn of(row: &org_budget::Model) -> Budgets {
        Budgets {
            daily: row.daily_nanos.map(Nanos::from_nanos),
            weekly: row.weekly_nanos.map(Nanos::from_nanos),
            monthly: row.monthly_nanos.map(Nanos::from_nanos),
            lifetime: row.lifetime_nanos.map(Nanos::from_nanos),
        }
    }

    /// The tightest budget given `credit`'s spending at `now`: what is left of it (never
    /// below zero) and how it is named ("monthly budget of $500.00"). `None` without budgets.
    pub fn remaining(
        &self,
        credit: Option<&org_credit::Model>,
        now: DateTime<Utc>,
    ) -> Option<(Nanos, String)> {
        let periods = Periods::at(now);
        let spent = |period: i64, current: i64, nanos: i64| {
            Nanos::from_nanos(if period == current { nanos } else { 0 })
        };
        let (daily, weekly, monthly, lifetime) = credit.map_or(Default::default(), |c| {
            (
                spent(c.spent_day, periods.day, c.spent_daily_nanos),
                spent(c.spent_week, periods.week, c.spent_weekly_nanos),
                spent(c.spent_month, periods.month, c.spent_monthly_nanos),
                Nanos::from_nanos(c.spent_nanos),
            )
        });
        [
            ("daily", self.daily, daily),
            ("weekly", self.weekly, weekly),
            ("monthly", self.monthly, monthly),
            ("lifetime", self.lifetime, lifetime),
        ]
        .into_iter()
        .filter_map(|(name, cap, spent)| {
            cap.map(|cap| {
                let label = format!("{name} budget of ${}", dollars(cap));
                (cap.remaining_after(spent), label)
            })
        })
        .min_by_key(|(left, _)| *left)
    }
}

/// `$500.00` rather than `$500`; finer amounts keep their digits.
fn dollars(amount: Nanos) -> String {
    const CENT: i64 = 10_000_000;
    let nanos = amount.as_nanos();
    if nanos % CENT == 0 {
        format!("{}.{:02}", nanos / (100 * CENT), (nanos / CENT % 100).abs())
    } else {
        amount.to_string()
    }
}

/// Which organizations have budgets, in memory for the hot path.
#[derive(Default)]
pub struct OrgBudgets {
    by_org: ArcSwap<HashMap<String, Budgets>>,
}

impl OrgBudgets {
    pub fn has_budget(&self, org_id: &str) -> bool {
        self.by_org.load().contains_key(org_id)
    }

    pub fn get(&self, org_id: &str) -> Budgets {
        self.by_org.load().get(org_id).copied().unwrap_or_default()
    }

    pub fn replace_all(&self, all: HashMap<String, Budgets>) {
        self.by_org.store(Arc::new(all));
    }

    fn set(&self, org_id: &str, budgets: Budgets) {
        self.by_org.rcu(|current| {
            let mut next = HashMap::clone(current);
            if budgets.is_empty() {
                next.remove(org_id);
            } else {
                next.insert(org_id.to_owned(), budgets);
            }
            next
        });
    }
}

/// Every organization's budgets (at start, and when another replica changed them).
pub async fn load_all(db: &DatabaseConnection) -> Result<HashMap<String, Budgets>, DbErr> {
    Ok(org_budget::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.org_id.clone(), Budgets::of(&row)))
        .filter(|(_, budgets)| !budgets.is_empty())
        .collect())
}

/// The organization's budgets as stored, with when they last changed.
pub async fn get(
    db: &DatabaseConnection,
    org_id: &str,
) -> Result<(Budgets, Option<DateTime<Utc>>), DbErr> {
    Ok(org_budget::Entity::find_by_id(org_id)
        .one(db)
        .await?
        .map_or((Budgets::default(), None), |row| {
            (Budgets::of(&row), Some(row.updated_at))
        }))
}

#[derive(Debug, thiserror::Error)]
pub enum BudgetError {
    #[error("{0}")]
    Invalid(String),
    #[error("Organization not found")]
    NoOrganization,
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("audit: {0}")]
    Audit(String),
}

/// Parses a cap in USD (`None`: no cap); it must be positive.
pub fn parse_cap(field: &str, usd: Option<f64>) -> Result<Option<Nanos>, BudgetError> {
    usd.map(|usd| match Nanos::from_usd_f64(usd) {
        _ if usd > crate::billing::money::MAX_SETTABLE_USD => Err(BudgetError::Invalid(format!(
            "{field}: must be at most {}",
            crate::billing::money::MAX_SETTABLE_USD
        ))),
        Ok(cap) if cap.is_positive() => Ok(cap),
        Ok(_) => Err(BudgetError::Invalid(format!(
            "{field}: must be positive (null removes the budget)"
        ))),
        Err(e) => Err(BudgetError::Invalid(format!("{field}: {e}"))),
    })
    .transpose()
}

/// Replaces `org_id`'s budgets (all `None` clears them), audited, and updates this replica's
/// view at once (others within seconds).
pub async fn set(
    db: &DatabaseConnection,
    view: &OrgBudgets,
    actor: &user::Model,
    org_id: &str,
    budgets: Budgets,
) -> Result<DateTime<Utc>, BudgetError> {
    let txn = crate::db::begin_write(db).await?;
    if organization::Entity::find_by_id(org_id)
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(BudgetError::NoOrganization);
    }
    let now = Utc::now();
    let nanos = |cap: Option<Nanos>| cap.map(Nanos::as_nanos);
    org_budget::Entity::insert(org_budget::ActiveModel {
        org_id: Set(org_id.to_owned()),
        daily_nanos: Set(nanos(budgets.daily)),
        weekly_nanos: Set(nanos(budgets.weekly)),
        monthly_nanos: Set(nanos(budgets.monthly)),
        lifetime_nanos: Set(nanos(budgets.lifetime)),
        updated_by_user_id: Set(actor.id.clone()),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(org_budget::Column::OrgId)
            .update_columns([
                org_budget::Column::DailyNanos,
                org_budget::Column::WeeklyNanos,
                org_budget::Column::MonthlyNanos,
                org_budget::Column::LifetimeNanos,
                org_budget::Column::UpdatedByUserId,
                org_budget::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec(&txn)
    .await?;
    let text = |cap: Option<Nanos>| cap.map(|c| c.to_string());
    audit::record(
        &txn,
        actor,
        "organization.budgets",
        "organization",
        org_id,
        serde_json::json!({
            "daily": text(budgets.daily),
            "weekly": text(budgets.weekly),
            "monthly": text(budgets.monthly),
            "lifetime": text(budgets.lifetime),
        }),
    )
    .await
    .map_err(|e| BudgetError::Audit(e.to_string()))?;
    txn.commit().await?;
    view.set(org_id, budgets);
    Ok(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_are_named_in_dollars_and_cents() {
        assert_eq!(dollars(Nanos::from_usd_str("500").unwrap()), "500.00");
        assert_eq!(dollars(Nanos::from_usd_str("0.5").unwrap()), "0.50");
        assert_eq!(dollars(Nanos::from_usd_str("0.001").unwrap()), "0.001");
    }

    #[test]
    fn the_tightest_budget_binds_and_old_periods_count_as_zero() {
        let now = DateTime::parse_from_rfc3339("2026-12-04T12:00:00Z")
            .unwrap()
            .to_utc();
        let periods = Periods::at(now);
        let usd = |s: &str| Nanos::from_usd_str(s).unwrap();
        let credit = org_credit::Model {
            org_id: "o".into(),
            balance_nanos: 0,
            purchased_nanos: 0,
            spent_nanos: usd("90").as_nanos(),
            spent_day: periods.day - 1, // yesterday's: counts as nothing today
            spent_daily_nanos: usd("9").as_nanos(),
            spent_week: periods.week,
            spent_weekly_nanos: usd("30").as_nanos(),
            spent_month: periods.month,
            spent_monthly_nanos: usd("60").as_nanos(),
            updated_at: now,
        };
        let budgets = Budgets {
            daily: Some(usd("10")),
            monthly: Some(usd("65")),
            lifetime: Some(usd("100")),
            ..Budgets::default()
        };
        let (left, label) = budgets.remaining(Some(&credit), now).unwrap();
        assert_eq!(left, usd("5"));
        assert_eq!(label, "monthly budget of $65.00");
        assert_eq!(Budgets::default().remaining(Some(&credit), now), None);
    }
}
