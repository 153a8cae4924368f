"""Sums oneDNN's verbose lines (DNNL_VERBOSE=1) by primitive, implementation and propagation kind.

    python3 benchmarks/onednn_verbose.py <log> <steps>

<log>: the output of a run with DNNL_VERBOSE=1 (oneDNN 2.x: ``dnnl_verbose,exec,cpu,<primitive>,
<implementation>,<prop_kind>,<memory descriptors>,<attributes>,<aux>,<problem>,<ms>``);
<steps>: the training steps the run took, to give milliseconds per step. Prints a Markdown table,
the share of each line and of all reorders, and the source layouts each primitive ran on.
"""

from __future__ import annotations

import collections
import sys


def main(log: str, steps: int) -> None:
    by_kind: dict[tuple[str, str, str], list[float]] = collections.defaultdict(lambda: [0, 0.0])
    layouts: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    version = "?"
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("dnnl_verbose,info,oneDNN"):
                version = line.strip().split(",")[2]
            if not line.startswith("dnnl_verbose,exec,"):
                continue
            fields = line.strip().split(",")
            if len(fields) < 11:
                continue
            primitive, impl, prop = fields[3], fields[4], fields[5]
            try:
                ms = float(fields[-1])
            except ValueError:
                continue
            entry = by_kind[(primitive, impl, prop)]
            entry[0] += 1
            entry[1] += ms
            src = fields[6].split(" ")[0]  # e.g. src_f32::blocked:abcd:f0
            layouts[primitive][src.split("::")[-1]] += 1
    total = sum(v[1] for v in by_kind.values())
    if not total:
        sys.exit(f"{log}: no dnnl_verbose exec lines (was DNNL_VERBOSE=1 set, and oneDNN used?)")
    print(f"{version}; {total / steps:.1f} ms of oneDNN primitives per step ({steps} steps)\n")
    print("| primitive | implementation | kind | calls/step | ms/step | share |")
    print("|---|---|---|---:|---:|---:|")
    for (primitive, impl, prop), (n, ms) in sorted(by_kind.items(), key=lambda kv: -kv[1][1]):
        print(f"| {primitive} | {impl} | {prop} | {n / steps:.1f} | {ms / steps:.2f} | {ms / total:.0%} |")
    reorders = sum(ms for (p, _, _), (_, ms) in by_kind.items() if p == "reorder")
    print(f"\nreorders (layout conversions): {reorders / steps:.2f} ms/step, {reorders / total:.0%}")
    print("\nsource layouts by primitive:")
    for primitive, c in sorted(layouts.items()):
        print(f"- {primitive}: " + ", ".join(f"{k} x{n}" for k, n in c.most_common(4)))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: onednn_verbose.py <log> <steps>")
    main(sys.argv[1], int(sys.argv[2]))
