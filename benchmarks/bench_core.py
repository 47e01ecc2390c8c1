"""Benchmarks of the modeling core against the budgets of ARCHITECTURE.md.

Prints medians, side by side with each budget:

* cold load of ``cms-hllhc-pu200`` + classifier build (fresh process per run, imports excluded)
* one scalar ``evaluate`` (classifiers cached)
* one ``evaluate`` with a structural override (``Global.complexity = hlt-gpu``: patched
  nodes, no table rebuilt), side by side with its anchor, an ``evaluate`` with one
  numeric override, in the same process; ``System.with_stage`` (patched nodes) side by
  side with its anchor, a full ``System.from_frames`` rebuild of the same tables
* one vectorised ``evaluate`` over a 101 x 101 L1 reduction ratio x skill boost grid

Run: ``python benchmarks/bench_core.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import numpy as np

COLD = r"""
import json, time
t0 = time.perf_counter()
import twidgets
from twidgets.model.evaluate import classifier_for
t1 = time.perf_counter()
s = twidgets.load_system("cms-hllhc-pu200")
t2 = time.perf_counter()
for n in s.nodes:
    if n.kind == "stage":
        classifier_for(n, 0)
t3 = time.perf_counter()
ev = twidgets.evaluate(s)
t4 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "build": t3 - t2, "first_evaluate": t4 - t3}))
"""


def cold(repeat: int) -> dict:
    runs = [
        json.loads(subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True, check=True).stdout)
        for _ in range(repeat)
    ]
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def timed(fn, repeat: int) -> float:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def timed_side_by_side(fns: dict, repeat: int) -> dict:
    """Medians of several functions run in turn (round-robin), so load on a shared machine
    falls on each of them alike."""
    out: dict = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            out[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in out.items()}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)

    import twidgets

    c = cold(args.repeat)
    s = twidgets.load_system("cms-hllhc-pu200")
    twidgets.evaluate(s)
    n = max(50, args.repeat * 20)
    side = timed_side_by_side(
        {
            "one": lambda: twidgets.evaluate(s),
            "numeric": lambda: twidgets.evaluate(s, {"Global.skill_boost": 0.3}),
            "structural": lambda: twidgets.evaluate(s, {"Global.complexity": "hlt-gpu"}),
        },
        n,
    )
    one, numeric, structural = side["one"], side["numeric"], side["structural"]
    with_stage = timed(lambda: s.with_stage("Global", complexity="hlt-gpu"), max(10, args.repeat * 3))
    with_number = timed(lambda: s.with_stage("Intermediate", reduction_ratio=60.0), max(10, args.repeat * 3))
    det, stg, glob = s.detectors, s.stages, s.globals
    rebuild = timed(lambda: twidgets.System.from_frames(det, stg, glob), max(10, args.repeat * 3))
    rr = np.linspace(450, 40, 101)[None, :]
    boost = np.linspace(0, 1, 101)[:, None]
    grid = timed(
        lambda: twidgets.evaluate(s, {"Intermediate.reduction_ratio": rr, "Intermediate.skill_boost": boost}),
        args.repeat,
    )

    rows = [
        ("import twidgets (for reference)", c["import"], None),
        ("cold load + classifier build (pu200)", c["load"] + c["build"], 0.5),
        ("  of which load workbook", c["load"], None),
        ("  of which build classifiers", c["build"], None),
        ("one evaluate (scalar)", one, 0.002),
        ("  anchor: evaluate + numeric override", numeric, None),
        ("evaluate + structural override (complexity)", structural, 0.002),
        ("System.with_stage(complexity=...)", with_stage, 0.002),
        ("System.with_stage(reduction_ratio=...)", with_number, 0.002),
        ("  anchor: System.from_frames (full rebuild)", rebuild, None),
        ("101 x 101 RR x skill, one vectorised evaluate", grid, 0.1),
    ]
    print(f"{'operation':48s} {'median':>10s} {'budget':>10s}  ok")
    for name, value, budget in rows:
        b = f"{budget * 1e3:8.1f}ms" if budget else " " * 10
        ok = "" if budget is None else ("yes" if value <= budget else "NO")
        print(f"{name:48s} {value * 1e3:8.2f}ms {b}  {ok}")


if __name__ == "__main__":
    main()
