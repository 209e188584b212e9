#!/bin/sh
# Rebuilds the programs of the command-line tests: each NAME.c here becomes
# NAME.wasm (with tail calls: clang's -mtail-call), and NAME.expected holds
# what the native build of the same source prints. exceptions.cpp becomes
# exceptions.wasm with WebAssembly exceptions (-fwasm-exceptions; LLVM 19
# emits the legacy `try`/`catch` instructions), linked with
# wasm_eh_abi.cpp, a minimal C++ exception runtime, since Debian's wasm32
# libc++abi is built without exceptions.
# Needs Debian's clang, lld, wasi-libc and libclang-rt-dev-wasm32, and for
# the C++ program clang-19, lld-19, libc++-19-dev-wasm32,
# libc++abi-19-dev-wasm32, libclang-rt-19-dev-wasm32 and g++.
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
clang++-19 --target=wasm32-wasi --sysroot=/usr -stdlib=libc++ -fwasm-exceptions -O2 \
    -Wall -Wextra -Werror -Wl,--strip-debug -o exceptions.wasm exceptions.cpp wasm_eh_abi.cpp
g++ -O2 -Wall -Wextra -Werror -o "$native" exceptions.cpp
"$native" > exceptions.expected
echo "built exceptions.wasm and exceptions.expected"
