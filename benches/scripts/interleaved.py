#!/usr/bin/env python3
"""Fuel or epoch overhead of `skiff run`, measured interleaved.

    benches/scripts/interleaved.py RUNS TIER SKIFF [fuel|epochs]

Runs each corpus program RUNS times with the metering off and RUNS times with
it on (`--fuel 100000000000000` or `--timeout 1000s`), alternating the two
(and their order) run by run, so that the slow and fast phases of a noisy
machine fall on both alike; prints each program's median times, their ratio,
the ratio of the fastest runs, and the geometric mean of the median ratios.
The sizes are those of `cli.sh`: the manifest's BENCH sizes on the JIT, a
fifth of them on the interpreter.
"""
import math
import os
import statistics
import subprocess
import sys
import time

JIT = dict(fib=41, loops=1500000, nbody=1500000, sha256=30000, matmul=1100,
           bytecode=1300000, sort=4000000, memcopy=20000)
INTERP = dict(fib=35, loops=300000, nbody=300000, sha256=6000, matmul=500,
              bytecode=260000, sort=800000, memcopy=4000)
FLAGS = {"fuel": ["--fuel", "100000000000000"], "epochs": ["--timeout", "1000s"]}


def main():
    runs, tier, skiff = int(sys.argv[1]), sys.argv[2], os.path.abspath(sys.argv[3])
    mode = sys.argv[4] if len(sys.argv) > 4 else "fuel"
    sizes = JIT if tier == "jit" else INTERP
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpus"))
    print(f"{tier}: {mode} / off\n\n| program | off (s) | {mode} (s) | median ratio | fastest ratio |")
    print("| --- | --- | --- | --- | --- |")
    logs = []
    for p, size in sizes.items():
        off = [skiff, "run", "--engine", tier, f"{p}.wasm", str(size)]
        on = [skiff, "run", "--engine", tier] + FLAGS[mode] + [f"{p}.wasm", str(size)]
        times = {"off": [], "on": []}
        for r in range(runs):
            pair = [("off", off), ("on", on)]
            for name, cmd in pair if r % 2 == 0 else pair[::-1]:
                start = time.perf_counter()
                subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
                times[name].append(time.perf_counter() - start)
        a, b = statistics.median(times["off"]), statistics.median(times["on"])
        logs.append(math.log(b / a))
        print(f"| {p} | {a:.3f} | {b:.3f} | {b / a:.3f} | {min(times['on']) / min(times['off']):.3f} |",
              flush=True)
    print(f"| **geometric mean** | | | **{math.exp(sum(logs) / len(logs)):.3f}** | |")


if __name__ == "__main__":
    main()
