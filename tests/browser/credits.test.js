// Auto top-up, as an owner sets it up: buy credit with "Save my card" checked (through the
// fake Stripe's payment page), turn auto top-up on above the balance, watch the page show the
// top-up (balance, purchases, ledger); then the saved card starts declining (the fake Stripe's
// control endpoint, as a bank would), and the page says so.
// The server checks balances every second here (run.sh sets AUTO_TOPUP_CHECK_SECS=1).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, open, visit, hydrated, shot, shotOf, assertNoErrors, email } from "./browser.js";

const STRIPE = process.env.SB_STRIPE_BASE;
const STRIPE_KEY = "sk_test_fake_0123456789";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** `GET` of a Stripe object from the fake Stripe, as the server would read it. */
async function stripe(path) {
  const reply = await fetch(new URL(`v1/${path}`, STRIPE), { headers: { authorization: `Bearer ${STRIPE_KEY}` } });
  assert.ok(reply.ok, `GET ${path}: ${reply.status}`);
  return reply.json();
}

test("save the card at checkout, turn auto top-up on, see it charged, then a decline", async () => {
  assert.ok(STRIPE, "SB_STRIPE_BASE is set by run.sh");
  const page = await open(browser);
  await visit(page, "/signup");
  await page.getByLabel("Email").fill(email("topup"));
  await page.getByLabel("Password").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(`${BASE}/app`);
  await hydrated(page);
  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Credits" }).click();

  // Before any purchase no card is saved, so auto top-up cannot be turned on.
  const section = page.getByRole("region", { name: "Auto top-up" });
  await section.getByText("No card is saved yet", { exact: false }).waitFor();
  assert.equal(await page.getByTestId("auto-topup-state").textContent(), "Off.");
  await section.getByLabel("Top up automatically").check();
  assert.ok(await section.getByRole("button", { name: "Save auto top-up" }).isDisabled());
  await section.getByLabel("Top up automatically").uncheck();

  // Buys $10 and keeps the card.
  await page.getByLabel("Amount (USD)").fill("10");
  await page.getByLabel("Save my card for auto top-up").check();
  await page.getByRole("button", { name: "Review purchase" }).click();
  const total = await page.getByTestId("quote-total").textContent();
  await page.getByRole("link", { name: `Pay ${total} with Stripe` }).click();
  await page.getByRole("button", { name: `Pay ${total}` }).click();
  await page.waitForURL(/\/app\/credits\?checkout_session_id=cs_/);
  await hydrated(page);
  await page.getByText("Payment received: your credit has been added.").waitFor();
  await page.getByTestId("balance").filter({ hasText: "$10.00" }).waitFor();
  await section.getByText("A card is saved for auto top-up.").waitFor();

  // Turns it on above the balance: $15 is charged at once and shows up without a reload.
  await section.getByLabel("Top up automatically").check();
  await section.getByLabel("When the balance falls below (USD)").fill("20");
  await section.getByLabel("Add (USD, plus the fee)").fill("15");
  await section.getByRole("button", { name: "Save auto top-up" }).click();
  await section.getByText("Auto top-up saved.").waitFor();
  await page.getByTestId("auto-topup-state").filter({
    hasText: "On: when the balance falls below $20.00, $15.00 plus the fee is charged to your saved card.",
  }).waitFor();
  await page.getByTestId("balance").filter({ hasText: "$25.00" }).waitFor({ timeout: 45000 });
  const purchases = page.getByRole("table", { name: "Purchases" });
  const topupPurchase = purchases.getByRole("row").filter({ hasText: "$15.00" });
  await topupPurchase.getByRole("cell", { name: "paid" }).waitFor();
  await topupPurchase.getByRole("cell", { name: "Auto top-up" }).waitFor();
  await purchases.getByRole("row").filter({ hasText: "$10.00" }).getByRole("cell", { name: "Checkout" }).waitFor();
  // The credit's row (kind "Auto top-up") and its fee's, both referring to the top-up.
  const topupRows = page.getByRole("table", { name: "Ledger" }).getByRole("row").filter({ hasText: "Auto top-up" });
  await topupRows.first().waitFor();
  assert.equal(await topupRows.count(), 2);
  await topupRows.filter({ hasText: "Purchase fee" }).waitFor();
  await shotOf(section, "credits-auto-topup");

  // The bank starts declining the saved card; raising the threshold above the balance makes
  // the server try, and the page shows the decline.
  const sessionId = new URL(page.url()).searchParams.get("checkout_session_id");
  const checkout = await stripe(`checkout/sessions/${sessionId}`);
  const intent = await stripe(`payment_intents/${checkout.payment_intent}`);
  const declined = await fetch(new URL(`_fake/payment_methods/${intent.payment_method}/decline`, STRIPE), { method: "POST" });
  assert.ok(declined.ok, `decline: ${declined.status}`);
  await section.getByLabel("When the balance falls below (USD)").fill("30");
  await section.getByRole("button", { name: "Save auto top-up" }).click();
  await section.getByText(/^The last top-up was declined: .+ \(1 of 3 declines in a row\)\.$/).waitFor({ timeout: 45000 });
  assert.equal(await page.getByTestId("balance").textContent(), "$25.00");
  await shot(page, "credits-auto-topup-declined");
  assertNoErrors(page);
});
