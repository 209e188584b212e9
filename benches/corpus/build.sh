#!/usr/bin/env bash
# Rebuild Skiff's benchmark corpus: benches/corpus/*.wasm and manifest.txt.
#
# Needs these Debian packages (bookworm names; LLVM 14):
#   clang lld wasi-libc libclang-rt-dev-wasm32   compile C to wasm32-wasi
#                                                (libclang-rt-dev-wasm32 pulls
#                                                libclang-rt-14-dev-wasm32, the
#                                                wasm32 compiler-rt builtins)
#   python3                                      gen_big.py, tools/wasm_info.py
# Optional:
#   wabt                                         wat2wasm, to check empty.wat
#   a Wasm runtime for checking the checksums: the `wasmtime` Python package
#   (set CHECK_PYTHON to a python that can `import wasmtime`, e.g. a scratch
#   venv), or Node >= 20 (its built-in WASI). Neither is a project dependency.
#
# Usage: benches/corpus/build.sh [--install] [--no-big] [--no-check] [--no-bench-check]
#   --install         apt-get install the packages above if missing (as root)
#   --no-big          keep the committed big.wasm (regenerating it takes a
#                     few minutes of one core)
#   --no-check        do not run the .wasm files in a Wasm runtime
#   --no-bench-check  check only the SMALL sizes in the Wasm runtime
# Environment: NATIVE_CC (default: clang, else gcc), CLANG (default: clang),
#   WASI_SYSROOT (default: found below), CHECK_PYTHON, NODE.
#
# What it does: compiles every src/*.c to NAME.wasm (and NAME-simd.wasm, see
# BUILDS below) with the flags below and
# natively with NATIVE_CC, runs each native build at its SMALL and BENCH size
# (table below) to get the expected checksums, writes manifest.txt, then
# runs the .wasm files in a Wasm runtime and fails unless they print the
# same checksums. Exits non-zero on any mismatch.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$HERE"

INSTALL=0
BIG=1
CHECK=1
BENCH_CHECK=1
for arg in "$@"; do
    case "$arg" in
        --install) INSTALL=1 ;;
        --no-big) BIG=0 ;;
        --no-check) CHECK=0 ;;
        --no-bench-check) BENCH_CHECK=0 ;;
        -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

# Program table: NAME SMALL_SIZE BENCH_SIZE BUILDS.
# SMALL: a few ms natively and under ~2 million executed Wasm instructions
#        (tests run it in a debug-build interpreter).
# BENCH: about 0.5-1.0 s for the native -O2 build (calibrated on the
#        project's 2-core machine; see README.md).
# BUILDS: "scalar+simd": NAME.wasm at -O2 without SIMD, and NAME-simd.wasm
#        from the same source at -O3 -msimd128 (clang's auto-vectorizer),
#        both checked against the same native checksums;
#        "simd": a kernel written with wasm_simd128.h intrinsics, NAME.wasm
#        at -O2 -msimd128 (its native build runs the same arithmetic in
#        scalar code).
PROGRAMS=(
    "fib        22      41       scalar+simd"
    "loops      500     1500000  scalar+simd"
    "nbody      150     1500000  scalar+simd"
    "sha256     2       30000    scalar+simd"
    "matmul     24      1100     scalar+simd"
    "bytecode   150     1300000  scalar+simd"
    "sort       1500    4000000  scalar+simd"
    "memcopy    10      20000    scalar+simd"
    "imgfilter  1       5000     simd"
    "dotprod    20      200000   simd"
)

PACKAGES=(clang lld wasi-libc libclang-rt-dev-wasm32 python3)

missing_packages() {
    local p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
}

