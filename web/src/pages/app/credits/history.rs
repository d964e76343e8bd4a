//! The purchase history and the ledger, newest first.

use api_types::credits::{LedgerEntry, Purchase};
use leptos::prelude::*;

use crate::money::usd;

#[component]
pub(super) fn PurchaseTable(purchases: Vec<Purchase>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" aria-label="Purchases">
                <thead>
                    <tr>
                        <th scope="col">"Date (UTC)"</th>
                        <th scope="col">"Source"</th>
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
                                    <td>{source_label(&p.source).to_owned()}</td>
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

fn source_label(source: &str) -> &str {
    match source {
        "checkout" => "Checkout",
        "auto_topup" => "Auto top-up",
        other => other,
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
pub(super) fn LedgerTable(entries: Vec<LedgerEntry>) -> impl IntoView {
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
