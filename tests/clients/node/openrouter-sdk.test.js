// The official `@openrouter/sdk` (zod-validated responses), unmodified, pointed at the gateway.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { OpenRouter } from "@openrouter/sdk";
import { ForbiddenResponseError, NotFoundResponseError } from "@openrouter/sdk/models/errors";

import { apiKey, BASE_URL, describeError, freshAccount, MODELS, spend, WEATHER_PARAMETERS } from "./common.js";

const WEATHER_TOOL = {
  type: "function",
  function: { name: "get_weather", description: "Current weather for a city", parameters: WEATHER_PARAMETERS },
};
const FORCE_WEATHER = { type: "function", function: { name: "get_weather" } };

let client;
before(async () => {
  // Retries off: the SDK's default policy retries 5xx for up to an hour.
  client = new OpenRouter({ apiKey: await apiKey(), serverURL: BASE_URL, retryConfig: { strategy: "none" } });
});

/** Runs an SDK call and turns any error into an assertion failure that shows what the SDK rejected. */
async function sdk(call) {
  try {
    return await call();
  } catch (error) {
    assert.fail(`@openrouter/sdk threw ${error?.name}:\n${describeError(error)}`);
  }
}

for (const model of MODELS) {
  test(`@openrouter/sdk chat.send ${model}`, async () => {
    const result = await sdk(() =>
      client.chat.send({ chatRequest: { model, messages: [{ role: "user", content: "Hello SDK" }] } }),
    );
    assert.match(result.id, /^gen-/);
    assert.equal(result.object, "chat.completion");
    assert.equal(result.model, model);
    const [choice] = result.choices;
    assert.equal(choice.message.role, "assistant");
    assert.equal(choice.message.content, "You said: Hello SDK");
    assert.equal(choice.finishReason, "stop");
    const { promptTokens, completionTokens, totalTokens } = result.usage;
    assert.ok(totalTokens > 0 && totalTokens === promptTokens + completionTokens, JSON.stringify(result.usage));
  });

  test(`@openrouter/sdk chat.send stream ${model}`, async () => {
    const chunks = await sdk(async () => {
      const stream = await client.chat.send({
        chatRequest: {
          model,
          messages: [{ role: "user", content: "Stream this" }],
          stream: true,
          streamOptions: { includeUsage: true },
        },
      });
      const all = [];
      for await (const chunk of stream) all.push(chunk);
      return all;
    });
    assert.ok(chunks.length > 1, `expected several chunks, got ${chunks.length}`);
    const text = chunks.map((c) => c.choices.map((ch) => ch.delta.content ?? "").join("")).join("");
    assert.equal(text, "You said: Stream this");
    assert.equal(new Set(chunks.map((c) => c.id)).size, 1, "one id across the stream");
    assert.ok(chunks.every((c) => c.object === "chat.completion.chunk" && c.model === model));
    const finish = chunks.flatMap((c) => c.choices.map((ch) => ch.finishReason)).filter(Boolean);
    assert.deepEqual(finish, ["stop"]);
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, [], "usage arrives on a final chunk without choices");
    const { promptTokens, completionTokens, totalTokens } = last.usage;
    assert.ok(totalTokens > 0 && totalTokens === promptTokens + completionTokens, JSON.stringify(last.usage));
    assert.equal(chunks.filter((c) => c.usage).length, 1, "usage is sent once");
  });

  test(`@openrouter/sdk tool call ${model}`, async () => {
    const question = { role: "user", content: "What is the weather in Paris?" };
    const result = await sdk(() =>
      client.chat.send({ chatRequest: { model, messages: [question], tools: [WEATHER_TOOL], toolChoice: FORCE_WEATHER } }),
    );
    const [choice] = result.choices;
    assert.equal(choice.finishReason, "tool_calls");
    const [call] = choice.message.toolCalls;
    assert.equal(call.type, "function");
    assert.equal(call.function.name, "get_weather");
    assert.equal(typeof JSON.parse(call.function.arguments).city, "string");

    // The tool result goes back and the model answers in text.
    const followUp = await sdk(() =>
      client.chat.send({
        chatRequest: {
          model,
          messages: [
            question,
            { role: "assistant", content: null, toolCalls: [call] },
            { role: "tool", toolCallId: call.id, content: "18C and sunny" },
          ],
          tools: [WEATHER_TOOL],
        },
      }),
    );
    // (The emulator echoes the tool output for OpenAI and Anthropic; its Gemini side reads no
    // text from a functionResponse part, so only the shape is checked here.)
    assert.equal(followUp.choices[0].finishReason, "stop");
    assert.match(followUp.choices[0].message.content, /^You said:/);
  });

  test(`@openrouter/sdk streamed tool call ${model}`, async () => {
    const chunks = await sdk(async () => {
      const stream = await client.chat.send({
        chatRequest: {
          model,
          messages: [{ role: "user", content: "Weather in Oslo?" }],
          tools: [WEATHER_TOOL],
          toolChoice: FORCE_WEATHER,
          stream: true,
          streamOptions: { includeUsage: true },
        },
      });
      const all = [];
      for await (const chunk of stream) all.push(chunk);
      return all;
    });
    let name = "";
    let args = "";
    const finish = [];
    for (const chunk of chunks) {
      for (const choice of chunk.choices) {
        for (const call of choice.delta.toolCalls ?? []) {
          name += call.function?.name ?? "";
          args += call.function?.arguments ?? "";
        }
        if (choice.finishReason) finish.push(choice.finishReason);
      }
    }
    assert.equal(name, "get_weather");
    assert.equal(typeof JSON.parse(args).city, "string");
    assert.deepEqual(finish, ["tool_calls"]);
    assert.ok(chunks.at(-1).usage?.totalTokens > 0);
  });
}