if [[ $INSTALL == 1 ]]; then
    mapfile -t need < <(missing_packages)
    if (( ${#need[@]} )); then
        if [[ $(id -u) != 0 ]]; then
            echo "build.sh: --install needs root (missing: ${need[*]})" >&2
            exit 1
        fi
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}"
    fi
fi

CLANG="${CLANG:-clang}"
if ! command -v "$CLANG" >/dev/null; then
    echo "build.sh: $CLANG not found; run with --install or apt-get install ${PACKAGES[*]}" >&2
    exit 1
fi
if [[ -z "${NATIVE_CC:-}" ]]; then
    if command -v clang >/dev/null; then NATIVE_CC=clang; else NATIVE_CC=gcc; fi
fi

# Debian's wasi-libc installs in multiarch layout (/usr/include/wasm32-wasi,
# /usr/lib/wasm32-wasi) and Debian's clang looks there under --sysroot=/usr.
# A wasi-sdk style sysroot (include/, lib/wasm32-wasi/) works the same way.
if [[ -z "${WASI_SYSROOT:-}" ]]; then
    for cand in /usr /usr/share/wasi-sysroot /opt/wasi-sdk/share/wasi-sysroot; do
        if [[ -f $cand/lib/wasm32-wasi/libc.a && -f $cand/include/wasm32-wasi/stdio.h ]] \
            || [[ $cand != /usr && -f $cand/lib/wasm32-wasi/libc.a && -f $cand/include/stdio.h ]]; then
            WASI_SYSROOT=$cand
            break
        fi
    done
fi
if [[ -z "${WASI_SYSROOT:-}" ]]; then
    echo "build.sh: no wasi-libc sysroot found; apt-get install wasi-libc (or set WASI_SYSROOT)" >&2
    exit 1
fi

# --strip-debug drops the DWARF that libc.a carries but keeps the "name"
# section (function names for backtraces) and target_features/producers.
WASM_CFLAGS=(--target=wasm32-wasi --sysroot="$WASI_SYSROOT" -O2 -mbulk-memory -std=c11 -Wall -Wextra)
WASM_LDFLAGS=(-Wl,--strip-debug)
# -ffp-contract=off: no fused multiply-add on hosts that have it, so native
# float results are bit-identical to Wasm's (which has no FMA).
NATIVE_CFLAGS=(-O2 -std=c11 -Wall -Wextra -ffp-contract=off)

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

echo "== toolchain"
echo "clang:        $("$CLANG" --version | head -n1)"
echo "native cc:    $NATIVE_CC ($("$NATIVE_CC" --version | head -n1))"
echo "sysroot:      $WASI_SYSROOT"
echo "wasm flags:   ${WASM_CFLAGS[*]} ${WASM_LDFLAGS[*]}"
echo "native flags: ${NATIVE_CFLAGS[*]} -lm"

table_entry() { # NAME -> "SMALL BENCH BUILDS" or nothing
    local row
    for row in "${PROGRAMS[@]}"; do
        read -r n s b k <<<"$row"
        if [[ $n == "$1" ]]; then echo "$s $b $k"; return; fi
    done
}

checksum_of() { # stdout text -> token after "checksum: "
    sed -n 's/^checksum: \([^ ]*\)$/\1/p' <<<"$1"
}

echo "== compile"
for src in src/*.c; do
    name="$(basename "$src" .c)"
    builds=scalar
    if [[ $name != empty ]]; then
        entry="$(table_entry "$name")"
        if [[ -z $entry ]]; then
            echo "build.sh: $src has no row in PROGRAMS" >&2
            exit 1
        fi
        read -r _ _ builds <<<"$entry"
    fi
    case "$builds" in
        scalar)
            "$CLANG" "${WASM_CFLAGS[@]}" "$src" "${WASM_LDFLAGS[@]}" -o "$name.wasm" ;;
        scalar+simd)
            "$CLANG" "${WASM_CFLAGS[@]}" "$src" "${WASM_LDFLAGS[@]}" -o "$name.wasm"
            "$CLANG" "${WASM_CFLAGS[@]}" -O3 -msimd128 "$src" "${WASM_LDFLAGS[@]}" -o "$name-simd.wasm" ;;
        simd)
            "$CLANG" "${WASM_CFLAGS[@]}" -msimd128 "$src" "${WASM_LDFLAGS[@]}" -o "$name.wasm" ;;
        *)
            echo "build.sh: $name: unknown BUILDS '$builds'" >&2
            exit 1 ;;
    esac
    "$NATIVE_CC" "${NATIVE_CFLAGS[@]}" "$src" -o "$TMP/$name" -lm
    for w in "$name.wasm" "$name-simd.wasm"; do
        [[ $w == "$name-simd.wasm" && $builds != scalar+simd ]] && continue
        chmod 644 "$w"
        printf '  %-18s %7d bytes\n' "$w" "$(stat -c %s "$w")"
    done
done

echo "== native runs (expected checksums)"
{
    echo "# Skiff benchmark corpus: written by build.sh, do not edit by hand."
    echo "# NAME SMALL_SIZE SMALL_CHECKSUM BENCH_SIZE BENCH_CHECKSUM"
    echo "# Run: MODULE=NAME.wasm, argv = [NAME.wasm, SIZE]; stdout is exactly"
    echo "# one line \"checksum: CHECKSUM\" and the exit status is 0."
} >"$TMP/manifest.txt"
for row in "${PROGRAMS[@]}"; do
    read -r name small bench builds <<<"$row"
    out_small="$("$TMP/$name" "$small")"
    start=$EPOCHREALTIME
    out_bench="$("$TMP/$name" "$bench")"
    end=$EPOCHREALTIME
    cs_small="$(checksum_of "$out_small")"
    cs_bench="$(checksum_of "$out_bench")"
    if ! [[ $cs_small =~ ^[0-9]+$ && $cs_bench =~ ^[0-9]+$ ]]; then
        echo "build.sh: native $name printed no valid checksum: '$out_small' / '$out_bench'" >&2
        exit 1
    fi
    printf '  %-10s small %-9s %-22s bench %-9s %-22s native %.2fs\n' \
        "$name" "$small" "$cs_small" "$bench" "$cs_bench" "$(awk "BEGIN { print $end - $start }")"
    echo "$name $small $cs_small $bench $cs_bench" >>"$TMP/manifest.txt"
    if [[ $builds == scalar+simd ]]; then
        echo "$name-simd $small $cs_small $bench $cs_bench" >>"$TMP/manifest.txt"
    fi
done
cp "$TMP/manifest.txt" manifest.txt
echo "  wrote manifest.txt"

if [[ $BIG == 1 ]]; then
    echo "== big.wasm (compile-speed module)"
    python3 gen_big.py >"$TMP/big.c"
    # -O1: the point is a large, varied code section, not speed; -O1 keeps
    # clang's time and the module's size predictable.
    "$CLANG" --target=wasm32-wasi --sysroot="$WASI_SYSROOT" -O1 -mbulk-memory -std=c11 -w \
        "$TMP/big.c" "${WASM_LDFLAGS[@]}" -o big.wasm
    chmod 644 big.wasm
fi
if [[ -f big.wasm ]]; then
    code_size="$(python3 tools/wasm_info.py --code-size big.wasm)"
    printf '  big.wasm %d bytes, code section %d bytes\n' "$(stat -c %s big.wasm)" "$code_size"
    if (( code_size < 5 * 1024 * 1024 )); then
        echo "build.sh: big.wasm code section is under 5 MiB" >&2
        exit 1
    fi
fi

if command -v wat2wasm >/dev/null; then
    wat2wasm empty.wat -o "$TMP/empty_wat.wasm"
    echo "== empty.wat: valid (wat2wasm, $(stat -c %s "$TMP/empty_wat.wasm") bytes)"
fi

echo "== imports"
for w in *.wasm; do
    printf '  %-18s %s\n' "$w" "$(python3 tools/wasm_info.py --imports "$w" | sed 's/^wasi_snapshot_preview1\.//; s/ func$//' | tr '\n' ' ')"
done

if [[ $CHECK == 0 ]]; then
    echo "== Wasm runtime check skipped (--no-check)"
    exit 0
fi

# Pick a runtime: the wasmtime Python package if importable, else Node >= 20.
RUNNER=()
FUEL_OPT=()
CHECK_PYTHON="${CHECK_PYTHON:-python3}"
NODE="${NODE:-node}"
if "$CHECK_PYTHON" -c 'import wasmtime' 2>/dev/null; then
    RUNNER=("$CHECK_PYTHON" tools/wasi_run.py)
    FUEL_OPT=(--fuel)
    echo "== Wasm runtime check: wasmtime (Python package, $("$CHECK_PYTHON" -c 'import importlib.metadata as m; print(m.version("wasmtime"))'))"
elif command -v "$NODE" >/dev/null && "$NODE" -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
    RUNNER=("$NODE" --no-warnings tools/wasi_run.mjs)
    echo "== Wasm runtime check: node $("$NODE" --version) built-in WASI"
else
    echo "build.sh: no Wasm runtime to check with (set CHECK_PYTHON to a python with the wasmtime package, or install Node >= 20), or pass --no-check" >&2
    exit 1
fi

fail=0
run_check() { # NAME SIZE EXPECTED [--fuel]
    local got fuel=""
    if ! got="$("${RUNNER[@]}" "${@:4}" "$1.wasm" "$2" 2>"$TMP/stderr")"; then
        echo "  $1 $2: non-zero exit" >&2
        cat "$TMP/stderr" >&2
        fail=1
        return
    fi
    # wasmtime's fuel is about one unit per executed Wasm instruction, but
    # memory.copy/memory.fill are also charged per byte moved.
    fuel="$(sed -n 's/^fuel: //p' "$TMP/stderr")"
    if [[ "$got" == "checksum: $3" ]]; then
        printf '  %-10s %-9s match%s\n' "$1" "$2" "${fuel:+   (wasmtime fuel $fuel)}"
    else
        printf '  %-10s %-9s MISMATCH: wasm printed %s, native %s\n' "$1" "$2" "$got" "$3"
        fail=1
    fi
}
while read -r name small cs_small bench cs_bench; do
    [[ -z $name || $name == \#* ]] && continue
    run_check "$name" "$small" "$cs_small" "${FUEL_OPT[@]}"
    if [[ $BENCH_CHECK == 1 ]]; then
        run_check "$name" "$bench" "$cs_bench"
    fi
done <manifest.txt
if empty_out="$("${RUNNER[@]}" empty.wasm)" && [[ -z $empty_out ]]; then
    echo "  empty.wasm exits 0, no output"
else
    echo "  empty.wasm: did not exit 0 silently" >&2
    fail=1
fi
if [[ -f big.wasm ]]; then
    if big_out="$("${RUNNER[@]}" big.wasm)" && [[ $big_out == "checksum: "* ]]; then
        echo "  big.wasm runs: $big_out"
    else
        echo "  big.wasm: did not run cleanly" >&2
        fail=1
    fi
fi
if [[ $fail != 0 ]]; then
    echo "== RESULT: Wasm checksums DO NOT match native" >&2
    exit 1
fi
echo "== RESULT: all Wasm checksums match native"
