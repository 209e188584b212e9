#!/usr/bin/env python3
"""Chart and tables from criterion's output (python3 standard library only).

Reads TARGET/criterion/**/new/{benchmark,estimates}.json, written by
`cargo bench -p benches`, and

- writes benches/results.svg: for every corpus program (a `throughput`
  group), one bar per engine, its mean time divided by the fastest peer's
  time on that program (so the fastest peer is 1.0, log scale);
- prints Markdown tables (throughput and startup) for benches/RESULTS.md.

Engines whose name starts with `skiff-` are Skiff's tiers; every other
engine is a peer. Only peers define the 1.0 baseline, so a Skiff tier faster
than every peer shows a ratio below 1.

Usage: benches/scripts/chart.py [--target DIR] [--out FILE] [--title TEXT]
  DIR defaults to $CARGO_TARGET_DIR, else target-peers/ if it has criterion
  output, else target/.
"""

import argparse
import html
import json
import math
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "benches" / "corpus" / "manifest.txt"

# Stable colours: peers in greys/blues, Skiff's tiers in warm colours.
COLOURS = {
    "wasmtime": "#4e79a7",
    "wasmi": "#59a14f",
    "wasm3": "#9c755f",
    "skiff-interp": "#f28e2b",
    "skiff-jit": "#e15759",
}
SPARE = ["#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#bab0ac"]


def programs():
    names = []
    for line in MANIFEST.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            names.append(line.split()[0])
    return names


def default_target():
    if os.environ.get("CARGO_TARGET_DIR"):
        return Path(os.environ["CARGO_TARGET_DIR"])
    peers = ROOT / "target-peers"
    if (peers / "criterion").is_dir():
        return peers
    return ROOT / "target"


def load(criterion_dir):
    """{group: {function: (mean_ns, lower_ns, upper_ns)}}"""
    data = {}
    for bench in criterion_dir.rglob("new/benchmark.json"):
        est = bench.with_name("estimates.json")
        if not est.is_file():
            continue
        b = json.loads(bench.read_text())
        e = json.loads(est.read_text())["mean"]
        group = b["group_id"]
        function = b.get("function_id") or b.get("value_str") or ""
        ci = e["confidence_interval"]
        data.setdefault(group, {})[function] = (
            e["point_estimate"],
            ci["lower_bound"],
            ci["upper_bound"],
        )
    return data


def is_skiff(engine):
    return engine.startswith("skiff")


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def engine_order(groups):
    seen = []
    for g in groups.values():
        for e in g:
            if e not in seen:
                seen.append(e)
    known = [e for e in COLOURS if e in seen]
    return known + sorted(e for e in seen if e not in COLOURS)


def baseline(results):
    peers = [v[0] for e, v in results.items() if not is_skiff(e)]
    return min(peers) if peers else None


def markdown_throughput(groups, engines):
    out = ["| program | " + " | ".join(f"{e} (s)" for e in engines)
           + " | " + " | ".join(f"{e} ratio" for e in engines) + " |"]
    out.append("|" + " --- |" * (1 + 2 * len(engines)))
    for prog, res in groups.items():
        base = baseline(res)
        times = [f"{res[e][0] / 1e9:.3f}" if e in res else "absent" for e in engines]
        ratios = [f"{res[e][0] / base:.2f}" if e in res and base else "absent" for e in engines]
        out.append(f"| {prog} | " + " | ".join(times) + " | " + " | ".join(ratios) + " |")
    # Geometric mean of the ratios, over programs where the engine ran.
    geo = []
    for e in engines:
        r = [math.log(res[e][0] / baseline(res)) for res in groups.values()
             if e in res and baseline(res)]
        geo.append(f"{math.exp(sum(r) / len(r)):.2f}" if r else "absent")
    out.append("| **geomean** | " + " | ".join("" for _ in engines) + " | "
               + " | ".join(f"**{g}**" for g in geo) + " |")
    return "\n".join(out)


def markdown_startup(data):
    rows = []
    for group in sorted(data):
        if not group.startswith(("load/", "instantiate", "command/")):
            continue
        for fn, (mean, lo, hi) in sorted(data[group].items(), key=lambda kv: kv[1][0]):
            rows.append(f"| {group} | {fn} | {fmt_time(mean)} | {fmt_time(lo)} – {fmt_time(hi)} |")
    if not rows:
        return ""
    head = "| group | engine | mean | 95% CI of the mean |\n| --- | --- | --- | --- |"
    return head + "\n" + "\n".join(rows)


