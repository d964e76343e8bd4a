//! Form fields: a label and its control in a `.field`, bound to one value of the form's
//! state. The label's `for` names the control, so people (and the browser tests) find each
//! control by its label.

use leptos::prelude::*;

/// What a text field takes; it sets the input's type and the hints browsers act on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Kind {
    #[default]
    Text,
    /// An amount of dollars: a number, in cents at most, never negative.
    Money,
    /// A calendar date.
    Date,
    /// A secret: masked, never autocompleted or spell-checked.
    Secret,
}

/// A labelled single-line input.
#[component]
pub fn TextField(
    /// The input's id, which the label names.
    id: &'static str,
    label: &'static str,
    /// The form's value, shown.
    #[prop(into)]
    value: Signal<String>,
    /// Called with the input's text on every change.
    #[prop(into)]
    set: Callback<String>,
    #[prop(optional)] kind: Kind,
    #[prop(optional)] placeholder: Option<&'static str>,
) -> impl IntoView {
    let (input_type, number, secret) = match kind {
        Kind::Text => ("text", false, false),
        Kind::Money => ("number", true, false),
        Kind::Date => ("date", false, false),
        Kind::Secret => ("password", false, true),
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                type=input_type
                placeholder=placeholder
                min=number.then_some("0")
                step=number.then_some("0.01")
                inputmode=number.then_some("decimal")
                autocomplete=secret.then_some("off")
                spellcheck=secret.then_some("false")
                prop:value=move || value.get()
                on:input=move |ev| set.run(event_target_value(&ev))
            />
        </div>
    }
}

/// A labelled `<select>` over the given `<option>`s.
#[component]
pub fn SelectField(
    /// The select's id, which the label names.
    id: &'static str,
    label: &'static str,
    /// The form's value, selected.
    #[prop(into)]
    value: Signal<String>,
    /// Called with the chosen option's value.
    #[prop(into)]
    set: Callback<String>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select
                id=id
                prop:value=move || value.get()
                on:change=move |ev| set.run(event_target_value(&ev))
            >
                {children()}
            </select>
        </div>
    }
}
