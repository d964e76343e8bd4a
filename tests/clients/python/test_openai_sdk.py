"""The official `openai` Python SDK, unmodified, pointed at the gateway."""

import json

import openai
import pytest
from openai import OpenAI

MODELS = ["openai/gpt-4o-mini", "anthropic/claude-haiku-4.5", "google/gemini-2.5-flash"]
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["c", "f"]}},
            "required": ["city"],
        },
    },
}


@pytest.fixture(scope="module")
def client(api_key, base_url):
    return OpenAI(base_url=base_url, api_key=api_key, max_retries=0)


@pytest.mark.parametrize("model", MODELS)
def test_chat(client, model):
    response = client.chat.completions.create(model=model, messages=[{"role": "user", "content": "Hello SDK"}])
    assert response.id.startswith("gen-")
    assert response.model == model
    assert response.choices[0].message.content == "You said: Hello SDK"
    assert response.choices[0].finish_reason == "stop"
    assert response.usage.total_tokens == response.usage.prompt_tokens + response.usage.completion_tokens > 0
    extra = response.model_extra or {}
    assert extra.get("provider"), "OpenRouter's `provider` field is present"


@pytest.mark.parametrize("model", MODELS)
def test_stream(client, model):
    stream = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "Stream this"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "You said: Stream this"
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens > 0
    assert len({c.id for c in chunks}) == 1


@pytest.mark.parametrize("model", MODELS)
def test_tool_call(client, model):
    response = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    choice = response.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert "city" in json.loads(call.function.arguments)

    # The tool result goes back and the model answers.
    follow_up = client.chat.completions.create(
        model=model,
        messages=[
            {"role": "user", "content": "What is the weather in Paris?"},
            {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
            {"role": "tool", "tool_call_id": call.id, "content": "18C and sunny"},
        ],
        tools=[WEATHER_TOOL],
    )
    assert "18C and sunny" in follow_up.choices[0].message.content, "the tool result reached the model"


def test_streamed_tool_call_assembles(client):
    stream = client.chat.completions.create(
        model="openai/gpt-4o-mini",
        messages=[{"role": "user", "content": "Weather in Oslo?"}],
        tools=[WEATHER_TOOL],
        tool_choice="required",
        stream=True,
    )
    name, arguments, finish = "", "", None
    for chunk in stream:
        for choice in chunk.choices:
            for call in choice.delta.tool_calls or []:
                name += call.function.name or ""
                arguments += call.function.arguments or ""
            finish = choice.finish_reason or finish
    assert name == "get_weather"
    assert "city" in json.loads(arguments)
    assert finish == "tool_calls"


@pytest.mark.parametrize("model", MODELS)
def test_json_schema(client, model):
    response = client.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "Describe a city"}],
        response_format={
            "type": "json_schema",
            "json_schema": {
                "name": "city",
                "strict": True,
                "schema": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
                    "required": ["name", "population"],
                    "additionalProperties": False,
                },
            },
        },
    )
    parsed = json.loads(response.choices[0].message.content)
    assert isinstance(parsed["name"], str) and isinstance(parsed["population"], int)


def test_errors_map_to_sdk_exceptions(client, base_url):
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nobody/nothing", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="openai/gpt-4o-mini", messages=[])
    bad = OpenAI(base_url=base_url, api_key="sk-or-v1-" + "0" * 64, max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])


def test_models_list(client):
    ids = [m.id for m in client.models.list()]
    assert "openai/gpt-4o-mini" in ids and len(ids) >= 30


def test_embeddings(client):
    # The SDK asks for base64 by default and decodes it.
    response = client.embeddings.create(model="openai/text-embedding-3-small", input=["first text", "second"])
    assert [d.index for d in response.data] == [0, 1]
    assert len(response.data[0].embedding) > 8 and isinstance(response.data[0].embedding[0], float)
    assert response.usage.prompt_tokens > 0


def test_legacy_completions(client):
    response = client.completions.create(model="openai/gpt-4o-mini", prompt="Once upon a time")
    assert response.choices[0].text == "You said: Once upon a time"
