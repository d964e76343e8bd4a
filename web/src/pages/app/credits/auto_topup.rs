//! Auto top-up: when the balance falls below a threshold, an amount (plus the fee) is charged
//! to the card a purchase saved. Owners and admins change it; members see it with the
//! controls disabled (the API refuses them anyway).
//!
//! The server looks at balances every few seconds (`AUTO_TOPUP_CHECK_SECS`), so a top-up
//! does not happen while the page waits for its answer: once it is turned on below the
//! threshold, the page watches the balance (and the settings, for a decline) for a while and
//! refreshes itself when either changes.

use api_types::Usd;
use api_types::credits::{
    AutoTopupRequest, AutoTopupResponse, CreditsResponse, LedgerPage, PurchasePage,
};
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::buy::whole_cents;
use super::sleep_ms;
use crate::api::{self, ApiFailure};
use crate::components::status::{Failure, FormError, Loading};
use crate::components::submission::Submission;
use crate::money::{decimal, usd};
use crate::pages::app::layout::use_session;
use crate::pages::app::overview::balance;

/// Declines in a row after which the server turns auto top-up off (`MAX_FAILURES`).
const MAX_DECLINES: i32 = 3;
/// How long the page watches for a top-up after turning it on: a few of the server's checks.
const WATCH_ROUNDS: u32 = 20;
const WATCH_EVERY_MS: i32 = 2000;

/// The form's fields as typed, checked: (threshold, amount) in USD.
fn parse_fields(threshold: &str, amount: &str) -> Result<(f64, f64), String> {
    let threshold = whole_cents(threshold).ok_or_else(|| {
        "The threshold is an amount in USD, like 5 or 2.50 (0 tops up only at zero).".to_owned()
    })?;
    let amount = whole_cents(amount)
        .filter(|a| *a > 0.0)
        .ok_or_else(|| "The top-up amount is an amount in USD above zero, like 25.".to_owned())?;
    Ok((threshold, amount))
}

