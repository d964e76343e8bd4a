"""schemathesis hooks: the server's rules that the OpenAPI document states in words because JSON
Schema cannot express them. Each hook only drops (or, for integral floats, rewrites) generated
cases that the schema calls valid and the rule refuses; no check is turned off.

Applied in every phase: `filter_case` (coverage and fuzzing), `before_add_examples` (examples),
and `map_case` for the number normalisation.
"""

import datetime
import math

import schemathesis
from schemathesis import GenerationMode


def _finite_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _rounds_to_zero(amount):
    # USD amounts are kept in nano-dollars, rounded: under half a nano-dollar is zero.
    return abs(amount) < 0.5e-9


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
    if label == "POST /api/v1/embeddings":
        # `input` must not be an empty list.
        if body.get("input") == []:
            return False
    return True


def _query_ok(label, query):
    if label == "GET /api/v1/credits/purchases" and isinstance(query, dict):
        # `before` is an opaque cursor only the server mints (`next_before`).
        if query.get("before") is not None:
            return False
    if label == "GET /api/v1/byok" and isinstance(query, dict):
        # `workspace_id`, when given, must be the organization the caller acts in.
        if query.get("workspace_id") is not None:
            return False
    return True


def _positive(case):
    meta = getattr(case, "meta", None)
    generation = getattr(meta, "generation", None)
    return generation is None or generation.mode == GenerationMode.POSITIVE


def _case_ok(case):
    if not _positive(case):
        return True
    label = case.operation.label
    return _body_ok(label, case.body) and _query_ok(label, case.query)


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
    return case


@schemathesis.hook
def before_add_examples(ctx, examples):
    examples[:] = [case for case in examples if _case_ok(case)]
    for case in examples:
        map_case(ctx, case)
