//! `/app/credits`: the balance, buying credit with Stripe Checkout (the fee shown before
//! paying, `buy`), the return page's confirmation, auto top-up (`auto_topup`), purchase
//! history and the ledger (`history`).
//!
//! Buying takes two steps: "Review purchase" asks the API for a Checkout Session (which
//! computes the fee), the page shows amount, fee and total, and "Pay … with Stripe" opens
//! Stripe's page. Stripe sends the customer back to `/app/credits?checkout_session_id=…`.

mod auto_topup;
mod buy;
mod history;

use api_types::credits::{
    AutoTopupResponse, CheckoutStatusResponse, CreditsResponse, LedgerPage, PurchasePage,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::layout::{org_resource, use_session};
use super::overview::balance;
use crate::api::{self, ApiFailure};
use crate::components::status::{Empty, Failure, Loading};
use crate::money::usd;

#[component]
pub fn Credits() -> impl IntoView {
    let credits = org_resource::<CreditsResponse>(|| "/credits".into());
    let purchases = org_resource::<PurchasePage>(|| "/credits/purchases".into());
    let ledger = org_resource::<LedgerPage>(|| "/credits/ledger?per_page=25".into());
    // Here, not in its section: a purchase that saved a card changes it too.
    let topup = org_resource::<AutoTopupResponse>(|| "/credits/auto-topup".into());
    let query = use_query_map();
    let returned = move || query.read().get("checkout_session_id");
    let cancelled = move || query.read().get("checkout").as_deref() == Some("cancelled");

    view! {
        <Title text="Credits" />
        <h1>"Credits"</h1>
        {move || returned().map(|id| view! { <CheckoutReturn id credits purchases ledger topup /> })}
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
        <buy::BuyCredit />
        <auto_topup::AutoTopupSettings settings=topup credits purchases ledger />
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
                        Ok(page) => {
                            view! { <history::PurchaseTable purchases=page.data /> }.into_any()
                        }
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
                        Ok(page) => view! { <history::LedgerTable entries=page.data /> }.into_any(),
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
    topup: LocalResource<Result<AutoTopupResponse, ApiFailure>>,
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
                topup.refetch();
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
pub(super) async fn sleep_ms(ms: i32) {
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
