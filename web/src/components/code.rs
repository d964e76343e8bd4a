//! Code samples with tabs (curl, Python, TypeScript) that use the server's real base URL.

use leptos::prelude::*;

use super::copy_button::CopyButton;

/// The languages the samples come in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Lang {
    Curl,
    Python,
    TypeScript,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Curl, Lang::Python, Lang::TypeScript];

    pub fn label(self) -> &'static str {
        match self {
            Lang::Curl => "curl",
            Lang::Python => "Python",
            Lang::TypeScript => "TypeScript",
        }
    }
}

/// The chat completion sample in `lang`, calling `model` at `origin`'s `/api/v1`.
pub fn chat_sample(lang: Lang, origin: &str, model: &str) -> String {
    let base = format!("{origin}/api/v1");
    match lang {
        Lang::Curl => format!(
            r#"curl {base}/chat/completions \
  -H "Authorization: Bearer $SWITCHBOARD_API_KEY" \
  -H "Content-Type: application/json" \
  -d '{{"model": "{model}",
       "messages": [{{"role": "user", "content": "Hello!"}}]}}'"#
        ),
        Lang::Python => format!(
            r#"# pip install openai
import os
from openai import OpenAI

client = OpenAI(base_url="{base}",
                api_key=os.environ["SWITCHBOARD_API_KEY"])
reply = client.chat.completions.create(
    model="{model}",
    messages=[{{"role": "user", "content": "Hello!"}}],
)
print(reply.choices[0].message.content)"#
        ),
        Lang::TypeScript => format!(
            r#"// npm install openai
import OpenAI from "openai";

const client = new OpenAI({{
  baseURL: "{base}",
  apiKey: process.env.SWITCHBOARD_API_KEY,
}});
const reply = await client.chat.completions.create({{
  model: "{model}",
  messages: [{{ role: "user", content: "Hello!" }}],
}});
console.log(reply.choices[0].message.content);"#
        ),
    }
}

/// The origin the page was served from: the request's on the server, the window's in the
/// browser (the same unless a proxy rewrites the host).
pub fn page_origin() -> String {
    #[cfg(feature = "ssr")]
    if let Some(req) = use_context::<leptos_actix::Request>() {
        let info = req.connection_info();
        return format!("{}://{}", info.scheme(), info.host());
    }
    crate::api::browser_origin().unwrap_or_else(|| "http://localhost:8080".to_owned())
}

/// Tabs of code samples with a copy button.
#[component]
pub fn CodeTabs(
    /// The model the samples call.
    #[prop(into)]
    model: String,
    #[prop(default = "Code samples")] label: &'static str,
) -> impl IntoView {
    let origin = page_origin();
    let selected = RwSignal::new(Lang::Curl);
    let code = Signal::derive(move || chat_sample(selected.get(), &origin, &model));
    let tab = move |lang: Lang| {
        view! {
            <button
                type="button"
                role="tab"
                class="tab"
                data-snippet=lang.label()
                aria-selected=move || (selected.get() == lang).to_string()
                on:click=move |_| selected.set(lang)
            >
                {lang.label()}
            </button>
        }
    };
    view! {
        <section class="quickstart" aria-label=label>
            <div class="tabs" role="tablist">
                {Lang::ALL.into_iter().map(tab).collect_view()}
                <span class="tabs-end">
                    <CopyButton text=code label="Copy code" />
                </span>
            </div>
            <pre class="snippet">
                <code data-testid="snippet">{move || code.get()}</code>
            </pre>
        </section>
    }
}
