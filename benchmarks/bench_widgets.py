"""Server-side latency of the inspector, explorer and dashboard (budget: widget update <= 50 ms).

Each figure is the median of ``--repeat`` user actions handled in the kernel process (no
browser): the time from the trait change / message the front end sends to the moment
every linked widget has its new state (figures updated inside ``batch_update``).

* inspector slider step: a new ``rr_slider`` / ``boost_slider`` value -> evaluate ->
  histogram bins moved, threshold line, headline, confusion matrix;
* dashboard editor edit: ``editor.edit(...)`` -> new System -> inspector + flow updated;
  the explorer's sweep is debounced (an asyncio loop runs, as in a kernel), so the edit
  only schedules it; the debounced sweep itself is timed separately;
* explorer click: the click message ``static/plot.js`` sends -> ``selected`` ->
  marker + Pareto marker; in the dashboard also -> inspector overrides -> re-evaluation;
* dashboard slider step: the inspector's slider -> the dashboard's state -> headline,
  what-if line, editor grid (the shown system), current-point markers (anchor: the same
  step on a bare inspector, above, in the same process).

Run: ``python benchmarks/bench_widgets.py [--repeat N] [--num N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import twidgets
from twidgets.widgets import Dashboard, StageInspector, SweepExplorer


def median_ms(fn, repeat: int) -> float:
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def click(plot, x: float, y: float) -> None:
    """Deliver the message the browser sends when the map is clicked at (x, y)."""
    plot._on_message(
        None, {"type": "event", "kind": "click", "points": [{"trace": 0, "index": [0, 0], "x": x, "y": y}]}, []
    )


def bench_inspector(system, repeat: int) -> dict:
    inspector = StageInspector(system)
    rr_values = [60.0 + 7.3 * i for i in range(repeat)]
    boosts = [0.01 * (i + 1) for i in range(repeat)]
    out = {
        "inspector: RR slider step": median_ms(lambda i: setattr(inspector.rr_slider, "value", rr_values[i]), repeat),
        "inspector: skill-boost slider step": median_ms(
            lambda i: setattr(inspector.boost_slider, "value", boosts[i]), repeat
        ),
    }
    inspector.stage = "Global"
    means = [3.0 + 0.02 * i for i in range(repeat)]
    out["inspector: Gaussian mean slider step"] = median_ms(
        lambda i: setattr(inspector.mean_slider, "value", means[i]), repeat
    )
    return out


def bench_explorer(system, repeat: int, num: int) -> dict:
    explorer = SweepExplorer(system, num=num, debounce=0)
    out = {
        "explorer: click on the map (select + markers)": median_ms(
            lambda i: click(explorer.contour_plot, 450.0 - 9.0 * i, 0.03 * (i % 30)),
            repeat,
        ),
        "explorer: change smoothing sigma (redraw, no sweep)": median_ms(
            lambda i: setattr(explorer, "sigma", 1.0 + 0.1 * i), repeat
        ),
        f"explorer: recompute {num} x {num} sweep + redraw": median_ms(
            lambda i: setattr(explorer, "x_range", (450.0 - i, 40.0, num)), max(3, repeat // 4)
        ),
    }
    return out


def bench_dashboard(system, repeat: int, num: int) -> dict:
    out = {}

    async def run():
        dash = Dashboard(system, num=num, debounce=0.3)

        def edit(i):
            assert dash.editor.edit("detectors", 0, "Data (bytes)", str(1_400_000 + 1000 * i))
            assert dash.inspector.system is dash.system  # propagated

        out["dashboard: editor edit -> inspector + flow (explorer debounced)"] = median_ms(edit, repeat)
        out["dashboard: explorer click -> inspector"] = median_ms(
            lambda i: click(dash.explorer.contour_plot, 400.0 - 9.0 * i, 0.03 * (i % 30)),
            repeat,
        )
        rr_values = [60.0 + 7.3 * i for i in range(repeat)]
        out["dashboard: RR slider step -> state, headline, what-if, grid, map markers"] = median_ms(
            lambda i: setattr(dash.inspector.rr_slider, "value", rr_values[i]), repeat
        )
        dash.inspector.stage = "Global"
        hlt = [0.05 * (i + 1) for i in range(repeat)]
        out["dashboard: HLT boost slider step (off the map's axes: + debounced sweep scheduled)"] = median_ms(
            lambda i: setattr(dash.inspector.boost_slider, "value", hlt[i]), repeat
        )
        await asyncio.sleep(0.5)  # let the debounced sweep run once
        t0 = time.perf_counter()
        dash.explorer.recompute()
        out[f"dashboard: the debounced explorer sweep ({num} x {num}) + redraw"] = (time.perf_counter() - t0) * 1e3

    asyncio.run(run())
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--num", type=int, default=51, help="explorer grid points per axis")
    args = parser.parse_args()
    system = twidgets.load_system("cms-hllhc-pu200")
    twidgets.evaluate(system)  # build the classifier samples once (cold start is bench_core's job)
    results = {}
    results.update(bench_inspector(system, args.repeat))
    results.update(bench_explorer(system, args.repeat, args.num))
    results.update(bench_dashboard(system, args.repeat, args.num))
    print(f"Widget server-side latency, median of {args.repeat} actions (budget 50 ms per slider step / click)")
    for label, ms in results.items():
        print(f"  {label:<66s} {ms:8.2f} ms")


if __name__ == "__main__":
    main()
