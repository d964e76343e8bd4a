//! `/app`: the organization's balance, spending and latest charges.

use api_types::Usd;
use api_types::credits::{CreditsResponse, LedgerEntry, LedgerPage};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::layout::{org_resource, use_session};
use crate::components::status::{Empty, Failure, Loading};
use crate::money::{usd, usd_cost};

/// The balance as the API defines it: credits added less credits spent, in exact nanos.
pub fn balance(credits: &CreditsResponse) -> Usd {
    Usd::from_nanos(credits.data.total_credits.to_nanos() - credits.data.total_usage.to_nanos())
}

#[component]
pub fn Overview() -> impl IntoView {
    let session = use_session();
    let credits = org_resource::<CreditsResponse>(|| "/credits".into());
    let charges =
        org_resource::<LedgerPage>(|| "/credits/ledger?kind=generation&per_page=10".into());

    view! {
        <Title text="Overview" />
        <h1>
            "Overview"
            <span class="muted small org-name">
                {move || session.current().map(|o| format!(" · {}", o.name))}
            </span>
        </h1>
        <Suspense fallback=|| view! { <Loading label="Loading the balance…" /> }>
            {move || {
                credits
                    .get()
                    .map(|result| match result {
                        Err(failure) => view! { <Failure failure /> }.into_any(),
                        Ok(c) => {
                            view! {
                                <div class="cards">
                                    <section class="card" aria-labelledby="balance-label">
                                        <h2 id="balance-label">"Balance"</h2>
                                        <p class="figure" data-testid="balance">{usd(balance(&c))}</p>
                                        <A href="/app/credits">"Add credit"</A>
                                    </section>
                                    <section class="card" aria-labelledby="spent-label">
                                        <h2 id="spent-label">"Spent so far"</h2>
                                        <p class="figure">{usd(c.data.total_usage)}</p>
                                        <span class="muted small">
                                            {format!("of {} added", usd(c.data.total_credits))}
                                        </span>
                                    </section>
                                </div>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
        <h2>"Latest requests"</h2>
        <Suspense fallback=|| view! { <Loading label="Loading requests…" /> }>
            {move || {
                charges
                    .get()
                    .map(|result| match result {
                        Err(failure) => view! { <Failure failure /> }.into_any(),
                        Ok(page) if page.data.is_empty() => {
                            view! {
                                <Empty>
                                    <p>
                                        "No requests yet. " <A href="/app/keys">"Create a key"</A>
                                        " and call the API, or try the "
                                        <A href="/app/playground">"playground"</A> "."
                                    </p>
                                </Empty>
                            }
                                .into_any()
                        }
                        Ok(page) => view! { <ChargeTable entries=page.data /> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

#[component]
fn ChargeTable(entries: Vec<LedgerEntry>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" aria-label="Latest requests">
                <thead>
                    <tr>
                        <th scope="col">"When (UTC)"</th>
                        <th scope="col">"Generation"</th>
                        <th scope="col">"Cost"</th>
                    </tr>
                </thead>
                <tbody>
                    {entries
                        .into_iter()
                        .map(|e| {
                            view! {
                                <tr>
                                    <td>{e.created_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                    <td class="mono small">{e.reference.unwrap_or_default()}</td>
                                    <td>{usd_cost(Usd::from_nanos(-e.amount.to_nanos()))}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
