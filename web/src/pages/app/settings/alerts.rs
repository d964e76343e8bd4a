//! Alerts: the webhook they are POSTed to, the low-balance threshold and key-spend alerts; the
//! signing secret, shown once when created or rotated; a test event; and the events sent,
//! with their delivery, newest first, a page at a time.

use api_types::alerts::{
    AlertEvent, AlertEventPage, AlertEventResponse, AlertSettingsRequest, AlertSettingsResponse,
    UsdInput, WebhookSecretResponse,
};
use leptos::prelude::*;

use super::{in_org_header, use_session};
use crate::api;
use crate::components::copy_button::CopyButton;
use crate::components::status::{Empty, Failure, FormError, Loading};
use crate::components::submission::Submission;
use crate::money::decimal;

/// Events per page of the list.
const PER_PAGE: &str = "10";

#[derive(Clone, Default)]
struct Form {
    url: String,
    threshold: String,
    key_spend: bool,
}

/// The form as the API's request; the server checks the URL and the amount and says what is
/// wrong with them.
fn request(form: &Form) -> AlertSettingsRequest {
    let url = form.url.trim();
    let threshold = form.threshold.trim().trim_start_matches('$');
    AlertSettingsRequest {
        webhook_url: (!url.is_empty()).then(|| url.to_owned()),
        low_balance_threshold: (!threshold.is_empty()).then(|| UsdInput::Text(threshold.into())),
        key_spend_alerts: form.key_spend,
    }
}

fn kind_label(kind: &str) -> String {
    match kind {
        "low_balance" => "Low balance".into(),
        "key_spend_80" => "Key at 80 % of its limit".into(),
        "key_spend_100" => "Key at its limit".into(),
        "test" => "Test event".into(),
        other => other.into(),
    }
}

fn delivery(event: &AlertEvent) -> String {
    let last = match (&event.last_status_code, &event.last_error) {
        (Some(code), _) => format!(", last answer HTTP {code}"),
        (None, Some(error)) => format!(", last error: {error}"),
        (None, None) => String::new(),
    };
    let status = match event.status.as_str() {
        "delivered" => "Delivered",
        "failed" => "Failed",
        "pending" if event.attempts == 0 => "Waiting to be sent",
        "pending" => "Retrying",
        other => other,
    };
    let attempts = match event.attempts {
        1 => "1 attempt".to_owned(),
        n => format!("{n} attempts"),
    };
    format!("{status} ({attempts}{last})")
}

#[component]
pub fn Alerts(can_manage: Signal<bool>) -> impl IntoView {
    let settings = in_org_header::<AlertSettingsResponse>("/alerts/settings");
    let form = RwSignal::new(Form::default());
    let submission = Submission::new();
    let Submission {
        busy,
        failure: message,
    } = submission;
    let notice = RwSignal::new(None::<String>);
    let secret = RwSignal::new(None::<String>);
    // The events' page: `None` is the newest.
    let before = RwSignal::new(None::<String>);
    let session = use_session();
    let events = LocalResource::new(move || {
        let org = session.org.get();
        let before = before.get();
        async move {
            org?;
            let query = api::query_string(&[
                ("per_page", PER_PAGE),
                ("before", before.as_deref().unwrap_or("")),
            ]);
            Some(api::get::<AlertEventPage>(&format!("/alerts?{query}")).await)
        }
    });
    // A new organization: its own first page, and no secret of another's.
    Effect::new(move |_| {
        session.org.track();
        before.set(None);
        secret.set(None);
        notice.set(None);
    });
    // The form starts from the saved settings.
    Effect::new(move |_| {
        if let Some(Some(Ok(saved))) = settings.get() {
            form.set(Form {
                url: saved.data.webhook_url.clone().unwrap_or_default(),
                threshold: saved
                    .data
                    .low_balance_threshold
                    .map(decimal)
                    .unwrap_or_default(),
                key_spend: saved.data.key_spend_alerts,
            });
        }
    });
    let has_url = Signal::derive(
        move || matches!(settings.get(), Some(Some(Ok(s))) if s.data.webhook_url.is_some()),
    );

    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = request(&form.get_untracked());
        notice.set(None);
        submission.send(
            async move { api::put::<_, AlertSettingsResponse>("/alerts/settings", &body).await },
            move |saved| {
                notice.set(Some("Alert settings saved.".into()));
                if saved.webhook_secret.is_some() {
                    secret.set(saved.webhook_secret);
                }
                settings.refetch();
                events.refetch();
            },
        );
    };
    let rotate = move |_| {
        notice.set(None);
        submission.send(
            api::post::<_, WebhookSecretResponse>("/alerts/webhook-secret", &()),
            move |reply| {
                secret.set(Some(reply.webhook_secret));
                settings.refetch();
            },
        );
    };
    let send_test = move |_| {
        notice.set(None);
        submission.send(
            api::post::<_, AlertEventResponse>("/alerts/test", &()),
            move |_| {
                notice.set(Some("Test event queued: it is listed below.".into()));
                before.set(None);
                events.refetch();
            },
        );
    };

    view! {
        <section class="card" aria-labelledby="settings-alerts">
            <h2 id="settings-alerts">"Alerts"</h2>
            <p class="muted small">
                "Alerts are POSTed as signed JSON to your webhook: when the balance falls below a threshold, and when an API key reaches 80 % and 100 % of its spending limit."
            </p>
            {move || match settings.get().flatten() {
                None => Some(view! { <Loading label="Loading alert settings…" /> }.into_any()),
                Some(Err(failure)) => Some(view! { <Failure failure /> }.into_any()),
                Some(Ok(_)) => None,
            }}
            <form class="form" on:submit=save aria-label="Alert settings">
                <div class="field">
                    <label for="alert-url">"Webhook URL"</label>
                    <input
                        id="alert-url"
                        type="url"
                        placeholder="https://example.com/hooks/switchboard"
                        prop:value=move || form.read().url.clone()
                        on:input=move |ev| form.update(|f| f.url = event_target_value(&ev))
                    />
                    <p class="hint">"Empty: no alerts are sent."</p>
                </div>
                <div class="field">
                    <label for="alert-threshold">"Low-balance threshold (USD)"</label>
                    <input
                        id="alert-threshold"
                        type="text"
                        inputmode="decimal"
                        placeholder="5.00"
                        prop:value=move || form.read().threshold.clone()
                        on:input=move |ev| form.update(|f| f.threshold = event_target_value(&ev))
                    />
                    <p class="hint">"Empty: no low-balance alert."</p>
                </div>
                <div class="field field-check">
                    <input
                        id="alert-key-spend"
                        type="checkbox"
                        prop:checked=move || form.read().key_spend
                        on:change=move |ev| form.update(|f| f.key_spend = event_target_checked(&ev))
                    />
                    <label for="alert-key-spend">
                        "Alert when a key reaches 80 % and 100 % of its spending limit"
                    </label>
                </div>
                <button
                    type="submit"
                    class="button"
                    disabled=move || busy.get() || !can_manage.get()
                >
                    "Save alert settings"
                </button>
            </form>
            <FormError message />
            {move || notice.get().map(|text| view! { <p class="notice notice-ok" role="status">{text}</p> })}
            <SigningSecret secret />
            <div class="row-actions">
                <button
                    type="button"
                    class="button button-secondary"
                    disabled=move || busy.get() || !can_manage.get() || !has_url.get()
                    on:click=rotate
                >
                    "Rotate signing secret"
                </button>
                <button
                    type="button"
                    class="button button-secondary"
                    disabled=move || busy.get() || !can_manage.get() || !has_url.get()
                    on:click=send_test
                >
                    "Send test event"
                </button>
            </div>
            <h3>"Alert events"</h3>
            {move || match events.get().flatten() {
                None => view! { <Loading label="Loading alert events…" /> }.into_any(),
                Some(Err(failure)) => view! { <Failure failure /> }.into_any(),
                Some(Ok(page)) if page.data.is_empty() && before.read().is_none() => {
                    view! {
                        <Empty>
                            <p>"No alert has been sent yet."</p>
                        </Empty>
                    }
                        .into_any()
                }
                Some(Ok(page)) => view! { <EventTable page before /> }.into_any(),
            }}
        </section>
    }
}

