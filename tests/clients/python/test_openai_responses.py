"""The official `openai` Python SDK's Responses API (`client.responses`), unmodified, pointed at
the gateway's stateless `POST /api/v1/responses`."""

import json

import openai
import pytest
from openai import OpenAI

MODELS = ["openai/gpt-4o-mini", "anthropic/claude-haiku-4.5", "google/gemini-2.5-flash"]
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather for a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


@pytest.fixture(scope="module")
def client(api_key, base_url):
    return OpenAI(base_url=base_url, api_key=api_key, max_retries=0)


@pytest.mark.parametrize("model", MODELS)
def test_plain(client, model):
    response = client.responses.create(model=model, input="Hello SDK", instructions="Be brief", store=False)
    assert response.status == "completed"
    assert response.output_text == "[Be brief] You said: Hello SDK"
    assert response.output[0].type == "message"
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens


@pytest.mark.parametrize("model", MODELS)
def test_streamed(client, model):
    stream = client.responses.create(model=model, input=[{"role": "user", "content": "Stream this"}], stream=True)
    events = list(stream)
    types = [e.type for e in events]
    assert types[:2] == ["response.created", "response.in_progress"]
    assert types[-1] == "response.completed"
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "You said: Stream this"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[-1].response.output_text == "You said: Stream this"
    assert events[-1].response.usage.output_tokens > 0


def test_stream_helper_accumulates(client):
    # `responses.stream` checks the event order and item ids as it assembles the response.
    with client.responses.stream(model="openai/gpt-4o-mini", input="Helper stream") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == "You said: Helper stream"
    assert final.output_text == "You said: Helper stream"


@pytest.mark.parametrize("model", MODELS)
def test_function_call_round_trip(client, model):
    question = [{"role": "user", "content": "What is the weather in Paris?"}]
    response = client.responses.create(
        model=model, input=question, tools=[WEATHER_TOOL], tool_choice={"type": "function", "name": "get_weather"}
    )
    calls = [item for item in response.output if item.type == "function_call"]
    assert len(calls) == 1
    call = calls[0]
    assert call.name == "get_weather" and "city" in json.loads(call.arguments)

    follow_up = client.responses.create(
        model=model,
        tools=[WEATHER_TOOL],
        input=question
        + [
            {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
            {"type": "function_call_output", "call_id": call.call_id, "output": "18C and sunny"},
        ],
    )
    assert "18C and sunny" in follow_up.output_text


def test_streamed_function_call(client):
    with client.responses.stream(
        model="anthropic/claude-haiku-4.5",
        input="Weather in Oslo?",
        tools=[WEATHER_TOOL],
        tool_choice="required",
    ) as stream:
        arguments = "".join(e.delta for e in stream if e.type == "response.function_call_arguments.delta")
        final = stream.get_final_response()
    call = [item for item in final.output if item.type == "function_call"][0]
    assert call.name == "get_weather"
    assert json.loads(arguments) == json.loads(call.arguments)
    assert "city" in json.loads(call.arguments)


@pytest.mark.parametrize("model", MODELS)
def test_structured_output(client, model):
    response = client.responses.create(
        model=model,
        input="Describe a city",
        text={
            "format": {
                "type": "json_schema",
                "name": "city",
                "strict": True,
                "schema": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
                    "required": ["name", "population"],
                    "additionalProperties": False,
                },
            }
        },
    )
    parsed = json.loads(response.output_text)
    assert isinstance(parsed["name"], str) and isinstance(parsed["population"], int)


def test_reasoning(client):
    response = client.responses.create(
        model="anthropic/claude-sonnet-4.5",
        input="Think first",
        reasoning={"effort": "low", "summary": "auto"},
        max_output_tokens=4000,
    )
    reasoning = [item for item in response.output if item.type == "reasoning"]
    assert reasoning and reasoning[0].summary[0].text == "Thinking about: Think first"
    assert response.output_text == "You said: Think first"


def test_errors_map_to_sdk_exceptions(client, base_url):
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="nobody/nothing", input="hi")
    with pytest.raises(openai.BadRequestError) as raised:
        client.responses.create(model="openai/gpt-4o-mini", input="hi", previous_response_id="resp_123")
    assert raised.value.param == "previous_response_id"
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model="openai/gpt-4o-mini", input="hi", store=True)
    bad = OpenAI(base_url=base_url, api_key="sk-or-v1-" + "0" * 64, max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.responses.create(model="openai/gpt-4o-mini", input="hi")
