#!/usr/bin/env bash
# schemathesis against the real server binary, judging it by its own OpenAPI document: once per
# credential kind (a user's session, an inference key, a management key, a platform admin's
# session), every operation but those listed below, `--mode all`, schemathesis's default checks, bounded. Any failure
# fails the run. Called by scripts/test.sh with SWITCHBOARD_BIN set to a built binary; installs
# schemathesis (pinned) and openapi-spec-validator into a venv cached outside the clone.
#
# One worker: concurrent workers trip a CPython 3.11 bug in hypothesis's lambda descriptions
# ("AST constructor recursion depth mismatch"), which schemathesis reports as an error.
#
# Knobs: FUZZ_MAX_EXAMPLES (per operation and phase, default 5), FUZZ_SEED (default fixed, so
# the suite judges every commit by the same cases; `FUZZ_SEED=random` explores, printing the seed
# for a replay), FUZZ_KINDS (default "inference management session admin").
#
# The inference answers are typed (`ChatResponse`, `ChatChunk` per stream event, ...), but this
# server has no provider configured, so their 200s are rare here: tests/openapi_answers.rs
# checks real answers (the provider emulator, every protocol) against the same schemas.
#
# Cost (90 operations, all but the two left out below; 2 cores shared with other builds,
# 2026-12-06): the suite's default (5 examples, the fixed seed) generates about 8,200-8,400
# cases per kind in 50-60 s each; `FUZZ_SEED=random FUZZ_MAX_EXAMPLES=25` about 10,000-10,100
# per kind in 150-250 s.
#
# Rules the document states in words but JSON Schema cannot (a password's distinct characters,
# a grant's sign) are kept by the hooks in hooks.py, which drop generated cases that break them.
#
# Left out of every run:
# - `POST /auth/logout`: it would end the run's own session (refused for API keys).
# - `DELETE /management-keys/{hash}` in the management-key run: it could delete the key in use.
#
# Purchasing runs against the fake Stripe (tests/src/stripe_fake.rs, STRIPE_FAKE_BIN): checkout
# sessions are created there, and the hooks sign every `POST /stripe/webhook` case with the
# server's webhook secret, as Stripe would, so the webhook is judged on the events it reads.
set -euo pipefail
cd "$(dirname "$0")"
fuzz_dir="$PWD"
: "${SWITCHBOARD_BIN:?build the server and set SWITCHBOARD_BIN}"
: "${STRIPE_FAKE_BIN:?build the fake Stripe (cargo build -p tests --bin stripe-fake) and set STRIPE_FAKE_BIN}"
cache="${SWITCHBOARD_CLIENT_CACHE:-$HOME/.cache/switchboard-clients}"
mkdir -p "$cache"

venv="$cache/fuzz-venv"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q --disable-pip-version-check -r requirements.txt

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
work="$(mktemp -d)"
pids=()
# The fake Stripe's actix server takes SIGTERM as "stop serving" and its process stays: KILL
# whatever is left after a moment.
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 0.5
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$STRIPE_FAKE_BIN" >"$work/stripe.out" 2>"$work/stripe.log" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/stripe.out" ] && break; sleep 0.1; done
stripe_base="$(head -1 "$work/stripe.out")"
[ -n "$stripe_base" ] || { echo "the fake Stripe did not start"; cat "$work/stripe.log"; exit 1; }
# The hooks sign webhook cases with it (hooks.py reads it from the environment).
export FUZZ_STRIPE_WEBHOOK_SECRET="whsec_fuzz_$RANDOM$RANDOM"

port=$(free_port)
admin_email="fuzz-admin@switchboard.test" admin_password="correct horse battery staple"
# Sign-up and login limits stay on (they are part of what is judged: 429 is documented) but high
# enough that the runs' own logins get through.
DATA_DIR="$work/data" BIND="127.0.0.1:$port" WORKERS=2 LOG=warn \
  ADMIN_EMAIL="$admin_email" ADMIN_PASSWORD="$admin_password" PUBLIC_URL="http://127.0.0.1:$port" \
  STRIPE_SECRET_KEY=sk_test_fake_0123456789 STRIPE_WEBHOOK_SECRET="$FUZZ_STRIPE_WEBHOOK_SECRET" \
  STRIPE_API_BASE="$stripe_base" \
  "$SWITCHBOARD_BIN" >"$work/server.log" 2>&1 &
