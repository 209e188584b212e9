#!/usr/bin/env bash
# Whole-process comparisons of `skiff run` on the scalar and SIMD corpus with
# hyperfine (each pair measured in the same run), printed as Markdown tables
# with the geometric mean of the ratios. The figures in benches/RESULTS.md
# dated 2026-12-06 come from this script.
#
#   benches/scripts/cli.sh before OLD_SKIFF NEW_SKIFF   # a build against another
#   benches/scripts/cli.sh simd SKIFF                   # NAME-simd.wasm against NAME.wasm (interpreter)
#   benches/scripts/cli.sh metering SKIFF               # --fuel and --timeout against neither
#
# RUNS (default 5) sets hyperfine's runs per command. The sizes are the
# manifest's BENCH sizes for the JIT and a fifth of them for the interpreter
# (fib: 35), so that each run takes about a second. Needs hyperfine and python3.
set -euo pipefail
cd "$(dirname "$0")/../corpus"
RUNS="${RUNS:-5}"
OUT="$(mktemp -d)"
PROGRAMS=(fib loops nbody sha256 matmul bytecode sort memcopy)
declare -A JIT_SIZE=([fib]=41 [loops]=1500000 [nbody]=1500000 [sha256]=30000 [matmul]=1100 [bytecode]=1300000 [sort]=4000000 [memcopy]=20000)
declare -A INTERP_SIZE=([fib]=35 [loops]=300000 [nbody]=300000 [sha256]=6000 [matmul]=500 [bytecode]=260000 [sort]=800000 [memcopy]=4000)

size() { if [ "$1" = jit ]; then echo "${JIT_SIZE[$2]}"; else echo "${INTERP_SIZE[$2]}"; fi; }

# compare TIER PROGRAM NAME=COMMAND... (the program's module and size appended)
compare() {
    local tier=$1 p=$2; shift 2
    local args=()
    for nc in "$@"; do
        args+=(-n "${nc%%=*}" "${nc#*=} $(size "$tier" "$p")")
    done
    hyperfine -N -w 1 -r "$RUNS" --export-json "$OUT/$tier-$p.json" "${args[@]}" >/dev/null
}

# table TIER BASE OTHER: one row a program, OTHER's mean over BASE's.
table() {
    python3 - "$OUT" "$1" "$2" "$3" "${PROGRAMS[*]}" <<'PY'
import json, math, sys
out, tier, a, b, programs = sys.argv[1:]
print(f"\n{tier}: {b} / {a}\n\n| program | {a} (s) | {b} (s) | {b} / {a} |\n| --- | --- | --- | --- |")
logs = []
for p in programs.split():
    m = {r["command"]: r for r in json.load(open(f"{out}/{tier}-{p}.json"))["results"]}
    r = m[b]["mean"] / m[a]["mean"]
    logs.append(math.log(r))
    print(f"| {p} | {m[a]['mean']:.3f} ± {m[a]['stddev']:.3f} | {m[b]['mean']:.3f} ± {m[b]['stddev']:.3f} | {r:.3f} |")
print(f"| **geometric mean** | | | **{math.exp(sum(logs) / len(logs)):.3f}** |")
PY
}

case "${1:-}" in
before)
    old=$2 new=$3
    for tier in jit interp; do
        for p in "${PROGRAMS[@]}"; do
            compare "$tier" "$p" "before=$old run --engine $tier $p.wasm" "after=$new run --engine $tier $p.wasm"
        done
        table "$tier" before after
    done ;;
simd)
    skiff=$2
    for p in "${PROGRAMS[@]}"; do
        compare interp "$p" "scalar=$skiff run --engine interp $p.wasm" "simd=$skiff run --engine interp $p-simd.wasm"
    done
    table interp scalar simd ;;
metering)
    skiff=$2
    for tier in jit interp; do
        for p in "${PROGRAMS[@]}"; do
            compare "$tier" "$p" "off=$skiff run --engine $tier $p.wasm" \
                "fuel=$skiff run --engine $tier --fuel 100000000000000 $p.wasm" \
                "epochs=$skiff run --engine $tier --timeout 1000s $p.wasm"
        done
        table "$tier" off fuel
        table "$tier" off epochs
    done ;;
*)
    sed -n '2,14p' "$0" >&2
    exit 2 ;;
esac
