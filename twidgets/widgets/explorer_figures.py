"""Pure pieces of the sweep explorer: metric choices, grids and default ranges, the two
empty figures (map and Pareto view) with their markers, and the degenerate-front note.

Nothing here holds state; :mod:`.explorer` (the widget) fills the figures from a sweep.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..model import System
from ..model.display import axis_title
from ..model.params import RULES, split_param

__all__ = [
    "METRIC_CHOICES",
    "DEFAULT_NUM",
    "SELECTED_MARKER",
    "CURRENT_MARKER",
    "CURRENT_NAME",
    "SELECTED_NAME",
    "default_range",
    "fallback_axes",
    "grid",
    "snap",
    "progress_chunk",
    "front_note",
    "contour_figure",
    "pareto_figure",
    "check_input",
]

#: Metrics the explorer offers: key -> (label, display factor, unit).
METRIC_CHOICES = {
    "f1": ("F1 score", 1.0, ""),
    "precision": ("Precision", 1.0, ""),
    "recall": ("Recall", 1.0, ""),
    "power": ("Power", 1e-6, "MW"),
    "scaled_power": ("Scaled power", 1e-6, "MW"),
    "productivity": ("Productivity", 1e3, "/kJ"),
}

DEFAULT_NUM = 51


def default_range(system: System, key: str) -> tuple[float, float]:
    """Sweep range (start, stop) of a parameter: the seed's 450 -> 40 for a reduction ratio
    (events in / events out), 0 -> 1 for a skill boost, year +/- 10, else +/- 50 % of the
    current value, clipped to the parameter's valid values."""
    node, param = split_param(key)
    value = float(system.param(key))
    if param == "reduction_ratio":
        return 450.0, 40.0
    if param == "skill_boost":
        return 0.0, 1.0
    if param == "year":
        return value - 10.0, value + 10.0
    if value == 0.0:
        lo, hi = 0.0, 1.0
    else:
        lo, hi = sorted((0.5 * value, 1.5 * value))
    rule = RULES.get(param)
    if rule is not None:
        rlo, lo_inc, rhi, hi_inc, _ = rule
        lo = max(lo, rlo if lo_inc else rlo + 1e-9 * max(1.0, abs(rlo)))
        hi = min(hi, rhi if hi_inc else rhi - 0.05 * max(1.0, abs(rhi)))
    if hi <= lo:
        hi = lo + 1.0
    return lo, hi


def fallback_axes(system: System) -> tuple[str, str]:
    """Axes to use when the current ones left the system (e.g. a stage was renamed): the
    reduction ratio and skill boost of the first selecting stage."""
    stages = [system.node(n) for n in system.stage_names]
    first = next((n for n in stages if n.classifier != "Dummy"), stages[0])
    return f"{first.name}.reduction_ratio", f"{first.name}.skill_boost"


def grid(start: float, stop: float, num: int) -> np.ndarray:
    """``num`` evenly spaced values from ``start`` to ``stop`` (inclusive), like the seed's linspace."""
    return np.linspace(float(start), float(stop), int(num))


def snap(values: np.ndarray, v: float) -> int:
    """Index of the grid value nearest to ``v``."""
    return int(np.argmin(np.abs(np.asarray(values, dtype=float) - float(v))))


