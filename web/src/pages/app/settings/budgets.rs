//! Spending budgets: daily, weekly, monthly and lifetime caps on the organization's spend.

use api_types::credits::{BudgetsRequest, BudgetsView};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::{in_org_path as in_org, org_id};
use crate::api;
use crate::components::status::FormError;
use crate::money::usd;

/// A budget field: empty for no cap, else a positive USD amount.
pub fn cap(text: &str, which: &str) -> Result<Option<f64>, String> {
    match text.trim() {
        "" => Ok(None),
        t => match t.parse::<f64>() {
            Ok(v) if v > 0.0 && v.is_finite() => Ok(Some(v)),
            _ => Err(format!(
                "The {which} budget is an amount in USD above zero, like 25 or 7.50, or empty for none."
            )),
        },
    }
}

/// The budgets' fields: (id, label, the view's value, the request's field).
type Cap = (
    &'static str,
    &'static str,
    fn(&BudgetsView) -> Option<api_types::Usd>,
    fn(&mut BudgetsRequest) -> &mut Option<f64>,
);

const CAPS: [Cap; 4] = [
    (
        "budget-daily",
        "Daily budget (USD)",
        |b| b.daily,
        |r| &mut r.daily,
    ),
    (
        "budget-weekly",
        "Weekly budget (USD)",
        |b| b.weekly,
        |r| &mut r.weekly,
    ),
    (
        "budget-monthly",
        "Monthly budget (USD)",
        |b| b.monthly,
        |r| &mut r.monthly,
    ),
    (
        "budget-lifetime",
        "Lifetime budget (USD)",
        |b| b.lifetime,
        |r| &mut r.lifetime,
    ),
];

#[component]
pub(super) fn Budgets(can_manage: Signal<bool>) -> impl IntoView {
    let budgets = in_org::<BudgetsView>("/budgets");
    let fields = RwSignal::new([const { String::new() }; 4]);
    let message = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    // The fields start from the saved caps (to the cent, no float arithmetic).
    Effect::new(move |_| {
        if let Some(Some(Ok(view))) = budgets.get() {
            fields.set(CAPS.map(|(_, _, get, _)| {
                get(&view)
                    .map(|v| usd(v).trim_start_matches('$').to_owned())
                    .unwrap_or_default()
            }));
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(org) = org_id() else { return };
        let mut request = BudgetsRequest::default();
        let typed = fields.get_untracked();
        for ((_, label, _, field), text) in CAPS.iter().zip(typed.iter()) {
            let which = label.split(' ').next().unwrap_or("").to_lowercase();
            match cap(text, &which) {
                Ok(value) => *field(&mut request) = value,
                Err(err) => {
                    message.set(Some(err));
                    return;
                }
            }
        }
        spawn_local(async move {
            let path = format!("/organizations/{org}/budgets");
            match api::put::<_, BudgetsView>(&path, &request).await {
                Ok(_) => {
                    message.set(None);
                    saved.set(true);
                }
                Err(err) => message.set(Some(err.message)),
            }
            budgets.refetch();
        });
    };
    view! {
        <section class="card" aria-labelledby="settings-budgets">
            <h2 id="settings-budgets">"Budgets"</h2>
            <p class="muted small">
                "Requests are refused once the organization has spent a budget in its period. Empty: no budget."
            </p>
            <form class="form form-inline" on:submit=submit aria-label="Budgets">
                {CAPS
                    .iter()
                    .enumerate()
                    .map(|(i, (id, label, _, _))| {
                        view! {
                            <div class="field">
                                <label for=*id>{*label}</label>
                                <input
                                    id=*id
                                    type="number"
                                    min="0"
                                    step="0.01"
                                    inputmode="decimal"
                                    prop:value=move || fields.read()[i].clone()
                                    on:input=move |ev| {
                                        saved.set(false);
                                        fields.update(|f| f[i] = event_target_value(&ev));
                                    }
                                />
                            </div>
                        }
                    })
                    .collect_view()}
                <button type="submit" class="button" disabled=move || !can_manage.get()>
                    "Save budgets"
                </button>
            </form>
            <FormError message />
            <Show when=move || saved.get()>
                <p class="muted" role="status">"Budgets saved."</p>
            </Show>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::cap;

    #[test]
    fn budgets_are_positive_amounts_or_none() {
        assert_eq!(cap("", "daily"), Ok(None));
        assert_eq!(cap(" 7.5 ", "daily"), Ok(Some(7.5)));
        assert!(cap("0", "daily").is_err());
        assert!(cap("-1", "daily").is_err());
        assert!(cap("ten", "daily").is_err());
    }
}