def svg(groups, engines, title):
    colours = dict(COLOURS)
    spare = iter(SPARE)
    for e in engines:
        colours.setdefault(e, next(spare, "#888888"))

    ratios = [res[e][0] / baseline(res) for res in groups.values() for e in res if baseline(res)]
    top = max(ratios + [2.0])
    bottom = min(ratios + [1.0])
    # Bars grow from below 1x so that the baseline's own bar shows.
    lo_exp = math.log10(min(bottom, 1.0) / 1.6)
    hi_exp = math.ceil(math.log10(top * 1.15) * 2) / 2

    bar_w, gap, group_gap = 22, 4, 26
    n = max(1, len(engines))
    group_w = n * bar_w + (n - 1) * gap
    left, right, top_m, bottom_m = 70, 20, 70, 70
    plot_h = 340
    width = left + right + len(groups) * (group_w + group_gap) + group_gap
    width = max(width, 560)
    height = top_m + plot_h + bottom_m

    def y(ratio):
        f = (math.log10(ratio) - lo_exp) / (hi_exp - lo_exp)
        return top_m + plot_h * (1 - f)

    o = []
    o.append(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">')
    o.append(f'<rect width="{width}" height="{height}" fill="white"/>')
    o.append(f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14" '
             f'font-weight="bold">{html.escape(title)}</text>')
    o.append(f'<text x="{width / 2}" y="37" text-anchor="middle" fill="#555">time relative to '
             f'the fastest peer on each program (log scale; lower is faster)</text>')
    # Grid and y ticks: 1, 2, 5 per decade.
    d = math.floor(lo_exp)
    while d <= hi_exp:
        for m in (1, 2, 5):
            v = m * 10 ** d
            if lo_exp - 1e-9 <= math.log10(v) <= hi_exp + 1e-9:
                yy = y(v)
                stroke = "#999" if v == 1 else "#e4e4e4"
                o.append(f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" '
                         f'stroke="{stroke}"/>')
                label = f"{v:g}×"
                o.append(f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end">{label}</text>')
        d += 1
    o.append(f'<line x1="{left}" x2="{left}" y1="{top_m}" y2="{top_m + plot_h}" stroke="#333"/>')
    # Bars.
    x = left + group_gap
    for prog, res in groups.items():
        base = baseline(res)
        for i, e in enumerate(engines):
            bx = x + i * (bar_w + gap)
            if e not in res or not base:
                o.append(f'<text x="{bx + bar_w / 2}" y="{top_m + plot_h - 4}" '
                         f'text-anchor="middle" fill="#aaa" font-size="9">–</text>')
                continue
            r = res[e][0] / base
            y0, y1 = y(10 ** lo_exp), y(r)
            o.append(f'<rect x="{bx}" y="{y1:.1f}" width="{bar_w}" height="{y0 - y1:.1f}" '
                     f'fill="{colours[e]}"><title>{html.escape(prog)} on {html.escape(e)}: '
                     f'{fmt_time(res[e][0])}, {r:.2f}× the fastest peer</title></rect>')
            o.append(f'<text x="{bx + bar_w / 2}" y="{y1 - 3:.1f}" text-anchor="middle" '
                     f'font-size="9">{r:.1f}</text>')
        o.append(f'<text x="{x + group_w / 2}" y="{top_m + plot_h + 16}" text-anchor="middle" '
                 f'font-size="12">{html.escape(prog)}</text>')
        fastest = min((v[0] for e, v in res.items() if not is_skiff(e)), default=None)
        if fastest:
            o.append(f'<text x="{x + group_w / 2}" y="{top_m + plot_h + 30}" '
                     f'text-anchor="middle" fill="#666" font-size="9">1× = {fmt_time(fastest)}</text>')
        x += group_w + group_gap
    # Legend.
    lx = left
    ly = height - 18
    for e in engines:
        o.append(f'<rect x="{lx}" y="{ly - 9}" width="12" height="12" fill="{colours[e]}"/>')
        o.append(f'<text x="{lx + 16}" y="{ly + 1}">{html.escape(e)}</text>')
        lx += 24 + 7 * len(e) + 16
    skiff = [e for e in engines if is_skiff(e)]
    note = "" if skiff else "Skiff: no execution tier yet (absent, not faked)"
    if note:
        o.append(f'<text x="{width - right}" y="{ly + 1}" text-anchor="end" fill="#a33">'
                 f'{html.escape(note)}</text>')
    o.append("</svg>")
    return "\n".join(o) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=ROOT / "benches" / "results.svg")
    ap.add_argument("--title", default="Skiff throughput benchmarks: corpus programs, BENCH size")
    args = ap.parse_args()

    target = args.target or default_target()
    crit = target / "criterion"
    if not crit.is_dir():
        sys.exit(f"no criterion output under {crit}: run `cargo bench -p benches --features peers` first")
    data = load(crit)
    groups = {p: data[p] for p in programs() if p in data}
    if not groups:
        sys.exit(f"no throughput results (groups named after corpus programs) under {crit}")
    engines = engine_order(groups)
    args.out.write_text(svg(groups, engines, args.title))
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}",
          file=sys.stderr)
    print("### Throughput (mean time per run; ratio to the fastest peer)\n")
    print(markdown_throughput(groups, engines))
    startup = markdown_startup(data)
    if startup:
        print("\n### Startup\n")
        print(startup)


if __name__ == "__main__":
    main()
