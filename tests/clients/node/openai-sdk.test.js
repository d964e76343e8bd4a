// The official `openai` Node SDK, unmodified, pointed at the gateway (baseline).
import assert from "node:assert/strict";
import { before, test } from "node:test";

import OpenAI from "openai";

import { apiKey, BASE_URL } from "./common.js";

let client;
before(async () => {
  client = new OpenAI({ baseURL: BASE_URL, apiKey: await apiKey(), maxRetries: 0 });
});

test("openai chat.completions.create", async () => {
  const response = await client.chat.completions.create({
    model: "openai/gpt-4o-mini",
    messages: [{ role: "user", content: "Hello Node" }],
  });
  assert.match(response.id, /^gen-/);
  assert.equal(response.model, "openai/gpt-4o-mini");
  assert.equal(response.choices[0].message.content, "You said: Hello Node");
  assert.equal(response.choices[0].finish_reason, "stop");
  assert.equal(response.usage.total_tokens, response.usage.prompt_tokens + response.usage.completion_tokens);
  assert.ok(response.provider, "OpenRouter's `provider` field is present");
});

test("openai chat.completions.create stream", async () => {
  const stream = await client.chat.completions.create({
    model: "anthropic/claude-haiku-4.5",
    messages: [{ role: "user", content: "Stream Node" }],
    stream: true,
    stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
  assert.equal(text, "You said: Stream Node");
  assert.deepEqual(chunks.at(-1).choices, []);
  assert.ok(chunks.at(-1).usage.total_tokens > 0);
  assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
});
