"""schemathesis hooks: the server's rules that the OpenAPI document states in words because JSON
Schema cannot express them. Each hook only drops generated cases that the schema calls valid and
the rule refuses, or rewrites them where a client's request would agree with itself (integral
floats sent as integers; a catalog body repeating its path's slug or id); no check is turned off.

Applied in every phase: `filter_case` (coverage and fuzzing), `before_add_examples` (examples),
and `map_case` for the rewrites. `before_call` signs Stripe webhook cases as Stripe
would, so that the webhook is judged on the events it reads rather than always refusing.
"""

import datetime
import decimal
import hashlib
import hmac
import ipaddress
import json
import math
import os
import re
import time
import urllib.parse

import schemathesis
from schemathesis import GenerationMode


def _finite_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _rounds_to_zero(amount):
    # USD amounts are kept in nano-dollars, rounded: under half a nano-dollar is zero.
    return abs(amount) < 0.5e-9


def _nanos(amount):
    # A JSON number in nano-dollars as the server reads it: the shortest decimal that
    # round-trips (Python's `repr`, Rust's `Display`), rounded half away from zero.
    exact = decimal.Decimal(repr(amount)) * 10**9
    return int(exact.to_integral_value(rounding=decimal.ROUND_HALF_UP))


def _whole_cents(amount):
    return _finite_number(amount) and _nanos(amount) % 10**7 == 0


def _body_ok(label, body):
    if not isinstance(body, dict):
        return True
    if label == "POST /api/v1/auth/signup":
        # The password needs at least 4 different characters and must not be the email.
        password, email = body.get("password"), body.get("email")
        if isinstance(password, str) and 10 <= len(password) <= 128:
            if len(set(password)) < 4:
                return False
            if isinstance(email, str) and password.lower() == email.strip().lower():
                return False
    if label == "POST /api/v1/admin/organizations/{org_id}/credits":
        # A grant must be positive and an adjustment not zero, after rounding to nano-dollars;
        # and the run's grants stay small enough that their sum cannot overflow the ledger.
        amount, kind = body.get("amount"), body.get("kind")
        if _finite_number(amount):
            if _rounds_to_zero(amount) or (kind in (None, "grant") and amount <= 0):
                return False
            if abs(amount) > 1_000_000:
                return False
    if label.endswith("/budgets"):
        # A budget must be positive after rounding to nano-dollars.
        if any(_finite_number(v) and _rounds_to_zero(v) for v in body.values()):
            return False
    if label == "PUT /api/v1/admin/organizations/{org_id}/rate-limits":
        # At least one limit must be given (an empty override is refused: DELETE it instead).
        if all(v is None for v in body.values()):
            return False
    if label in ("POST /api/v1/keys", "POST /api/v1/management-keys"):
        # `expires_at` must be in the future; `creator_user_id` must name a member.
        expires_at = body.get("expires_at")
        if isinstance(expires_at, str):
            try:
                when = datetime.datetime.fromisoformat(expires_at.replace("z", "Z"))
            except ValueError:
                # Python cannot read it (a leap second): the case cannot be judged here.
                return False
            if when.tzinfo is None:
                return False
            if when <= datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5):
                return False
        if body.get("creator_user_id") is not None:
            return False
    if label in ("POST /api/v1/byok", "PATCH /api/v1/byok/{id}"):
        # `allowed_api_key_hashes` must name API keys of the organization, and `workspace_id`
        # must be the organization the caller acts in: no generated value does.
        if body.get("allowed_api_key_hashes") is not None or body.get("workspace_id") is not None:
            return False
        # A key cannot be both a fallback and `always_use`. A change is judged against the
        # stored key, which the case does not know: it must say both flags to set one.
        fallback, always = body.get("is_fallback"), body.get("always_use")
        if label == "POST /api/v1/byok":
            if fallback is True and always is True:
                return False
        elif (fallback is True and always is not False) or (always is True and fallback is not False):
            return False
    if label == "POST /api/v1/completions":
        # `echo` is not supported (the document says so; JSON Schema has no `false`-only boolean
        # that generators honour).
        if body.get("echo") is True:
            return False
    if label == "POST /api/v1/analytics/query":
        # `end` must be after `start`, at most 31 days (hour) or 366 days (day) from it, both
        # rounded to the granularity.
        start, end = _datetime(body.get("start")), _datetime(body.get("end"))
        if start is None or end is None or end <= start:
            return False
        days = 31 if body.get("granularity") == "hour" else 366
        if (end - start) > datetime.timedelta(days=days - 2):
            return False
    if label == "POST /api/v1/credits/checkout":
        # A purchase is whole cents.
        if _finite_number(body.get("amount")) and not _whole_cents(body.get("amount")):
            return False
    if label == "PUT /api/v1/credits/auto-topup":
        # The amount is whole cents, and so is the threshold unless it is 0.
        amount, threshold = body.get("amount"), body.get("threshold")
        if _finite_number(amount) and not _whole_cents(amount):
            return False
        if _finite_number(threshold) and threshold != 0 and (
                not _whole_cents(threshold) or _nanos(threshold) == 0):
            return False
    if label == "PUT /api/v1/alerts/settings":
        # The low-balance threshold is more than 0 after rounding to nano-dollars.
        threshold = body.get("low_balance_threshold")
        if _finite_number(threshold) and _nanos(threshold) <= 0:
            return False
        if isinstance(threshold, str):
            try:
                if decimal.Decimal(threshold.strip()) == 0:
                    return False
            except decimal.InvalidOperation:
                pass
        # A webhook URL must be http(s) without user information or fragment, and its host must
        # be public: a literal public address, or a name that resolves (at the time of the
        # request) to public addresses only. Names resolve to nothing on a machine without DNS,
        # so only literal public addresses can be judged here.
        url = body.get("webhook_url")
        if isinstance(url, str) and not _public_literal_url(url):
            return False
    if label == "PUT /api/v1/admin/catalog/providers/{slug}":
        # Quirks presets apply only to the `openai` protocol.
        if body.get("quirks") is not None and body.get("protocol") != "openai":
            return False
    if label == "PUT /api/v1/admin/catalog/models/{author}/{slug}":
        # Each endpoint's tag (default: its provider) is unique within the model, and an
        # endpoint without prices takes the model's, which must then be given.
        endpoints = body.get("endpoints")
        if isinstance(endpoints, list):
            tags = [e.get("provider") if e.get("tag") is None else e.get("tag")
                    for e in endpoints if isinstance(e, dict)]
            if len(tags) != len(set(map(str, tags))):
                return False
            if body.get("pricing") is None and any(
                    isinstance(e, dict) and e.get("pricing") is None for e in endpoints):
                return False
    if label == "POST /api/v1/embeddings":
        # `input` must not be an empty list.
        if body.get("input") == []:
            return False
    return True


