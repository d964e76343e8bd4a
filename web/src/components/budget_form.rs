//! The form of an organization's spending budgets (daily, weekly, monthly, lifetime; empty
//! for none), shared by the tenant's settings and the admin's organization page: they differ
//! only in where they save and who may.

use api_types::credits::{BudgetsRequest, BudgetsView};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::status::FormError;
use crate::money::decimal;

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

/// The budgets' fields: (id suffix, label, the view's value, the request's field).
type Cap = (
    &'static str,
    &'static str,
    fn(&BudgetsView) -> Option<api_types::Usd>,
    fn(&mut BudgetsRequest) -> &mut Option<f64>,
);

const CAPS: [Cap; 4] = [
    ("daily", "Daily budget (USD)", |b| b.daily, |r| &mut r.daily),
    (
        "weekly",
        "Weekly budget (USD)",
        |b| b.weekly,
        |r| &mut r.weekly,
    ),
    (
        "monthly",
        "Monthly budget (USD)",
        |b| b.monthly,
        |r| &mut r.monthly,
    ),
    (
        "lifetime",
        "Lifetime budget (USD)",
        |b| b.lifetime,
        |r| &mut r.lifetime,
    ),
];

/// The caps as the form's texts: exact amounts (no float arithmetic), empty for none.
fn fields_of(budgets: &BudgetsView) -> [String; 4] {
    CAPS.map(|(_, _, get, _)| get(budgets).map(decimal).unwrap_or_default())
}

/// The typed fields as a request, or the first field's error.
fn request_of(typed: &[String; 4]) -> Result<BudgetsRequest, String> {
    let mut request = BudgetsRequest::default();
    for ((which, _, _, field), text) in CAPS.iter().zip(typed.iter()) {
        *field(&mut request) = cap(text, which)?;
    }
    Ok(request)
}

/// The budget fields and a "Save budgets" button. The fields follow `stored` (the caps as
/// loaded) and, once saved, what the server stored; `path` is where the caps are `PUT`
/// (`None` until it is known).
#[component]
pub fn BudgetForm(
    /// Prepended to the fields' ids (`{id_prefix}budget-monthly`).
    id_prefix: &'static str,
    #[prop(into)] stored: Signal<Option<BudgetsView>>,
    #[prop(into)] path: Signal<Option<String>>,
    #[prop(into)] can_save: Signal<bool>,
) -> impl IntoView {
    let fields = RwSignal::new([const { String::new() }; 4]);
    let message = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(view) = stored.get() {
            fields.set(fields_of(&view));
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(path) = path.get_untracked() else {
            return;
        };
        let request = match request_of(&fields.get_untracked()) {
            Ok(request) => request,
            Err(err) => {
                message.set(Some(err));
                return;
            }
        };
        spawn_local(async move {
            match api::put::<_, BudgetsView>(&path, &request).await {
                Ok(view) => {
                    message.set(None);
                    fields.set(fields_of(&view));
                    saved.set(true);
                }
                Err(err) => message.set(Some(err.message)),
            }
        });
    };
    view! {
        <form class="form form-inline" on:submit=submit aria-label="Budgets">
            {CAPS
                .iter()
                .enumerate()
                .map(|(i, (which, label, _, _))| {
                    let id = format!("{id_prefix}budget-{which}");
                    view! {
                        <div class="field">
                            <label for=id.clone()>{*label}</label>
                            <input
                                id=id
                                type="text"
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
            <button type="submit" class="button" disabled=move || !can_save.get()>
                "Save budgets"
            </button>
        </form>
        <FormError message />
        <Show when=move || saved.get()>
            <p class="muted" role="status">"Budgets saved."</p>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::{cap, request_of};

    #[test]
    fn budgets_are_positive_amounts_or_none() {
        assert_eq!(cap("", "daily"), Ok(None));
        assert_eq!(cap(" 7.5 ", "daily"), Ok(Some(7.5)));
        assert!(cap("0", "daily").is_err());
        assert!(cap("-1", "daily").is_err());
        assert!(cap("ten", "daily").is_err());
    }

    #[test]
    fn the_first_bad_field_is_named() {
        let typed = ["".into(), "x".into(), "5".into(), "".into()];
        assert!(
            request_of(&typed)
                .unwrap_err()
                .starts_with("The weekly budget")
        );
        let typed = ["1".into(), "".into(), "25.50".into(), "".into()];
        let request = request_of(&typed).unwrap();
        assert_eq!(
            (request.daily, request.weekly, request.monthly),
            (Some(1.0), None, Some(25.5))
        );
    }
}
