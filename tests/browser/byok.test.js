// Bring your own key: a signed-in user (whose header now shows their account, not "Log in")
// adds a provider key, sees it listed by its last four characters (never the key), marks it
// "always use", and removes it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { BASE, launch, open, visit, hydrated, shot, assertNoErrors, email } from "./browser.js";

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

test("add a provider key, see it by its last four, set always use, remove it", async () => {
  const page = await open(browser);
  await visit(page, "/signup");
  const address = email("byok");
  await page.getByLabel("Email").fill(address);
  await page.getByLabel("Password").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(`${BASE}/app`);
  await hydrated(page);

  // Signed in, the header offers the account, not "Log in" / "Sign up".
  const site = page.getByRole("navigation", { name: "Site" });
  await site.getByText(address).waitFor();
  assert.equal(await site.getByRole("link", { name: "Log in" }).count(), 0);
  assert.equal(await site.getByRole("link", { name: "Sign up" }).count(), 0);

  await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Provider keys" }).click();
  await page.getByText("No provider keys yet.").waitFor();
  await page.getByLabel("Provider", { exact: true }).selectOption("openai");
  const secret = "sk-proj-browser-test-key-7f3a";
  const input = page.getByLabel("Provider key", { exact: true });
  assert.equal(await input.getAttribute("type"), "password", "the key is masked while typed");
  await input.fill(secret);
  await page.getByLabel("Name (optional)").fill("Our OpenAI account");
  await page.getByRole("button", { name: "Add provider key" }).click();

  const table = page.getByRole("table", { name: "Provider keys" });
  const row = table.getByRole("row", { name: /Our OpenAI account/ });
  await row.getByRole("cell", { name: "...7f3a", exact: true }).waitFor();
  assert.equal(await input.inputValue(), "", "the form is cleared");
  assert.ok(!(await page.content()).includes(secret), "the key is never shown again");
  await row.getByText("Used first").waitFor();

  // "Always use" is saved (the list is read again from the API).
  await row.getByLabel("Always use").check();
  await row.getByText("Always used").waitFor();
  assert.ok(await row.getByLabel("Always use").isChecked());
  await shot(page, "byok");

  await row.getByRole("button", { name: "Remove openai key 7f3a" }).click();
  await row.getByRole("button", { name: "Confirm removing openai key 7f3a" }).click();
  await page.getByText("No provider keys yet.").waitFor();
  assertNoErrors(page);
});
