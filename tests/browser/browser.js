// What every browser test shares: Chromium with the flags that work here, pages that record
// console errors (a test fails on any), hydration waits, screenshots, and the server's URL.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import path from "node:path";

export const BASE = process.env.SB_BASE_URL;
const SCREENSHOTS = process.env.SCREENSHOT_DIR;
assert.ok(BASE, "SB_BASE_URL is set by run.sh");

const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/** A fresh browser (its own profile). */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || "/usr/bin/chromium",
    args: FLAGS,
    headless: true,
  });
}

/**
 * A new context and page (laptop size unless `viewport` says otherwise) that collects every
 * console error and uncaught exception into `page.errors`.
 */
export async function open(browser, { viewport = { width: 1280, height: 860 } } = {}) {
  const context = await browser.newContext({ viewport, baseURL: BASE });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  const page = await context.newPage();
  page.errors = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") page.errors.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on("pageerror", (err) => page.errors.push(`exception: ${err.message}`));
  return page;
}

/** Fails when the page logged a console error or threw. */
export function assertNoErrors(page) {
  assert.deepEqual(page.errors, [], "the page logged errors");
}

/** Waits until the app has hydrated (the marker `hydrate()` sets on <html>). */
export async function hydrated(page) {
  await page.locator('html[data-hydrated="true"]').waitFor({ state: "attached", timeout: 30000 });
}

/** Goes to `url` and waits for hydration. */
export async function visit(page, url) {
  const response = await page.goto(url);
  await hydrated(page);
  return response;
}

/** Saves a full-page PNG as `<name>.png` in the screenshot folder. */
export async function shot(page, name) {
  if (!SCREENSHOTS) return;
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Saves one part of the page (a section, a form) as `<name>.png` in the screenshot folder. */
export async function shotOf(locator, name) {
  if (!SCREENSHOTS) return;
  await locator.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

/** A unique email address for this run. */
export function email(prefix) {
  return `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@browser.test`;
}
