"""Timing of the seed-compatible API (twidgets.compat) against the vectorised core.

Run:  python benchmarks/bench_compat.py [--repeats 3] [--no-loop] [--workflow]

Prints medians (wall clock and CPU time of this process) for:

* ``construct_graph`` of the pile-up-200 system (tables already read);
* ``copy.deepcopy`` of the graph, ``update_throughput`` and one seed-style
  ``vary_system`` call (deep copy + edit + update), per call;
* the seed's full 101 x 101 ``vary_system`` loop (10,201 calls);
* the same grid as one vectorised ``twidgets.evaluate`` call;
* with ``--workflow``: the whole seed script (``../shared/seed/workflow.py``) end to
  end through ``tests/seed_runner.py`` (acceptance budget: 2 minutes).
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import twidgets
from twidgets.cms.complexity import HLT_CPU_COEFFS
from twidgets.compat import construct_graph, dataframes_from_spreadsheet, update_throughput

ROOT = Path(__file__).resolve().parents[1]


def _hlt(x):
    k1, k2, k3 = HLT_CPU_COEFFS
    return k3 * x**3 + k2 * x**2 + k1 * x


FUNCS = {"Global": _hlt, "Intermediate": lambda x: x / 2.0e6}


def vary_system(graph, reduction_ratio: float, skill: float):
    """The seed's vary_system, verbatim in behaviour: deep copy, edit, update."""
    graph = copy.deepcopy(graph)
    graph.nodes["Intermediate"]["reduction ratio"] = reduction_ratio
    graph.nodes["Intermediate"]["classifier"].skill_boost = skill
    graph = update_throughput(graph)
    return graph.graph["op power"] + graph.graph["link power"], graph.graph["performance"]


def median_time(fn, repeats: int, number: int = 1) -> tuple[float, float]:
    """Medians over ``repeats`` runs of the wall and CPU (process) time of ``number`` calls, per call (s).

    The CPU time is what the process itself spent: on a busy machine it stays close to
    the idle wall time while the wall time grows.
    """
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        for _ in range(number):
            fn()
        wall.append((time.perf_counter() - t) / number)
        cpu.append((time.process_time() - c) / number)
    return statistics.median(wall), statistics.median(cpu)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="runs per measurement of the full loop (default 3)")
    ap.add_argument("--no-loop", action="store_true", help="skip the 10,201-call loop")
    ap.add_argument("--workflow", action="store_true", help="also run the whole seed workflow once")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cms_system_200.xlsx"
        twidgets.load_system("cms-hllhc-pu200").to_xlsx(path)
        tables = dataframes_from_spreadsheet(path)
    t = tables.triggers.copy()
    t.at[4, "Reduction Ratio"] = 400
    ex = construct_graph(tables.detectors, t, tables.globals, FUNCS)

    rr = np.linspace(450, 40, 101)
    boost = np.linspace(0, 1.0, 101)
    rows = [
        (
            "construct_graph (pile-up 200)",
            median_time(lambda: construct_graph(tables.detectors, t, tables.globals, FUNCS), 5, 5),
            "s",
        ),
        ("deepcopy(graph)", median_time(lambda: copy.deepcopy(ex), 5, 200), "s"),
        ("update_throughput(graph)", median_time(lambda: update_throughput(ex), 5, 200), "s"),
        ("one vary_system call", median_time(lambda: vary_system(ex, 300.0, 0.2), 5, 200), "s"),
    ]
    if not args.no_loop:
        rows.append(
            (
                "101 x 101 vary_system loop",
                median_time(lambda: [[vary_system(ex, r, s) for r in rr] for s in boost], args.repeats),
                "s",
            )
        )
    system = twidgets.load_system("cms-hllhc-pu200").with_params({"Global.complexity": "hlt-cpu"})
    rows.append(
        (
            "same grid, one vectorised evaluate",
            median_time(
                lambda: twidgets.evaluate(
                    system, {"Intermediate.reduction_ratio": rr[None, :], "Intermediate.skill_boost": boost[:, None]}
                ),
                5,
            ),
            "s",
        )
    )
    if args.workflow:
        sys.path.insert(0, str(ROOT / "tests"))
        import seed_runner

        def whole():
            with tempfile.TemporaryDirectory() as folder:
                seed_runner.run_cells(seed_runner.write_workbooks(folder))

        rows.append(("whole seed workflow (budget 120 s)", median_time(whole, 1), "s"))

    def shown(seconds):
        return f"{seconds * 1e3:9.3f} ms" if seconds < 1 else f"{seconds:9.2f} s "

    width = max(len(r[0]) for r in rows)
    print(f"{'operation':<{width}}  {'median wall':>12}  {'median CPU':>12}")
    for name, (wall, cpu), _ in rows:
        print(f"{name:<{width}}  {shown(wall):>12}  {shown(cpu):>12}")
    if hasattr(os, "getloadavg"):
        print(f"(load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
