"""The official `anthropic` Python SDK, unmodified, pointed at the gateway's
`POST /api/v1/messages` (it sends `x-api-key` and `anthropic-version`)."""

import anthropic
import pytest

MODELS = ["openai/gpt-4o-mini", "anthropic/claude-haiku-4.5", "google/gemini-2.5-flash"]
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


@pytest.fixture(scope="module")
def client(api_key, sb_base):
    # The SDK appends /v1/messages to its base URL.
    return anthropic.Anthropic(base_url=sb_base + "/api", api_key=api_key, max_retries=0)


@pytest.fixture(scope="module")
def sb_base(base_url):
    return base_url.removesuffix("/api/v1")


@pytest.mark.parametrize("model", MODELS)
def test_create(client, model):
    message = client.messages.create(
        model=model, max_tokens=100, system="Be brief", messages=[{"role": "user", "content": "Hello SDK"}]
    )
    assert message.type == "message" and message.role == "assistant"
    assert message.content[0].type == "text"
    assert message.content[0].text == "[Be brief] You said: Hello SDK"
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens > 0 and message.usage.output_tokens > 0


@pytest.mark.parametrize("model", MODELS)
def test_stream_text(client, model):
    with client.messages.stream(
        model=model, max_tokens=100, messages=[{"role": "user", "content": "Stream this"}]
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "You said: Stream this"
    assert final.content[0].text == "You said: Stream this"
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0


@pytest.mark.parametrize("model", MODELS)
def test_streamed_tool_use_round_trip(client, model):
    question = {"role": "user", "content": "What is the weather in Paris?"}
    with client.messages.stream(
        model=model, max_tokens=200, tools=[WEATHER_TOOL], tool_choice={"type": "any"}, messages=[question]
    ) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "tool_use"
    tool_use = [b for b in final.content if b.type == "tool_use"][0]
    assert tool_use.name == "get_weather" and isinstance(tool_use.input["city"], str)

    answer = client.messages.create(
        model=model,
        max_tokens=200,
        tools=[WEATHER_TOOL],
        messages=[
            question,
            {"role": "assistant", "content": [b.model_dump() for b in final.content]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use.id, "content": "18C and sunny"}]},
        ],
    )
    assert "18C and sunny" in answer.content[0].text


def test_thinking_streamed_and_not(client):
    kwargs = dict(
        model="anthropic/claude-sonnet-4.5",
        max_tokens=4000,
        thinking={"type": "enabled", "budget_tokens": 2000},
        messages=[{"role": "user", "content": "Think first"}],
    )
    message = client.messages.create(**kwargs)
    assert message.content[0].type == "thinking"
    assert message.content[0].thinking == "Thinking about: Think first"
    assert message.content[0].signature

    with client.messages.stream(**kwargs) as stream:
        kinds = [e.delta.type for e in stream if e.type == "content_block_delta"]
        final = stream.get_final_message()
    assert "thinking_delta" in kinds and "signature_delta" in kinds and "text_delta" in kinds
    assert final.content[0].thinking == "Thinking about: Think first"
    assert final.content[0].signature == message.content[0].signature
    assert final.content[1].text == "You said: Think first"


def test_errors_map_to_sdk_exceptions(client, sb_base):
    with pytest.raises(anthropic.NotFoundError) as raised:
        client.messages.create(model="nobody/nothing", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
    assert raised.value.body["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(model="openai/gpt-4o-mini", max_tokens=10, messages=[{"role": "tool", "content": "x"}])
    bad = anthropic.Anthropic(base_url=sb_base + "/api", api_key="sk-or-v1-" + "0" * 64, max_retries=0)
    with pytest.raises(anthropic.AuthenticationError):
        bad.messages.create(model="openai/gpt-4o-mini", max_tokens=10, messages=[{"role": "user", "content": "hi"}])
