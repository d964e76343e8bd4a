#!/usr/bin/env bash
# What recording costs a request: the gateway benchmark (scripts/bench-gateway.sh) against two
# release builds of this checkout, interleaved (on, off, on, off, ...) so that the machine's
# drift falls on both alike:
#   on  — as served: usage records, rollups (8 tables), ledger debits, Prometheus metrics;
#   off — built with the `bench-unrecorded` feature (every record dropped before the usage
#         writer's queue, so the writer never runs) and METRICS_ENABLED=false (no recorder).
# Funding (reservations, leases) runs in both. Loopback only; every run is bounded in time.
# Prints each round's figures and, per figure, the median over rounds of (on − off).
# BENCH_BASE_DIR=<folder holding switchboard and provider-emulator of an earlier commit> adds
# that build as a variant in each round, and the median of (on − base).
# BENCH_FUNDING=1 adds a build with the `bench-unfunded` feature (no credit reserved, no ledger
# debit written; recording and metrics as served), and the median of (on − unfunded): what
# money costs a request.
#
# Usage: scripts/bench-recording.sh [seconds per run, default 10] [rounds, default 3]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
rounds="${2:-3}"
export CARGO_TARGET_DIR="${BENCH_TARGET_DIR:-$HOME/.cache/switchboard-release}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/on" "$work/off"
cargo build --release -q -p server --bin switchboard -p provider-emulator --bin provider-emulator
cp "$CARGO_TARGET_DIR/release/switchboard" "$CARGO_TARGET_DIR/release/provider-emulator" "$work/on/"
cargo build --release -q -p server --bin switchboard --features bench-unrecorded
cp "$CARGO_TARGET_DIR/release/switchboard" "$work/off/"
cp "$work/on/provider-emulator" "$work/off/"

variants=(on off)
if [ "${BENCH_FUNDING:-0}" = 1 ]; then
  mkdir -p "$work/unfunded"
  cargo build --release -q -p server --bin switchboard --features bench-unfunded
  cp "$CARGO_TARGET_DIR/release/switchboard" "$work/unfunded/"
  cp "$work/on/provider-emulator" "$work/unfunded/"
  variants+=(unfunded)
fi
if [ -n "${BENCH_BASE_DIR:-}" ]; then
  mkdir -p "$work/base"
  cp "$BENCH_BASE_DIR/switchboard" "$BENCH_BASE_DIR/provider-emulator" "$work/base/"
  variants+=(base)
fi
for round in $(seq 1 "$rounds"); do
  for variant in "${variants[@]}"; do
    echo "== round $round, recording $variant"
    unset BENCH_UNRECORDED METRICS_ENABLED BENCH_UNFUNDED
    case "$variant" in
      off) export BENCH_UNRECORDED=1 METRICS_ENABLED=false ;;
      unfunded) export BENCH_UNFUNDED=1 ;;
    esac
    BENCH_BIN_DIR="$work/$variant" BENCH_INGRESS=0 BENCH_STREAMS=100 \
      scripts/bench-gateway.sh "$secs" | tee "$work/$variant-$round.txt"
  done
done

python3 - "$work" "$rounds" "${variants[@]}" <<'PY'
import re, statistics, sys
work, rounds, variants = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def figures(path):
    text = open(path).read()
    out = {}
    m = re.search(r"^gateway-c64 +rps +([\d.]+).*cpu/req +(\d+) us", text, re.M)
    out["c64 req/s"], out["c64 CPU µs/req"] = float(m[1]), float(m[2])
    for pct in ("50%", "99%"):
        m = re.search(rf"added latency at c1, {pct}: (-?\d+) us.*?(?:on one CPU (-?\d+) us)?$", text, re.M)
        out[f"added c1 {pct} µs"] = float(m[1])
        if m[2] is not None:
            out[f"added c1 one-CPU {pct} µs"] = float(m[2])
    return out
runs = {v: [figures(f"{work}/{v}-{r}.txt") for r in range(1, rounds + 1)] for v in variants}
others = [v for v in variants if v != "on"]
print(f"\n{'figure':<26} " + "  ".join(f"round {r}: " + " / ".join(variants) for r in range(1, rounds + 1))
      + "   " + "   ".join(f"median(on − {v})" for v in others))
for name in runs["on"][0]:
    cells = "  ".join(" / ".join(f"{runs[v][r].get(name, float('nan')):.0f}" for v in variants) for r in range(rounds))
    medians = "   ".join(f"{statistics.median(runs['on'][r][name] - runs[v][r][name] for r in range(rounds)):+.0f}"
                         for v in others if name in runs[v][0])
    print(f"{name:<26} {cells}   {medians}")
PY
