#!/usr/bin/env bash
# The whole test suite, installing what it needs first. Runs every test on SQLite, then the
# end-to-end tests again on PostgreSQL (127.0.0.1:5432, started here if it is down).
# Ends with one summary line: "total: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/switchboard-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"
export TEST_POSTGRES_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
log_dir="$(mktemp -d)"
trap 'rm -rf "$log_dir"' EXIT

step() { printf '\n==> %s\n' "$*"; }

ensure_postgres() {
  if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then return; fi
  step "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  for _ in $(seq 1 60); do pg_isready -h 127.0.0.1 -p 5432 -q && return; sleep 0.5; done
  echo "PostgreSQL did not start" >&2
  exit 1
}

drop_stale_test_databases() {
  psql "$TEST_POSTGRES_URL" -Atc "select datname from pg_database where datname like 'sb\_test\_%'" |
    while read -r db; do psql "$TEST_POSTGRES_URL" -qc "drop database if exists \"$db\" with (force)" >/dev/null; done
}

ensure_docker_compose() {
  command -v docker-compose >/dev/null 2>&1 && return
  step "installing docker-compose (to validate docker-compose.yml)"
  (apt-get install -y -qq docker-compose >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq docker-compose >/dev/null; })
}

status=0
run_suite() { # name, command...
  local name="$1"; shift
  step "$name"
  if ! "$@" 2>&1 | tee "$log_dir/$name.log"; then status=1; fi
}

ensure_postgres
drop_stale_test_databases

step "building the web bundle (wasm target and wasm-bindgen are installed if missing)"
export SITE_ROOT="${SITE_ROOT:-$PWD/target/site}"
scripts/build-web.sh --site-dir "$SITE_ROOT"

step "building the server binary (the end-to-end tests also run it as a process)"
cargo build -p server --bin switchboard
export SWITCHBOARD_BIN="$CARGO_TARGET_DIR/debug/switchboard"

run_suite sqlite cargo test --workspace --no-fail-fast
run_suite postgres env TEST_DATABASE=postgres cargo test -p tests --no-fail-fast

step "building the provider emulator binary"
cargo build -p provider-emulator --bin provider-emulator
export EMULATOR_BIN="$CARGO_TARGET_DIR/debug/provider-emulator"
run_suite clients tests/clients/run.sh
# The dashboard in headless Chromium (installed if missing), paying through the fake Stripe.
step "building the fake Stripe binary (the browser tests pay through its payment page)"
cargo build -p tests --bin stripe-fake
export STRIPE_FAKE_BIN="$CARGO_TARGET_DIR/debug/stripe-fake"
run_suite browser tests/browser/run.sh
# schemathesis judges the server by its own OpenAPI document, once per credential kind.
run_suite fuzz tests/fuzz/run.sh

step "docker-compose.yml"
ensure_docker_compose
if JWT_SECRET=validation-only docker-compose -f docker-compose.yml config -q; then
  echo "docker-compose.yml is valid"
else
  echo "docker-compose.yml is invalid"; status=1
fi

drop_stale_test_databases
# cargo's "test result: ok. N passed; M failed" lines and pytest's "N passed, M failed in 2s".
read -r passed failed < <(cat "$log_dir"/*.log |
  awk '/^test result: |^[0-9]+ (passed|failed)|^=+ [0-9]+ (passed|failed)/ { for (i = 1; i < NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
       /^# (pass|fail) [0-9]+$/ { if ($2 == "pass") p += $3; else f += $3 }
       END { print p + 0, f + 0 }')
echo
echo "total: ${passed:-0} passed, ${failed:-0} failed"
if [ "${passed:-0}" -eq 0 ]; then echo "no test ran" >&2; exit 1; fi
exit "$status"
