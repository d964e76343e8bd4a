//! `/app/credits`: the balance, buying credit with Stripe Checkout (the fee shown before
//! paying), the return page's confirmation, purchase history and the ledger.
//!
//! Buying takes two steps: "Review purchase" asks the API for a Checkout Session (which
//! computes the fee), the page shows amount, fee and total, and "Pay … with Stripe" opens
//! Stripe's page. Stripe sends the customer back to `/app/credits?checkout_session_id=…`.

use api_types::credits::{
    Checkout, CheckoutRequest, CheckoutResponse, CheckoutStatusResponse, CreditsResponse,
    LedgerEntry, LedgerPage, Purchase, PurchasePage,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::layout::{org_resource, use_session};
use super::overview::balance;
use crate::api::{self, ApiFailure};
use crate::components::status::{Empty, Failure, FormError, Loading};
use crate::money::usd;

#[component]
pub fn Credits() -> impl IntoView {
    let credits = org_resource::<CreditsResponse>(|| "/credits".into());
    let purchases = org_resource::<PurchasePage>(|| "/credits/purchases".into());
    let ledger = org_resource::<LedgerPage>(|| "/credits/ledger?per_page=25".into());
    let query = use_query_map();
    let returned = move || query.read().get("checkout_session_id");
    let cancelled = move || query.read().get("checkout").as_deref() == Some("cancelled");

    view! {
        <Title text="Credits" />
        <h1>"Credits"</h1>
        {move || returned().map(|id| view! { <CheckoutReturn id credits purchases ledger /> })}
        <Show when=cancelled>
            <p class="notice" role="status">"Payment cancelled: nothing was charged."</p>
        </Show>
        <section class="card" aria-labelledby="credit-balance-label">
            <h2 id="credit-balance-label">"Balance"</h2>
            <Suspense fallback=|| view! { <Loading label="Loading the balance…" /> }>
                {move || {
                    credits
                        .get()
                        .map(|result| match result {
                            Err(failure) => view! { <Failure failure /> }.into_any(),
                            Ok(c) => {
                                view! { <p class="figure" data-testid="balance">{usd(balance(&c))}</p> }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </section>
        <BuyCredit />
        <h2>"Purchases"</h2>
        <Suspense fallback=|| view! { <Loading label="Loading purchases…" /> }>
            {move || {
                purchases
                    .get()
                    .map(|result| match result {
                        Err(failure) => view! { <Failure failure /> }.into_any(),
                        Ok(page) if page.data.is_empty() => {
                            view! {
                                <Empty>
                                    <p>"No purchases yet."</p>
                                </Empty>
                            }
                                .into_any()
                        }
                        Ok(page) => view! { <PurchaseTable purchases=page.data /> }.into_any(),
                    })
            }}
        </Suspense>
        <h2>"Ledger"</h2>
        <p class="muted small">"Every change to the balance, newest first."</p>
        <Suspense fallback=|| view! { <Loading label="Loading the ledger…" /> }>
            {move || {
                ledger
                    .get()
                    .map(|result| match result {
                        Err(failure) => view! { <Failure failure /> }.into_any(),
                        Ok(page) if page.data.is_empty() => {
                            view! {
                                <Empty>
                                    <p>"No entries yet."</p>
                                </Empty>
                            }
                                .into_any()
                        }
                        Ok(page) => view! { <LedgerTable entries=page.data /> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

/// The return from Stripe: asks the API whether the payment arrived (which also credits it if
/// the webhook has not yet), a few times while Stripe says it is still processing.
#[component]
fn CheckoutReturn(
    id: String,
    credits: LocalResource<Result<CreditsResponse, ApiFailure>>,
    purchases: LocalResource<Result<PurchasePage, ApiFailure>>,
    ledger: LocalResource<Result<LedgerPage, ApiFailure>>,
) -> impl IntoView {
    let session = use_session();
    let status = LocalResource::new(move || {
        let id = id.clone();
        session.org.track();
        async move {
            let path = format!("/credits/checkout/{id}");
            let mut answer = api::get::<CheckoutStatusResponse>(&path).await;
            for _ in 0..10 {
                match &answer {
                    Ok(s) if s.data.paid && !s.data.credited => {}
                    _ => break,
                }
                sleep_ms(500).await;
                answer = api::get::<CheckoutStatusResponse>(&path).await;
            }
            if matches!(&answer, Ok(s) if s.data.credited) {
                credits.refetch();
                purchases.refetch();
                ledger.refetch();
            }
            answer
        }
    });
    view! {
        <Suspense fallback=|| view! { <Loading label="Checking your payment…" /> }>
            {move || {
                status
                    .get()
                    .map(|result| match result {
                        Err(failure) => view! { <Failure failure /> }.into_any(),
                        Ok(s) if s.data.credited => {
                            view! {
                                <p class="notice notice-ok" role="status">
                                    "Payment received: your credit has been added."
                                </p>
                            }
                                .into_any()
                        }
                        Ok(s) if s.data.paid => {
                            view! {
                                <p class="notice" role="status">
                                    "Payment received; the credit will appear in a moment."
                                </p>
                            }
                                .into_any()
                        }
                        Ok(_) => {
                            view! {
                                <p class="notice" role="status">
                                    "This payment has not gone through (yet): nothing was added."
                                </p>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

/// Waits `ms` milliseconds (browser only; the server never gets here).
async fn sleep_ms(ms: i32) {
    #[cfg(feature = "hydrate")]
    {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(window) = web_sys::window() {
                let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ms;
}

/// The amount as typed, in whole cents.
pub fn parse_amount(text: &str) -> Result<f64, String> {
    let text = text.trim().trim_start_matches('$');
    let valid = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && text
            .split_once('.')
            .is_none_or(|(_, cents)| cents.len() <= 2 && !cents.contains('.'));
    match text.parse::<f64>() {
        Ok(amount) if valid && amount > 0.0 => Ok(amount),
        _ => Err("Enter an amount in USD, like 10 or 25.50.".into()),
    }
}

#[component]
fn BuyCredit() -> impl IntoView {
    let amount = RwSignal::new("10".to_owned());
    let quote = RwSignal::new(None::<Checkout>);
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let review = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = match parse_amount(&amount.get_untracked()) {
            Ok(value) => value,
            Err(message) => {
                failure.set(Some(message));
                return;
            }
        };
        failure.set(None);
        quote.set(None);
        busy.set(true);
        spawn_local(async move {
            let request = CheckoutRequest {
                amount: value,
                save_card: false,
            };
            match api::post::<_, CheckoutResponse>("/credits/checkout", &request).await {
                Ok(reply) => quote.set(Some(reply.data)),
                Err(err) => failure.set(Some(err.message)),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card" aria-labelledby="buy-label">
            <h2 id="buy-label">"Buy credit"</h2>
            <form class="form form-inline" on:submit=review>
                <div class="field">
                    <label for="buy-amount">"Amount (USD)"</label>
                    <input
                        id="buy-amount"
                        type="text"
                        inputmode="decimal"
                        prop:value=move || amount.get()
                        on:input=move |ev| {
                            amount.set(event_target_value(&ev));
                            quote.set(None);
                        }
                    />
                </div>
                <button type="submit" class="button" disabled=move || busy.get()>
                    {move || if busy.get() { "Preparing…" } else { "Review purchase" }}
                </button>
            </form>
            <FormError message=failure />
            {move || {
                quote
                    .get()
                    .map(|q| {
                        view! {
                            <dl class="facts quote" aria-label="Purchase summary">
                                <dt>"Credit"</dt>
                                <dd data-testid="quote-amount">{usd(q.amount)}</dd>
                                <dt>"Fee"</dt>
                                <dd data-testid="quote-fee">{usd(q.fee)}</dd>
                                <dt>"Total charged"</dt>
                                <dd data-testid="quote-total">{usd(q.total)}</dd>
                            </dl>
                            <a class="button" href=q.url.clone()>
                                {format!("Pay {} with Stripe", usd(q.total))}
                            </a>
                        }
                    })
            }}
        </section>
    }
}

#[component]
fn PurchaseTable(purchases: Vec<Purchase>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" aria-label="Purchases">
                <thead>
                    <tr>
                        <th scope="col">"Date (UTC)"</th>
                        <th scope="col">"Credit"</th>
                        <th scope="col">"Fee"</th>
                        <th scope="col">"Total"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {purchases
                        .into_iter()
                        .map(|p| {
                            let status = if p.refunded.to_nanos() > 0 {
                                format!("{} (refunded {})", p.status, usd(p.refunded))
                            } else {
                                p.status.clone()
                            };
                            view! {
                                <tr>
                                    <td>{p.created_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                    <td>{usd(p.amount)}</td>
                                    <td>{usd(p.fee)}</td>
                                    <td>{usd(p.total)}</td>
                                    <td>{status}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn kind_label(kind: &str) -> &str {
    match kind {
        "purchase" => "Purchase",
        "purchase_fee" => "Purchase fee",
        "refund" => "Refund",
        "grant" => "Grant",
        "adjustment" => "Adjustment",
        "generation" => "Request",
        "byok_fee" => "BYOK fee",
        "auto_topup" => "Auto top-up",
        other => other,
    }
}

#[component]
fn LedgerTable(entries: Vec<LedgerEntry>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" aria-label="Ledger">
                <thead>
                    <tr>
                        <th scope="col">"Date (UTC)"</th>
                        <th scope="col">"Kind"</th>
                        <th scope="col">"Amount"</th>
                        <th scope="col">"Reference"</th>
                    </tr>
                </thead>
                <tbody>
                    {entries
                        .into_iter()
                        .map(|e| {
                            let amount = if e.kind == "generation" {
                                crate::money::usd_cost(e.amount)
                            } else {
                                usd(e.amount)
                            };
                            view! {
                                <tr>
                                    <td>{e.created_at.format("%Y-%m-%d %H:%M:%S").to_string()}</td>
                                    <td>{kind_label(&e.kind).to_owned()}</td>
                                    <td>{amount}</td>
                                    <td class="mono small">{e.reason.or(e.reference).unwrap_or_default()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::parse_amount;

    #[test]
    fn amounts_are_whole_cents() {
        assert_eq!(parse_amount("10"), Ok(10.0));
        assert_eq!(parse_amount("$25.50"), Ok(25.5));
        assert!(parse_amount("1.234").is_err());
        assert!(parse_amount("ten").is_err());
        assert!(parse_amount("0").is_err());
        assert!(parse_amount("").is_err());
    }
}
