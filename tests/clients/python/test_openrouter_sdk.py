"""The official `openrouter` Python SDK, unmodified, against the gateway: its `credits` call
parses our `/credits` answer, and the totals are the exact figures of the ledger."""

import json
import os
import time
import urllib.request
from decimal import Decimal

import pytest
from openrouter import OpenRouter, errors, operations
from openrouter.utils import BackoffStrategy, RetryConfig

# Retries off: the SDK's default policy retries 5xx for up to an hour.
NO_RETRIES = RetryConfig("none", BackoffStrategy(1, 1, 1.0, 1), False)


def client(base_url, key):
    return OpenRouter(api_key=key, server_url=base_url, retry_config=NO_RETRIES)


def complete(api_key):
    """One paid completion through the HTTP API; returns its `usage.cost` (USD)."""
    request = urllib.request.Request(
        os.environ["SB_BASE_URL"] + "/api/v1/chat/completions",
        data=json.dumps(
            {"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Spend"}], "max_tokens": 20}
        ).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {api_key}"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())["usage"]["cost"]


def test_get_credits_parses_and_reports_exact_totals(account, base_url):
    sdk = client(base_url, account.management_key)
    credits = sdk.credits.get_credits()
    assert isinstance(credits, operations.GetCreditsResponse)
    assert credits.data.total_credits == 50
    assert credits.data.total_usage == 0

    cost = complete(account.api_key)
    assert cost > 0
    # The debit is written by the usage writer's next batch, moments after the answer.
    deadline = time.monotonic() + 10
    while sdk.credits.get_credits().data.total_usage == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    credits = sdk.credits.get_credits()
    # Exactly the one generation's cost (the same nano-dollars rendered the same way).
    assert credits.data.total_usage == cost
    assert credits.data.total_credits == 50

    second = complete(account.api_key)
    deadline = time.monotonic() + 10
    while sdk.credits.get_credits().data.total_usage == cost and time.monotonic() < deadline:
        time.sleep(0.05)
    credits = sdk.credits.get_credits()
    # Each figure is the double nearest to an exact nano-dollar amount: compared as decimals.
    assert Decimal(repr(credits.data.total_usage)) == Decimal(repr(cost)) + Decimal(repr(second)), credits
    assert credits.data.total_usage > cost
    assert credits.data.total_credits == 50


def test_get_credits_with_an_inference_key_is_a_parsed_403(account, base_url):
    with pytest.raises(errors.ForbiddenResponseError) as refused:
        client(base_url, account.api_key).credits.get_credits()
    assert refused.value.data.error.code == 403
    assert "management" in refused.value.data.error.message.lower()


def test_get_credits_without_a_valid_key_is_a_parsed_401(base_url):
    with pytest.raises(errors.UnauthorizedResponseError) as refused:
        client(base_url, "sk-or-v1-" + "0" * 64).credits.get_credits()
    assert refused.value.data.error.code == 401
