#!/usr/bin/env bash
# Start-up from a snapshot (issue 16): `skiff snapshot --init init` of
# tests/programs/collatz.c, whose init builds a table of two million Collatz
# chain lengths, then whole-process runs of the original and of the snapshot
# on both tiers in one hyperfine invocation, and each snapshot run's speed-up
# over the original on the same tier. Target: at least 5x, identical output.
# With WASMTIME set (see benches/scripts/startup-cli.sh for a prebuilt
# wasmtime CLI from PyPI), `wasmtime run` of both modules is measured too:
# the snapshot is an ordinary module that any engine runs.
#
# Usage: benches/scripts/snapshot.sh [OUT.md]
#   OUT.md   where hyperfine writes its markdown table (default target/snapshot.md)
# Environment: SKIFF=PATH (default target/release/skiff, built when missing),
#   WASMTIME=PATH, WARMUP=N RUNS=N (default 3 and 15).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PROGRAM="$ROOT/tests/programs/collatz.wasm"
EXPECTED="$ROOT/tests/programs/collatz.expected"
OUT="${1:-$ROOT/target/snapshot.md}"
SNAPSHOT="$ROOT/target/collatz.snapshot.wasm"
WARMUP="${WARMUP:-3}"
RUNS="${RUNS:-15}"

command -v hyperfine >/dev/null || { echo "hyperfine is missing: apt-get install hyperfine" >&2; exit 1; }
SKIFF="${SKIFF:-$ROOT/target/release/skiff}"
if [ ! -x "$SKIFF" ]; then
  (cd "$ROOT" && cargo build --release -q -p skiff)
fi

mkdir -p "$(dirname "$OUT")"
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
"$SKIFF" snapshot --init init -o "$SNAPSHOT" "$PROGRAM"
echo "== skiff snapshot took $(echo "$(date +%s.%N) - $start" | bc) s; $(stat -c %s "$PROGRAM") bytes -> $(stat -c %s "$SNAPSHOT") bytes"

CMDS=()
for engine in interp jit; do
  for module in "$PROGRAM" "$SNAPSHOT"; do
    cmd="$SKIFF run --engine $engine $module"
    if ! diff <($cmd) "$EXPECTED" >/dev/null; then
      echo "not the native output: $cmd" >&2
      exit 1
    fi
    CMDS+=(-n "$engine $(basename "$module")" "$cmd")
  done
done
if [ -n "${WASMTIME:-}" ]; then
  for module in "$PROGRAM" "$SNAPSHOT"; do
    diff <("$WASMTIME" run "$module") "$EXPECTED" >/dev/null || { echo "wasmtime: not the native output for $module" >&2; exit 1; }
    CMDS+=(-n "wasmtime $(basename "$module")" "$WASMTIME run $module")
  done
fi

JSON="$(mktemp)"
trap 'rm -f "$JSON"' EXIT
hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-markdown "$OUT" --export-json "$JSON" "${CMDS[@]}"
echo
cat "$OUT"
echo
python3 - "$JSON" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
print("| engine | original (ms) | snapshot (ms) | speed-up (means) | target >= 5 |")
print("| --- | --- | --- | --- | --- |")
for engine in ["interp", "jit", "wasmtime"]:
    o, s = res.get(f"{engine} collatz.wasm"), res.get(f"{engine} collatz.snapshot.wasm")
    if o and s:
        up = o["mean"] / s["mean"]
        ok = "" if engine == "wasmtime" else ("met" if up >= 5 else "not met")
        print(f"| {engine} | {o['mean']*1e3:.1f} | {s['mean']*1e3:.1f} | {up:.1f} | {ok} |")
PY
