#!/usr/bin/env python3
"""Run a WASI command module in the `wasmtime` Python package (a check tool
only: `pip install wasmtime` in a scratch venv; it is not a dependency of
the project).

    python3 wasi_run.py [--fuel] MODULE.wasm [ARGS...]

Prints the guest's stdout, exits with the guest's exit code. With --fuel,
wasmtime's fuel metering is on and the fuel consumed (roughly one unit per
executed Wasm operator) is printed to stderr as "fuel: N".
"""
import os
import sys
import tempfile

import wasmtime


def main(argv):
    fuel = False
    if argv and argv[0] == "--fuel":
        fuel, argv = True, argv[1:]
    if not argv:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path, args = argv[0], argv[1:]

    config = wasmtime.Config()
    config.consume_fuel = fuel
    engine = wasmtime.Engine(config)
    module = wasmtime.Module.from_file(engine, path)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    store = wasmtime.Store(engine)
    budget = 1 << 62
    if fuel:
        store.set_fuel(budget)

    with tempfile.TemporaryDirectory() as tmp:
        out_path = os.path.join(tmp, "stdout")
        wasi = wasmtime.WasiConfig()
        wasi.argv = [os.path.basename(path)] + args
        wasi.stdout_file = out_path
        wasi.inherit_stderr()
        store.set_wasi(wasi)
        code = 0
        instance = linker.instantiate(store, module)
        try:
            instance.exports(store)["_start"](store)
        except wasmtime.ExitTrap as e:
            code = e.code
        with open(out_path, "rb") as f:
            sys.stdout.write(f.read().decode("utf-8", "replace"))
    if fuel:
        print("fuel: %d" % (budget - store.get_fuel()), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
