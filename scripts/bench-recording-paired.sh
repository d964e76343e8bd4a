#!/usr/bin/env bash
# What recording costs a request's tail at concurrency 1, with the machine's drift paired out.
# The release build as served ("on": usage records, rollups, ledger debits, metrics) and the
# `bench-unrecorded` build with METRICS_ENABLED=false ("off") run side by side against one
# emulator. Each cycle runs wrk at c1 for a run's seconds (1 by default) on each build and on
# the emulator directly, in rotating order, and keeps each run's whole latency histogram. The
# histograms are pooled per build over all cycles for its percentiles; on − off gets a 95 %
# interval from a bootstrap over cycles (a cycle's runs resampled together, so what the machine
# did in that stretch falls on both builds alike). On a VM whose c1 p99 swings by hundreds of microseconds
# from one 10 s run to the next, many short paired runs read a difference that whole runs cannot.
# Loopback only; every run is bounded in time.
#
# Usage: scripts/bench-recording-paired.sh [seconds per run, default 1] [cycles, default 200]
# BENCH_ON_DIR / BENCH_OFF_DIR=<folder holding switchboard and provider-emulator> measure those
# binaries instead of building this checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-1}"
cycles="${2:-200}"
export CARGO_TARGET_DIR="${BENCH_TARGET_DIR:-$HOME/.cache/switchboard-release}"
builds="$(mktemp -d)"
if [ -n "${BENCH_ON_DIR:-}" ]; then
  on="$BENCH_ON_DIR" off="$BENCH_OFF_DIR"
else
  on="$builds/on" off="$builds/off"
  mkdir -p "$on" "$off"
  cargo build --release -q -p server --bin switchboard -p provider-emulator --bin provider-emulator
  cp "$CARGO_TARGET_DIR/release/switchboard" "$CARGO_TARGET_DIR/release/provider-emulator" "$on/"
  cargo build --release -q -p server --bin switchboard --features bench-unrecorded
  cp "$CARGO_TARGET_DIR/release/switchboard" "$off/"
fi

# shellcheck source=scripts/bench-serve.sh
source scripts/bench-serve.sh
trap 'bench_cleanup; rm -rf "$builds"' EXIT
bench_emulator "$on"
bench_server "$on" on
bench_server "$off" off BENCH_UNRECORDED=1 METRICS_ENABLED=false

# wrk's done() writes the run's latency histogram (value in µs, count) to $OUT.
cat >"$work/histogram.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.body = '{"model":"' .. os.getenv("MODEL") .. '","stream":false,"messages":[{"role":"user","content":"Hello benchmark"}]}'
done = function(summary, latency, requests)
  local f = io.open(os.getenv("OUT"), "w")
  for i = 1, #latency do
    local value, count = latency(i)
    f:write(string.format("%d %d\n", value, count))
  end
  f:close()
  local e = summary.errors
  if e.status + e.connect + e.read + e.write + e.timeout > 0 then
    io.stderr:write("errors: figures invalid\n")
    os.exit(1)
  end
end
LUA
run() { # variant seconds histogram-file
  local url auth model
  case "$1" in
    direct) url="http://127.0.0.1:$emu/v1/chat/completions" auth=emulator-key model=gpt-4o-mini ;;
    *) url="http://127.0.0.1:${server_port[$1]}/api/v1/chat/completions" auth="${server_key[$1]}" model=openai/gpt-4o-mini ;;
  esac
  MODEL="$model" OUT="$3" wrk -t1 -c1 -d"$2s" -s "$work/histogram.lua" -H "authorization: Bearer $auth" "$url" >/dev/null
}
variants=(on off direct)
for v in "${variants[@]}"; do run "$v" 2 /dev/null; done # warm-up
mkdir -p "$work/runs"
echo "c1, $cycles cycles of ${secs}s runs on each of: ${variants[*]}"
n=${#variants[@]}
for c in $(seq 1 "$cycles"); do
  for i in $(seq 0 $((n - 1))); do
    v=${variants[$(((i + c) % n))]}
    run "$v" "$secs" "$work/runs/$v-$c.hist"
  done
done

python3 - "$work/runs" "$cycles" "${variants[@]}" <<'PY'
import random, sys
runs, cycles, variants = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
PCTS = (50, 90, 99, 99.9)
hists = {v: [dict(tuple(map(int, line.split())) for line in open(f"{runs}/{v}-{c}.hist"))
             for c in range(1, cycles + 1)] for v in variants}

def percentiles(runs_of, weights):
    total = {}
    for hist, weight in zip(runs_of, weights):
        if weight:
            for value, count in hist.items():
                total[value] = total.get(value, 0) + weight * count
    n = sum(total.values())
    found, seen, targets = [], 0, [n * p / 100 for p in PCTS]
    for value in sorted(total):
        seen += total[value]
        while len(found) < len(targets) and seen >= targets[len(found)]:
            found.append(value)
    return n, found

whole = {v: percentiles(hists[v], [1] * cycles) for v in variants}
for v, (n, found) in whole.items():
    print(f"{v:7s} {n:9d} requests   " + "   ".join(f"p{p} {f:6d} us" for p, f in zip(PCTS, found)))
rng = random.Random(1)
samples = [[rng.randrange(cycles) for _ in range(cycles)] for _ in range(400)]
point = [a - b for a, b in zip(whole["on"][1], whole["off"][1])]
spread = []
for sample in samples:
    weights = [0] * cycles
    for c in sample:
        weights[c] += 1
    on, off = percentiles(hists["on"], weights)[1], percentiles(hists["off"], weights)[1]
    spread.append([a - b for a, b in zip(on, off)])
for k, p in enumerate(PCTS):
    diffs = sorted(s[k] for s in spread)
    lo, hi = diffs[int(0.025 * len(diffs))], diffs[int(0.975 * len(diffs)) - 1]
    print(f"recording on − off, p{p}: {point[k]:+d} us (95 % interval {lo:+d} to {hi:+d})")
PY