def progress_chunk(points: int) -> int:
    """Points per vectorised block: small grids in one call, large ones in about ten
    blocks so the progress bar moves (each block costs one evaluate call, ~20 ms)."""
    return max(2601, -(-int(points) // 10))


#: Marker of the clicked grid point: a white disc with a thick black ring (visible on any colour).
SELECTED_MARKER = dict(size=15, color="white", symbol="circle", line=dict(color="black", width=3))
#: Marker of the current operating point (system + what-if values): a cyan diamond.
CURRENT_MARKER = dict(size=17, color="#00e5ff", symbol="diamond", line=dict(color="black", width=1.5))
CURRENT_NAME = "current operating point"
SELECTED_NAME = "selected grid point"


def front_note(front, x_span: float, y_span: float) -> str:
    """Why a Pareto front says little, or ``""``: fewer than three distinct points, or one
    metric that barely moves along it (< 1 % of its range over the grid)."""
    n = len(front)
    if n < 3:
        return f"degenerate front: {n} distinct point{'s' if n != 1 else ''}"
    fx = float(front.iloc[:, 0].max() - front.iloc[:, 0].min())
    fy = float(front.iloc[:, 1].max() - front.iloc[:, 1].min())
    if x_span > 0 and fx < 0.01 * x_span:
        return "degenerate front: the power hardly changes along it (F1 improves at no cost)"
    if y_span > 0 and fy < 0.01 * y_span:
        return "degenerate front: F1 hardly changes along it"
    return ""


def contour_figure(scenarios=()) -> go.Figure:
    """The empty map: the contour, one marker trace per scenario, then the current
    operating point and the selected grid point (last two traces, in that order)."""
    contour = go.Figure(
        data=[
            go.Contour(
                name="map",
                contours=dict(showlabels=True, labelfont=dict(size=11, color="white")),
                colorbar=dict(title="F1 score"),
                hovertemplate="x=%{x:.4g}<br>y=%{y:.4g}<br>%{z:.4g}<extra></extra>",
            )
        ]
        + [
            go.Scatter(
                x=[],
                y=[],
                mode="markers",
                name=s.name,
                marker=dict(size=14, color="gray", symbol=s.marker, line=dict(color="white", width=1)),
            )
            for s in scenarios
        ]
        + point_marker_traces(),
        layout=go.Layout(
            height=380,
            margin=dict(l=60, r=10, t=40, b=50),
            legend=dict(orientation="h", y=-0.26, yanchor="top", x=0.0),
        ),
    )
    return contour


def point_marker_traces() -> list[go.Scatter]:
    """The two (empty) marker traces both views end with: the current operating point, then
    the selected grid point."""
    return [
        go.Scatter(x=[], y=[], mode="markers", name=name, marker=marker, hoverinfo="skip", cliponaxis=False)
        for name, marker in ((CURRENT_NAME, CURRENT_MARKER), (SELECTED_NAME, SELECTED_MARKER))
    ]


def pareto_figure() -> go.Figure:
    """The empty Pareto view: dominated grid points (faint), the front, the current
    operating point and the selected grid point (traces 0 to 3)."""
    pareto = go.Figure(
        data=[
            go.Scatter(
                x=[],
                y=[],
                mode="markers",
                name="dominated grid points",
                marker=dict(size=4, color="#bbbbbb"),
                opacity=0.35,
            ),
            go.Scatter(x=[], y=[], mode="lines+markers", name="Pareto front", marker=dict(size=6, color="#1f77b4")),
            *point_marker_traces(),
        ],
        layout=go.Layout(
            height=330,
            margin=dict(l=60, r=10, t=40, b=50),
            title="Pareto front",
            xaxis_title=axis_title("scaled_power", "MW"),
            yaxis_title="F1 score",
            legend=dict(orientation="h", y=-0.25, x=0.0),
        ),
    )
    return pareto


def check_input(name: str, value, system: System | None):
    """``value`` of the explorer's input ``name`` (``x``, ``y``, ``x_range``, ``y_range``,
    ``sigma``, ``repeats``), normalised; a ValueError says what is wrong with it."""
    if name in ("x", "y"):
        if system is not None and value not in system.parameters():
            raise ValueError(
                f"{value!r} is not a numeric parameter of the system; e.g. {', '.join(system.parameters()[:4])}, ..."
            )
        return value
    if name in ("x_range", "y_range"):
        start, stop, num = value
        if not (np.isfinite(start) and np.isfinite(stop)):
            raise ValueError(f"{name}: start and stop must be finite numbers")
        if num < 2:
            raise ValueError(f"{name}: at least 2 points, got {num}")
        return (float(start), float(stop), int(num))
    if name == "sigma" and not value >= 0:
        raise ValueError(f"sigma must be >= 0 grid cells, got {value!r}")
    if name == "repeats" and value < 1:
        raise ValueError(f"repeats must be >= 1, got {value!r}")
    return value
