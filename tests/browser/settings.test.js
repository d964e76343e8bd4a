// The organization's settings: in their personal organization a user cannot invite anyone
// (said, and the button is disabled); in a team organization (made through the API) its owner
// invites a member (listed as pending, then revoked), sets a monthly budget (saved and shown
// again after a reload), and renames it (the switcher shows the new name).
// Then, in a funded team organization: prompt logging turned on with consent (who and when
// shown), a request's contents stored and deleted with a confirmation; an alert webhook saved
// (the signing secret shown once with a copy button, rotated), a test event sent and the
// events listed a page at a time; provider routing defaults saved and read back.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, open, visit, hydrated, shot, shotOf, assertNoErrors, email } from "./browser.js";

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

test("invite and revoke, a monthly budget, rename the organization", async () => {
  const address = email("settings");
  const password = "correct horse battery staple";
  const owner = await api("POST", "/auth/signup", { body: { email: address, password } });
  await api("POST", "/organizations", { token: owner.token, body: { name: "Settings Team" } });

  const page = await open(browser);
  await visit(page, "/login");
  await page.getByLabel("Email").fill(address);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${BASE}/app`);
  await hydrated(page);
  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Settings" }).click();
  await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor();
  await page.getByText("A personal organization has no other members.").waitFor();
  assert.ok(await page.getByRole("button", { name: "Send invitation" }).isDisabled());
  await page.getByRole("combobox", { name: "Organization", exact: true }).selectOption({ label: "Settings Team" });
  await page.getByText("A personal organization has no other members.").waitFor({ state: "hidden" });

  // Members: the owner, labelled by their address.
  const members = page.getByRole("table", { name: "Members" });
  assert.equal(await members.getByLabel(address).inputValue(), "owner");

  // An invitation, pending, then revoked.
  const invited = email("invited");
  await page.getByLabel("Email to invite").fill(invited);
  await page.getByLabel("Their role").selectOption("admin");
  await page.getByRole("button", { name: "Send invitation" }).click();
  const pending = page.getByRole("table", { name: "Pending invitations" });
  await pending.getByRole("cell", { name: invited, exact: true }).waitFor();
  await pending.getByRole("cell", { name: "admin", exact: true }).waitFor();
  await shot(page, "settings");
  await pending.getByRole("button", { name: `Revoke invitation for ${invited}` }).click();
  await page.getByText("No pending invitations.").waitFor();

  // A monthly budget, saved and read back.
  await page.getByLabel("Monthly budget (USD)").fill("25");
  await page.getByRole("button", { name: "Save budgets" }).click();
  await page.getByText("Budgets saved.").waitFor();
  await visit(page, "/app/settings");
  await page.waitForFunction(() => document.getElementById("budget-monthly")?.value === "25.00");

  // Rename.
  const name = page.getByLabel("Organization name");
  await page.waitForFunction(() => document.getElementById("org-name")?.value !== "");
  await name.fill("Renamed Org");
  await page.getByRole("button", { name: "Save name" }).click();
  await page.getByText("Saved.", { exact: true }).waitFor();
  await page.getByRole("combobox", { name: "Organization", exact: true }).locator("option", { hasText: "Renamed Org" }).waitFor({ state: "attached" });
  assertNoErrors(page);
});

/** Logs `address` in through the page and opens the settings of the organization `team`. */
async function settingsOf(page, address, password, team) {
  await visit(page, "/login?next=/app/settings");
  await page.getByLabel("Email").fill(address);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${BASE}/app/settings`);
  await hydrated(page);
  await page.getByRole("combobox", { name: "Organization", exact: true }).selectOption({ label: team });
}

