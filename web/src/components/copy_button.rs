//! A button that copies a text to the clipboard and says so.

use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn CopyButton(
    /// What to copy.
    #[prop(into)]
    text: Signal<String>,
    /// The button's text (its accessible name).
    #[prop(default = "Copy")]
    label: &'static str,
) -> impl IntoView {
    let state = RwSignal::new(None::<bool>);
    let copy = move |_| {
        let text = text.get_untracked();
        spawn_local(async move {
            state.set(Some(crate::api::copy_to_clipboard(&text).await));
        });
    };
    view! {
        <button type="button" class="button button-small button-secondary" on:click=copy>
            {label}
        </button>
        <span class="copy-state" role="status" aria-live="polite">
            {move || match state.get() {
                Some(true) => "Copied",
                Some(false) => "Copy failed: select the text and copy it",
                None => "",
            }}
        </span>
    }
}
