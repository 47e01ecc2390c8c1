"""Sweep benchmarks: medians over several runs, printed side by side.

    python benchmarks/bench_sweep.py [--runs 7] [--runs-3d 3] [--skip-cluster]

Cases (system cms-hllhc-pu200):

* 101 x 101 L1 reduction ratio x L1 skill boost (budget 0.5 s), one repeat;
* the same with repeats=10;
* a per-point Python loop of ``evaluate`` (the seed's approach), extrapolated from 300 points;
* 101 x 101 x 101, adding ``Global.reduction_ratio`` (budget < 60 s and < 2 GiB), locally and
  on a 2-worker ``distributed.LocalCluster`` -- each in a fresh subprocess, reporting peak
  RSS (``getrusage``; for the cluster: client + both workers) and the sweep's own peak of
  traced allocations (``tracemalloc``, measured in a separate, untimed run).

Warm runs: the classifier samples of a seed are built once per process (cached); the
"cold" column is the first run of a fresh process, which includes building them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

SYSTEM = "cms-hllhc-pu200"
RR = "Intermediate.reduction_ratio"
BOOST = "Intermediate.skill_boost"
GRR = "Global.reduction_ratio"


def grid_2d():
    return {RR: np.linspace(450, 40, 101), BOOST: np.linspace(0, 1, 101)}


def grid_3d():
    return {**grid_2d(), GRR: np.linspace(20, 400, 101)}


def _timed(fn, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return times


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _traced_peak_mib(fn) -> float:
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


# ---------------------------------------------------------------------------- child processes
def child(case: str, runs: int) -> dict:
    import twidgets

    system = twidgets.load_system(SYSTEM)
    out = {}
    if case == "local3d":
        run = lambda: twidgets.sweep(system, grid_3d(), progress=False)
        t0 = time.perf_counter()
        res = run()
        out["cold"] = time.perf_counter() - t0
        out["times"] = _timed(run, runs)
        out["rss_mib"] = _maxrss_mib()
        out["traced_mib"] = _traced_peak_mib(run)
        out["shape"] = list(res.shape)
    elif case == "cluster3d":
        import distributed

        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = distributed.Client(cluster)
        try:
            run = lambda: twidgets.sweep(system, grid_3d(), executor=client, progress=False)
            t0 = time.perf_counter()
            res = run()
            out["cold"] = time.perf_counter() - t0
            out["times"] = _timed(run, runs)
            workers = client.run(
                lambda: __import__("resource").getrusage(__import__("resource").RUSAGE_SELF).ru_maxrss / 1024.0
            )
            out["rss_mib"] = _maxrss_mib() + sum(workers.values())
            out["rss_detail"] = {"client": _maxrss_mib(), **{f"worker{i}": v for i, v in enumerate(workers.values())}}
            out["shape"] = list(res.shape)
        finally:
            client.close()
            cluster.close()
    else:
        raise SystemExit(f"unknown case {case!r}")
    return out


def run_child(case: str, runs: int) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", case, "--runs", str(runs)], capture_output=True, text=True, timeout=1800
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{case} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- main
def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7, help="timed runs for the 2-D cases")
    ap.add_argument("--runs-3d", type=int, default=3, help="timed runs for the 3-D cases")
    ap.add_argument("--skip-cluster", action="store_true")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.runs)))
        return 0

    import twidgets

    system = twidgets.load_system(SYSTEM)
    rows = []

    t0 = time.perf_counter()
    twidgets.sweep(system, grid_2d(), progress=False)
    cold = time.perf_counter() - t0
    times = _timed(lambda: twidgets.sweep(system, grid_2d(), progress=False), args.runs)
    rows.append(
        (
            "101 x 101 RR x skill",
            cold,
            times,
            0.5,
            _traced_peak_mib(lambda: twidgets.sweep(system, grid_2d(), progress=False)),
            None,
        )
    )

    t0 = time.perf_counter()
    twidgets.sweep(system, grid_2d(), repeats=10, progress=False)
    cold = time.perf_counter() - t0
    times = _timed(lambda: twidgets.sweep(system, grid_2d(), repeats=10, progress=False), max(3, args.runs // 2))
    rows.append(("101 x 101, repeats=10", cold, times, None, None, None))

    g = grid_2d()
    pts = [(g[RR][i % 101], g[BOOST][(7 * i) % 101]) for i in range(300)]

    def loop():
        for rr, b in pts:
            _ = twidgets.evaluate(system, {RR: rr, BOOST: b}).f1

    loop_times = [t * 10201 / len(pts) for t in _timed(loop, 3)]
    rows.append(("101 x 101 per-point loop*", None, loop_times, None, None, None))

    local = run_child("local3d", args.runs_3d)
    rows.append(("101^3 local", local["cold"], local["times"], 60.0, local["traced_mib"], local["rss_mib"]))
    if not args.skip_cluster:
        cl = run_child("cluster3d", args.runs_3d)
        rows.append(("101^3 LocalCluster(2)", cl["cold"], cl["times"], 60.0, None, cl["rss_mib"]))

    print(f"twidgets {twidgets.__version__}, numpy {np.__version__}, {os.cpu_count()} CPUs, system {SYSTEM}")
    hdr = (
        f"{'case':28s} {'runs':>4s} {'cold s':>8s} {'median s':>9s} {'min s':>8s} {'max s':>8s} "
        f"{'budget s':>8s} {'traced MiB':>10s} {'peak RSS MiB':>12s}"
    )
    print(hdr)
    print("-" * len(hdr))
    for name, cold, times, budget, traced, rss in rows:
        f = lambda v, w, p=3: f"{v:{w}.{p}f}" if v is not None else f"{'-':>{w}s}"
        print(
            f"{name:28s} {len(times):4d} {f(cold, 8)} {f(statistics.median(times), 9)} {f(min(times), 8)} "
            f"{f(max(times), 8)} {f(budget, 8, 1)} {f(traced, 10, 0)} {f(rss, 12, 0)}"
        )
    print("* extrapolated from 300 scalar evaluate() calls; peak RSS of the cluster case = client + 2 workers")
    if not args.skip_cluster:
        print("cluster RSS detail (MiB):", {k: round(v) for k, v in cl["rss_detail"].items()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
