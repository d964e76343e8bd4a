//! The organization's name, its members and their roles, and invitations.

use api_types::organizations::{
    InviteList, InviteRequest, InviteView, MemberList, MemberView, OrganizationRequest,
    OrganizationView, Role, RoleRequest,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{ROLES, in_org_path as in_org, org_id, role_label, use_session};
use crate::api::{self, ApiFailure};
use crate::components::status::{Empty, Failure, FormError, Loading};

#[component]
pub(super) fn OrgName(can_manage: Signal<bool>) -> impl IntoView {
    let session = use_session();
    let name = RwSignal::new(String::new());
    let message = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    // The field starts from the organization's name once it is known.
    Effect::new(move |_| {
        if let Some(org) = session.current() {
            name.set(org.name);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(id) = org_id() else { return };
        let request = OrganizationRequest {
            name: name.get_untracked().trim().to_owned(),
        };
        if request.name.is_empty() {
            message.set(Some("Give the organization a name.".into()));
            return;
        }
        spawn_local(async move {
            match api::patch::<_, OrganizationView>(&format!("/organizations/{id}"), &request).await
            {
                Ok(_) => {
                    message.set(None);
                    saved.set(true);
                    session.me.refetch();
                }
                Err(err) => message.set(Some(err.message)),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="settings-org">
            <h2 id="settings-org">"Organization"</h2>
            <form class="form form-inline" on:submit=submit aria-label="Rename the organization">
                <div class="field">
                    <label for="org-name">"Organization name"</label>
                    <input
                        id="org-name"
                        type="text"
                        maxlength="100"
                        prop:value=move || name.get()
                        on:input=move |ev| {
                            saved.set(false);
                            name.set(event_target_value(&ev));
                        }
                    />
                </div>
                <button type="submit" class="button" disabled=move || !can_manage.get()>
                    "Save name"
                </button>
            </form>
            <FormError message />
            <Show when=move || saved.get()>
                <p class="muted" role="status">"Saved."</p>
            </Show>
        </section>
    }
}

#[component]
pub(super) fn Members(can_manage: Signal<bool>) -> impl IntoView {
    let members = in_org::<MemberList>("/members");
    let message = RwSignal::new(None::<String>);
    view! {
        <section aria-labelledby="settings-members">
            <h2 id="settings-members">"Members"</h2>
            <FormError message />
            {move || match members.get().flatten() {
                None => view! { <Loading label="Loading members…" /> }.into_any(),
                Some(Err(failure)) => view! { <Failure failure /> }.into_any(),
                Some(Ok(list)) => {
                    view! {
                        <div class="table-wrap">
                            <table class="table" aria-label="Members">
                                <thead>
                                    <tr>
                                        <th scope="col">"Member"</th>
                                        <th scope="col">"Role"</th>
                                        <th scope="col">"Joined"</th>
                                        <th scope="col">"Actions"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list
                                        .data
                                        .into_iter()
                                        .map(|m| view! { <MemberRow m members message can_manage /> })
                                        .collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

#[component]
fn MemberRow(
    m: MemberView,
    members: LocalResource<Option<Result<MemberList, ApiFailure>>>,
    message: RwSignal<Option<String>>,
    can_manage: Signal<bool>,
) -> impl IntoView {
    let select_id = format!("member-role-{}", m.user_id);
    let user = m.user_id.clone();
    let change = move |ev: leptos::ev::Event| {
        let Some(role) = Role::parse(&event_target_value(&ev)) else {
            return;
        };
        let (Some(org), user) = (org_id(), user.clone()) else {
            return;
        };
        spawn_local(async move {
            let path = format!("/organizations/{org}/members/{user}");
            match api::patch::<_, MemberView>(&path, &RoleRequest { role }).await {
                Ok(_) => message.set(None),
                Err(err) => message.set(Some(err.message)),
            }
            members.refetch();
        });
    };
    let user = m.user_id.clone();
    let remove = move |_| {
        let (Some(org), user) = (org_id(), user.clone()) else {
            return;
        };
        spawn_local(async move {
            let path = format!("/organizations/{org}/members/{user}");
            match api::delete::<serde_json::Value>(&path).await {
                Ok(_) => message.set(None),
                Err(err) => message.set(Some(err.message)),
            }
            members.refetch();
        });
    };
    let who = m.name.clone().unwrap_or_default();
    view! {
        <tr>
            <td>
                // The member's address labels their role's select.
                <label for=select_id.clone()>{m.email.clone()}</label>
                <span class="muted small">{format!(" {who}")}</span>
            </td>
            <td>
                <select id=select_id disabled=move || !can_manage.get() on:change=change>
                    {ROLES
                        .into_iter()
                        .map(|r| {
                            view! {
                                <option value=r.as_str() selected=r == m.role>
                                    {role_label(r)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </td>
            <td>{m.joined_at.format("%Y-%m-%d").to_string()}</td>
            <td>
                <button
                    type="button"
                    class="button button-small button-danger"
                    disabled=move || !can_manage.get()
                    on:click=remove
                >
                    {format!("Remove {}", m.email)}
                </button>
            </td>
        </tr>
    }
}

#[component]
pub(super) fn Invites(can_manage: Signal<bool>) -> impl IntoView {
    let session = use_session();
    // The API refuses members in personal organizations.
    let personal = Signal::derive(move || session.current().is_some_and(|o| o.is_personal));
    let invites = in_org::<InviteList>("/invites");
    let email = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Member);
    let message = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(org) = org_id() else { return };
        let address = email.get_untracked().trim().to_owned();
        if !address.contains('@') {
            message.set(Some("Enter the email address to invite.".into()));
            return;
        }
        let request = InviteRequest {
            email: address,
            role: Some(role.get_untracked()),
        };
        spawn_local(async move {
            let path = format!("/organizations/{org}/invites");
            match api::post::<_, InviteView>(&path, &request).await {
                Ok(_) => {
                    message.set(None);
                    email.set(String::new());
                }
                Err(err) => message.set(Some(err.message)),
            }
            invites.refetch();
        });
    };
    let revoke = move |id: String| {
        let Some(org) = org_id() else { return };
        spawn_local(async move {
            let path = format!("/organizations/{org}/invites/{id}");
            match api::delete::<serde_json::Value>(&path).await {
                Ok(_) => message.set(None),
                Err(err) => message.set(Some(err.message)),
            }
            invites.refetch();
        });
    };
    view! {
        <section aria-labelledby="settings-invites">
            <h2 id="settings-invites">"Invitations"</h2>
            <Show when=move || personal.get()>
                <p class="notice" role="status">
                    "A personal organization has no other members. Create an organization to invite people."
                </p>
            </Show>
            <form class="form form-inline card" on:submit=submit aria-label="Invite a member">
                <div class="field">
                    <label for="invite-email">"Email to invite"</label>
                    <input
                        id="invite-email"
                        type="email"
                        prop:value=move || email.get()
                        on:input=move |ev| email.set(event_target_value(&ev))
                    />
                </div>
                <div class="field">
                    <label for="invite-role">"Their role"</label>
                    <select
                        id="invite-role"
                        on:change=move |ev| {
                            role.set(Role::parse(&event_target_value(&ev)).unwrap_or(Role::Member))
                        }
                    >
                        {ROLES
                            .into_iter()
                            .map(|r| view! { <option value=r.as_str()>{role_label(r)}</option> })
                            .collect_view()}
                    </select>
                </div>
                <button
                    type="submit"
                    class="button"
                    disabled=move || !can_manage.get() || personal.get()
                >
                    "Send invitation"
                </button>
            </form>
            <FormError message />
            {move || match invites.get().flatten() {
                None => view! { <Loading label="Loading invitations…" /> }.into_any(),
                Some(Err(failure)) => view! { <Failure failure /> }.into_any(),
                Some(Ok(list)) if list.data.is_empty() => {
                    view! {
                        <Empty>
                            <p>"No pending invitations."</p>
                        </Empty>
                    }
                        .into_any()
                }
                Some(Ok(list)) => {
                    view! {
                        <div class="table-wrap">
                            <table class="table" aria-label="Pending invitations">
                                <thead>
                                    <tr>
                                        <th scope="col">"Email"</th>
                                        <th scope="col">"Role"</th>
                                        <th scope="col">"Expires"</th>
                                        <th scope="col">"Actions"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list
                                        .data
                                        .into_iter()
                                        .map(|invite| {
                                            let id = invite.id.clone();
                                            view! {
                                                <tr>
                                                    <td>{invite.email.clone()}</td>
                                                    <td>{invite.role.clone()}</td>
                                                    <td>{invite.expires_at.format("%Y-%m-%d").to_string()}</td>
                                                    <td>
                                                        <button
                                                            type="button"
                                                            class="button button-small button-secondary"
                                                            disabled=move || !can_manage.get()
                                                            on:click=move |_| revoke(id.clone())
                                                        >
                                                            {format!("Revoke invitation for {}", invite.email)}
                                                        </button>
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
                }
            }}
        </section>
    }
}