def _public_literal_url(text):
    try:
        url = urllib.parse.urlsplit(text.strip())
        host = url.hostname
        if url.scheme.lower() not in ("http", "https") or url.username or url.password:
            return False
        if "#" in text or not host:
            return False
        # IPv4 only: the server judges IPv6 forms that embed an IPv4 address by that address,
        # which Python's `is_global` does not.
        return ipaddress.IPv4Address(host).is_global
    except ValueError:
        return False


def _datetime(text):
    # An RFC 3339 date-time as Python reads it, in UTC; None when it cannot (a leap second).
    if not isinstance(text, str):
        return None
    try:
        when = datetime.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _date(text):
    try:
        return datetime.date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _query_ok(label, query):
    if not isinstance(query, dict):
        return True
    today = datetime.datetime.now(datetime.timezone.utc).date()
    if label == "GET /api/v1/activity" and query.get("date") is not None:
        # `date` must be today or one of the last 30 completed UTC days.
        day = _date(query.get("date"))
        if day is None or not (today - datetime.timedelta(days=30) <= day <= today):
            return False
    if label == "GET /api/v1/admin/analytics":
        # `end` (default today) must not be before `start` (default 30 days before `end`), and
        # the range covers at most 366 days.
        end = _date(query.get("end")) if query.get("end") is not None else today
        start = _date(query.get("start")) if query.get("start") is not None else (
            end - datetime.timedelta(days=30) if end else None)
        if start is None or end is None or end < start or (end - start).days + 1 > 366:
            return False
    if label in ("GET /api/v1/generations", "GET /api/v1/generations/export"):
        # `before` is an opaque cursor only the server mints; `end` must be after `start`.
        if query.get("before") is not None:
            return False
        if query.get("start") is not None and query.get("end") is not None:
            start, end = _datetime(query.get("start")), _datetime(query.get("end"))
            if start is None or end is None or end <= start:
                return False
    if label in ("GET /api/v1/credits/purchases", "GET /api/v1/alerts"):
        # `before` is an opaque cursor only the server mints (`next_before`).
        if query.get("before") is not None:
            return False
    if label == "GET /api/v1/byok":
        # `workspace_id`, when given, must be the organization the caller acts in.
        if query.get("workspace_id") is not None:
            return False
    return True


