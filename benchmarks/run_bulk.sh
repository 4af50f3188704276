#!/usr/bin/env bash
# Two optimisations, each on and off in one run: submission batching on the
# TransmitFile load and inline receives on the streaming-receive load of
# bench_bulk (WS2URING_DISABLE=batch / inline-recv turn them off).  Runs
# alternate on/off, ROUNDS times per configuration; prints each run, then a
# table of medians.
#   run_bulk.sh BUILD_DIR [SECONDS] [ROUNDS]
set -euo pipefail
build=${1:?build dir}
secs=${2:-2}
rounds=${3:-3}
out=${OUT_DIR:-$build/bench-results}
mkdir -p "$out"
raw="$out/bulk-runs.txt"
: > "$raw"
bin=$build/benchmarks/bench_bulk

run() {   # run MODE FEATURE SIZE...
    local mode=$1 feature=$2
    shift 2
    for conns in 1 16 64; do
        for size in "$@"; do
            for round in $(seq "$rounds"); do
                "$bin" "$mode" "$conns" "$size" "$secs" on | tee -a "$raw"
                WS2URING_DISABLE=$feature "$bin" "$mode" "$conns" "$size" "$secs" off | tee -a "$raw"
            done
        done
    done
}
run transmit batch 16384 262144
run receive inline-recv 4096 65536

python3 - "$raw" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    f = dict(kv.split("=", 1) for kv in line.split())
    runs.setdefault((f["mode"], int(f["conns"]), int(f["size"]), f["impl"]), []).append(
        (float(f["ops_per_sec"]), float(f["MiB_per_sec"]), int(f["errors"])))
def med(key, i):
    return statistics.median(r[i] for r in runs.get(key, [(0, 0, 0)]))
print()
print("| load | optimisation | conns | size | off ops/s | on ops/s | on/off | on MiB/s |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for mode, feature in (("transmit", "batch"), ("receive", "inline-recv")):
    for conns, size in sorted({(k[1], k[2]) for k in runs if k[0] == mode}):
        off, on = med((mode, conns, size, "off"), 0), med((mode, conns, size, "on"), 0)
        print(f"| {mode} | {feature} | {conns} | {size} | {off:.0f} | {on:.0f} | "
              f"{on / off if off else 0:.2f} | {med((mode, conns, size, 'on'), 1):.0f} |")
print(f"\nerrors in all runs: {sum(r[2] for v in runs.values() for r in v)}")
PY
