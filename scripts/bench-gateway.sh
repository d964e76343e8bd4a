#!/usr/bin/env bash
# Gateway overhead benchmark: the release server against the provider emulator at zero delay,
# measured with wrk beside the same requests sent to the emulator directly. Loopback only;
# every run is bounded in time. Prints latency at concurrency 1 and throughput at concurrency
# 64 for both (and their ratio), stream latency, and the server's memory per open stream
# (BENCH_STREAMS open streams, default 2000). The Anthropic Messages ingress is measured against
# the emulator's /v1/messages (an Anthropic upstream behind it); the Responses ingress against
# the emulator's chat completions, which serve it (the emulator has no Responses endpoint).
#
# Usage: scripts/bench-gateway.sh [seconds per run, default 10]
# BENCH_BIN_DIR=<folder holding switchboard and provider-emulator> measures those binaries
# instead of building this checkout (for interleaved A/B runs of two commits); BENCH_INGRESS=0
# skips the /responses and /messages runs (for a binary from before those ingresses).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
export CARGO_TARGET_DIR="${BENCH_TARGET_DIR:-$HOME/.cache/switchboard-release}"
if [ -n "${BENCH_BIN_DIR:-}" ]; then
  bin="$BENCH_BIN_DIR"
else
  cargo build --release -q -p server --bin switchboard -p provider-emulator --bin provider-emulator
  bin="$CARGO_TARGET_DIR/release"
fi

# shellcheck source=scripts/bench-serve.sh
source scripts/bench-serve.sh
bench_emulator "$bin"
bench_server "$bin" gateway STREAM_KEEP_ALIVE_MS=5000
srv=${server_port[gateway]}
key=${server_key[gateway]}

body_file="$work/body.json"
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.body = io.open("$body_file"):read("*a")
LUA
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; } # user+system, in clock ticks
run() { # label url auth model stream connections [body: chat (default), responses, messages]
  case "${7:-chat}" in
    chat) printf '{"model":"%s","stream":%s,"messages":[{"role":"user","content":"Hello benchmark"}]}' "$4" "$5" ;;
    responses) printf '{"model":"%s","stream":%s,"input":"Hello benchmark"}' "$4" "$5" ;;
    messages) printf '{"model":"%s","stream":%s,"max_tokens":64,"messages":[{"role":"user","content":"Hello benchmark"}]}' "$4" "$5" ;;
  esac >"$body_file"
  local srv0 emu0
  srv0=$(cpu_ticks "${pids[1]}"); emu0=$(cpu_ticks "${pids[0]}")
  ${PIN:+taskset -c "$PIN"} wrk -t1 -c"$6" -d"${secs}s" --latency -s "$work/post.lua" -H "authorization: Bearer $3" -H "anthropic-version: 2023-06-01" "$2" >"$work/$1.txt"
  local rps p50 p99 n cpu
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/$1.txt")
  p50=$(awk '$1=="50%" {print $2}' "$work/$1.txt")
  p99=$(awk '$1=="99%" {print $2}' "$work/$1.txt")
  n=$(awk '/requests in/ {print $1}' "$work/$1.txt")
  # CPU time per request of the process that served it (the server for gateway runs).
  case "$1" in
    gateway*) cpu=$(( ($(cpu_ticks "${pids[1]}") - srv0) * 1000000 / $(getconf CLK_TCK) / n )) ;;
    *) cpu=$(( ($(cpu_ticks "${pids[0]}") - emu0) * 1000000 / $(getconf CLK_TCK) / n )) ;;
  esac
  # Rate limits are checked (limits set out of reach) but must never answer: every reply counts.
  if grep -q "Non-2xx" "$work/$1.txt"; then grep "Non-2xx" "$work/$1.txt"; echo "$1: errors, figures invalid" >&2; exit 1; fi
  printf '%-28s rps %10s   p50 %8s   p99 %8s   cpu/req %4s us\n' "$1" "$rps" "$p50" "$p99" "$cpu"
  echo "$rps" >"$work/$1.rps"
  cp "$work/$1.txt" "$work/$1.wrk"
}
direct="http://127.0.0.1:$emu/v1/chat/completions"
gateway="http://127.0.0.1:$srv/api/v1/chat/completions"
echo "runs of ${secs}s; server and emulator with 1 worker each"
run direct-c1 "$direct" emulator-key gpt-4o-mini false 1
run gateway-c1 "$gateway" "$key" openai/gpt-4o-mini false 1
run direct-c64 "$direct" emulator-key gpt-4o-mini false 64
run gateway-c64 "$gateway" "$key" openai/gpt-4o-mini false 64
run direct-stream-c1 "$direct" emulator-key gpt-4o-mini true 1
run gateway-stream-c1 "$gateway" "$key" openai/gpt-4o-mini true 1
if [ "${BENCH_INGRESS:-1}" = 1 ]; then
  run gateway-responses-c1 "http://127.0.0.1:$srv/api/v1/responses" "$key" openai/gpt-4o-mini false 1 responses
  run gateway-responses-c64 "http://127.0.0.1:$srv/api/v1/responses" "$key" openai/gpt-4o-mini false 64 responses
  run direct-messages-c1 "http://127.0.0.1:$emu/v1/messages" emulator-key claude-haiku-4-5 false 1 messages
  run gateway-messages-c1 "http://127.0.0.1:$srv/api/v1/messages" "$key" anthropic/claude-haiku-4.5 false 1 messages
  run direct-messages-c64 "http://127.0.0.1:$emu/v1/messages" emulator-key claude-haiku-4-5 false 64 messages
  run gateway-messages-c64 "http://127.0.0.1:$srv/api/v1/messages" "$key" anthropic/claude-haiku-4.5 false 64 messages
