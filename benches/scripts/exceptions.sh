#!/usr/bin/env bash
# The exception microbenchmarks of benches/exceptions/, on Skiff's JIT and
# interpreter and on wasmtime, whole process, with hyperfine (one run per
# program). Each engine's answer is checked against the formula first.
#   throwcatch.wat  N calls two frames deep inside a `try_table`, every
#                   other one throwing back through both frames
#   trycall.wat     N calls inside a `try_table`, none throwing: what a
#                   call that may throw costs
#
#   benches/scripts/exceptions.sh [N]      (default N = 1000000)
#
# Environment: SKIFF (default target/release/skiff, built when missing),
# WASMTIME (the wasmtime CLI; default `wasmtime` on PATH; see
# startup-cli.sh for a prebuilt one from PyPI), RUNS (default 10).
# Needs hyperfine and python3.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SKIFF="${SKIFF:-$ROOT/target/release/skiff}"
RUNS="${RUNS:-10}"
N="${1:-1000000}"
[ -x "$SKIFF" ] || cargo build --release -p skiff
WASMTIME="${WASMTIME:-$(command -v wasmtime || true)}"
bench() {
    local wat="$ROOT/benches/exceptions/$1.wat" expected="$2"
    local runs=(-n skiff-jit "$SKIFF run --engine jit --invoke run $wat $N"
                -n skiff-interp "$SKIFF run --engine interp --invoke run $wat $N")
    [ -n "$WASMTIME" ] && runs+=(-n wasmtime "$WASMTIME run --invoke run $wat $N")
    for ((i = 1; i < ${#runs[@]}; i += 3)); do
        got="$(sh -c "${runs[i + 1]}" 2>/dev/null)"
        if [ "$got" != "$expected" ]; then
            echo "$1, ${runs[i]}: printed '$got', expected $expected" >&2
            exit 1
        fi
    done
    echo "== $1.wat, N = $N: every engine printed $expected"
    hyperfine -N -w 2 -r "$RUNS" "${runs[@]}"
}

echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
bench throwcatch "$(python3 -c "print(sum(3*i if i % 2 else i + 1 for i in range(1, $N + 1)))")"
bench trycall "$(python3 -c "print(sum(i ^ 5 for i in range(1, $N + 1)))")"