test("@openrouter/sdk stream when the upstream sends usage:null on every chunk", async () => {
  // OpenAI's live API puts "usage": null on every chunk once include_usage is set; the SDK's zod
  // schema rejects a null usage, so the gateway must strip it and send usage once at the end.
  const chunks = await sdk(async () => {
    const stream = await client.chat.send({
      chatRequest: {
        model: "openai/gpt-4o-mini",
        messages: [{ role: "user", content: "Null usage [[emulator: usage-null-chunks=true]]" }],
        stream: true,
        streamOptions: { includeUsage: true },
      },
    });
    const all = [];
    for await (const chunk of stream) all.push(chunk);
    return all;
  });
  const text = chunks.map((c) => c.choices.map((ch) => ch.delta.content ?? "").join("")).join("");
  assert.match(text, /^You said: Null usage/);
  assert.equal(chunks.filter((c) => c.usage).length, 1, "usage is sent once");
  assert.ok(chunks.at(-1).usage.totalTokens > 0);
});

test("@openrouter/sdk models.list", async () => {
  const ids = await sdk(async () => {
    const all = [];
    for await (const page of await client.models.list()) all.push(...page.result.data.map((m) => m.id));
    return all;
  });
  for (const model of MODELS) assert.ok(ids.includes(model), `${model} is listed`);
  assert.ok(ids.length >= 30, `${ids.length} models`);

  // Paging follows offset/limit until a short page, and sees every model once.
  const paged = await sdk(async () => {
    const all = [];
    let pages = 0;
    for await (const page of await client.models.list({ limit: 20 })) {
      all.push(...page.result.data.map((m) => m.id));
      assert.ok(++pages <= 10, "paging ends");
    }
    return all;
  });
  assert.deepEqual([...paged].sort(), [...ids].sort());
});

