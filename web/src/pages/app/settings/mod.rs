//! `/app/settings`: the organization picked in the switcher. Its name, members and their
//! roles, invitations, spending budgets, prompt logging, alerts and provider routing
//! defaults, one file per section. Owners and admins change them; members see them with the
//! controls disabled (the API refuses them anyway).

mod alerts;
mod budgets;
mod organization;
mod privacy;
mod routing;

use api_types::organizations::Role;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::de::DeserializeOwned;

use super::layout::use_session;
use crate::api::{self, ApiFailure};

/// `GET /organizations/{the current organization}{suffix}`, again when the switcher changes;
/// `None` until the session says which organization that is.
fn in_org_path<T: DeserializeOwned + 'static>(
    suffix: &'static str,
) -> LocalResource<Option<Result<T, ApiFailure>>> {
    let session = use_session();
    LocalResource::new(move || {
        let org = session.org.get();
        async move {
            match org {
                Some(id) => Some(api::get::<T>(&format!("/organizations/{id}{suffix}")).await),
                None => None,
            }
        }
    })
}

/// `GET {path}` of an API that acts in the organization named by the `X-Organization-Id`
/// header, again when the switcher changes; `None` until the session says which organization.
fn in_org_header<T: DeserializeOwned + 'static>(
    path: &'static str,
) -> LocalResource<Option<Result<T, ApiFailure>>> {
    let session = use_session();
    LocalResource::new(move || {
        let org = session.org.get();
        async move {
            match org {
                Some(_) => Some(api::get::<T>(path).await),
                None => None,
            }
        }
    })
}

/// The current organization's id, for a change.
fn org_id() -> Option<String> {
    use_session().org.get_untracked()
}

const ROLES: [Role; 3] = [Role::Member, Role::Admin, Role::Owner];

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Owner => "Owner",
        Role::Admin => "Admin",
        Role::Member => "Member",
    }
}

#[component]
pub fn Settings() -> impl IntoView {
    let session = use_session();
    let can_manage = Signal::derive(move || session.current().is_some_and(|o| o.role.is_manager()));
    view! {
        <Title text="Settings" />
        <h1>"Settings"</h1>
        <Show when=move || !can_manage.get() && session.current().is_some()>
            <p class="notice" role="status">
                "You are a member of this organization: only owners and admins can change its settings."
            </p>
        </Show>
        <organization::OrgName can_manage />
        <organization::Members can_manage />
        <organization::Invites can_manage />
        <budgets::Budgets can_manage />
        <privacy::PromptLogging can_manage />
        <alerts::Alerts can_manage />
        <routing::RoutingDefaults can_manage />
    }
}