pids+=($!)
base="http://127.0.0.1:$port"
for _ in $(seq 1 200); do curl -fs "$base/ready" >/dev/null 2>&1 && break; sleep 0.1; done

curl -fs "$base/api/v1/openapi.json" >"$work/openapi.json"
"$venv/bin/python" -c 'import json, sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print("openapi.json: a valid OpenAPI 3.1 document")' "$work/openapi.json"
operations=$("$venv/bin/python" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(sum(len(i) for i in d["paths"].values()))' "$work/openapi.json")
echo "operations: $operations"

# The credentials: the admin's session, a user's session, and that user's keys.
json_field() { "$venv/bin/python" -c 'import json, sys; v = json.load(sys.stdin); [v := v[k] for k in sys.argv[1:]]; print(v)' "$@"; }
post() { # path, token, body
  curl -fsS -X POST "$base/api/v1$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$3"
}
admin_token=$(curl -fsS -X POST "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$admin_email\",\"password\":\"$admin_password\"}" | json_field token)
signup=$(curl -fsS -X POST "$base/api/v1/auth/signup" -H 'Content-Type: application/json' \
  -d '{"email":"fuzz-user@switchboard.test","password":"correct horse battery staple","name":"Fuzz"}')
user_token=$(json_field token <<<"$signup")
org_id=$(json_field user personal_organization_id <<<"$signup")
inference_key=$(post /keys "$user_token" '{"name":"fuzz inference"}' | json_field key)
management_key=$(post /management-keys "$user_token" '{"name":"fuzz management"}' | json_field key)
# Funded, so that a valid inference request is not refused for credit (402).
post "/admin/organizations/$org_id/credits" "$admin_token" '{"amount":100,"reason":"fuzzing"}' >/dev/null

seed="${FUZZ_SEED:-20261205}"
if [ "$seed" = random ]; then seed="$RANDOM$RANDOM"; fi
max_examples="${FUZZ_MAX_EXAMPLES:-5}"
echo "seed: $seed, max examples per operation: $max_examples"
passed=0 failed=0
for kind in ${FUZZ_KINDS:-inference management session admin}; do
  excludes=()
  excludes+=(--exclude-name 'POST /api/v1/auth/logout')
  case "$kind" in
    inference) token="$inference_key" ;;
    management) token="$management_key"
      excludes+=(--exclude-name 'DELETE /api/v1/management-keys/{hash}') ;;
    session) token="$user_token" ;;
    admin) token="$admin_token" ;;
    *) echo "unknown credential kind: $kind" >&2; exit 2 ;;
  esac
  started=$(date +%s)
  status=0
  # From the scratch directory: schemathesis keeps a `.schemathesis` cache where it runs.
  (cd "$work" && PYTHONPATH="$fuzz_dir" SCHEMATHESIS_HOOKS=hooks "$venv/bin/schemathesis" run "$base/api/v1/openapi.json" --url "$base" \
    -H "Authorization: Bearer $token" \
    --mode all --max-examples "$max_examples" --seed "$seed" --workers 1 \
    --generation-database none --no-color --request-timeout 30 \
    "${excludes[@]}" \
    --report junit --report-junit-path "$work/$kind.xml") >"$work/$kind.log" 2>&1 || status=$?
  cases=$("$venv/bin/python" -c 'import re, sys; t = open(sys.argv[1]).read(); m = re.findall(r"(\d+) generated", t); print(m[-1] if m else "?")' "$work/$kind.log")
  if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
    echo "schemathesis ($kind): ok, $cases generated cases, $(($(date +%s) - started))s"
  else
    failed=$((failed + 1))
    echo "schemathesis ($kind): FAILED (exit $status), $(($(date +%s) - started))s"
    cat "$work/$kind.log"
  fi
done

if [ "$failed" -ne 0 ]; then
  echo "--- server log (last 40 lines)"; tail -40 "$work/server.log"
  echo "--- fake Stripe log (last 20 lines)"; tail -20 "$work/stripe.log"
fi
echo "$passed passed, $failed failed (schemathesis, one run per credential kind)"
[ "$failed" -eq 0 ]
