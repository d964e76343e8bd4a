//! What a platform admin does to an organization, shared by the organizations list and an
//! organization's page: grant credit or adjust the balance with a reason, suspend with a
//! reason, reactivate. Each reports through the page's `notice` and `failure` and calls
//! `done` so the page reloads what changed.

use api_types::admin::{AdminOrganization, SuspendRequest};
use api_types::credits::{GrantRequest, GrantResponse};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::money::usd;

/// How an organization is named to admins: personal ones by their owner's address.
pub fn org_label(org: &AdminOrganization) -> String {
    if org.is_personal {
        format!("Personal · {}", org.owner_email.clone().unwrap_or_default())
    } else {
        org.name.clone()
    }
}

/// `Active`, `Suspended: reason`.
pub fn org_status(org: &AdminOrganization) -> String {
    match (&org.suspended_at, &org.suspended_reason) {
        (None, _) => "Active".to_owned(),
        (Some(_), Some(reason)) => format!("Suspended: {reason}"),
        (Some(_), None) => "Suspended".to_owned(),
    }
}

/// The amount field: a grant is positive; an adjustment may be negative, never zero.
pub fn amount(text: &str, adjustment: bool) -> Result<f64, String> {
    match text.trim().trim_start_matches('$').parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        Ok(v) if v.is_finite() && v < 0.0 && adjustment => Ok(v),
        _ if adjustment => {
            Err("Enter the amount in USD to add, or a negative amount to take away.".into())
        }
        _ => Err("Enter a positive amount in USD.".into()),
    }
}

#[component]
pub fn CreditForm(
    org: AdminOrganization,
    notice: RwSignal<Option<String>>,
    failure: RwSignal<Option<String>>,
    done: Callback<()>,
) -> impl IntoView {
    let label = org_label(&org);
    let id = org.id.clone();
    let field = |name: &str| format!("{name}-{}", org.id);
    let adjustment = RwSignal::new(false);
    let amount_text = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let adjust = adjustment.get_untracked();
        let value = match amount(&amount_text.get_untracked(), adjust) {
            Ok(value) => value,
            Err(err) => {
                failure.set(Some(err));
                return;
            }
        };
        let why = reason.get_untracked().trim().to_owned();
        if why.is_empty() {
            failure.set(Some(
                "Say why: the reason is kept in the ledger and the audit log.".into(),
            ));
            return;
        }
        let (id, label) = (id.clone(), label.clone());
        spawn_local(async move {
            let body = GrantRequest {
                amount: value,
                kind: Some(if adjust { "adjustment" } else { "grant" }.to_owned()),
                reason: why,
            };
            let path = format!("/admin/organizations/{id}/credits");
            match api::post::<_, GrantResponse>(&path, &body).await {
                Ok(reply) => {
                    failure.set(None);
                    let what = if adjust { "Adjusted" } else { "Granted" };
                    notice.set(Some(format!(
                        "{what}; the balance of {label} is now {}.",
                        usd(reply.balance)
                    )));
                    amount_text.set(String::new());
                    reason.set(String::new());
                    done.run(());
                }
                Err(err) => failure.set(Some(err.message)),
            }
        });
    };
    view! {
        <form class="form form-inline" on:submit=submit aria-label="Grant credit">
            <div class="field">
                <label for=field("credit-kind")>"Change"</label>
                // Bound to the signal: a reloaded page rebuilds this form in place, and the
                // element must not keep a choice the new form does not know.
                <select
                    id=field("credit-kind")
                    prop:value=move || if adjustment.get() { "adjustment" } else { "grant" }
                    on:change=move |ev| adjustment.set(event_target_value(&ev) == "adjustment")
                >
                    <option value="grant">"Grant credit"</option>
                    <option value="adjustment">"Adjust the balance (+/-)"</option>
                </select>
            </div>
            <div class="field">
                <label for=field("grant-amount")>
                    {move || {
                        if adjustment.get() {
                            "Adjustment (USD, negative takes away)"
                        } else {
                            "Credit to grant (USD)"
                        }
                    }}
                </label>
                <input
                    id=field("grant-amount")
                    type="text"
                    inputmode="decimal"
                    prop:value=move || amount_text.get()
                    on:input=move |ev| amount_text.set(event_target_value(&ev))
                />
            </div>
            <div class="field">
                <label for=field("grant-reason")>"Reason for the change"</label>
                <input
                    id=field("grant-reason")
                    type="text"
                    maxlength="500"
                    prop:value=move || reason.get()
                    on:input=move |ev| reason.set(event_target_value(&ev))
                />
            </div>
            <button type="submit" class="button button-small">
                {move || if adjustment.get() { "Adjust balance" } else { "Grant credit" }}
            </button>
        </form>
    }
}

#[component]
pub fn SuspendForm(
    org: AdminOrganization,
    notice: RwSignal<Option<String>>,
    failure: RwSignal<Option<String>>,
    done: Callback<()>,
) -> impl IntoView {
    let label = org_label(&org);
    let id = org.id.clone();
    let suspended = org.suspended_at.is_some();
    let reason_id = format!("suspend-reason-{}", org.id);
    let reason = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (id, label) = (id.clone(), label.clone());
        let why = reason.get_untracked().trim().to_owned();
        spawn_local(async move {
            let (path, body) = if suspended {
                (
                    format!("/admin/organizations/{id}/reactivate"),
                    SuspendRequest::default(),
                )
            } else {
                (
                    format!("/admin/organizations/{id}/suspend"),
                    SuspendRequest {
                        reason: (!why.is_empty()).then_some(why),
                    },
                )
            };
            match api::post::<_, serde_json::Value>(&path, &body).await {
                Ok(_) => {
                    failure.set(None);
                    let state = if suspended {
                        "reactivated"
                    } else {
                        "suspended"
                    };
                    notice.set(Some(format!("{label} is {state}.")));
                    done.run(());
                }
                Err(err) => failure.set(Some(err.message)),
            }
        });
    };
    view! {
        <form class="form form-inline" on:submit=submit aria-label="Suspension">
            {(!suspended)
                .then(|| {
                    view! {
                        <div class="field">
                            <label for=reason_id.clone()>"Reason for suspending"</label>
                            <input
                                id=reason_id.clone()
                                type="text"
                                maxlength="500"
                                prop:value=move || reason.get()
                                on:input=move |ev| reason.set(event_target_value(&ev))
                            />
                        </div>
                    }
                })}
            <button type="submit" class="button button-small button-danger">
                {if suspended { "Reactivate organization" } else { "Suspend organization" }}
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::amount;

    #[test]
    fn grants_are_positive_and_adjustments_not_zero() {
        assert_eq!(amount("5", false), Ok(5.0));
        assert_eq!(amount("$2.50", false), Ok(2.5));
        assert!(amount("-1", false).is_err());
        assert_eq!(amount("-1.25", true), Ok(-1.25));
        assert!(amount("0", true).is_err());
        assert!(amount("ten", true).is_err());
    }
}
