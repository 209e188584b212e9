#!/bin/sh
# Rebuilds the programs of the command-line tests: each NAME.c here becomes
# NAME.wasm (with tail calls: clang's -mtail-call), and NAME.expected holds
# what the native build of the same source prints.
# Needs Debian's clang, lld, wasi-libc and libclang-rt-dev-wasm32.
set -eu
cd "$(dirname "$0")"
native="$(mktemp)"
trap 'rm -f "$native"' EXIT
for src in *.c; do
    name="${src%.c}"
    clang --target=wasm32-wasi --sysroot=/usr -O2 -mtail-call -Wall -Wextra -Werror \
        -Wl,--strip-debug -o "$name.wasm" "$src"
    clang -O2 -Wall -Wextra -Werror -o "$native" "$src"
    "$native" > "$name.expected"
    echo "built $name.wasm and $name.expected"
done
