//! The frame of every `/app` page: the session (who is logged in, which organizations they
//! belong to), the organization switcher and the dashboard's navigation. A visitor without a
//! session is sent to `/login`, and comes back here after logging in.

use api_types::account::MeResponse;
use api_types::organizations::OrganizationView;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_location;

use crate::api::{self, ApiFailure};
use crate::components::status::Failure;

/// The logged-in session, shared with the pages under `/app`.
#[derive(Clone, Copy)]
pub struct Session {
    pub me: LocalResource<Result<MeResponse, ApiFailure>>,
    /// The organization the pages act in (`X-Organization-Id`); `None`: the personal one.
    pub org: RwSignal<Option<String>>,
}

impl Session {
    /// The organization the pages act in.
    pub fn current(&self) -> Option<OrganizationView> {
        let me = self.me.get()?.ok()?;
        let id = self.org.get()?;
        me.organizations.into_iter().find(|o| o.id == id)
    }
}

/// The session of the surrounding [`AppLayout`].
pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// A resource that loads `path` in the current organization, and again when the switcher
/// changes it. (The call itself names the organization remembered in the browser; see
/// [`api::selected_org`].)
pub fn org_resource<T>(path: impl Fn() -> String + 'static) -> LocalResource<Result<T, ApiFailure>>
where
    T: serde::de::DeserializeOwned + 'static,
{
    let session = use_session();
    LocalResource::new(move || {
        session.org.track();
        let path = path();
        async move { api::get::<T>(&path).await }
    })
}

#[component]
pub fn AppLayout() -> impl IntoView {
    let me = LocalResource::new(|| api::get::<MeResponse>("/me"));
    // The organization remembered in this browser (none on the server, and none before the
    // first choice): no markup depends on it before `/me` answers, so hydration agrees.
    let org = RwSignal::new(api::selected_org());
    let session = Session { me, org };
    provide_context(session);
    let location = use_location();

    // Once the session is known: the organization remembered in the browser if the user is
    // still a member of it, else their personal one. No session: to the login page.
    Effect::new(move |_| match me.get() {
        Some(Ok(me)) => {
            let remembered =
                api::selected_org().filter(|id| me.organizations.iter().any(|o| &o.id == id));
            let chosen = remembered.unwrap_or_else(|| me.user.personal_organization_id.clone());
            api::select_org(&chosen);
            if org.get_untracked().as_ref() != Some(&chosen) {
                org.set(Some(chosen));
            }
        }
        Some(Err(failure)) if failure.is_unauthorized() => {
            let here = location.pathname.get_untracked();
            api::go_to(&format!("/login?next={here}"));
        }
        _ => {}
    });

    let log_out = move |_| spawn_local(api::log_out());

    view! {
        <div class="dashboard">
            <aside class="sidebar">
                <OrgSwitcher />
                <nav class="app-nav" aria-label="Dashboard">
                    <A href="/app" exact=true>"Overview"</A>
                    <A href="/app/keys">"API keys"</A>
                    <A href="/app/credits">"Credits"</A>
                    <A href="/app/activity">"Activity"</A>
                    <A href="/app/byok">"Provider keys"</A>
                    <A href="/app/playground">"Playground"</A>
                    <A href="/app/settings">"Settings"</A>
                </nav>
                <p class="whoami muted small">
                    {move || {
                        me.get()
                            .and_then(Result::ok)
                            .map(|me| format!("Signed in as {}", me.user.email))
                    }}
                </p>
                <button type="button" class="button button-small button-secondary" on:click=log_out>
                    "Log out"
                </button>
            </aside>
            <div class="app-main">
                {move || {
                    me.get()
                        .and_then(Result::err)
                        .filter(|failure| !failure.is_unauthorized())
                        .map(|failure| view! { <Failure failure /> })
                }}
                <Outlet />
            </div>
        </div>
    }
}

/// Picks the organization the dashboard acts in.
#[component]
fn OrgSwitcher() -> impl IntoView {
    let session = use_session();
    let change = move |ev: leptos::ev::Event| {
        let id = event_target_value(&ev);
        api::select_org(&id);
        session.org.set(Some(id));
    };
    view! {
        <div class="field org-switcher">
            <label for="org-switcher">"Organization"</label>
            <select id="org-switcher" on:change=change>
                {move || {
                        let selected = session.org.get();
                        session
                            .me
                            .get()
                            .and_then(Result::ok)
                            .map(|me| {
                                me.organizations
                                    .into_iter()
                                    .map(|o| {
                                        let label = if o.is_personal {
                                            format!("{} (personal)", o.name)
                                        } else {
                                            o.name.clone()
                                        };
                                        let is_selected = selected.as_ref() == Some(&o.id);
                                        view! {
                                            <option value=o.id.clone() selected=is_selected>
                                                {label}
                                            </option>
                                        }
                                    })
                                    .collect_view()
                            })
                }}
            </select>
        </div>
    }
}
