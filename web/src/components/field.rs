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

/// One text value of a form's state, as a field shows it and changes it. Made with
/// [`bind!`](crate::bind).
#[derive(Clone, Copy)]
pub struct Binding {
    pub value: Signal<String>,
    pub set: Callback<String>,
}

/// `bind!(form.name)`: the [`Binding`] of the `name` of `form`, an `RwSignal` of the form's
/// state (the field shows it and sets it on every change).
#[macro_export]
macro_rules! bind {
    ($form:ident . $field:ident) => {
        $crate::components::field::Binding {
            value: ::leptos::prelude::Signal::derive(move || $form.read().$field.clone()),
            set: ::leptos::prelude::Callback::new(move |v| $form.update(|f| f.$field = v)),
        }
    };
}

/// A labelled single-line input.
#[component]
pub fn TextField(
    /// The input's id, which the label names.
    id: &'static str,
    label: &'static str,
    /// The form's value, shown and set from the input's text on every change.
    bind: Binding,
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
                prop:value=move || bind.value.get()
                on:input=move |ev| bind.set.run(event_target_value(&ev))
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
    /// The form's value, selected, and set to the chosen option's value.
    bind: Binding,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select
                id=id
                prop:value=move || bind.value.get()
                on:change=move |ev| bind.set.run(event_target_value(&ev))
            >
                {children()}
            </select>
        </div>
    }
}
