// The public pages as a visitor sees them: landing, the catalog with its filters, a model's
// page, the quickstart, sign-up validation, the 404 page. No page may log a console error.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, open, visit, shot, assertNoErrors, email } from "./browser.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("the landing page says what the platform does and leads to sign-up", async () => {
  const page = await open(browser);
  const response = await visit(page, "/");
  assert.equal(response.status(), 200);
  await page.getByRole("heading", { level: 1, name: /one OpenAI-compatible API for every model/ }).waitFor();
  await page.getByRole("tab", { name: "Python" }).click();
  await page.getByText(`base_url="${BASE}/api/v1"`).waitFor();
  await shot(page, "landing");
  await page.getByRole("link", { name: "Create an account" }).click();
  await page.waitForURL(`${BASE}/signup`);
  await page.getByRole("heading", { name: "Create your account" }).waitFor();
  assertNoErrors(page);
});

test("the catalog searches, filters and sorts, with prices per million tokens", async () => {
  const page = await open(browser);
  await visit(page, "/models");
  const table = page.getByRole("table", { name: "Models" });
  await table.waitFor();
  const count = page.getByTestId("model-count");
  const total = Number((await count.textContent()).match(/of (\d+) models/)[1]);
  assert.ok(total > 10, `the default catalog has many models (${total})`);
  // GPT-4o-mini costs $0.15 in and $0.60 out per million tokens in the default catalog.
  const row = table.getByRole("row", { name: /OpenAI: GPT-4o-mini/ });
  await assert.doesNotReject(row.getByRole("cell", { name: "$0.15" }).waitFor());
  await row.getByRole("cell", { name: "$0.60" }).waitFor();

  await page.getByLabel("Search").fill("claude");
  await page.getByText(/^\d+ of \d+ models$/).filter({ hasNotText: `${total} of ${total}` }).waitFor();
  const names = await table.locator("tbody tr td:first-child a").allTextContents();
  assert.ok(names.length > 0 && names.every((n) => /claude/i.test(n)), names.join(", "));

  await page.getByLabel("Search").fill("");
  await page.getByLabel("Author").selectOption("google");
  await page.getByLabel("Context length").selectOption("1000000");
  const ids = await table.locator("tbody tr td:first-child .mono").allTextContents();
  assert.ok(ids.length > 0 && ids.every((id) => id.startsWith("google/")), ids.join(", "));

  await page.getByLabel("Author").selectOption("");
  await page.getByLabel("Context length").selectOption("0");
  await page.getByLabel("Sort by").selectOption("price-high");
  const first = await table.locator("tbody tr").first().locator("td").nth(3).textContent();
  const last = await table.locator("tbody tr").last().locator("td").nth(3).textContent();
  const dollars = (text) => (text === "Free" ? 0 : Number(text.replace("$", "")));
  assert.ok(dollars(first) >= dollars(last), `${first} then ${last}`);

  await page.getByLabel("Search").fill("no such model anywhere");
  await page.getByText("No model matches these filters.").waitFor();
  await page.getByLabel("Search").fill("gpt-4o-mini");
  await shot(page, "models");
  await table.getByRole("link", { name: "OpenAI: GPT-4o-mini" }).click();
  await page.waitForURL(`${BASE}/models/openai/gpt-4o-mini`);
  await page.getByRole("table", { name: "Providers" }).getByRole("cell", { name: "OpenAI", exact: true }).waitFor();
  assertNoErrors(page);
});

test("a model's page lists its providers with prices and the health figures", async () => {
  const page = await open(browser);
  const response = await visit(page, "/models/anthropic/claude-sonnet-4.5");
  assert.equal(response.status(), 200);
  await page.getByRole("heading", { level: 2, name: /Claude Sonnet 4.5/ }).waitFor();
  const providers = page.getByRole("table", { name: "Providers" });
  await providers.waitFor();
  for (const header of ["Provider", "Input / M", "Output / M", "Latency (p50)", "Throughput (p50)", "Uptime (30 min)"]) {
    await providers.getByRole("columnheader", { name: header }).waitFor();
  }
  assert.ok((await providers.locator("tbody tr").count()) >= 1);
  await page.getByRole("tab", { name: "TypeScript" }).click();
  await page.getByText('model: "anthropic/claude-sonnet-4.5"').waitFor();
  await shot(page, "model");
  assertNoErrors(page);
});

test("the quickstart's samples use this server's base URL and copy", async () => {
  const page = await open(browser);
  await visit(page, "/docs");
  assert.equal(await page.getByTestId("base-url").textContent(), `${BASE}/api/v1`);
  for (const [tab, needle] of [["curl", `curl ${BASE}/api/v1/chat/completions`], ["Python", "from openai import OpenAI"], ["TypeScript", 'import OpenAI from "openai"']]) {
    await page.getByRole("tab", { name: tab }).click();
    await page.getByText(needle).waitFor();
  }
  await page.getByRole("button", { name: "Copy code" }).click();
  await page.getByText("Copied").waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.ok(copied.includes(`baseURL: "${BASE}/api/v1"`), copied);
  await shot(page, "docs");
  assertNoErrors(page);
});

test("sign-up and login say clearly what is wrong", async () => {
  const page = await open(browser);
  await visit(page, "/signup");
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByText("Enter an email address like ada@example.com.").waitFor();
  await page.getByText("Use at least 10 characters.").waitFor();
  assert.equal(await page.getByLabel("Email").getAttribute("aria-invalid"), "true");
  await shot(page, "signup-errors");

  await visit(page, "/login");
  await page.getByLabel("Email").fill(email("nobody"));
  await page.getByLabel("Password").fill("wrong password here");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("alert").filter({ hasText: /invalid email or password/i }).waitFor();
  // The API's 401 is logged by Chromium as a failed resource load; that is the answer, not a bug.
  page.errors = page.errors.filter((e) => !/401 \(Unauthorized\)/.test(e));
  assertNoErrors(page);
});

test("an unknown address shows the 404 page", async () => {
  const page = await open(browser);
  const response = await visit(page, "/no/such/page");
  assert.equal(response.status(), 404);
  await page.getByRole("heading", { name: "Page not found" }).waitFor();
  page.errors = page.errors.filter((e) => !/404 \(Not Found\)/.test(e));
  assertNoErrors(page);
});

test("the dashboard sends a visitor without a session to the login page", async () => {
  const page = await open(browser);
  await page.goto("/app/keys");
  await page.waitForURL(`${BASE}/login?next=/app/keys`);
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  page.errors = page.errors.filter((e) => !/401 \(Unauthorized\)/.test(e));
  assertNoErrors(page);
});
