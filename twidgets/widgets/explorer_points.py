"""The sweep explorer's grid and points on it: the sweep over the grid, whether a value
lies on it, where a scenario sits, what the sweep says at a grid point, the Pareto view's
points, and the current operating point's power and F1 (numpy and the model; no widgets)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..model import System, evaluate
from .explorer_figures import METRIC_CHOICES, front_note, progress_chunk, snap

__all__ = [
    "GridPoint",
    "grid_point",
    "metric_map",
    "inside",
    "scenario_point",
    "pareto_points",
    "operating_point",
    "marker_xy",
    "sweep_grid",
    "pareto_pick",
]


@dataclass(frozen=True)
class GridPoint:
    """What the sweep says at one grid point.

    ``x``, ``y`` are the grid values (parameter units); ``value`` the shown metric in display
    units (``METRIC_CHOICES``), ``spread`` its standard deviation over the repeats (None for
    one repeat); ``power`` the scaled power (W) and ``f1`` the F1 score there.
    """

    x: float
    y: float
    value: float
    spread: float | None
    power: float
    f1: float


def metric_map(result, metric: str, sigma: float) -> np.ndarray:
    """The metric over the grid (smoothed by ``sigma`` grid cells when > 0), shaped (len(x grid), len(y grid))."""
    return np.asarray(result.smoothed(metric, sigma) if sigma > 0 else result.metric(metric))


def grid_point(result, metric: str, sigma: float, xs, ys, x_value: float, y_value: float) -> GridPoint:
    """The :class:`GridPoint` of the grid (``xs`` x ``ys``) nearest to (``x_value``, ``y_value``)."""
    ix, iy = snap(xs, x_value), snap(ys, y_value)
    factor = METRIC_CHOICES[metric][1]
    spread = float(np.asarray(result.spread(metric))[ix, iy]) * factor if result.repeats > 1 else None
    return GridPoint(
        x=float(xs[ix]),
        y=float(ys[iy]),
        value=float(metric_map(result, metric, sigma)[ix, iy]) * factor,
        spread=spread,
        power=float(np.asarray(result.metric("scaled_power"))[ix, iy]),
        f1=float(np.asarray(result.metric("f1"))[ix, iy]),
    )


def inside(v: float, values) -> bool:
    """Whether ``v`` lies within the range of the grid ``values`` (ends included)."""
    lo, hi = float(np.min(values)), float(np.max(values))
    return lo <= float(v) <= hi


def scenario_point(scenario, x: str, y: str, xs, ys) -> tuple[float, float] | None:
    """Where a scenario sits on the map of ``x`` over ``y``: its override values of both
    axes when both are numbers inside the grids, else None."""
    ov = scenario.overrides
    px, py = ov.get(x), ov.get(y)
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (px, py)):
        return None
    if inside(px, xs) and inside(py, ys):
        return float(px), float(py)
    return None


def pareto_points(result):
    """The Pareto view of a sweep: (scaled power of every grid point in MW, F1 of every
    grid point, the front as a DataFrame with one row per distinct (power, F1) pair, the
    :func:`~.explorer_figures.front_note`)."""
    power = np.asarray(result.metric("scaled_power")) / 1e6
    f1 = np.asarray(result.metric("f1"))
    # ties (grid points with equal power and F1) resolved: one point each on the front
    front = result.pareto(x="scaled_power", y="f1").drop_duplicates(subset=["scaled_power", "f1"])
    front = front.reset_index(drop=True)
    note = front_note(
        front[["scaled_power", "f1"]],
        float(np.nanmax(power) - np.nanmin(power)) * 1e6,
        float(np.nanmax(f1) - np.nanmin(f1)),
    )
    return power, f1, front, note


def operating_point(system: System, overrides: dict, seed: int) -> tuple[float, float]:
    """(scaled power in MW, F1) of ``system`` with ``overrides``: the point on the Pareto view."""
    ev = evaluate(system, overrides, seed=seed)
    return float(ev.scaled_power) / 1e6, float(ev.f1)


def marker_xy(point: tuple[float, float] | None) -> dict:
    """``x``/``y`` of a one-point marker trace: the point, or empty lists to hide it."""
    return dict(x=[point[0]], y=[point[1]]) if point is not None else dict(x=[], y=[])


def sweep_grid(system: System, x: str, y: str, xs, ys, *, seed: int, repeats: int, progress=None):
    """Every metric the explorer offers over the grid ``xs`` x ``ys`` of ``x`` and ``y``
    (one vectorised sweep: switching the metric later is free). Returns (SweepResult,
    seconds it took); ``progress(done, total)`` is called as blocks finish."""
    from ..model.sweep import sweep

    t0 = time.perf_counter()
    result = sweep(
        system,
        {x: xs, y: ys},
        metrics=list(METRIC_CHOICES),
        seed=seed,
        repeats=repeats,
        progress=progress,
        chunk_size=progress_chunk(xs.size * ys.size),
    )
    return result, time.perf_counter() - t0


def pareto_pick(trace: int, index: int, front, xs, ys, x: str, y: str) -> tuple[float, float]:
    """The (x, y) grid values of the point clicked on the Pareto view: point ``index`` of
    the front (``trace`` 1, a row of ``front``) or of every grid point (``trace`` 0, the
    flattened ``xs`` x ``ys`` grid)."""
    if trace == 1:
        row = front.iloc[index]
        return float(row[x]), float(row[y])
    ix, iy = np.unravel_index(index, (len(xs), len(ys)))
    return float(xs[ix]), float(ys[iy])
