#!/usr/bin/env bash
# Real client libraries against the real server binary, which talks to the provider emulator.
# Installs its own Python environment (cached outside the clone). Called by scripts/test.sh
# with SWITCHBOARD_BIN and EMULATOR_BIN set to built binaries.
set -euo pipefail
cd "$(dirname "$0")"
: "${SWITCHBOARD_BIN:?build the server and set SWITCHBOARD_BIN}"
: "${EMULATOR_BIN:?build provider-emulator and set EMULATOR_BIN}"
cache="${SWITCHBOARD_CLIENT_CACHE:-$HOME/.cache/switchboard-clients}"
mkdir -p "$cache"

venv="$cache/venv"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q --disable-pip-version-check -r python/requirements.txt

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
env "${provider_env[@]}" DATA_DIR="$work/data" BIND="127.0.0.1:$srv_port" WORKERS=2 LOG=warn \
  "$SWITCHBOARD_BIN" >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do
  if curl -fs "http://127.0.0.1:$srv_port/ready" >/dev/null 2>&1 && curl -fs "http://127.0.0.1:$emu_port/health" >/dev/null 2>&1; then break; fi
  sleep 0.1
done

export SB_BASE_URL="http://127.0.0.1:$srv_port"
status=0
"$venv/bin/python" -m pytest -q -p no:cacheprovider python || status=$?
if [ "$status" -ne 0 ]; then echo "--- server log"; tail -50 "$work/server.log"; fi
exit "$status"
