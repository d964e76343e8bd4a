//! `/app/playground`: pick a model, chat with streaming, see each reply's tokens, cost and
//! latency. The inference API takes API keys, not sessions: the playground uses a key the
//! user pastes (kept in this tab's memory only).

use api_types::catalog::ModelsListResponse;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::{self, chat};
use crate::components::status::{Failure, FormError, Loading};
use crate::money::usd_cost;

/// Picked at first when the catalog has it: small, cheap and quick.
const DEFAULT_MODEL: &str = "openai/gpt-4o-mini";

/// One turn of the conversation as shown.
#[derive(Clone)]
struct Turn {
    id: usize,
    role: &'static str,
    text: RwSignal<String>,
    stats: RwSignal<Option<chat::ReplyStats>>,
}

fn stats_text(stats: &chat::ReplyStats) -> String {
    let mut parts = vec![format!(
        "{} prompt + {} completion tokens",
        stats.prompt_tokens, stats.completion_tokens
    )];
    if let Some(cost) = stats.cost {
        parts.push(usd_cost(cost));
    }
    if let Some(first) = stats.first_token_ms {
        parts.push(format!("first token {first:.0} ms"));
    }
    parts.push(format!("total {:.0} ms", stats.total_ms));
    parts.join(" · ")
}

#[component]
pub fn Playground() -> impl IntoView {
    let models = LocalResource::new(|| api::get::<ModelsListResponse>("/models"));
    let model = RwSignal::new(String::new());
    let key = RwSignal::new(String::new());
    let draft = RwSignal::new(String::new());
    let turns = RwSignal::new(Vec::<Turn>::new());
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = draft.get_untracked().trim().to_owned();
        let api_key = key.get_untracked().trim().to_owned();
        let chosen = model.get_untracked();
        let problem = if chosen.is_empty() {
            Some("Pick a model.")
        } else if api_key.is_empty() {
            Some("Paste an API key: the playground calls the API with it.")
        } else if text.is_empty() {
            Some("Write a message.")
        } else {
            None
        };
        if let Some(problem) = problem {
            failure.set(Some(problem.to_owned()));
            return;
        }
        failure.set(None);
        draft.set(String::new());
        let mut history: Vec<chat::Message> = turns
            .get_untracked()
            .iter()
            .map(|t| chat::Message {
                role: t.role,
                content: t.text.get_untracked(),
            })
            .collect();
        history.push(chat::Message {
            role: "user",
            content: text.clone(),
        });
        let next_id = turns.with_untracked(Vec::len);
        let reply = Turn {
            id: next_id + 1,
            role: "assistant",
            text: RwSignal::new(String::new()),
            stats: RwSignal::new(None),
        };
        turns.update(|t| {
            t.push(Turn {
                id: next_id,
                role: "user",
                text: RwSignal::new(text),
                stats: RwSignal::new(None),
            });
            t.push(reply.clone());
        });
        busy.set(true);
        spawn_local(async move {
            let result = chat::stream(&api_key, &chosen, &history, |piece| {
                reply.text.update(|t| t.push_str(piece));
            })
            .await;
            match result {
                Ok(stats) => reply.stats.set(Some(stats)),
                Err(err) => {
                    failure.set(Some(err.message));
                    turns.update(|t| {
                        if reply.text.get_untracked().is_empty() {
                            t.pop();
                        }
                    });
                }
            }
            busy.set(false);
        });
    };

    view! {
        <Title text="Playground" />
        <h1>"Playground"</h1>
        <p class="muted">
            "Chat with any model. Replies stream in and are billed to the key's organization. Need a key? "
            <A href="/app/keys">"Create one"</A> "."
        </p>
        <form class="form playground" on:submit=send>
            <div class="form-inline">
                <div class="field">
                    <label for="pg-model">"Model"</label>
                    <Suspense fallback=|| view! { <Loading label="Loading models…" /> }>
                        {move || {
                            models
                                .get()
                                .map(|result| match result {
                                    Err(failure) => view! { <Failure failure /> }.into_any(),
                                    Ok(mut list) => {
                                        list.data.retain(|m| {
                                            m.architecture.output_modalities.iter().any(|o| o == "text")
                                        });
                                        if model.get_untracked().is_empty() {
                                            let preferred = list
                                                .data
                                                .iter()
                                                .find(|m| m.id == DEFAULT_MODEL)
                                                .or(list.data.first());
                                            if let Some(first) = preferred {
                                                model.set(first.id.clone());
                                            }
                                        }
                                        view! {
                                            <select
                                                id="pg-model"
                                                on:change=move |ev| model.set(event_target_value(&ev))
                                            >
                                                {list
                                                    .data
                                                    .into_iter()
                                                    .map(|m| {
                                                        let selected = model.get_untracked() == m.id;
                                                        view! {
                                                            <option value=m.id.clone() selected=selected>
                                                                {format!("{} ({})", m.name, m.id)}
                                                            </option>
                                                        }
                                                    })
                                                    .collect_view()}
                                            </select>
                                        }
                                            .into_any()
                                    }
                                })
                        }}
                    </Suspense>
                </div>
                <div class="field">
                    <label for="pg-key">"API key"</label>
                    <input
                        id="pg-key"
                        type="password"
                        autocomplete="off"
                        placeholder="sk-or-v1-…"
                        prop:value=move || key.get()
                        on:input=move |ev| key.set(event_target_value(&ev))
                    />
                </div>
            </div>
            <ol class="chat" aria-label="Conversation" aria-live="polite">
                <For each=move || turns.get() key=|t| t.id let(turn)>
                    <li class=format!("turn turn-{}", turn.role)>
                        <span class="turn-role">{if turn.role == "user" { "You" } else { "Model" }}</span>
                        <p class="turn-text">{move || turn.text.get()}</p>
                        {move || {
                            turn.stats
                                .get()
                                .map(|s| view! { <p class="turn-stats muted small">{stats_text(&s)}</p> })
                        }}
                    </li>
                </For>
            </ol>
            <div class="field">
                <label for="pg-message">"Message"</label>
                <textarea
                    id="pg-message"
                    rows="3"
                    prop:value=move || draft.get()
                    on:input=move |ev| draft.set(event_target_value(&ev))
                ></textarea>
            </div>
            <FormError message=failure />
            <button type="submit" class="button" disabled=move || busy.get()>
                {move || if busy.get() { "Streaming…" } else { "Send message" }}
            </button>
        </form>
    }
}
