// The official `openai` Node SDK's Responses API against the gateway's stateless /responses.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import OpenAI from "openai";

import { apiKey, BASE_URL, MODELS, WEATHER_PARAMETERS } from "./common.js";

const WEATHER_TOOL = { type: "function", name: "get_weather", description: "Current weather", parameters: WEATHER_PARAMETERS, strict: false };

let client;
before(async () => {
  client = new OpenAI({ baseURL: BASE_URL, apiKey: await apiKey(), maxRetries: 0 });
});

for (const model of MODELS) {
  test(`openai responses.create via ${model}`, async () => {
    const response = await client.responses.create({ model, input: "Hello Node", instructions: "Be brief" });
    assert.equal(response.status, "completed");
    assert.equal(response.output_text, "[Be brief] You said: Hello Node");
    assert.ok(response.usage.input_tokens > 0 && response.usage.output_tokens > 0);
  });

  test(`openai responses.stream with a function call via ${model}`, async () => {
    const stream = client.responses.stream({ model, input: "Weather in Oslo?", tools: [WEATHER_TOOL], tool_choice: "required" });
    const final = await stream.finalResponse();
    const call = final.output.find((item) => item.type === "function_call");
    assert.equal(call.name, "get_weather");
    assert.equal(typeof JSON.parse(call.arguments).city, "string");
  });
}

test("openai responses.create stream events", async () => {
  const stream = await client.responses.create({ model: "openai/gpt-4o-mini", input: "Stream Node", stream: true });
  const events = [];
  for await (const event of stream) events.push(event);
  assert.deepEqual(events.slice(0, 2).map((e) => e.type), ["response.created", "response.in_progress"]);
  assert.equal(events.at(-1).type, "response.completed");
  const text = events.filter((e) => e.type === "response.output_text.delta").map((e) => e.delta).join("");
  assert.equal(text, "You said: Stream Node");
  assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i));
});

test("openai responses errors", async () => {
  await assert.rejects(client.responses.create({ model: "nobody/nothing", input: "hi" }), OpenAI.NotFoundError);
  await assert.rejects(
    client.responses.create({ model: "openai/gpt-4o-mini", input: "hi", previous_response_id: "resp_1" }),
    (err) => err instanceof OpenAI.BadRequestError && err.param === "previous_response_id",
  );
});
