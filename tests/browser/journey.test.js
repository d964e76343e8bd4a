// The first journey of the dashboard, as a person takes it: browse the models, sign up, buy
// $10 of credit through the fake Stripe's payment page, see the balance, create a key and copy
// it, call /api/v1/chat/completions with that key (served by the provider emulator), see the
// call's cost on the overview and on the activity page (chart, totals, the generations table,
// the generation's detail, filters and the CSV export), then chat in the playground with a
// streamed reply.
// Also measures the time to interactive of /app (navigation start to data-hydrated).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { BASE, launch, open, visit, hydrated, shot, assertNoErrors, email } from "./browser.js";

// A USD figure as the dashboard writes a request's cost: six decimals, rounded half away from
// zero on integer nanos (the API's double carries the server's exact nanos).
function sixDecimals(usd) {
  const nanos = BigInt(Math.round(usd * 1e9));
  const magnitude = nanos < 0n ? -nanos : nanos;
  const micros = (magnitude + 500n) / 1000n;
  const text = `${micros / 1000000n}.${(micros % 1000000n).toString().padStart(6, "0")}`;
  return `${nanos < 0n && micros !== 0n ? "-" : ""}$${text}`;
}

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("visitor → sign-up → $10 through Stripe → key → API call → playground", async () => {
  const page = await open(browser);

  // Browses the catalog and opens a model.
  await visit(page, "/models");
  await page.getByLabel("Search").fill("gpt-4o-mini");
  await page.getByRole("link", { name: "OpenAI: GPT-4o-mini" }).click();
  await page.getByRole("table", { name: "Providers" }).waitFor();

  // Signs up (the header's button), lands on the dashboard.
  await page.getByRole("link", { name: "Sign up" }).click();
  await hydrated(page);
  const address = email("journey");
  await page.getByLabel("Name (optional)").fill("Ada Journey");
  await page.getByLabel("Email").fill(address);
  await page.getByLabel("Password").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(`${BASE}/app`);
  await hydrated(page);
  await page.getByText(`Signed in as ${address}`).waitFor();
  assert.equal(await page.getByTestId("balance").textContent(), "$0.00");
  await page.getByText("No requests yet.").waitFor();

  // Buys $10: the fee is shown before paying, then Stripe's page, then the return page.
  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Credits" }).click();
  await page.getByLabel("Amount (USD)").fill("10");
  await page.getByRole("button", { name: "Review purchase" }).click();
  const summary = page.getByRole("definition").filter({ hasText: /^\$/ });
  await page.getByTestId("quote-fee").waitFor();
  assert.equal(await page.getByTestId("quote-amount").textContent(), "$10.00");
  const fee = await page.getByTestId("quote-fee").textContent();
  const total = await page.getByTestId("quote-total").textContent();
  assert.match(fee, /^\$\d+\.\d\d$/);
  assert.equal(Number(total.slice(1)), Number((10 + Number(fee.slice(1))).toFixed(2)));
  assert.ok((await summary.count()) >= 3);
  await shot(page, "credits-review");
  await page.getByRole("link", { name: `Pay ${total} with Stripe` }).click();
  await page.getByRole("heading", { name: "Fake Stripe Checkout" }).waitFor();
  await page.getByText(`Total due: ${total}`).waitFor();
  await page.getByRole("button", { name: `Pay ${total}` }).click();
  await page.waitForURL(/\/app\/credits\?checkout_session_id=cs_/);
  await hydrated(page);
  await page.getByText("Payment received: your credit has been added.").waitFor();
  await page.getByTestId("balance").filter({ hasText: "$10.00" }).waitFor();
  const purchases = page.getByRole("table", { name: "Purchases" });
  await purchases.getByRole("cell", { name: "paid" }).waitFor();
  await page.getByRole("table", { name: "Ledger" }).getByRole("cell", { name: "Purchase", exact: true }).waitFor();
  await shot(page, "credits-paid");

  // Creates a key with a name, a limit and a reset; copies it.
  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "API keys" }).click();
  await page.getByText("No keys yet. Create one above.").waitFor();
  await page.getByLabel("Name").fill("Journey key");
  await page.getByLabel("Spending limit (USD, optional)").fill("5");
  await page.getByLabel("Limit resets").selectOption("monthly");
  await page.getByRole("button", { name: "Create key" }).click();
  const shown = page.getByLabel("Your new key");
  await shown.waitFor();
  const key = await shown.inputValue();
  assert.match(key, /^sk-or-v1-/);
  await page.getByRole("button", { name: "Copy key" }).click();
  await page.getByText("Copied").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
  const keys = page.getByRole("table", { name: "API keys" });
  const row = keys.getByRole("row", { name: /Journey key/ });
  await row.getByRole("cell", { name: "$5.00 monthly" }).waitFor();
  await row.getByText("Active").waitFor();
  await shot(page, "keys");

  // That key calls the API (the emulator answers); the overview shows the call's cost.
  const reply = await fetch(`${BASE}/api/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "Hello from the journey" }] }),
  });
  assert.equal(reply.status, 200, await reply.clone().text());
  const completion = await reply.json();
  assert.ok(completion.choices[0].message.content.length > 0);
  const generation = completion.id;
  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Overview" }).click();
  const latest = page.getByRole("table", { name: "Latest requests" });
  // The usage writer is batched: reload until the request is in the ledger (bounded).
  for (let i = 0; i < 30 && !(await latest.isVisible()); i++) {
    await page.waitForTimeout(500);
    await visit(page, "/app");
  }
  const charge = latest.getByRole("row", { name: new RegExp(generation) });
  await charge.waitFor();
  assert.match(await charge.locator("td").nth(2).textContent(), /^\$0\.\d{6}$/);
  await shot(page, "overview");

  // The activity page shows the call with the cost of its generation record.
  const record = await fetch(`${BASE}/api/v1/generation?id=${generation}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  assert.equal(record.status, 200, await record.clone().text());
  const { data: recorded } = await record.json();
  assert.ok(recorded.total_cost > 0, "the call cost something");
  const cost = sixDecimals(recorded.total_cost);
  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Activity" }).click();
  await page.getByRole("heading", { name: "Activity", level: 1 }).waitFor();
  const generations = page.getByRole("table", { name: "Generations" });
  const call = generations.getByRole("row", { name: new RegExp(generation) });
  await call.waitFor();
  await call.getByRole("cell", { name: cost, exact: true }).waitFor();
  await call.getByRole("cell", { name: "openai/gpt-4o-mini", exact: true }).waitFor();
  await call.getByRole("cell", { name: "Journey key", exact: true }).waitFor();
  // The chart (SVG, named by its title) and the totals by model.
  await page.getByRole("img", { name: "Spend per day, last 7 days" }).waitFor();
  const byModel = page.getByRole("table", { name: "Spend by model" });
  await byModel.getByRole("row", { name: /openai\/gpt-4o-mini/ }).getByRole("cell", { name: cost, exact: true }).waitFor();
  // The generation's detail.
  await call.getByRole("button", { name: `Show generation ${generation}` }).click();
  const detail = page.getByRole("region", { name: "Generation details" });
  assert.equal(await detail.getByTestId("generation-cost").textContent(), cost);
  await detail.getByText(`${recorded.tokens_prompt} prompt + ${recorded.tokens_completion} completion`).waitFor();
  await detail.getByText(/^\d+ ms$/).first().waitFor();
  await shot(page, "activity");
  // Filters: no errored request; then this model's, exported as CSV.
  await page.getByLabel("Status").selectOption("error");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await page.getByText("No generations match.").waitFor();
  await page.getByLabel("Status").selectOption("");
  await page.getByLabel("Model", { exact: true }).fill("openai/gpt-4o-mini");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await call.waitFor();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Export CSV" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), "generations.csv");
  const csv = await readFile(await download.path(), "utf8");
  const lines = csv.trim().split("\n");
  assert.equal(lines.length, 2, csv);
  assert.ok(lines[1].includes(generation), csv);

  // The playground streams a reply, with its tokens, cost and latency.
  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Playground" }).click();
  await page.getByLabel("Model").selectOption("openai/gpt-4o-mini");
  await page.getByLabel("API key").fill(key);
  await page.getByLabel("Message").fill("Say hello to the playground");
  await page.getByRole("button", { name: "Send message" }).click();
  const conversation = page.getByRole("list", { name: "Conversation" });
  await conversation.getByText("Say hello to the playground", { exact: true }).waitFor();
  const stats = conversation.getByText(/prompt \+ \d+ completion tokens · \$0\.\d{6} · first token \d+ ms · total \d+ ms/);
  await stats.waitFor();
  const answer = await conversation.locator(".turn-assistant .turn-text").textContent();
  assert.ok(answer.length > 0);
  await shot(page, "playground");

  // The key is disabled, then deleted: the first click on Delete asks, the second deletes.
  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "API keys" }).click();
  const listed = page.getByRole("table", { name: "API keys" }).getByRole("row", { name: /Journey key/ });
  await listed.getByRole("button", { name: "Disable key Journey key" }).click();
  await listed.getByText("Disabled").waitFor();
  await listed.getByRole("button", { name: "Delete key Journey key" }).click();
  await listed.getByRole("button", { name: "Confirm deleting key Journey key" }).click();
  await page.getByText("No keys yet. Create one above.").waitFor();
  const refused = await fetch(`${BASE}/api/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "Still there?" }] }),
  });
  assert.equal(refused.status, 401, await refused.clone().text());
  assertNoErrors(page);
});

test("time to interactive of /app (navigation start to data-hydrated)", async () => {
  const page = await open(browser);
  await visit(page, "/signup");
  await page.getByLabel("Email").fill(email("tti"));
  await page.getByLabel("Password").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(`${BASE}/app`);
  const samples = [];
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (document.documentElement?.dataset.hydrated === "true") {
        window.__hydratedAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { attributes: true, subtree: true, attributeFilter: ["data-hydrated"] });
  });
  for (let i = 0; i < 5; i++) {
    await page.goto("/app");
    await hydrated(page);
    await page.getByTestId("balance").waitFor();
    samples.push(await page.evaluate(() => window.__hydratedAt));
  }
  samples.sort((a, b) => a - b);
  console.log(`/app time to interactive: median ${samples[2].toFixed(0)} ms (of ${samples.map((s) => s.toFixed(0)).join(", ")})`);
  assert.ok(samples.every((s) => s > 0));
  assertNoErrors(page);
});
