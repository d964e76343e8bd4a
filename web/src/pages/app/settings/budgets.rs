//! Spending budgets: daily, weekly, monthly and lifetime caps on the organization's spend.

use api_types::credits::BudgetsView;
use leptos::prelude::*;

use super::in_org_path as in_org;
use crate::components::budget_form::BudgetForm;
use crate::pages::app::layout::use_session;

#[component]
pub(super) fn Budgets(can_manage: Signal<bool>) -> impl IntoView {
    let budgets = in_org::<BudgetsView>("/budgets");
    let session = use_session();
    let stored = Signal::derive(move || match budgets.get() {
        Some(Some(Ok(view))) => Some(view),
        _ => None,
    });
    let path = Signal::derive(move || {
        session
            .org
            .get()
            .map(|org| format!("/organizations/{org}/budgets"))
    });
    view! {
        <section class="card" aria-labelledby="settings-budgets">
            <h2 id="settings-budgets">"Budgets"</h2>
            <p class="muted small">
                "Requests are refused once the organization has spent a budget in its period. Empty: no budget."
            </p>
            <BudgetForm id_prefix="" stored path can_save=can_manage />
        </section>
    }
}
