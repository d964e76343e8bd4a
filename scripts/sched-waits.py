#!/usr/bin/env python3
"""How long the request path's threads wait to run, and what held the CPU meanwhile.

Wall-clock p99s on a noisy VM move by hundreds of microseconds between identical runs; the
scheduler's own record does not. Record a c1 benchmark run with `perf sched record` and feed
its events here:

    perf sched record -o sched.data -- sleep 4     # while wrk -c1 runs against the gateway
    perf script -i sched.data | scripts/sched-waits.py

A wait is the time from a thread being woken (`sched_waking`), or preempted while runnable,
to its running again. For the request path's threads (the servers' `actix-rt` workers and
`wrk`; REQUEST_PATH overrides the name prefixes), it prints the waits' percentiles, what each
CPU ran during them in all ("swapper" is an idle CPU: on a VM, the halted vCPU's wake-up), and
the waits during which the usage writer held the CPU (WRITER overrides its thread name).
"""
import bisect
import collections
import os
import re
import sys

SWITCH = re.compile(
    r"\s*.*?\s+\d+\s+\[(\d+)\]\s+([\d.]+):\s+sched:sched_switch:\s+prev_comm=(.*?) prev_pid=(\d+) "
    r"prev_prio=\d+ prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)"
)
WAKING = re.compile(r"\s*.*?\s+\d+\s+\[(\d+)\]\s+([\d.]+):\s+sched:sched_waking:\s+comm=.*? pid=(\d+) ")
REQUEST_PATH = tuple(os.environ.get("REQUEST_PATH", "actix-rt,wrk").split(","))
WRITER = os.environ.get("WRITER", "usage-writer")

runnable_since = {}  # pid -> when it became runnable
running = {}  # cpu -> (comm, since)
slices = collections.defaultdict(list)  # cpu -> [(start, end, comm)], in time order
waits = []  # (microseconds, end, cpu) of the request path's threads
for line in sys.stdin:
    m = SWITCH.match(line)
    if m:
        cpu, t = int(m[1]), float(m[2])
        prev_pid, prev_state, next_comm, next_pid = int(m[4]), m[5], m[6], int(m[7])
        if cpu in running:
            comm, since = running[cpu]
            slices[cpu].append((since, t, comm))
        running[cpu] = (next_comm, t)
        if prev_state.startswith("R"):  # preempted: runnable from now
            runnable_since[prev_pid] = t
        since = runnable_since.pop(next_pid, None)
        if since is not None and next_pid != 0 and next_comm.startswith(REQUEST_PATH):
            waits.append(((t - since) * 1e6, t, cpu))
        continue
    m = WAKING.match(line)
    if m:
        runnable_since.setdefault(int(m[3]), float(m[2]))

if not waits:
    sys.exit("no waits of the request path's threads in the input (sched_switch and sched_waking needed)")
starts = {cpu: [s[0] for s in v] for cpu, v in slices.items()}


def held(cpu, start, end):
    """Microseconds each thread ran on `cpu` between `start` and `end`."""
    out = collections.Counter()
    v = slices.get(cpu, [])
    i = max(bisect.bisect_right(starts.get(cpu, []), start) - 1, 0)
    while i < len(v) and v[i][0] < end:
        s, e, comm = v[i]
        if e > start:
            out[comm] += (min(e, end) - max(s, start)) * 1e6
        i += 1
    return out


during = collections.Counter()
behind_writer = []
for us, end, cpu in waits:
    ran = held(cpu, end - us / 1e6, end)
    during.update(ran)
    if ran.get(WRITER, 0) > 0:
        behind_writer.append(ran[WRITER])
ordered = sorted(w[0] for w in waits)
n = len(ordered)
pct = lambda q: ordered[min(int(n * q), n - 1)]
print(f"request-path waits: {n}; p50 {pct(.5):.0f} us, p99 {pct(.99):.0f} us, p99.9 {pct(.999):.0f} us, "
      f"max {ordered[-1]:.0f} us; {sum(ordered) / 1000:.0f} ms in all")
print("  the CPU meanwhile ran (ms): " + ", ".join(f"{c} {x / 1000:.1f}" for c, x in during.most_common(7)))
behind_writer.sort()
print(f"  waits while the usage writer held the CPU: {len(behind_writer)} "
      f"({sum(x > 20 for x in behind_writer)} of them over 20 us of it, {sum(x > 100 for x in behind_writer)} over 100 us); "
      f"longest {behind_writer[-1] if behind_writer else 0:.0f} us; {sum(behind_writer) / 1000:.1f} ms in all")
