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
# Rules the document states in words but JSON Schema cannot (a password's distinct characters,
# a grant's sign) are kept by the hooks in hooks.py, which drop generated cases that break them.
#
# Left out of every run:
# - `POST /auth/logout`: it would end the run's own session (refused for API keys).
# - `DELETE /management-keys/{hash}` in the management-key run: it could delete the key in use.
# - Operations whose request bodies the document does not type yet (issue 20, still open):
#   `POST /responses`, `POST /messages`, `PUT /admin/catalog/providers/{slug}`,
#   `PUT /admin/catalog/models/{author}/{slug}`.
# - The Stripe purchase operations, which answer 503 on a server without Stripe (covered by
#   the e2e tests against a fake Stripe): `POST /credits/checkout`,
#   `GET /credits/checkout/{session_id}`, `PUT /credits/auto-topup`; and `POST /stripe/webhook`,
#   whose every request without a valid Stripe signature is rightly refused.
set -euo pipefail
cd "$(dirname "$0")"
fuzz_dir="$PWD"
: "${SWITCHBOARD_BIN:?build the server and set SWITCHBOARD_BIN}"
cache="${SWITCHBOARD_CLIENT_CACHE:-$HOME/.cache/switchboard-clients}"
mkdir -p "$cache"

venv="$cache/fuzz-venv"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q --disable-pip-version-check -r requirements.txt

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
work="$(mktemp -d)"
server_pid=""
cleanup() { if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT

port=$(free_port)
admin_email="fuzz-admin@switchboard.test" admin_password="correct horse battery staple"
# Sign-up and login limits stay on (they are part of what is judged: 429 is documented) but high
# enough that the runs' own logins get through.
DATA_DIR="$work/data" BIND="127.0.0.1:$port" WORKERS=2 LOG=warn \
  ADMIN_EMAIL="$admin_email" ADMIN_PASSWORD="$admin_password" \
  "$SWITCHBOARD_BIN" >"$work/server.log" 2>&1 &
server_pid=$!
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
  for name in 'POST /api/v1/auth/logout' 'POST /api/v1/responses' 'POST /api/v1/messages' \
    'PUT /api/v1/admin/catalog/providers/{slug}' 'PUT /api/v1/admin/catalog/models/{author}/{slug}' \
    'POST /api/v1/stripe/webhook' \
    'POST /api/v1/credits/checkout' 'GET /api/v1/credits/checkout/{session_id}' 'PUT /api/v1/credits/auto-topup'; do
    excludes+=(--exclude-name "$name")
  done
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

if [ "$failed" -ne 0 ]; then echo "--- server log (last 40 lines)"; tail -40 "$work/server.log"; fi
echo "$passed passed, $failed failed (schemathesis, one run per credential kind)"
[ "$failed" -eq 0 ]
