//! `/admin/users`: every user, newest first, found by email, name or id, a page at a time,
//! each linked (by their address) to their personal organization's page.

use api_types::admin::AdminUserList;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api;
use crate::components::status::{Empty, Failure, Loading};

const PER_PAGE: u64 = 20;

#[component]
pub fn AdminUsers() -> impl IntoView {
    let search = RwSignal::new(String::new());
    // (search, page) as asked.
    let asked = RwSignal::new((String::new(), 1_u64));
    let list = LocalResource::new(move || {
        let (q, page) = asked.get();
        async move {
            let query = api::query_string(&[
                ("q", q.trim()),
                ("page", &page.to_string()),
                ("per_page", &PER_PAGE.to_string()),
            ]);
            api::get::<AdminUserList>(&format!("/admin/users?{query}")).await
        }
    });
    let find = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        asked.set((search.get_untracked(), 1));
    };
    let go = move |page: u64| asked.update(|(_, p)| *p = page);
    view! {
        <Title text="Users · Admin" />
        <h1>"Users"</h1>
        <form class="form form-inline" role="search" on:submit=find>
            <div class="field">
                <label for="user-search">"Email, name or id"</label>
                <input
                    id="user-search"
                    type="search"
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))
                />
            </div>
            <button type="submit" class="button">"Find users"</button>
        </form>
        <Suspense fallback=|| view! { <Loading label="Loading users…" /> }>
            {move || {
                list.get()
                    .map(|result| match result {
                        Err(failure) => view! { <Failure failure /> }.into_any(),
                        Ok(page) if page.data.is_empty() => {
                            view! {
                                <Empty>
                                    <p>"No user matches."</p>
                                </Empty>
                            }
                                .into_any()
                        }
                        Ok(page) => {
                            let info = page.pagination;
                            let pages = info.total.div_ceil(info.per_page.max(1)).max(1);
                            view! {
                                <div class="table-wrap">
                                    <table class="table" aria-label="Users">
                                        <thead>
                                            <tr>
                                                <th scope="col">"Email"</th>
                                                <th scope="col">"Name"</th>
                                                <th scope="col">"Role"</th>
                                                <th scope="col">"Signed up (UTC)"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {page
                                                .data
                                                .into_iter()
                                                .map(|user| {
                                                    view! {
                                                        <tr>
                                                            <th scope="row">
                                                                <a href=format!(
                                                                    "/admin/organizations/{}",
                                                                    user.personal_organization_id,
                                                                )>{user.email.clone()}</a>
                                                            </th>
                                                            <td>{user.name.clone().unwrap_or_default()}</td>
                                                            <td>
                                                                {if user.is_platform_admin {
                                                                    "Platform admin"
                                                                } else {
                                                                    "User"
                                                                }}
                                                            </td>
                                                            <td>{user.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                                        </tr>
                                                    }
                                                })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                <nav class="pager" aria-label="User pages">
                                    <span class="muted small">
                                        {format!("Page {} of {pages} · {} users", info.page, info.total)}
                                    </span>
                                    {(info.page > 1)
                                        .then(|| {
                                            view! {
                                                <button
                                                    type="button"
                                                    class="button button-small button-secondary"
                                                    on:click=move |_| go(info.page - 1)
                                                >
                                                    "Previous page"
                                                </button>
                                            }
                                        })}
                                    {(info.page < pages)
                                        .then(|| {
                                            view! {
                                                <button
                                                    type="button"
                                                    class="button button-small button-secondary"
                                                    on:click=move |_| go(info.page + 1)
                                                >
                                                    "Next page"
                                                </button>
                                            }
                                        })}
                                </nav>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}
