//! `/admin/audit`: every change platform admins made, newest first.

use api_types::admin::AuditList;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api;
use crate::components::status::{Empty, Failure, Loading};

#[component]
pub fn AdminAudit() -> impl IntoView {
    let entries = LocalResource::new(|| api::get::<AuditList>("/admin/audit?per_page=50"));
    view! {
        <Title text="Audit log · Admin" />
        <h1>"Audit log"</h1>
        <Suspense fallback=|| view! { <Loading label="Loading the audit log…" /> }>
            {move || {
                entries
                    .get()
                    .map(|result| match result {
                        Err(failure) => view! { <Failure failure /> }.into_any(),
                        Ok(list) if list.data.is_empty() => {
                            view! {
                                <Empty>
                                    <p>"No admin has changed anything yet."</p>
                                </Empty>
                            }
                                .into_any()
                        }
                        Ok(list) => {
                            view! {
                                <div class="table-wrap">
                                    <table class="table" aria-label="Audit log">
                                        <thead>
                                            <tr>
                                                <th scope="col">"When (UTC)"</th>
                                                <th scope="col">"Admin"</th>
                                                <th scope="col">"Action"</th>
                                                <th scope="col">"Target"</th>
                                                <th scope="col">"Details"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {list
                                                .data
                                                .into_iter()
                                                .map(|e| {
                                                    view! {
                                                        <tr>
                                                            <td>{e.created_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                                            <td>{e.actor_email}</td>
                                                            <td>{e.action}</td>
                                                            <td class="mono small">{format!("{} {}", e.target_type, e.target_id)}</td>
                                                            <td class="mono small">{e.details.to_string()}</td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}