fi
# The same c1 runs with the request path (load generator, emulator, server) confined to one
# CPU. On a VM, waking a thread on the other (idle, halted) vCPU costs tens of microseconds
# with a long tail, and a request through the gateway makes four such wake-ups where a direct
# one makes two; on one CPU that cost leaves both paths, and what remains is the work each
# side does. The server's background usage writer keeps the other CPU, as it would have spare
# cores in production (sharing the saturated one, it would only run when its queue is full).
if [ "$(nproc)" -gt 1 ] && command -v taskset >/dev/null; then
  pin() { for p in "${pids[@]}"; do taskset -a -p -c "$1" "$p" >/dev/null; done; }
  pin 0
  for task in /proc/"${pids[1]}"/task/*; do
    if [ "$(cat "$task/comm")" = usage-writer ]; then taskset -p -c 1 "${task##*/}" >/dev/null; fi
  done
  PIN=0 run direct-c1-one-cpu "$direct" emulator-key gpt-4o-mini false 1
  PIN=0 run gateway-c1-one-cpu "$gateway" "$key" openai/gpt-4o-mini false 1
  pin "0-$(($(nproc) - 1))"
fi
python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
r = lambda n: float(open(f"{w}/{n}.rps").read())
import os
ingress = os.path.exists(f"{w}/gateway-responses-c64.rps")
print(f"throughput ratio at c64: {r('gateway-c64') / r('direct-c64'):.2f} x direct"
      + (f"; /responses {r('gateway-responses-c64') / r('direct-c64'):.2f}; "
         f"/messages {r('gateway-messages-c64') / r('direct-messages-c64'):.2f}" if ingress else ""))
def us(label, pct):
    for line in open(f"{w}/{label}.wrk"):
        parts = line.split()
        if parts and parts[0] == pct:
            v = parts[1]
            for unit, f in (("us", 1), ("ms", 1000), ("s", 1000000)):
                if v.endswith(unit):
                    return float(v[: -len(unit)]) * f
for pct in ("50%", "99%"):
    one_cpu = ""
    if os.path.exists(f"{w}/gateway-c1-one-cpu.wrk"):
        one_cpu = f"; on one CPU {us('gateway-c1-one-cpu', pct) - us('direct-c1-one-cpu', pct):.0f} us"
    print(f"added latency at c1, {pct}: {us('gateway-c1', pct) - us('direct-c1', pct):.0f} us; "
          f"stream {us('gateway-stream-c1', pct) - us('direct-stream-c1', pct):.0f} us{one_cpu}"
          + (f"; /responses {us('gateway-responses-c1', pct) - us('direct-c1', pct):.0f} us; "
             f"/messages {us('gateway-messages-c1', pct) - us('direct-messages-c1', pct):.0f} us" if ingress else ""))
PY

# Memory per open stream: N clients hold streams whose upstream waits 60 s for its first token.
streams="${BENCH_STREAMS:-2000}"
srv_pid="${pids[1]}"
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
python3 - "$srv" "$key" "$streams" "$srv_pid" <<'PY'
import asyncio, json, sys, time
port, key, n, pid = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
def rss_kib():
    return int(next(l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")).split()[1])
body = json.dumps({"model": "openai/gpt-4o-mini", "stream": True,
                   "messages": [{"role": "user", "content": "[[emulator: ttft-ms=60000]] hold"}]}).encode()
request = (f"POST /api/v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {key}\r\n"
           f"content-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n").encode() + body
async def hold(ready):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    seen = b""
    while b"OPENROUTER PROCESSING" not in seen:
        chunk = await asyncio.wait_for(reader.read(4096), 30)
        if not chunk:
            raise RuntimeError("stream closed early")
        seen += chunk
    ready.append(1)
    return writer
async def main():
    before = rss_kib()
    ready = []
    writers = []
    for i in range(0, n, 200):  # open in waves to stay friendly to the accept queue
        writers += await asyncio.gather(*(hold(ready) for _ in range(min(200, n - i))))
    time.sleep(1)
    during = rss_kib()
    print(f"open streams: {len(ready)}; server RSS {before} KiB idle -> {during} KiB; "
          f"{(during - before) / max(len(ready), 1):.1f} KiB per open stream")
    for w in writers:
        w.close()
asyncio.run(main())
PY
