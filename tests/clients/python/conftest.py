"""Fresh accounts and keys on the server under test (SB_BASE_URL)."""

import json
import os
import secrets
import types
import urllib.request

import pytest


def _post(path, body, token=None):
    request = urllib.request.Request(
        os.environ["SB_BASE_URL"] + path,
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


@pytest.fixture(scope="session")
def api_key():
    email = f"sdk-{secrets.token_hex(4)}@example.com"
    session = _post("/api/v1/auth/signup", {"email": email, "password": "correct horse battery staple"})
    created = _post("/api/v1/keys", {"name": "python sdk"}, session["token"])
    _fund(session["user"]["personal_organization_id"])
    return created["key"]


def _fund(org_id):
    """New organizations start at $0: the platform admin grants the test account credit."""
    admin = _post(
        "/api/v1/auth/login",
        {"email": os.environ["SB_ADMIN_EMAIL"], "password": os.environ["SB_ADMIN_PASSWORD"]},
    )
    _post(f"/api/v1/admin/organizations/{org_id}/credits", {"amount": 50, "reason": "client tests"}, admin["token"])


@pytest.fixture(scope="session")
def base_url():
    return os.environ["SB_BASE_URL"] + "/api/v1"


@pytest.fixture
def account():
    """A new account of its own (no other test spends from it): its organization holds
    exactly the admin's $50 grant; a session token, a management key and an inference key."""
    email = f"sdk-account-{secrets.token_hex(4)}@example.com"
    session = _post("/api/v1/auth/signup", {"email": email, "password": "correct horse battery staple"})
    org = session["user"]["personal_organization_id"]
    _fund(org)
    management = _post("/api/v1/management-keys", {"name": "python sdk management"}, session["token"])
    inference = _post("/api/v1/keys", {"name": "python sdk inference"}, session["token"])
    return types.SimpleNamespace(
        token=session["token"], org=org, management_key=management["key"], api_key=inference["key"]
    )
