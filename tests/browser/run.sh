#!/usr/bin/env bash
# The dashboard in a real browser: Debian's chromium driven by playwright-core (pinned in
# package-lock.json, installed into a cache outside the clone), against the real server binary,
# the provider emulator and the fake Stripe (with its payment page). Called by scripts/test.sh
# with SWITCHBOARD_BIN, EMULATOR_BIN and STRIPE_FAKE_BIN set to built binaries, and the web
# bundle built into SITE_ROOT (default: <repo>/target/site).
#
# Screenshots (PNG) go to $SCREENSHOT_DIR (default: <repo>/target/screenshots); a few are kept
# in docs/screenshots/ (copied by hand when the pages change).
# To run a subset: BROWSER_TESTS="public.test.js" (default: every *.test.js).
set -euo pipefail
cd "$(dirname "$0")"
repo="$(cd ../.. && pwd)"
: "${SWITCHBOARD_BIN:?build the server and set SWITCHBOARD_BIN}"
: "${EMULATOR_BIN:?build provider-emulator and set EMULATOR_BIN}"
: "${STRIPE_FAKE_BIN:?build the fake Stripe (cargo build -p tests --bin stripe-fake) and set STRIPE_FAKE_BIN}"
export SITE_ROOT="${SITE_ROOT:-$repo/target/site}"
if [ ! -f "$SITE_ROOT/pkg/switchboard_bg.wasm" ]; then
  echo "no web bundle in $SITE_ROOT: run scripts/build-web.sh first" >&2
  exit 1
fi
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-$repo/target/screenshots}"
mkdir -p "$SCREENSHOT_DIR"

# Debian's chromium, installed when missing.
export CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_BIN" ]; then
  echo "installing chromium (Debian package)"
  apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
fi

# playwright-core from package-lock.json, reinstalled only when the lock changes.
cache="${SWITCHBOARD_CLIENT_CACHE:-$HOME/.cache/switchboard-clients}/browser"
stamp="$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)"
install_packages() {
  if [ "$(cat "$cache/.installed" 2>/dev/null)" = "$stamp" ]; then return; fi
  rm -rf "$cache"
  mkdir -p "$cache"
  cp package.json package-lock.json "$cache/"
  (cd "$cache" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
  echo "$stamp" >"$cache/.installed"
}
mkdir -p "$(dirname "$cache")"
if command -v flock >/dev/null; then
  (flock 9; install_packages) 9>"$cache.lock"
else
  install_packages
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
work="$(mktemp -d)"
pids=()
# The fake Stripe's actix server takes SIGTERM as "stop serving" and its process stays: KILL
# whatever is left after a moment.
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

emu_port=$(free_port)
"$EMULATOR_BIN" --host 127.0.0.1 --port "$emu_port" --api-key emulator-key --workers 1 --log-capacity 0 >"$work/emulator.log" 2>&1 &
pids+=($!)
"$STRIPE_FAKE_BIN" >"$work/stripe.out" 2>"$work/stripe.log" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/stripe.out" ] && break; sleep 0.1; done
stripe_base="$(head -1 "$work/stripe.out")"
[ -n "$stripe_base" ] || { echo "the fake Stripe did not start"; cat "$work/stripe.log"; exit 1; }

srv_port=$(free_port)
provider_env=()
for p in OPENAI TOGETHER GROQ DEEPINFRA FIREWORKS CEREBRAS MISTRAL DEEPSEEK XAI; do
  provider_env+=("${p}_API_KEY=emulator-key" "${p}_BASE_URL=http://127.0.0.1:$emu_port/v1")
done
for p in ANTHROPIC GEMINI; do
  provider_env+=("${p}_API_KEY=emulator-key" "${p}_BASE_URL=http://127.0.0.1:$emu_port")
done
export SB_ADMIN_EMAIL="browser-admin@switchboard.test" SB_ADMIN_PASSWORD="correct horse battery staple"
export SB_BASE_URL="http://127.0.0.1:$srv_port" SB_STRIPE_BASE="$stripe_base"
# Alert webhooks may point at this server itself (settings.test.js), so no test sends a
# request off the machine. Every test signs its users up from 127.0.0.1, and the users page's
# paging needs more than a page of them: more sign-ups per IP than the default 30 an hour.
# Auto top-up looks at balances every second (credits.test.js waits for one). settings.test.js
# sends eleven test alerts to page through them, more than the default 5 a minute.
env "${provider_env[@]}" DATA_DIR="$work/data" BIND="127.0.0.1:$srv_port" WORKERS=2 LOG=warn \
  ADMIN_EMAIL="$SB_ADMIN_EMAIL" ADMIN_PASSWORD="$SB_ADMIN_PASSWORD" PUBLIC_URL="$SB_BASE_URL" \
  ALERT_WEBHOOK_ALLOW_PRIVATE=true ALERT_TESTS_PER_MINUTE=100 SIGNUP_PER_IP_PER_HOUR=500 AUTO_TOPUP_CHECK_SECS=1 \
  STRIPE_SECRET_KEY=sk_test_fake_0123456789 STRIPE_WEBHOOK_SECRET=whsec_test_secret STRIPE_API_BASE="$stripe_base" \
  "$SWITCHBOARD_BIN" >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do
  if curl -fs "$SB_BASE_URL/ready" >/dev/null 2>&1 && curl -fs "http://127.0.0.1:$emu_port/health" >/dev/null 2>&1; then break; fi
  sleep 0.1
done

# The tests run from a copy beside a link to the cached node_modules (ESM ignores NODE_PATH).
# Readable spec output goes to the terminal; the TAP summary ("# pass N", "# fail N") after it.
mkdir "$work/tests"
cp ./*.js "$work/tests/"
ln -s "$cache/node_modules" "$work/tests/node_modules"
status=0
# shellcheck disable=SC2086 # BROWSER_TESTS is a list of words
(cd "$work/tests" && node --test --test-concurrency=1 --test-timeout=120000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$work/browser.tap" \
  ${BROWSER_TESTS:-./*.test.js}) || status=$?
echo "--- browser tests summary (screenshots in $SCREENSHOT_DIR)"
grep -E '^# (tests|pass|fail|cancelled|skipped|todo) [0-9]+$' "$work/browser.tap" || echo "# fail 1 (node --test wrote no summary)"
if [ "$status" -ne 0 ]; then
  echo "--- server log (last 60 lines)"; tail -60 "$work/server.log"
  echo "--- fake Stripe log (last 20 lines)"; tail -20 "$work/stripe.log"
fi
exit "$status"
