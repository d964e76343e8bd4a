// `ai` (the Vercel AI SDK) with `@openrouter/ai-sdk-provider`, unmodified, pointed at the gateway.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { createOpenRouter } from "@openrouter/ai-sdk-provider";
import { generateText, stepCountIs, streamText, tool } from "ai";
import { z } from "zod";

import { apiKey, BASE_URL, describeError, MODELS } from "./common.js";

let openrouter;
before(async () => {
  // `strict` is what the provider uses against openrouter.ai (stream_options.include_usage, tool_choice).
  openrouter = createOpenRouter({ baseURL: BASE_URL, apiKey: await apiKey(), compatibility: "strict" });
});

const weatherTool = (execute) =>
  tool({
    description: "Current weather for a city",
    inputSchema: z.object({ city: z.string(), unit: z.enum(["c", "f"]).optional() }),
    ...(execute ? { execute } : {}),
  });

async function ai(call) {
  try {
    return await call();
  } catch (error) {
    assert.fail(`ai threw ${error?.name}:\n${describeError(error)}`);
  }
}

function assertUsage(usage) {
  assert.ok(usage.inputTokens > 0 && usage.outputTokens > 0, JSON.stringify(usage));
  assert.equal(usage.totalTokens, usage.inputTokens + usage.outputTokens, JSON.stringify(usage));
}

for (const model of MODELS) {
  test(`ai generateText ${model}`, async () => {
    const result = await ai(() =>
      generateText({ model: openrouter.chat(model), prompt: "Hello AI SDK", maxRetries: 0 }),
    );
    assert.equal(result.text, "You said: Hello AI SDK");
    assert.equal(result.finishReason, "stop");
    assertUsage(result.usage);
    assert.match(result.response.id, /^gen-/);
    assert.equal(result.response.modelId, model);
  });

  test(`ai streamText ${model}`, async () => {
    const { text, parts, usage, finishReason } = await ai(async () => {
      const errors = [];
      const result = streamText({
        model: openrouter.chat(model),
        prompt: "Stream this AI SDK",
        maxRetries: 0,
        onError: ({ error }) => errors.push(error),
      });
      const parts = [];
      for await (const part of result.textStream) parts.push(part);
      if (errors.length) throw errors[0];
      return { text: parts.join(""), parts, usage: await result.usage, finishReason: await result.finishReason };
    });
    assert.equal(text, "You said: Stream this AI SDK");
    assert.ok(parts.length > 1, `text arrived in ${parts.length} part(s)`);
    assert.equal(finishReason, "stop");
    assertUsage(usage);
  });

  test(`ai generateText forced tool call (zod schema) ${model}`, async () => {
    const result = await ai(() =>
      generateText({
        model: openrouter.chat(model),
        prompt: "What is the weather in Paris?",
        tools: { get_weather: weatherTool() },
        toolChoice: { type: "tool", toolName: "get_weather" },
        maxRetries: 0,
      }),
    );
    assert.equal(result.finishReason, "tool-calls");
    assert.equal(result.toolCalls.length, 1);
    const [call] = result.toolCalls;
    assert.equal(call.toolName, "get_weather");
    assert.equal(typeof call.input.city, "string", JSON.stringify(call.input));
    assert.ok(call.toolCallId);
  });
}

test("ai generateText tool loop: call, execute, answer", async () => {
  const seen = [];
  const result = await ai(() =>
    generateText({
      model: openrouter.chat("openai/gpt-4o-mini"),
      prompt: "What is the weather in Paris?",
      tools: { get_weather: weatherTool(async ({ city }) => (seen.push(city), `18C and sunny in ${city}`)) },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
    }),
  );
  assert.equal(seen.length, 1, "the tool ran once");
  assert.equal(result.steps.length, 2);
  assert.equal(result.finishReason, "stop");
  assert.match(result.text, /18C and sunny/);
});
