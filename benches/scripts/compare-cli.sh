#!/usr/bin/env bash
# Whole-process comparison of the CLIs: `skiff run` against `wasmtime run` on
# every corpus program, with hyperfine; prints each program's mean times and
# the ratio skiff/wasmtime.
#
# Usage: benches/scripts/compare-cli.sh [small|bench]      (default: bench)
#
# Environment:
#   SKIFF=PATH      the skiff binary (default: target/release/skiff, built with
#                   `cargo build --release -p skiff` when missing)
#   WASMTIME=PATH   the wasmtime CLI (default: `wasmtime` on PATH, else
#                   target-peers/wasmtime-cli/bin/wasmtime). Install it with
#                   cargo install wasmtime-cli --version '^48' --locked \
#                     --root target-peers/wasmtime-cli
#                   (a long build: ~15-20 min on 2 cores).
#   RUNS=N          hyperfine runs per command (default 5; 10 for small)
#   PROGRAMS="fib sort"  only these programs
#
# hyperfine comes from Debian's packages; the script installs it with apt-get
# when it is missing and we are root. Until `skiff run` exists (`skiff run
# --help` fails), only wasmtime is measured and Skiff's column says "absent".
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CORPUS="$ROOT/benches/corpus"
SIZE="${1:-bench}"
case "$SIZE" in
  small) COL=2; RUNS="${RUNS:-10}" ;;
  bench) COL=4; RUNS="${RUNS:-5}" ;;
  *) echo "usage: $0 [small|bench]" >&2; exit 2 ;;
esac

if ! command -v hyperfine >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing hyperfine (apt-get)" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >&2
  else
    echo "hyperfine is missing: apt-get install hyperfine" >&2
    exit 1
  fi
fi

WASMTIME="${WASMTIME:-$(command -v wasmtime || true)}"
if [ -z "$WASMTIME" ] && [ -x "$ROOT/target-peers/wasmtime-cli/bin/wasmtime" ]; then
  WASMTIME="$ROOT/target-peers/wasmtime-cli/bin/wasmtime"
fi
if [ -z "$WASMTIME" ] || ! "$WASMTIME" --version >/dev/null 2>&1; then
  cat >&2 <<MSG
wasmtime CLI not found. Install the release that uses Cranelift 0.135:
  nice -n 10 cargo install wasmtime-cli --version '^48' --locked --root "$ROOT/target-peers/wasmtime-cli"
or point WASMTIME at one.
MSG
  exit 1
fi

SKIFF="${SKIFF:-$ROOT/target/release/skiff}"
if [ ! -x "$SKIFF" ]; then
  (cd "$ROOT" && cargo build --release -q -p skiff) || true
fi
HAVE_SKIFF=0
if [ -x "$SKIFF" ] && "$SKIFF" run --help >/dev/null 2>&1; then
  HAVE_SKIFF=1
fi

echo "wasmtime: $("$WASMTIME" --version)"
if [ "$HAVE_SKIFF" = 1 ]; then
  echo "skiff:    $SKIFF"
else
  echo "skiff:    absent (\`$SKIFF run --help\` fails: Skiff has no \`run\` command yet); measuring wasmtime only"
fi
echo "size: $SIZE, hyperfine runs: $RUNS, machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
echo

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cd "$CORPUS"

# Checks one command's output against the manifest before timing it.
check() { # name checksum command...
  local name="$1" want="checksum: $2"; shift 2
  local got
  got="$("$@" 2>"$TMP/stderr")" || { echo "$name: \`$*\` failed: $(cat "$TMP/stderr")" >&2; return 1; }
  [ "$got" = "$want" ] || { echo "$name: \`$*\` printed '$got', expected '$want'" >&2; return 1; }
}

printf '%-10s %8s %14s %14s %10s\n' program size "wasmtime (s)" "skiff (s)" skiff/wt
grep -v '^#' manifest.txt | while read -r name s_size s_sum b_size b_sum; do
  [ -n "$name" ] || continue
  if [ -n "${PROGRAMS:-}" ] && [[ " $PROGRAMS " != *" $name "* ]]; then continue; fi
  if [ "$SIZE" = small ]; then size=$s_size; sum=$s_sum; else size=$b_size; sum=$b_sum; fi
  cmds=("$WASMTIME run $name.wasm $size")
  check "$name" "$sum" "$WASMTIME" run "$name.wasm" "$size"
  if [ "$HAVE_SKIFF" = 1 ]; then
    check "$name" "$sum" "$SKIFF" run "$name.wasm" "$size"
    cmds+=("$SKIFF run $name.wasm $size")
  fi
  hyperfine -N --style none --warmup 1 --runs "$RUNS" \
    --export-json "$TMP/$name.json" "${cmds[@]}" >/dev/null 2>"$TMP/hyperfine.err" \
    || { cat "$TMP/hyperfine.err" >&2; exit 1; }
  python3 - "$TMP/$name.json" "$name" "$size" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
wt = results[0]
sk = results[1] if len(results) > 1 else None
fmt = lambda r: f"{r['mean']:.3f}±{r['stddev']:.3f}"
ratio = f"{sk['mean'] / wt['mean']:.2f}" if sk else "absent"
print(f"{sys.argv[2]:<10} {sys.argv[3]:>8} {fmt(wt):>14} {fmt(sk) if sk else 'absent':>14} {ratio:>10}")
PY
done
echo
echo "Means of $RUNS runs each (whole process: start, compile, run, exit), ± standard deviation."
echo "skiff/wt > 1 means Skiff is slower than wasmtime."