/// The secret just created or rotated, this once.
#[component]
fn SigningSecret(secret: RwSignal<Option<String>>) -> impl IntoView {
    let text = Signal::derive(move || secret.get().unwrap_or_default());
    view! {
        <Show when=move || secret.read().is_some()>
            <div class="notice notice-ok" role="status">
                <p>
                    "Your webhook signing secret. Copy it now: it is shown only once. Deliveries are signed with it (header X-Switchboard-Signature)."
                </p>
                <div class="field">
                    <label for="alert-secret">"Signing secret"</label>
                    <input id="alert-secret" class="mono" type="text" readonly prop:value=move || text.get() />
                </div>
                <CopyButton text label="Copy signing secret" />
            </div>
        </Show>
    }
}

#[component]
fn EventTable(page: AlertEventPage, before: RwSignal<Option<String>>) -> impl IntoView {
    let next = page.next_before.clone();
    view! {
        <div class="table-wrap">
            <table class="table" aria-label="Alert events">
                <thead>
                    <tr>
                        <th scope="col">"Event"</th>
                        <th scope="col">"Created (UTC)"</th>
                        <th scope="col">"Delivery"</th>
                    </tr>
                </thead>
                <tbody>
                    {page
                        .data
                        .into_iter()
                        .map(|event| {
                            view! {
                                <tr>
                                    <td>{kind_label(&event.kind)}</td>
                                    <td>{event.created_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                    <td>{delivery(&event)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Alert event pages">
            <Show when=move || before.read().is_some()>
                <button
                    type="button"
                    class="button button-small button-secondary"
                    on:click=move |_| before.set(None)
                >
                    "Newest events"
                </button>
            </Show>
            {next
                .map(|cursor| {
                    view! {
                        <button
                            type="button"
                            class="button button-small button-secondary"
                            on:click=move |_| before.set(Some(cursor.clone()))
                        >
                            "Older events"
                        </button>
                    }
                })}
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_becomes_the_request() {
        let form = Form {
            url: " https://hooks.example.com/a ".into(),
            threshold: "$2.50".into(),
            key_spend: true,
        };
        let body = request(&form);
        assert_eq!(
            body.webhook_url.as_deref(),
            Some("https://hooks.example.com/a")
        );
        assert_eq!(
            body.low_balance_threshold,
            Some(UsdInput::Text("2.50".into()))
        );
        assert!(body.key_spend_alerts);
        let empty = request(&Form::default());
        assert_eq!(empty.webhook_url, None);
        assert_eq!(empty.low_balance_threshold, None);
    }
}
