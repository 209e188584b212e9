#!/bin/sh
# Rebuilds the WASI test programs: each NAME.c here becomes NAME.wasm.
# Needs Debian's clang, lld, wasi-libc and libclang-rt-dev-wasm32.
set -eu
cd "$(dirname "$0")"
for src in *.c; do
    out="${src%.c}.wasm"
    clang --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Wextra -Werror \
        -Wno-unused-function -Wno-unused-result -Wl,--strip-debug -o "$out" "$src"
    echo "built $out"
done
