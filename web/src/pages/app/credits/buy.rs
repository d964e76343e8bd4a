//! Buying credit: the amount, the fee shown before paying (the API computes it with the
//! Checkout Session), then Stripe's page. Checking "Save my card" keeps the card for auto
//! top-up.

use api_types::credits::{Checkout, CheckoutRequest, CheckoutResponse};
use leptos::prelude::*;

use crate::api;
use crate::components::status::FormError;
use crate::components::submission::Submission;
use crate::money::usd;

/// A USD amount as typed (`10`, `$25.50`), in whole cents and not negative; `None` otherwise.
pub(super) fn whole_cents(text: &str) -> Option<f64> {
    let text = text.trim().trim_start_matches('$');
    let valid = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && text
            .split_once('.')
            .is_none_or(|(_, cents)| cents.len() <= 2 && !cents.contains('.'));
    text.parse::<f64>()
        .ok()
        .filter(|amount| valid && amount.is_finite())
}

/// The amount to buy as typed: whole cents above zero.
pub fn parse_amount(text: &str) -> Result<f64, String> {
    whole_cents(text)
        .filter(|amount| *amount > 0.0)
        .ok_or_else(|| "Enter an amount in USD, like 10 or 25.50.".into())
}

#[component]
pub(super) fn BuyCredit() -> impl IntoView {
    let amount = RwSignal::new("10".to_owned());
    let save_card = RwSignal::new(false);
    let quote = RwSignal::new(None::<Checkout>);
    let submission = Submission::new();
    let Submission { busy, failure } = submission;
    let review = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = match parse_amount(&amount.get_untracked()) {
            Ok(value) => value,
            Err(message) => return submission.refuse(message),
        };
        quote.set(None);
        let request = CheckoutRequest {
            amount: value,
            save_card: save_card.get_untracked(),
        };
        submission.send(
            async move { api::post::<_, CheckoutResponse>("/credits/checkout", &request).await },
            move |reply| quote.set(Some(reply.data)),
        );
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
                <div class="field field-check">
                    <input
                        id="buy-save-card"
                        type="checkbox"
                        prop:checked=move || save_card.get()
                        on:change=move |ev| {
                            save_card.set(event_target_checked(&ev));
                            quote.set(None);
                        }
                    />
                    <label for="buy-save-card">"Save my card for auto top-up"</label>
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
