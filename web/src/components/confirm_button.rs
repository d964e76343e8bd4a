//! A destructive action's button in a table row: the first click asks, the second acts. Its
//! accessible name says which ("Delete key Backend", then "Confirm deleting key Backend"), so
//! a screen reader (and the browser tests) can tell the two apart.

use leptos::prelude::*;

#[component]
pub fn ConfirmButton(
    /// What the button does: "Delete", "Remove".
    verb: &'static str,
    /// The same as "-ing", for the confirmation: "deleting", "removing".
    doing: &'static str,
    /// What it acts on, as it is named to people: "key Backend".
    target: String,
    /// False while the person may not act (the button is disabled).
    #[prop(into, default = Signal::stored(true))]
    allowed: Signal<bool>,
    /// Called on the confirming click.
    #[prop(into)]
    act: Callback<()>,
) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let click = move |_| {
        if confirming.get_untracked() {
            act.run(());
        } else {
            confirming.set(true);
        }
    };
    let confirm_text = format!("Confirm {}", verb.to_lowercase());
    view! {
        <button
            type="button"
            class="button button-small button-danger"
            aria-label=move || {
                if confirming.get() {
                    format!("Confirm {doing} {target}")
                } else {
                    format!("{verb} {target}")
                }
            }
            disabled=move || !allowed.get()
            on:click=click
        >
            {move || if confirming.get() { confirm_text.clone() } else { verb.to_owned() }}
        </button>
    }
}
