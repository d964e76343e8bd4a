//! `/admin`: organizations, found by name or a member's email, with their balance, spending
//! and status; grant credit with a reason, suspend with a reason, reactivate (the forms are
//! `org_actions`', shared with an organization's own page, which its name links to).

use api_types::admin::{AdminOrganization, AdminOrganizationList};
use leptos::prelude::*;
use leptos_meta::Title;

use super::org_actions::{CreditForm, SuspendForm, org_label, org_status};
use crate::api::{self, ApiFailure};
use crate::components::status::{Empty, Failure, FormError, Loading};
use crate::money::usd;

/// The search as a query string value.
fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.trim().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[component]
pub fn AdminOrganizations() -> impl IntoView {
    let search = RwSignal::new(String::new());
    let submitted = RwSignal::new(String::new());
    let list = LocalResource::new(move || {
        let q = submitted.get();
        async move {
            let path = if q.trim().is_empty() {
                "/admin/organizations".to_owned()
            } else {
                format!("/admin/organizations?q={}", encode(&q))
            };
            api::get::<AdminOrganizationList>(&path).await
        }
    });
    // What the last action did; kept here, as the cards are rebuilt when the list reloads.
    let notice = RwSignal::new(None::<String>);
    let failure = RwSignal::new(None::<String>);
    let find = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        notice.set(None);
        failure.set(None);
        submitted.set(search.get_untracked());
        list.refetch();
    };
    view! {
        <Title text="Organizations · Admin" />
        <h1>"Organizations"</h1>
        <form class="form form-inline" role="search" on:submit=find>
            <div class="field">
                <label for="org-search">"Name, member email or id"</label>
                <input
                    id="org-search"
                    type="search"
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))
                />
            </div>
            <button type="submit" class="button">"Find organizations"</button>
        </form>
        <FormError message=failure />
        {move || notice.get().map(|text| view! { <p class="notice notice-ok" role="status">{text}</p> })}
        <Suspense fallback=|| view! { <Loading label="Loading organizations…" /> }>
            {move || {
                list.get()
                    .map(|result| match result {
                        Err(failure) => view! { <Failure failure /> }.into_any(),
                        Ok(page) if page.data.is_empty() => {
                            view! {
                                <Empty>
                                    <p>"No organization matches."</p>
                                </Empty>
                            }
                                .into_any()
                        }
                        Ok(page) => {
                            page.data
                                .into_iter()
                                .map(|org| view! { <OrgCard org list notice failure /> })
                                .collect_view()
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

#[component]
fn OrgCard(
    org: AdminOrganization,
    list: LocalResource<Result<AdminOrganizationList, ApiFailure>>,
    notice: RwSignal<Option<String>>,
    failure: RwSignal<Option<String>>,
) -> impl IntoView {
    let label = org_label(&org);
    let done = Callback::new(move |_| list.refetch());
    view! {
        <section class="card" aria-label=format!("Organization {label}")>
            <h2>
                <a href=format!("/admin/organizations/{}", org.id)>{label.clone()}</a>
            </h2>
            <dl class="facts">
                <dt>"Id"</dt>
                <dd class="mono small">{org.id.clone()}</dd>
                <dt>"Members"</dt>
                <dd>{org.member_count}</dd>
                <dt>"Balance"</dt>
                <dd>{usd(org.balance)}</dd>
                <dt>"Spent this month"</dt>
                <dd>{usd(org.spent_this_month)}</dd>
                <dt>"Status"</dt>
                <dd>{org_status(&org)}</dd>
            </dl>
            <CreditForm org=org.clone() notice failure done />
            <SuspendForm org notice failure done />
        </section>
    }
}