#[component]
pub(super) fn AutoTopupSettings(
    settings: LocalResource<Result<AutoTopupResponse, ApiFailure>>,
    credits: LocalResource<Result<CreditsResponse, ApiFailure>>,
    purchases: LocalResource<Result<PurchasePage, ApiFailure>>,
    ledger: LocalResource<Result<LedgerPage, ApiFailure>>,
) -> impl IntoView {
    let session = use_session();
    let can_manage = Signal::derive(move || session.current().is_some_and(|o| o.role.is_manager()));
    let enabled = RwSignal::new(false);
    let threshold = RwSignal::new(String::new());
    let amount = RwSignal::new(String::new());
    let submission = Submission::new();
    let Submission { busy, failure } = submission;
    let saved = RwSignal::new(false);
    // The fields start from what is saved; a never-configured amount stays empty.
    Effect::new(move |_| {
        if let Some(Ok(reply)) = settings.get() {
            let s = reply.data;
            enabled.set(s.enabled);
            threshold.set(decimal(s.threshold));
            amount.set(if s.amount.to_nanos() > 0 {
                decimal(s.amount)
            } else {
                String::new()
            });
        }
    });
    let card_saved = move || matches!(settings.get(), Some(Ok(r)) if r.data.card_saved);

    // Watches for the top-up the server is about to charge; refreshes the page when the
    // balance or the decline count moves.
    let watch = move |before_nanos: i64, failures_before: i32| {
        spawn_local(async move {
            for _ in 0..WATCH_ROUNDS {
                sleep_ms(WATCH_EVERY_MS).await;
                let moved = match api::get::<CreditsResponse>("/credits").await {
                    Ok(c) => balance(&c).to_nanos() != before_nanos,
                    Err(_) => false,
                };
                let declined = matches!(
                    api::get::<AutoTopupResponse>("/credits/auto-topup").await,
                    Ok(r) if r.data.failures != failures_before
                );
                if moved || declined {
                    break;
                }
            }
            credits.refetch();
            purchases.refetch();
            ledger.refetch();
            settings.refetch();
        });
    };

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (threshold_usd, amount_usd) =
            match parse_fields(&threshold.get_untracked(), &amount.get_untracked()) {
                Ok(fields) => fields,
                Err(message) => return submission.refuse(message),
            };
        saved.set(false);
        let request = AutoTopupRequest {
            enabled: enabled.get_untracked(),
            threshold: threshold_usd,
            amount: amount_usd,
        };
        let balance_now = match credits.get_untracked() {
            Some(Ok(c)) => Some(balance(&c)),
            _ => None,
        };
        submission.send(
            async move { api::put::<_, AutoTopupResponse>("/credits/auto-topup", &request).await },
            move |reply| {
                saved.set(true);
                let s = &reply.data;
                let due = balance_now.map(|b| b.to_nanos() < s.threshold.to_nanos());
                if s.enabled && due != Some(false) {
                    let before = balance_now.map_or(i64::MIN, Usd::to_nanos);
                    watch(before, s.failures);
                }
                settings.refetch();
            },
        );
    };

    view! {
        <section class="card" aria-labelledby="auto-topup-label">
            <h2 id="auto-topup-label">"Auto top-up"</h2>
            <Suspense fallback=|| view! { <Loading label="Loading auto top-up…" /> }>
                {move || {
                    settings
                        .get()
                        .map(|result| match result {
                            Err(failure) => view! { <Failure failure /> }.into_any(),
                            Ok(reply) => view! { <TopupStatus settings=reply /> }.into_any(),
                        })
                }}
            </Suspense>
            <form class="form form-inline" on:submit=submit aria-label="Auto top-up">
                <div class="field field-check">
                    <input
                        id="topup-enabled"
                        type="checkbox"
                        prop:checked=move || enabled.get()
                        on:change=move |ev| {
                            saved.set(false);
                            enabled.set(event_target_checked(&ev));
                        }
                    />
                    <label for="topup-enabled">"Top up automatically"</label>
                </div>
                <div class="field">
                    <label for="topup-threshold">"When the balance falls below (USD)"</label>
                    <input
                        id="topup-threshold"
                        type="text"
                        inputmode="decimal"
                        placeholder="5.00"
                        prop:value=move || threshold.get()
                        on:input=move |ev| {
                            saved.set(false);
                            threshold.set(event_target_value(&ev));
                        }
                    />
                </div>
                <div class="field">
                    <label for="topup-amount">"Add (USD, plus the fee)"</label>
                    <input
                        id="topup-amount"
                        type="text"
                        inputmode="decimal"
                        placeholder="25.00"
                        prop:value=move || amount.get()
                        on:input=move |ev| {
                            saved.set(false);
                            amount.set(event_target_value(&ev));
                        }
                    />
                </div>
                <button
                    type="submit"
                    class="button"
                    disabled=move || !can_manage.get() || busy.get() || (enabled.get() && !card_saved())
                >
                    "Save auto top-up"
                </button>
            </form>
            <FormError message=failure />
            <Show when=move || saved.get()>
                <p class="muted" role="status">"Auto top-up saved."</p>
            </Show>
        </section>
    }
}

/// What auto top-up does now, and the last decline if there was one.
#[component]
fn TopupStatus(settings: AutoTopupResponse) -> impl IntoView {
    let s = settings.data;
    let state = if s.enabled {
        format!(
            "On: when the balance falls below {}, {} plus the fee is charged to your saved card.",
            usd(s.threshold),
            usd(s.amount)
        )
    } else if s.failures >= MAX_DECLINES {
        format!("Off: it turned itself off after {MAX_DECLINES} declines in a row.")
    } else {
        "Off.".to_owned()
    };
    let card = if s.card_saved {
        "A card is saved for auto top-up."
    } else {
        "No card is saved yet: buy credit with \u{201c}Save my card for auto top-up\u{201d} checked, then turn it on here."
    };
    let declined = (s.failures > 0).then(|| {
        let reason = s.last_error.clone().unwrap_or_else(|| "no reason given".into());
        view! {
            <p class="notice notice-error" role="status">
                {format!(
                    "The last top-up was declined: {reason} ({} of {MAX_DECLINES} declines in a row).",
                    s.failures
                )}
            </p>
        }
    });
    view! {
        <p data-testid="auto-topup-state">{state}</p>
        <p class="muted small">{card}</p>
        {declined}
    }
}

#[cfg(test)]
mod tests {
    use super::parse_fields;

    #[test]
    fn the_threshold_may_be_zero_the_amount_may_not() {
        assert_eq!(parse_fields("5", "25.50"), Ok((5.0, 25.5)));
        assert_eq!(parse_fields("0", "10"), Ok((0.0, 10.0)));
        assert!(parse_fields("5", "0").is_err());
        assert!(parse_fields("-1", "10").is_err());
        assert!(parse_fields("5", "1.234").is_err());
        assert!(parse_fields("five", "10").is_err());
    }
}
