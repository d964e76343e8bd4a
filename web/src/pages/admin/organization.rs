//! `/admin/organizations/{id}`: one organization for platform admins: its balance, spending
//! and status; grant or adjust credit with a reason; budgets; suspend or reactivate; its
//! members, API keys and ledger (`GET /admin/organizations/{id}` and `…/ledger`).

use api_types::admin::AdminOrganizationDetail;
use api_types::credits::{BudgetsView, LedgerPage};
use api_types::keys::KeyView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::org_actions::{CreditForm, SuspendForm, org_label, org_status};
use crate::api;
use crate::components::budget_form::BudgetForm;
use crate::components::status::{Empty, Failure, FormError, Loading};
use crate::money::usd;

const LEDGER_PAGE: &str = "20";

#[component]
pub fn AdminOrganizationPage() -> impl IntoView {
    let params = use_params_map();
    let id = Signal::derive(move || params.read().get("id").unwrap_or_default());
    let detail = LocalResource::new(move || {
        let id = id.get();
        async move { api::get::<AdminOrganizationDetail>(&format!("/admin/organizations/{id}")).await }
    });
    let notice = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<String>);
    let ledger_before = RwSignal::new(None::<i64>);
    let ledger = LocalResource::new(move || {
        let (id, before) = (id.get(), ledger_before.get());
        async move {
            let before = before.map(|b| b.to_string()).unwrap_or_default();
            let query = api::query_string(&[("per_page", LEDGER_PAGE), ("before", &before)]);
            api::get::<LedgerPage>(&format!("/admin/organizations/{id}/ledger?{query}")).await
        }
    });
    let done = Callback::new(move |_| {
        detail.refetch();
        ledger_before.set(None);
        ledger.refetch();
    });
    view! {
        <Title text="Organization · Admin" />
        <p class="crumbs">
            <a href="/admin">"All organizations"</a>
        </p>
        <Suspense fallback=|| view! { <Loading label="Loading the organization…" /> }>
            {move || {
                detail.get()
                    .map(|result| match result {
                        Err(failure) => view! { <Failure failure /> }.into_any(),
                        Ok(detail) => view! { <Detail detail notice failure done /> }.into_any(),
                    })
            }}
        </Suspense>
        <section aria-labelledby="org-ledger">
            <h2 id="org-ledger">"Ledger"</h2>
            {move || match ledger.get() {
                None => view! { <Loading label="Loading the ledger…" /> }.into_any(),
                Some(Err(failure)) => view! { <Failure failure /> }.into_any(),
                Some(Ok(page)) if page.data.is_empty() => {
                    view! {
                        <Empty>
                            <p>"No ledger entries yet."</p>
                        </Empty>
                    }
                        .into_any()
                }
                Some(Ok(page)) => view! { <Ledger page before=ledger_before /> }.into_any(),
            }}
        </section>
    }
}

