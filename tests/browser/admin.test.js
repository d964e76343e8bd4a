// A platform admin logs in, finds a tenant's organization by the tenant's email, grants it
// credit with a reason, suspends it (the tenant's key then gets 403), and finds both actions
// in the audit log.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, open, visit, hydrated, shot, assertNoErrors, email } from "./browser.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function api(method, path, { token, body } = {}) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(`${BASE}/api/v1${path}`, { method, headers, body: body && JSON.stringify(body) });
}

async function chat(key) {
  const reply = await api("POST", "/chat/completions", {
    token: key,
    body: { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "Hi" }] },
  });
  await reply.text();
  return reply.status;
}

test("admin: find by email → grant with a reason → suspend → key refused → audit log", async () => {
  // The tenant, with a key and no credit yet.
  const tenantEmail = email("tenant");
  const signup = await api("POST", "/auth/signup", { body: { email: tenantEmail, password: "correct horse battery staple" } });
  assert.equal(signup.status, 201);
  const tenant = await signup.json();
  const created = await api("POST", "/keys", { token: tenant.token, body: { name: "Tenant key" } });
  assert.equal(created.status, 201);
  const key = (await created.json()).key;
  assert.equal(await chat(key), 402, "no credit yet");

  const page = await open(browser);
  await visit(page, "/login?next=/admin");
  await page.getByLabel("Email").fill(process.env.SB_ADMIN_EMAIL);
  await page.getByLabel("Password").fill(process.env.SB_ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${BASE}/admin`);
  await hydrated(page);

  await page.getByLabel("Name, member email or id").fill(tenantEmail);
  await page.getByRole("button", { name: "Find organizations" }).click();
  const card = page.getByRole("region", { name: `Organization Personal · ${tenantEmail}` });
  await card.waitFor();
  await card.getByText("$0.00").first().waitFor();

  await card.getByLabel("Credit to grant (USD)").fill("5");
  await card.getByLabel("Reason for the change").fill("Welcome credit for the browser test");
  await card.getByRole("button", { name: "Grant credit" }).click();
  await page.getByRole("status").filter({ hasText: `Granted; the balance of Personal · ${tenantEmail} is now $5.00.` }).waitFor();
  assert.equal(await chat(key), 200, "the grant funds the key");

  await card.getByLabel("Reason for suspending").fill("Unpaid invoice");
  await card.getByRole("button", { name: "Suspend organization" }).click();
  await card.getByText("Suspended: Unpaid invoice").waitFor();
  await shot(page, "admin-organization");
  // Suspension reaches the key within a second on every replica.
  let status = 0;
  for (let i = 0; i < 20 && status !== 403; i++) {
    status = await chat(key);
    if (status !== 403) await new Promise((r) => setTimeout(r, 250));
  }
  assert.equal(status, 403, "a suspended organization's key is refused");

  await page.getByRole("navigation", { name: "Administration" }).getByRole("link", { name: "Audit log" }).click();
  const audit = page.getByRole("table", { name: "Audit log" });
  await audit.waitFor();
  const orgId = tenant.user.personal_organization_id;
  const rows = audit.getByRole("row").filter({ hasText: orgId });
  const actions = await rows.locator("td:nth-child(3)").allTextContents();
  assert.ok(actions.some((a) => /grant|credit/i.test(a)), actions.join(", "));
  assert.ok(actions.some((a) => /suspend/i.test(a)), actions.join(", "));
  await rows.filter({ hasText: "Welcome credit for the browser test" }).first().waitFor();
  await shot(page, "admin-audit");
  assertNoErrors(page);
});
