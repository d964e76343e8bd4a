//! `/`: what the platform does.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::PRODUCT;
use crate::components::code::CodeTabs;

#[component]
pub fn Landing() -> impl IntoView {
    view! {
        <Title text="" />
        <section class="hero">
            <h1>{PRODUCT}" — one OpenAI-compatible API for every model"</h1>
            <p class="lead">
                "Point any OpenAI SDK at Switchboard and reach models from every provider through one endpoint, one key and one bill. "
                "Requests are routed to healthy providers with automatic fallbacks; usage and cost are tracked per organization. "
                "Bring your own provider keys or use prepaid credit — and run it all on your own servers."
            </p>
            <div class="actions">
                <A href="/signup" attr:class="button">"Create an account"</A>
                <A href="/models" attr:class="button button-secondary">"Browse models"</A>
                <A href="/docs" attr:class="link">"Read the quickstart"</A>
            </div>
        </section>
        <CodeTabs model="openai/gpt-4o-mini" label="Quick start" />
        <ul class="features">
            <li>
                <h2>"Drop-in compatible"</h2>
                <p>
                    "The OpenAI chat completions format, streaming included, with OpenRouter's extras for routing, reasoning and usage."
                </p>
            </li>
            <li>
                <h2>"Every provider"</h2>
                <p>
                    "OpenAI, Anthropic, Gemini and any OpenAI-compatible endpoint, translated both ways, with fallbacks when one fails."
                </p>
            </li>
            <li>
                <h2>"Pay as you go"</h2>
                <p>"Prepaid credit per organization, keys with their own limits, every cent in a ledger."</p>
            </li>
            <li>
                <h2>"Yours to run"</h2>
                <p>"SQLite for one box, PostgreSQL for many replicas."</p>
            </li>
        </ul>
    }
}