test("prompt logging with consent, an alert webhook and its events, routing defaults", async () => {
  const address = email("privacy");
  const password = "correct horse battery staple";
  const owner = await api("POST", "/auth/signup", { body: { email: address, password } });
  const team = await api("POST", "/organizations", { token: owner.token, body: { name: "Privacy Team" } });
  const admin = await api("POST", "/auth/login", {
    body: { email: process.env.SB_ADMIN_EMAIL, password: process.env.SB_ADMIN_PASSWORD },
  });
  await api("POST", `/admin/organizations/${team.id}/credits`, {
    token: admin.token, body: { amount: 5, reason: "browser test" },
  });
  const { key } = await api("POST", "/keys", { token: owner.token, org: team.id, body: { name: "privacy" } });

  const page = await open(browser);
  await settingsOf(page, address, password, "Privacy Team");

  // Prompt logging: off; turning it on needs the consent box.
  const privacy = page.getByRole("region", { name: "Prompt logging" });
  await privacy.getByText("Prompts and completions are not stored.").waitFor();
  const start = privacy.getByRole("button", { name: "Start storing prompts and completions" });
  assert.ok(await start.isDisabled(), "no consent yet");
  await privacy.getByLabel("I consent to storing this organization's prompts and completions").check();
  await start.click();
  await privacy.getByText("Prompts and completions are stored.").waitFor();
  await privacy.getByText(new RegExp(`Last changed by ${address.replace(/[.+]/g, "\\$&")} on \\d{4}-\\d{2}-\\d{2}`)).waitFor();

  // A request's contents are stored, then deleted after a confirmation.
  const chat = await fetch(`${BASE}/api/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "keep me" }] }),
  });
  assert.equal(chat.status, 200, await chat.text());
  await privacy.getByRole("button", { name: "Delete all stored prompts and completions" }).click();
  await privacy.getByRole("alert").filter({ hasText: "This deletes every stored prompt and completion" }).waitFor();
  await privacy.getByRole("button", { name: "Yes, delete all stored prompts and completions" }).click();
  await privacy.getByText("Deleted the stored contents of 1 request.").waitFor();
  await shotOf(privacy, "settings-privacy");

  // Alerts: a webhook with a low-balance threshold and key alerts; the secret shown once.
  const alerts = page.getByRole("region", { name: "Alerts" });
  await alerts.getByText("No alert has been sent yet.").waitFor();
  assert.ok(await alerts.getByRole("button", { name: "Send test event" }).isDisabled(), "no webhook yet");
  // A URL that is not http(s) is refused with the server's reason.
  await alerts.getByLabel("Webhook URL").fill("ftp://hooks.example.com/switchboard");
  await alerts.getByRole("button", { name: "Save alert settings" }).click();
  await alerts.getByRole("alert").filter({ hasText: "webhook_url" }).waitFor();
  // The browser logs the expected 400 answer itself; nothing else may be logged.
  page.errors = page.errors.filter((e) => !/400 \(Bad Request\)/.test(e));
  // This server itself (run.sh allows private addresses): deliveries get its 404 and are
  // retried, nothing leaves the machine.
  await alerts.getByLabel("Webhook URL").fill(`${BASE}/alert-hook-for-tests`);
  await alerts.getByLabel("Low-balance threshold (USD)").fill("2.50");
  await alerts.getByLabel("Alert when a key reaches 80 % and 100 % of its spending limit").check();
  await alerts.getByRole("button", { name: "Save alert settings" }).click();
  await alerts.getByText("Alert settings saved.").waitFor();
  const secretField = alerts.getByLabel("Signing secret");
  const secret = await secretField.inputValue();
  assert.match(secret, /^whsec_/);
  await alerts.getByRole("button", { name: "Copy signing secret" }).click();
  await alerts.getByText("Copied").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
  await alerts.getByRole("button", { name: "Rotate signing secret" }).click();
  await page.waitForFunction((old) => {
    const v = document.getElementById("alert-secret")?.value;
    return v && v !== old;
  }, secret);
  assert.match(await secretField.inputValue(), /^whsec_/);

  // Eleven events: ten sent through the API, one from the page; ten per page.
  for (let i = 0; i < 10; i++) {
    await api("POST", "/alerts/test", { token: owner.token, org: team.id, body: {} });
  }
  await alerts.getByRole("button", { name: "Send test event" }).click();
  await alerts.getByText("Test event queued: it is listed below.").waitFor();
  const events = alerts.getByRole("table", { name: "Alert events" });
  await events.waitFor();
  await page.waitForFunction(() =>
    document.querySelectorAll('table[aria-label="Alert events"] tbody tr').length === 10);
  await events.getByRole("cell", { name: "Test event" }).first().waitFor();
  await alerts.getByRole("button", { name: "Older events" }).click();
  await page.waitForFunction(() =>
    document.querySelectorAll('table[aria-label="Alert events"] tbody tr').length === 1);
  await alerts.getByRole("button", { name: "Newest events" }).click();
  await page.waitForFunction(() =>
    document.querySelectorAll('table[aria-label="Alert events"] tbody tr').length === 10);
  await shotOf(alerts, "settings-alerts");

  // Routing defaults, saved and read back after a reload; the secret is not shown again.
  const routing = page.getByRole("region", { name: "Provider routing" });
  await routing.getByLabel("Only use these providers").fill("openai, groq");
  await routing.getByLabel("Never use these providers").fill("mistral");
  await routing.getByLabel("Data policy").selectOption("deny");
  await routing.getByLabel("Order providers by").selectOption("price");
  await routing.getByRole("button", { name: "Save routing defaults" }).click();
  await routing.getByText("Routing defaults saved.").waitFor();
  const stored = await api("GET", `/organizations/${team.id}/routing`, { token: owner.token });
  assert.deepEqual(stored.preferences, {
    only: ["openai", "groq"], ignore: ["mistral"], data_collection: "deny", sort: "price",
  });

  await page.reload();
  await hydrated(page);
  await page.waitForFunction(() => document.getElementById("routing-only")?.value === "openai, groq");
  assert.equal(await page.getByLabel("Data policy").inputValue(), "deny");
  await page.waitForFunction(() => document.getElementById("alert-threshold")?.value === "2.50");
  assert.ok(await page.getByLabel("Alert when a key reaches 80 % and 100 % of its spending limit").isChecked());
  assert.equal(await page.getByLabel("Signing secret").count(), 0, "the secret is shown only once");
  await shotOf(page.getByRole("region", { name: "Provider routing" }), "settings-routing");
  assertNoErrors(page);
});
