// The official `@anthropic-ai/sdk`, unmodified, pointed at the gateway's /api/v1/messages
// (it sends `x-api-key` and `anthropic-version` and appends /v1/messages to its base URL).
import assert from "node:assert/strict";
import { before, test } from "node:test";

import Anthropic from "@anthropic-ai/sdk";

import { apiKey, MODELS, SERVER, WEATHER_PARAMETERS } from "./common.js";

const WEATHER_TOOL = { name: "get_weather", description: "Current weather for a city", input_schema: WEATHER_PARAMETERS };

let client;
before(async () => {
  client = new Anthropic({ baseURL: `${SERVER}/api`, apiKey: await apiKey(), maxRetries: 0 });
});

for (const model of MODELS) {
  test(`anthropic messages.create via ${model}`, async () => {
    const message = await client.messages.create({
      model,
      max_tokens: 100,
      system: "Be brief",
      messages: [{ role: "user", content: "Hello Node" }],
    });
    assert.equal(message.type, "message");
    assert.equal(message.content[0].text, "[Be brief] You said: Hello Node");
    assert.equal(message.stop_reason, "end_turn");
    assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 0);
  });

  test(`anthropic messages.stream with a tool via ${model}`, async () => {
    const stream = client.messages.stream({
      model,
      max_tokens: 200,
      tools: [WEATHER_TOOL],
      tool_choice: { type: "tool", name: "get_weather" },
      messages: [{ role: "user", content: "Weather in Oslo?" }],
    });
    const final = await stream.finalMessage();
    assert.equal(final.stop_reason, "tool_use");
    const toolUse = final.content.find((b) => b.type === "tool_use");
    assert.equal(toolUse.name, "get_weather");
    assert.equal(typeof toolUse.input.city, "string");
  });
}

test("anthropic messages.stream text and thinking", async () => {
  const stream = client.messages.stream({
    model: "anthropic/claude-sonnet-4.5",
    max_tokens: 4000,
    thinking: { type: "enabled", budget_tokens: 2000 },
    messages: [{ role: "user", content: "Think first" }],
  });
  let text = "";
  stream.on("text", (delta) => {
    text += delta;
  });
  const final = await stream.finalMessage();
  assert.equal(text, "You said: Think first");
  assert.equal(final.content[0].type, "thinking");
  assert.equal(final.content[0].thinking, "Thinking about: Think first");
  assert.ok(final.content[0].signature.length > 0);
});

test("anthropic error types", async () => {
  await assert.rejects(
    client.messages.create({ model: "nobody/nothing", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }),
    (err) => err instanceof Anthropic.NotFoundError && err.error?.error?.type === "not_found_error",
  );
  const bad = new Anthropic({ baseURL: `${SERVER}/api`, apiKey: `sk-or-v1-${"0".repeat(64)}`, maxRetries: 0 });
  await assert.rejects(
    bad.messages.create({ model: "openai/gpt-4o-mini", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }),
    Anthropic.AuthenticationError,
  );
});
