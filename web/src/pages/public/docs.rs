//! `/docs`: the quickstart, with copyable samples that use this server's base URL.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::OPENAPI_URL;
use crate::components::code::{CodeTabs, page_origin};
use crate::components::copy_button::CopyButton;

#[component]
pub fn Docs() -> impl IntoView {
    let base = format!("{}/api/v1", page_origin());
    let base_text = base.clone();
    view! {
        <Title text="Quickstart" />
        <article class="docs">
            <h1>"Quickstart"</h1>
            <ol class="steps">
                <li>
                    <A href="/signup">"Create an account"</A>
                    " and "
                    <A href="/app/credits">"buy credit"</A>
                    "."
                </li>
                <li>
                    <A href="/app/keys">"Create an API key"</A>
                    " and keep it as "
                    <code>"SWITCHBOARD_API_KEY"</code>
                    "."
                </li>
                <li>"Call any model through the OpenAI-compatible API:"</li>
            </ol>
            <p class="base-url">
                "Base URL: " <code data-testid="base-url">{base}</code> " "
                <CopyButton text=Signal::derive(move || base_text.clone()) label="Copy base URL" />
            </p>
            <CodeTabs model="openai/gpt-4o-mini" label="Chat completion samples" />
            <h2>"Going further"</h2>
            <ul>
                <li>
                    "Pick a model from the " <A href="/models">"catalog"</A>
                    "; its page lists the providers serving it and their prices."
                </li>
                <li>
                    "Stream with " <code>"\"stream\": true"</code>
                    "; add " <code>"\"usage\": {\"include\": true}"</code>
                    " to get each request's tokens and cost."
                </li>
                <li>
                    "Every endpoint is described in the "
                    <a href=OPENAPI_URL rel="external">"OpenAPI document"</a> "."
                </li>
            </ul>
        </article>
    }
}
