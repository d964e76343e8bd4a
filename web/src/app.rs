//! The application: routes and pages. Compiled in both halves (`ssr` and `hydrate`).

use leptos::prelude::*;
use leptos_meta::{Link, Meta, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    StaticSegment,
    components::{A, Route, Router, Routes},
};

/// The product name, as shown on the pages.
pub const PRODUCT: &str = "Switchboard";

/// The URL of the OpenAPI document served by the server (outside this app).
pub const OPENAPI_URL: &str = "/api/v1/openapi.json";

/// The favicon, inline so that no `/favicon.ico` request reaches the server.
const FAVICON: &str = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E%3Crect width='32' height='32' rx='8' fill='%234f46e5'/%3E%3Cpath d='M7 16h5l3-6 4 12 3-6h3' fill='none' stroke='white' stroke-width='2.5' stroke-linecap='round' stroke-linejoin='round'/%3E%3C/svg%3E";

/// The root component: page chrome and the router.
///
/// Only the routes listed here become actix routes (see `configure`); there is no wildcard
/// route, so a path not listed falls through to the server's default service. The
/// [`NotFound`] fallback renders when the server asks for it (`not_found`) or when a
/// client-side navigation finds no route.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Stylesheet id="switchboard-css" href=crate::STYLESHEET_URL />
        <Link rel="icon" href=FAVICON />
        <Title formatter=|page: String| {
            if page.is_empty() { PRODUCT.to_string() } else { format!("{page} · {PRODUCT}") }
        } />
        <Meta
            name="description"
            content="Switchboard: one OpenAI-compatible API for every model. Self-hostable LLM gateway."
        />
        <Router>
            <Header />
            <main class="page">
                <Routes fallback=NotFound>
                    <Route path=StaticSegment("") view=Landing />
                    <Route path=StaticSegment("login") view=LogIn />
                    <Route path=StaticSegment("signup") view=SignUp />
                </Routes>
            </main>
            <Footer />
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    view! {
        <header class="site-header">
            <A href="/" attr:class="brand">
                <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
                    <rect width="32" height="32" rx="8" />
                    <path d="M7 16h5l3-6 4 12 3-6h3" />
                </svg>
                {PRODUCT}
            </A>
            <nav class="site-nav">
                <a href=OPENAPI_URL rel="external">"API"</a>
                <A href="/login">"Log in"</A>
                <A href="/signup" attr:class="button button-small">"Sign up"</A>
            </nav>
        </header>
    }
}

#[component]
fn Footer() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <p>{PRODUCT}" — open source, self-hostable. "</p>
        </footer>
    }
}

/// The public landing page.
#[component]
fn Landing() -> impl IntoView {
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
                <A href="/signup" attr:class="button">"Sign up"</A>
                <A href="/login" attr:class="button button-secondary">"Log in"</A>
                <a class="link" href=OPENAPI_URL rel="external">
                    "OpenAPI spec ("
                    <code>{OPENAPI_URL}</code>
                    ")"
                </a>
            </div>
        </section>
        <QuickStart />
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
                    "OpenAI, Anthropic, Gemini and any OpenAI-compatible endpoint, translated both ways."
                </p>
            </li>
            <li>
                <h2>"Yours to run"</h2>
                <p>"SQLite for one box, PostgreSQL for many replicas. Keys, credit and limits per organization."</p>
            </li>
        </ul>
    }
}

/// Which snippet the quick-start box shows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Snippet {
    Curl,
    Python,
}

const CURL_SNIPPET: &str = r#"curl https://switchboard.example.com/api/v1/chat/completions \
  -H "Authorization: Bearer $SWITCHBOARD_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{"model": "openai/gpt-4o-mini",
       "messages": [{"role": "user", "content": "Hello!"}]}'"#;

const PYTHON_SNIPPET: &str = r#"import os
from openai import OpenAI

client = OpenAI(base_url="https://switchboard.example.com/api/v1",
                api_key=os.environ["SWITCHBOARD_API_KEY"])
reply = client.chat.completions.create(
    model="anthropic/claude-sonnet-4",
    messages=[{"role": "user", "content": "Hello!"}],
)"#;

/// A code sample with curl / Python tabs: the page's small interactive element (it only
/// switches once the page has hydrated).
#[component]
fn QuickStart() -> impl IntoView {
    let selected = RwSignal::new(Snippet::Curl);
    let tab = move |which: Snippet, label: &'static str| {
        view! {
            <button
                type="button"
                role="tab"
                class="tab"
                data-snippet=label
                aria-selected=move || (selected.get() == which).to_string()
                on:click=move |_| selected.set(which)
            >
                {label}
            </button>
        }
    };

    view! {
        <section class="quickstart" aria-label="Quick start">
            <div class="tabs" role="tablist">{tab(Snippet::Curl, "curl")} {tab(Snippet::Python, "Python")}</div>
            <pre class="snippet">
                <code data-testid="snippet">
                    {move || match selected.get() {
                        Snippet::Curl => CURL_SNIPPET,
                        Snippet::Python => PYTHON_SNIPPET,
                    }}
                </code>
            </pre>
        </section>
    }
}

#[component]
fn LogIn() -> impl IntoView {
    view! {
        <Title text="Log in" />
        <Placeholder title="Log in" />
    }
}

#[component]
fn SignUp() -> impl IntoView {
    view! {
        <Title text="Sign up" />
        <Placeholder title="Sign up" />
    }
}

/// Stand-in for pages that are not built yet.
#[component]
fn Placeholder(title: &'static str) -> impl IntoView {
    view! {
        <section class="narrow">
            <h1>{title}</h1>
            <p class="muted">"This page is coming soon."</p>
            <p>
                <A href="/">"← Back to the home page"</A>
            </p>
        </section>
    }
}

/// The 404 page. On the server it also sets the response status to 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_actix::ResponseOptions>() {
        response.set_status(actix_web::http::StatusCode::NOT_FOUND);
    }

    view! {
        <Title text="Page not found" />
        <section class="narrow">
            <h1>"Page not found"</h1>
            <p class="muted">"There is nothing at this address."</p>
            <p>
                <A href="/">"← Back to the home page"</A>
            </p>
        </section>
    }
}
