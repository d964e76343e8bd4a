// A member of a shared organization switches to it in the dashboard and sees its keys, not
// their personal ones; a plain member sees the settings with their controls disabled. The organization, its key and the invitation are made through the API
// by its owner; the member signs up in the browser (pending invitations are accepted then).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, open, visit, hydrated, shot, assertNoErrors, email } from "./browser.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function api(method, path, { token, org, body } = {}) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (org) headers["x-organization-id"] = org;
  const reply = await fetch(`${BASE}/api/v1${path}`, { method, headers, body: body && JSON.stringify(body) });
  const text = await reply.text();
  assert.ok(reply.ok, `${method} ${path}: ${reply.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

test("a member switches to a shared organization and sees its keys, not their own", async () => {
  const owner = await api("POST", "/auth/signup", {
    body: { email: email("owner"), password: "correct horse battery staple" },
  });
  const team = await api("POST", "/organizations", { token: owner.token, body: { name: "Shared Team" } });
  const teamId = team.data?.id ?? team.id;
  assert.ok(teamId, JSON.stringify(team));
  await api("POST", "/keys", { token: owner.token, org: teamId, body: { name: "Team deploy key" } });
  const memberEmail = email("member");
  await api("POST", `/organizations/${teamId}/invites`, {
    token: owner.token,
    body: { email: memberEmail, role: "admin" },
  });

  const page = await open(browser);
  await visit(page, "/signup");
  await page.getByLabel("Email").fill(memberEmail);
  await page.getByLabel("Password").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(`${BASE}/app`);
  await hydrated(page);

  // A personal key first.
  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "API keys" }).click();
  await page.getByLabel("Name").fill("My personal key");
  await page.getByRole("button", { name: "Create key" }).click();
  const keys = page.getByRole("table", { name: "API keys" });
  await keys.getByRole("cell", { name: "My personal key", exact: true }).waitFor();

  // The switcher lists both organizations; switching shows the team's keys only.
  const switcher = page.getByLabel("Organization");
  const options = await switcher.locator("option").allTextContents();
  assert.ok(options.includes("Shared Team"), options.join(", "));
  assert.ok(options.some((o) => o.endsWith("(personal)")), options.join(", "));
  await switcher.selectOption({ label: "Shared Team" });
  await keys.getByRole("cell", { name: "Team deploy key", exact: true }).waitFor();
  assert.equal(await keys.getByRole("cell", { name: "My personal key", exact: true }).count(), 0);
  await shot(page, "organization-switcher");

  // The choice is remembered across pages and reloads.
  await visit(page, "/app/keys");
  await keys.getByRole("cell", { name: "Team deploy key", exact: true }).waitFor();
  assert.equal(await page.getByLabel("Organization").inputValue(), teamId);
  await page.getByLabel("Organization").selectOption({ label: /\(personal\)$/.test(options[0]) ? options[0] : options[1] });
  await keys.getByRole("cell", { name: "My personal key", exact: true }).waitFor();
  assert.equal(await keys.getByRole("cell", { name: "Team deploy key", exact: true }).count(), 0);
  assertNoErrors(page);
});

test("a plain member sees the organization's settings and auto top-up, with the controls disabled", async () => {
  const owner = await api("POST", "/auth/signup", {
    body: { email: email("owner"), password: "correct horse battery staple" },
  });
  const team = await api("POST", "/organizations", { token: owner.token, body: { name: "Read-only Team" } });
  const teamId = team.data?.id ?? team.id;
  const memberEmail = email("plain-member");
  await api("POST", `/organizations/${teamId}/invites`, {
    token: owner.token,
    body: { email: memberEmail, role: "member" },
  });

  const page = await open(browser);
  await visit(page, "/signup");
  await page.getByLabel("Email").fill(memberEmail);
  await page.getByLabel("Password").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(`${BASE}/app`);
  await hydrated(page);
  await page.getByLabel("Organization").selectOption({ label: "Read-only Team" });

  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Settings" }).click();
  await page.getByText("You are a member of this organization: only owners and admins can change its settings.").waitFor();
  for (const button of ["Save name", "Send invitation", "Save budgets", "Save alert settings", "Save routing defaults"]) {
    assert.ok(await page.getByRole("button", { name: button }).isDisabled(), `${button} is disabled`);
  }
  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Credits" }).click();
  const topup = page.getByRole("region", { name: "Auto top-up" });
  await topup.getByTestId("auto-topup-state").waitFor();
  assert.ok(await topup.getByRole("button", { name: "Save auto top-up" }).isDisabled());
  assertNoErrors(page);
});
