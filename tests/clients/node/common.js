// Shared setup for the Node client tests: the server under test (SB_BASE_URL) and fresh
// accounts with their keys, created through the HTTP API.
import { randomBytes } from "node:crypto";

export const SERVER = process.env.SB_BASE_URL ?? assertUnreachable("SB_BASE_URL is not set (run tests/clients/run.sh)");
export const BASE_URL = `${SERVER}/api/v1`;
export const MODELS = ["openai/gpt-4o-mini", "anthropic/claude-haiku-4.5", "google/gemini-2.5-flash"];

// The emulator answers a tool call with schema-valid arguments for the first (or forced) tool.
export const WEATHER_PARAMETERS = {
  type: "object",
  properties: { city: { type: "string" }, unit: { type: "string", enum: ["c", "f"] } },
  required: ["city"],
};

function assertUnreachable(message) {
  throw new Error(message);
}

async function post(path, body, token) {
  const response = await fetch(SERVER + path, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

async function fund(org) {
  // New organizations start at $0: the platform admin grants the test account credit.
  const admin = await post("/api/v1/auth/login", {
    email: process.env.SB_ADMIN_EMAIL,
    password: process.env.SB_ADMIN_PASSWORD,
  });
  await post(`/api/v1/admin/organizations/${org}/credits`, { amount: 50, reason: "client tests" }, admin.token);
}

/**
 * A new account of its own (no other test spends from it) whose organization holds exactly the
 * admin's $50 grant: `{ token, org, managementKey, apiKey }`.
 */
export async function freshAccount(name) {
  const email = `${name}-${randomBytes(4).toString("hex")}@example.com`;
  const session = await post("/api/v1/auth/signup", { email, password: "correct horse battery staple" });
  const org = session.user.personal_organization_id;
  await fund(org);
  const management = await post("/api/v1/management-keys", { name: `${name} management` }, session.token);
  const inference = await post("/api/v1/keys", { name: `${name} inference` }, session.token);
  return { token: session.token, org, managementKey: management.key, apiKey: inference.key };
}

/** One paid completion through the HTTP API with `key`; returns its `usage.cost` (USD). */
export async function spend(key) {
  const body = { model: "openai/gpt-4o-mini", messages: [{ role: "user", content: "Spend" }], max_tokens: 20 };
  return (await post("/api/v1/chat/completions", body, key)).usage.cost;
}

let keyPromise;
/** An inference key (`sk-or-v1-…`) of a newly signed-up account; one per process. */
export function apiKey() {
  keyPromise ??= (async () => {
    const email = `node-sdk-${randomBytes(4).toString("hex")}@example.com`;
    const session = await post("/api/v1/auth/signup", { email, password: "correct horse battery staple" });
    const created = await post("/api/v1/keys", { name: "node sdk" }, session.token);
    await fund(session.user.personal_organization_id);
    return created.key;
  })();
  return keyPromise;
}

/** Explains an SDK error as precisely as it can (zod issues, raw body) for assertion messages. */
export function describeError(error) {
  const parts = [String(error?.stack ?? error)];
  if (typeof error?.pretty === "function") parts.push(error.pretty());
  if (error?.cause) parts.push(`cause: ${error.cause?.stack ?? error.cause}`);
  if (error?.body) parts.push(`body: ${String(error.body).slice(0, 2000)}`);
  if (error?.rawValue !== undefined) parts.push(`rawValue: ${JSON.stringify(error.rawValue)?.slice(0, 2000)}`);
  if (error?.responseBody) parts.push(`responseBody: ${String(error.responseBody).slice(0, 2000)}`);
  return parts.join("\n");
}