#[component]
fn Detail(
    detail: AdminOrganizationDetail,
    notice: RwSignal<Option<String>>,
    failure: RwSignal<Option<String>>,
    done: Callback<()>,
) -> impl IntoView {
    let org = detail.organization;
    let label = org_label(&org);
    view! {
        <h1>{label.clone()}</h1>
        <section class="card" aria-label="Summary">
            <dl class="facts">
                <dt>"Id"</dt>
                <dd class="mono small">{org.id.clone()}</dd>
                <dt>"Balance"</dt>
                <dd>{usd(org.balance)}</dd>
                <dt>"Spent this month"</dt>
                <dd>{usd(org.spent_this_month)}</dd>
                <dt>"Status"</dt>
                <dd>{org_status(&org)}</dd>
                <dt>"Created"</dt>
                <dd>{org.created_at.format("%Y-%m-%d").to_string()}</dd>
            </dl>
            <FormError message=failure />
            {move || notice.get().map(|text| view! { <p class="notice notice-ok" role="status">{text}</p> })}
            <h2>"Credit"</h2>
            <CreditForm org=org.clone() notice failure done />
            <h2>"Suspension"</h2>
            <SuspendForm org=org.clone() notice failure done />
        </section>
        <AdminBudgets budgets=detail.budgets />
        <section aria-labelledby="org-members">
            <h2 id="org-members">{format!("Members ({})", detail.members.len())}</h2>
            <div class="table-wrap">
                <table class="table" aria-label="Members">
                    <thead>
                        <tr>
                            <th scope="col">"Email"</th>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Role"</th>
                            <th scope="col">"Joined"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {detail
                            .members
                            .into_iter()
                            .map(|m| {
                                view! {
                                    <tr>
                                        <th scope="row">{m.email}</th>
                                        <td>{m.name.unwrap_or_default()}</td>
                                        <td>{m.role.as_str()}</td>
                                        <td>{m.joined_at.format("%Y-%m-%d").to_string()}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        <Keys keys=detail.keys />
    }
}

#[component]
fn Keys(keys: Vec<KeyView>) -> impl IntoView {
    view! {
        <section aria-labelledby="org-keys">
            <h2 id="org-keys">"API keys"</h2>
            {if keys.is_empty() {
                view! {
                    <Empty>
                        <p>"No API keys."</p>
                    </Empty>
                }
                    .into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table" aria-label="API keys">
                            <thead>
                                <tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Key"</th>
                                    <th scope="col">"Status"</th>
                                    <th scope="col">"Limit"</th>
                                    <th scope="col">"Spent this month"</th>
                                    <th scope="col">"Last used"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {keys
                                    .into_iter()
                                    .map(|k| {
                                        let limit = k
                                            .figures
                                            .limit
                                            .map(usd)
                                            .unwrap_or_else(|| "None".to_owned());
                                        view! {
                                            <tr>
                                                <th scope="row">{k.name}</th>
                                                <td class="mono small">{k.label}</td>
                                                <td>{if k.disabled { "Disabled" } else { "Active" }}</td>
                                                <td>{limit}</td>
                                                <td>{usd(k.figures.usage_monthly)}</td>
                                                <td>
                                                    {k
                                                        .last_used_at
                                                        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                                                        .unwrap_or_else(|| "Never".to_owned())}
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
        </section>
    }
}

/// The organization's budgets, saved through the admin API (the page's other figures are not
/// reloaded with them, so that "Budgets saved." stays in view).
#[component]
fn AdminBudgets(budgets: BudgetsView) -> impl IntoView {
    let path = format!("/admin/organizations/{}/budgets", budgets.org_id);
    view! {
        <section class="card" aria-labelledby="org-budgets">
            <h2 id="org-budgets">"Budgets"</h2>
            <BudgetForm id_prefix="admin-" stored=Some(budgets) path=Some(path) can_save=true />
        </section>
    }
}

#[component]
fn Ledger(page: LedgerPage, before: RwSignal<Option<i64>>) -> impl IntoView {
    let next = page.next_before;
    view! {
        <div class="table-wrap">
            <table class="table" aria-label="Ledger">
                <thead>
                    <tr>
                        <th scope="col">"When (UTC)"</th>
                        <th scope="col">"Kind"</th>
                        <th scope="col">"Amount"</th>
                        <th scope="col">"Reason or reference"</th>
                    </tr>
                </thead>
                <tbody>
                    {page
                        .data
                        .into_iter()
                        .map(|e| {
                            // Generation debits are fractions of a cent: six decimals.
                            let amount = if e.kind == "generation" {
                                crate::money::usd_cost(e.amount)
                            } else {
                                usd(e.amount)
                            };
                            view! {
                                <tr>
                                    <td>{e.created_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                    <td>{e.kind}</td>
                                    <td>{amount}</td>
                                    <td>{e.reason.or(e.reference).unwrap_or_default()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Ledger pages">
            <Show when=move || before.get().is_some()>
                <button
                    type="button"
                    class="button button-small button-secondary"
                    on:click=move |_| before.set(None)
                >
                    "Newest entries"
                </button>
            </Show>
            {next
                .map(|cursor| {
                    view! {
                        <button
                            type="button"
                            class="button button-small button-secondary"
                            on:click=move |_| before.set(Some(cursor))
                        >
                            "Older entries"
                        </button>
                    }
                })}
        </nav>
    }
}
