//! Credit: the organization's totals in OpenRouter's shape (`/credits`), its ledger
//! (`/credits/ledger`), and the platform admins' grants and reconcile check.

use actix_web::{HttpRequest, get, post, web};
use api_types::credits::{
    CreditMismatch, CreditSumsNanos, Credits, CreditsResponse, GrantRequest, GrantResponse,
    LedgerEntry, LedgerPage, Reconciliation,
};
use serde::Deserialize;

use super::error::{ApiError, extractors};
use super::extract::{OrgCaller, PlatformAdmin};
use super::openapi::ErrorBody;
use super::paging::PerPage;
use crate::billing::grants::{self, Grant};
use crate::billing::ledger::{self, EntryKind, SumsView};
use crate::billing::money::Nanos;
use crate::state::AppState;

/// The organization's credit: `total_credits - total_usage` is its balance (USD).
#[utoipa::path(tag = "credits", responses(
    (status = 200, body = CreditsResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/credits")]
pub async fn credits(
    state: web::Data<AppState>,
    caller: OrgCaller,
) -> Result<web::Json<CreditsResponse>, ApiError> {
    let sums = ledger::sums(&state.db, caller.scope.org_id()).await?;
    // Every credit ever added is what is left plus what was spent.
    let total_credits = sums.balance.saturating_add(sums.spent);
    Ok(web::Json(CreditsResponse {
        data: Credits {
            total_credits: total_credits.into(),
            total_usage: sums.spent.into(),
        },
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LedgerQuery {
    /// Entries older than this entry id (the previous page's `next_before`).
    #[param(value_type = Option<i64>, minimum = 1)]
    pub before: Option<String>,
    /// Entries per page, 1 to 100 (default 50).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub per_page: Option<PerPage>,
    /// Only entries of these kinds, comma-separated (`purchase,grant`).
    #[param(
        pattern = r"^\s*(purchase|purchase_fee|refund|grant|adjustment|generation|byok_fee|auto_topup)\s*(,\s*(purchase|purchase_fee|refund|grant|adjustment|generation|byok_fee|auto_topup)\s*)*$"
    )]
    pub kind: Option<String>,
}

fn parse_number(
    text: Option<&str>,
    field: &str,
    low: i64,
    high: i64,
) -> Result<Option<i64>, ApiError> {
    text.map(|t| match t.parse::<i64>() {
        Ok(n) if (low..=high).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_request(format!(
            "{field}: must be a whole number from {low} to {high}"
        ))),
    })
    .transpose()
}

/// The organization's ledger, newest first, with cursor paging.
#[utoipa::path(tag = "credits", params(LedgerQuery), responses(
    (status = 200, body = LedgerPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
#[get("/credits/ledger")]
pub async fn ledger_entries(
    state: web::Data<AppState>,
    caller: OrgCaller,
    req: HttpRequest,
) -> Result<web::Json<LedgerPage>, ApiError> {
    let query: LedgerQuery = extractors::query(&req)?;
    Ok(web::Json(
        ledger_page(&state.db, caller.scope.org_id(), &query).await?,
    ))
}

/// A page of `org_id`'s ledger as `query` asks (also the platform admins' view of it).
pub(super) async fn ledger_page(
    db: &sea_orm::DatabaseConnection,
    org_id: &str,
    query: &LedgerQuery,
) -> Result<LedgerPage, ApiError> {
    let before = parse_number(query.before.as_deref(), "before", 1, i64::MAX)?;
    let limit = query.per_page.map_or(50, PerPage::get);
    let kinds = match query.kind.as_deref() {
        None => Vec::new(),
        Some(text) => text
            .split(',')
            .map(|name| {
                EntryKind::parse(name.trim()).ok_or_else(|| {
                    ApiError::bad_request(format!("kind: unknown entry kind {:?}", name.trim()))
                })
            })
            .collect::<Result<_, _>>()?,
    };
    let rows = ledger::entries(db, org_id, &kinds, before, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    let data: Vec<LedgerEntry> = rows
        .into_iter()
        .take(limit as usize)
        .map(entry_view)
        .collect();
    let next_before = if more {
        data.last().map(|e| e.id)
    } else {
        None
    };
    Ok(LedgerPage { data, next_before })
}

fn entry_view(row: entity::ledger_entry::Model) -> LedgerEntry {
    LedgerEntry {
        id: row.id,
        kind: row.kind,
        amount: Nanos::from_nanos(row.amount_nanos).into(),
        reference: row.reference,
        reason: row.reason,
        created_at: row.created_at,
    }
}

/// Grant credit to an organization, or adjust its balance, with a reason (audited).
#[utoipa::path(tag = "admin", params(("org_id" = String, Path)), request_body = GrantRequest, responses(
    (status = 201, body = GrantResponse), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
#[post("/admin/organizations/{org_id}/credits")]
pub async fn grant(
    state: web::Data<AppState>,
    admin: PlatformAdmin,
    path: web::Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<actix_web::HttpResponse, ApiError> {
    // Read only now, after the admin check: a non-admin gets 403 whatever the body holds.
    let request: GrantRequest = super::json::body(&req, payload).await?;
    let grant = Grant::parse(request.kind.as_deref(), request.amount, &request.reason)?;
    let (entry, balance) = grants::apply(&state.db, &admin.0, &path, grant).await?;
    Ok(actix_web::HttpResponse::Created().json(GrantResponse {
        data: entry_view(entry),
        balance: balance.into(),
    }))
}

/// Check every organization's cached balance against the sum of its ledger.
#[utoipa::path(tag = "admin", responses(
    (status = 200, body = Reconciliation), (status = 403, body = ErrorBody)))]
#[get("/admin/credits/reconcile")]
pub async fn reconcile(
    state: web::Data<AppState>,
    _admin: PlatformAdmin,
) -> Result<web::Json<Reconciliation>, ApiError> {
    Ok(web::Json(reconciliation(&state.db).await?))
}

/// The reconcile check in the API's shape (the `switchboard reconcile` command prints it too).
pub async fn reconciliation(
    db: &sea_orm::DatabaseConnection,
) -> Result<Reconciliation, sea_orm::DbErr> {
    let checked = ledger::reconcile(db).await?;
    let sums = |s: SumsView| CreditSumsNanos {
        balance_nanos: s.balance_nanos,
        purchased_nanos: s.purchased_nanos,
        spent_nanos: s.spent_nanos,
    };
    Ok(Reconciliation {
        organizations: checked.organizations,
        mismatches: checked
            .mismatches
            .into_iter()
            .map(|m| CreditMismatch {
                org_id: m.org_id,
                ledger: sums(m.ledger),
                cached: sums(m.cached),
            })
            .collect(),
    })
}