def _positive(case):
    meta = getattr(case, "meta", None)
    generation = getattr(meta, "generation", None)
    return generation is None or generation.mode == GenerationMode.POSITIVE


# Path parameters the server reads back changed: actix keeps `%`, `/` and `+` percent-encoded
# in a path segment, so a body that must repeat the path cannot repeat such a value.
_PATH_KEPT_ENCODED = set("%/+")
_MODEL_ID = re.compile(r"^[!-.0-~]+/[!-.0-~]+$")
_PROVIDER_SLUG = re.compile(r"^[a-z0-9_-]+$")


def _path_ok(label, path):
    if label == "PUT /api/v1/admin/catalog/providers/{slug}":
        slug = (path or {}).get("slug")
        return isinstance(slug, str) and _PROVIDER_SLUG.match(slug) is not None
    if label == "PUT /api/v1/admin/catalog/models/{author}/{slug}":
        author, slug = (path or {}).get("author"), (path or {}).get("slug")
        if not isinstance(author, str) or not isinstance(slug, str):
            return False
        if _PATH_KEPT_ENCODED & set(author + slug):
            return False
        return _MODEL_ID.match(f"{author}/{slug}") is not None
    return True


def _case_ok(case):
    if not _positive(case):
        return True
    label = case.operation.label
    return (_path_ok(label, case.path_parameters) and _body_ok(label, case.body)
            and _query_ok(label, case.query))


def _repeat_path_in_body(case):
    # The catalog's PUT bodies name the entry their path names (`slug`, `id`): a valid case
    # repeats the path, as a client does.
    label, path = case.operation.label, case.path_parameters or {}
    if not isinstance(case.body, dict):
        return
    if label == "PUT /api/v1/admin/catalog/providers/{slug}" and "slug" in path:
        case.body["slug"] = path["slug"]
    if label == "PUT /api/v1/admin/catalog/models/{author}/{slug}" and "author" in path:
        case.body["id"] = f"{path['author']}/{path['slug']}"


def _integral_floats_to_ints(value):
    # JSON Schema's `integer` admits 3.0; serde's integers (and OpenAI's) do not. Clients send
    # integers as integers, so valid cases do too.
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, list):
        return [_integral_floats_to_ints(v) for v in value]
    if isinstance(value, dict):
        return {k: _integral_floats_to_ints(v) for k, v in value.items()}
    return value


@schemathesis.hook
def filter_case(ctx, case):
    return _case_ok(case)


@schemathesis.hook
def map_case(ctx, case):
    if _positive(case) and isinstance(case.body, (dict, list)):
        case.body = _integral_floats_to_ints(case.body)
        _repeat_path_in_body(case)
    return case


@schemathesis.hook
def before_add_examples(ctx, examples):
    examples[:] = [case for case in examples if _case_ok(case)]
    for case in examples:
        map_case(ctx, case)


STRIPE_WEBHOOK = "POST /api/v1/stripe/webhook"


def _wire_json(body):
    # The bytes `requests` sends for a JSON body (`json.dumps`, UTF-8), or None without one.
    if isinstance(body, bytes):
        return body
    if body is None:
        return b"null"
    if isinstance(body, (dict, list, str, int, float, bool)):
        return json.dumps(body, allow_nan=False).encode("utf-8")
    return None


@schemathesis.hook
def before_call(ctx, case, kwargs):
    # Every webhook case, valid or not, carries a signature Stripe could have made: a valid
    # event must then be accepted and an invalid one refused for what it is.
    if case.operation.label != STRIPE_WEBHOOK:
        return
    secret = os.environ.get("FUZZ_STRIPE_WEBHOOK_SECRET")
    try:
        payload = _wire_json(case.body)
    except ValueError:
        payload = None
    if not secret or payload is None:
        return
    timestamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    headers = dict(case.headers or {})
    # A case without the header is the check that a missing credential is refused.
    if not any(name.lower() == "stripe-signature" for name in headers):
        return
    headers = {k: v for k, v in headers.items() if k.lower() != "stripe-signature"}
    headers["Stripe-Signature"] = f"t={timestamp},v1={mac.hexdigest()}"
    case.headers = headers
