# Sourced by the benchmark scripts: the provider emulator and servers on loopback, each server
# with a funded bench account and an API key, all stopped (and the work folder removed) on exit.
# Defines: $work (a temporary folder), free_port, bench_emulator BIN_DIR (sets $emu),
# bench_server BIN_DIR LABEL [VAR=VALUE...] (sets server_port[LABEL] and server_key[LABEL];
# the server's log is $work/srv-LABEL.log). ${pids[0]} is the emulator, then the servers in order.
work="$(mktemp -d)"
pids=()
bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap bench_cleanup EXIT
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

bench_emulator() {
  emu=$(free_port)
  "$1/provider-emulator" --host 127.0.0.1 --port "$emu" --api-key emulator-key --workers 1 --log-capacity 0 >"$work/emu.log" 2>&1 &
  pids+=($!)
}

declare -A server_port server_key
bench_server() {
  local bin=$1 label=$2 srv signup token org admin
  shift 2
  srv=$(free_port)
  env "$@" OPENAI_API_KEY=emulator-key OPENAI_BASE_URL="http://127.0.0.1:$emu/v1" \
    ANTHROPIC_API_KEY=emulator-key ANTHROPIC_BASE_URL="http://127.0.0.1:$emu" DATA_DIR="$work/data-$label" BIND="127.0.0.1:$srv" \
    RATE_LIMIT_KEY_REQUESTS_PER_WINDOW=1000000000 RATE_LIMIT_ORG_REQUESTS_PER_WINDOW=1000000000 \
    ADMIN_EMAIL=bench-admin@example.com ADMIN_PASSWORD="correct horse battery staple" \
    WORKERS=1 LOG=warn "$bin/switchboard" >"$work/srv-$label.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$srv/ready" >/dev/null 2>&1 && break; sleep 0.1; done
  signup=$(curl -fs -X POST "http://127.0.0.1:$srv/api/v1/auth/signup" -H 'content-type: application/json' \
    -d '{"email":"bench@example.com","password":"correct horse battery staple"}')
  token=$(printf '%s' "$signup" | json_field '["token"]')
  org=$(printf '%s' "$signup" | json_field '["user"]["personal_organization_id"]')
  # New organizations start at $0: the admin grants the bench account enough for every run (the
  # requests reserve and settle credit as any tenant's do).
  admin=$(curl -fs -X POST "http://127.0.0.1:$srv/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"email":"bench-admin@example.com","password":"correct horse battery staple"}' | json_field '["token"]')
  curl -fs -X POST "http://127.0.0.1:$srv/api/v1/admin/organizations/$org/credits" -H "authorization: Bearer $admin" \
    -H 'content-type: application/json' -d '{"amount":1000000,"reason":"benchmark"}' >/dev/null ||
    echo "no credit grant endpoint: a binary from before the ledger (nothing to fund)"
  server_port[$label]=$srv
  server_key[$label]=$(curl -fs -X POST "http://127.0.0.1:$srv/api/v1/keys" -H "authorization: Bearer $token" \
    -H 'content-type: application/json' -d '{"name":"bench"}' | json_field '["key"]')
}