test("@openrouter/sdk unknown model -> NotFoundResponseError", async () => {
  await assert.rejects(
    client.chat.send({ chatRequest: { model: "nobody/nothing", messages: [{ role: "user", content: "hi" }] } }),
    (error) => {
      assert.ok(error instanceof NotFoundResponseError, `expected NotFoundResponseError, got ${error?.name}:\n${describeError(error)}`);
      assert.equal(error.statusCode, 404);
      assert.equal(error.error.code, 404);
      assert.equal(typeof error.error.message, "string");
      return true;
    },
  );
});

// The Responses API through the SDK's strict (zod) result and event schemas.
for (const model of MODELS) {
  test(`@openrouter/sdk responses.send via ${model}`, async () => {
    const result = await sdk(() => client.responses.send({ responsesRequest: { model, input: "Hello OpenRouter" } }));
    assert.equal(result.status, "completed");
    assert.equal(result.output[0].content[0].text, "You said: Hello OpenRouter");
    assert.ok(result.usage.inputTokens > 0 && result.usage.outputTokens > 0);
    assert.ok(result.usage.cost > 0);
  });

  test(`@openrouter/sdk responses.send stream with a function call via ${model}`, async () => {
    const stream = await sdk(() =>
      client.responses.send({
        responsesRequest: {
          model,
          input: "Weather in Oslo?",
          stream: true,
          tools: [{ type: "function", name: "get_weather", parameters: WEATHER_PARAMETERS }],
          toolChoice: "required",
        },
      }),
    );
    const events = [];
    await sdk(async () => {
      for await (const event of stream) events.push(event);
    });
    assert.deepEqual(events.slice(0, 2).map((e) => e.type), ["response.created", "response.in_progress"]);
    const completed = events.at(-1);
    assert.equal(completed.type, "response.completed");
    const call = completed.response.output.find((item) => item.type === "function_call");
    assert.equal(call.name, "get_weather");
    assert.equal(typeof JSON.parse(call.arguments).city, "string");
  });
}

// `credits.getCredits` (a management key's call) through the SDK's zod schema, with the exact
// figures of the ledger. USD numbers are the doubles nearest to exact nano-dollar amounts, so
// they are compared as whole nano-dollars.
const nanos = (usd) => Math.round(usd * 1e9);

/** Polls getCredits until `done` holds (the usage writer commits a debit moments after the answer). */
async function creditsWhen(sdkClient, done) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const credits = await sdk(() => sdkClient.credits.getCredits());
    if (done(credits.data) || Date.now() > deadline) return credits;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test("@openrouter/sdk credits.getCredits parses exact totals", async () => {
  const account = await freshAccount("node-credits");
  const management = new OpenRouter({ apiKey: account.managementKey, serverURL: BASE_URL, retryConfig: { strategy: "none" } });
  const start = await sdk(() => management.credits.getCredits());
  assert.deepEqual(start, { data: { totalCredits: 50, totalUsage: 0 } });

  const first = await spend(account.apiKey);
  assert.ok(first > 0, `cost ${first}`);
  let credits = await creditsWhen(management, (data) => data.totalUsage > 0);
  assert.deepEqual(credits, { data: { totalCredits: 50, totalUsage: first } });

  const second = await spend(account.apiKey);
  credits = await creditsWhen(management, (data) => data.totalUsage !== first);
  assert.equal(nanos(credits.data.totalUsage), nanos(first) + nanos(second), JSON.stringify(credits));
  assert.equal(credits.data.totalCredits, 50);
});

test("@openrouter/sdk credits.getCredits with an inference key -> ForbiddenResponseError", async () => {
  const account = await freshAccount("node-credits-forbidden");
  const inference = new OpenRouter({ apiKey: account.apiKey, serverURL: BASE_URL, retryConfig: { strategy: "none" } });
  await assert.rejects(inference.credits.getCredits(), (error) => {
    assert.ok(error instanceof ForbiddenResponseError, `expected ForbiddenResponseError, got ${error?.name}:\n${describeError(error)}`);
    assert.equal(error.statusCode, 403);
    assert.equal(error.error.code, 403);
    assert.match(error.error.message, /management/i);
    return true;
  });
});
