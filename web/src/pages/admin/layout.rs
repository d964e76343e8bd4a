//! The frame of every `/admin` page: only platform admins get past it (the API checks too).

use api_types::account::MeResponse;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_location;

use crate::api;
use crate::components::status::{Failure, Loading};

/// The page's title from its path: the server renders only this frame (the admin check runs
/// in the browser), so the title is known before the page itself renders.
pub fn admin_title(path: &str) -> &'static str {
    match path.trim_end_matches('/') {
        "/admin" => "Organizations · Admin",
        "/admin/users" => "Users · Admin",
        "/admin/analytics" => "Platform analytics · Admin",
        "/admin/catalog" => "Catalog · Admin",
        "/admin/audit" => "Audit log · Admin",
        p if p.starts_with("/admin/organizations/") => "Organization · Admin",
        _ => "Admin",
    }
}

#[component]
pub fn AdminLayout() -> impl IntoView {
    let me = LocalResource::new(|| api::get::<MeResponse>("/me"));
    let location = use_location();
    Effect::new(move |_| {
        if let Some(Err(failure)) = me.get()
            && failure.is_unauthorized()
        {
            let here = location.pathname.get_untracked();
            api::go_to(&format!("/login?next={here}"));
        }
    });
    view! {
        <Title text=move || admin_title(&location.pathname.get()) />
        <div class="dashboard">
            <aside class="sidebar">
                <p class="muted small">"Platform administration"</p>
                <nav class="app-nav" aria-label="Administration">
                    <A href="/admin" exact=true>"Organizations"</A>
                    <A href="/admin/users">"Users"</A>
                    <A href="/admin/analytics">"Analytics"</A>
                    <A href="/admin/catalog">"Catalog"</A>
                    <A href="/admin/audit">"Audit log"</A>
                </nav>
            </aside>
            <div class="app-main">
                <Suspense fallback=|| view! { <Loading label="Checking your account…" /> }>
                    {move || {
                        me.get()
                            .map(|result| match result {
                                Ok(me) if me.user.is_platform_admin => view! { <Outlet /> }.into_any(),
                                Ok(_) => {
                                    view! {
                                        <p class="state state-error" role="alert">
                                            "These pages are for platform admins."
                                        </p>
                                    }
                                        .into_any()
                                }
                                Err(failure) => view! { <Failure failure /> }.into_any(),
                            })
                    }}
                </Suspense>
            </div>
        </div>
    }
}
