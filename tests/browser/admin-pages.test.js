// The platform admins' other pages: users (search, paging, a link to their organization), an
// organization's own page (members, keys, grant and adjust credit with a reason, the ledger,
// budgets, suspend and reactivate), platform analytics (a request shows up by provider, drawn
// as a chart) and the catalog editor (the server's reason for an invalid entry, a model added,
// listed and removed).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, open, visit, hydrated, shot, assertNoErrors, email } from "./browser.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function api(method, path, { token, body, org } = {}) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (org) headers["x-organization-id"] = org;
  const reply = await fetch(`${BASE}/api/v1${path}`, { method, headers, body: body && JSON.stringify(body) });
  const text = await reply.text();
  assert.ok(reply.ok, `${method} ${path}: ${reply.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function asAdmin(page, next) {
  await visit(page, `/login?next=${next}`);
  await page.getByLabel("Email").fill(process.env.SB_ADMIN_EMAIL);
  await page.getByLabel("Password").fill(process.env.SB_ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${BASE}${next}`);
  await hydrated(page);
}

const nav = (page) => page.getByRole("navigation", { name: "Administration" });

test("admin: users → an organization's page → analytics → catalog editor", async () => {
  const address = email("orgpage");
  const owner = await api("POST", "/auth/signup", { body: { email: address, password: "correct horse battery staple" } });
  const teamName = `Org Page ${Date.now()}`;
  const team = await api("POST", "/organizations", { token: owner.token, body: { name: teamName } });
  const { key } = await api("POST", "/keys", { token: owner.token, org: team.id, body: { name: "Team key", limit: 3 } });

  const page = await open(browser);
  await asAdmin(page, "/admin");

  // Users: found by email, linked to their personal organization.
  await nav(page).getByRole("link", { name: "Users" }).click();
  await page.getByRole("heading", { name: "Users", level: 1 }).waitFor();
  await page.getByText(/Page 1 of \d+ · \d+ users/).waitFor();
  await page.getByLabel("Email, name or id").fill(address);
  await page.getByRole("button", { name: "Find users" }).click();
  const users = page.getByRole("table", { name: "Users" });
  await users.getByRole("rowheader", { name: address }).waitFor();
  await page.getByText("Page 1 of 1 · 1 users").waitFor();
  await shot(page, "admin-users");
  await page.getByLabel("Email, name or id").fill("nobody-matches-this");
  await page.getByRole("button", { name: "Find users" }).click();
  await page.getByText("No user matches.").waitFor();
  // Twenty-one users matching one search: two pages of twenty.
  const stamp = `paged-${Date.now()}`;
  await Promise.all(Array.from({ length: 21 }, (_, i) =>
    api("POST", "/auth/signup", { body: { email: `${stamp}-${i}@browser.test`, password: "correct horse battery staple" } })));
  await page.getByLabel("Email, name or id").fill(stamp);
  await page.getByRole("button", { name: "Find users" }).click();
  await page.getByText("Page 1 of 2 · 21 users").waitFor();
  assert.equal(await users.getByRole("rowheader").count(), 20);
  await page.getByRole("button", { name: "Next page" }).click();
  await page.getByText("Page 2 of 2 · 21 users").waitFor();
  assert.equal(await users.getByRole("rowheader").count(), 1);
  await page.getByRole("button", { name: "Previous page" }).click();
  await page.getByText("Page 1 of 2 · 21 users").waitFor();

  // A user's address opens their personal organization's page.
  await page.getByLabel("Email, name or id").fill(address);
  await page.getByRole("button", { name: "Find users" }).click();
  await users.getByRole("link", { name: address }).click();
  await page.getByRole("heading", { name: `Personal · ${address}`, level: 1 }).waitFor();

  // The team's own page, from the organizations list.
  await nav(page).getByRole("link", { name: "Organizations" }).click();
  await page.getByLabel("Name, member email or id").fill(teamName);
  await page.getByRole("button", { name: "Find organizations" }).click();
  await page.getByRole("link", { name: teamName }).click();
  await page.getByRole("heading", { name: teamName, level: 1 }).waitFor();
  await page.getByRole("table", { name: "Members" }).getByRole("rowheader", { name: address }).waitFor();
  const keys = page.getByRole("table", { name: "API keys" });
  const keyRow = keys.getByRole("row", { name: /Team key/ });
  await keyRow.getByRole("cell", { name: "$3.00" }).waitFor();
  await page.getByText("No ledger entries yet.").waitFor();

  // Grant, then adjust, each with its reason, shown in the ledger.
  await page.getByLabel("Credit to grant (USD)").fill("10");
  await page.getByLabel("Reason for the change").fill("Pilot credit");
  await page.getByRole("button", { name: "Grant credit" }).click();
  await page.getByRole("status").filter({ hasText: `Granted; the balance of ${teamName} is now $10.00.` }).waitFor();
  await page.getByLabel("Change", { exact: true }).selectOption("adjustment");
  await page.getByLabel("Adjustment (USD, negative takes away)").fill("-2.5");
  await page.getByLabel("Reason for the change").fill("Refunded overcharge");
  await page.getByRole("button", { name: "Adjust balance" }).click();
  await page.getByRole("status").filter({ hasText: `Adjusted; the balance of ${teamName} is now $7.50.` }).waitFor();
  // The reloaded form starts again at "grant", its select included.
  await page.getByLabel("Credit to grant (USD)").waitFor();
  assert.equal(await page.getByLabel("Change", { exact: true }).inputValue(), "grant");
  const ledger = page.getByRole("table", { name: "Ledger" });
  await ledger.getByRole("row", { name: /Refunded overcharge/ }).getByRole("cell", { name: "-$2.50" }).waitFor();
  await ledger.getByRole("row", { name: /Pilot credit/ }).getByRole("cell", { name: "$10.00" }).waitFor();

  // A budget, saved and shown again.
  await page.getByLabel("Monthly budget (USD)").fill("40");
  await page.getByRole("button", { name: "Save budgets" }).click();
  await page.getByText("Budgets saved.").waitFor();
  await page.waitForFunction(() => document.getElementById("admin-budget-monthly")?.value === "40.00");

  // Suspend and reactivate.
  await page.getByLabel("Reason for suspending").fill("Card declined");
  await page.getByRole("button", { name: "Suspend organization" }).click();
  await page.getByText("Suspended: Card declined").waitFor();
  await shot(page, "admin-organization-page");
  await page.getByRole("button", { name: "Reactivate organization" }).click();
  await page.getByRole("definition").filter({ hasText: /^Active$/ }).waitFor();

  // A request on the platform shows in the analytics by provider.
  const chat = await fetch(`${BASE}/api/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] }),
  });
  assert.equal(chat.status, 200, await chat.text());
  await nav(page).getByRole("link", { name: "Analytics" }).click();
  await page.getByRole("heading", { name: "Platform analytics", level: 1 }).waitFor();
  const providers = page.getByRole("table", { name: "Providers" });
  for (let i = 0; i < 40 && !(await providers.count()); i++) {
    await new Promise((r) => setTimeout(r, 250));
    await page.getByRole("button", { name: "Show range" }).click();
  }
  await providers.getByRole("rowheader").first().waitFor();
  await page.getByRole("img", { name: "Spend by provider" }).waitFor();
  await page.getByRole("table", { name: "Top organizations" }).getByRole("link", { name: team.id }).waitFor();
  const revenue = await page.getByRole("definition").nth(1).textContent();
  assert.match(revenue, /^\$\d+\.\d\d$/);
  assert.match(await page.getByRole("definition").nth(4).textContent(), /^\d+\.\d %$/, "the error rate is a percentage");
  assert.match(await providers.getByRole("cell").nth(3).textContent(), /^\d+\.\d %$/);
  await shot(page, "admin-analytics");

  // The catalog editor: the server's reason for an invalid entry, then a model added and removed.
  await nav(page).getByRole("link", { name: "Catalog" }).click();
  await page.getByRole("heading", { name: "Model catalog", level: 1 }).waitFor();
  const id = `acme/browser-${Date.now()}`;
  const model = (provider) => JSON.stringify({
    id, name: "Acme: Browser Model", created: 1760000000, description: "Added in the browser test",
    context_length: 32000, supported_parameters: ["max_tokens"],
    endpoints: [{ provider, upstream_model: "gpt-4o-mini", pricing: { prompt: "1", completion: "2" } }],
  }, null, 2);
  await page.getByLabel("Entry kind").selectOption("model");
  await page.getByLabel("Entry (JSON)").fill("{ not json");
  await page.getByRole("button", { name: "Save catalog entry" }).click();
  await page.getByRole("alert").filter({ hasText: "not valid JSON" }).waitFor();
  await page.getByLabel("Entry (JSON)").fill(model("nobody"));
  await page.getByRole("button", { name: "Save catalog entry" }).click();
  await page.getByRole("alert").filter({ hasText: "nobody" }).waitFor();
  page.errors = page.errors.filter((e) => !/400 \(Bad Request\)/.test(e));
  await page.getByLabel("Entry (JSON)").fill(model("openai"));
  await page.getByRole("button", { name: "Save catalog entry" }).click();
  await page.getByRole("status").filter({ hasText: `Saved model:${id}` }).waitFor();
  const overrides = page.getByRole("table", { name: "Catalog overrides" });
  await overrides.getByRole("rowheader", { name: `model:${id}` }).waitFor();
  await shot(page, "admin-catalog");
  const listed = await fetch(`${BASE}/api/v1/models`).then((r) => r.json());
  assert.ok(listed.data.some((m) => m.id === id), "the new model is served at once");
  await overrides.getByRole("button", { name: `Edit model:${id}` }).click();
  assert.match(await page.getByLabel("Entry (JSON)").inputValue(), /Added in the browser test/);
  await overrides.getByRole("button", { name: `Remove model:${id}` }).click();
  await page.getByRole("status").filter({ hasText: `Removed model:${id}` }).waitFor();
  await overrides.getByRole("rowheader", { name: `model:${id}` }).waitFor({ state: "detached" });
  assertNoErrors(page);
});
