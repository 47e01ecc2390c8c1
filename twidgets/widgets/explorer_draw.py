"""Fill the sweep explorer's two figures (made empty by :mod:`.explorer_figures`) from a
sweep: the map with its scenarios, title and axes, and the Pareto view. Each function
changes one figure inside one ``batch_update`` (one message to the browser)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ..model.display import axis_title
from .explorer_figures import METRIC_CHOICES
from .explorer_points import marker_xy, scenario_point
from .explorer_text import map_title

__all__ = ["draw_map", "draw_pareto"]


def draw_map(fig: go.Figure, xs, ys, z, x: str, y: str, metric: str, sigma: float, scenarios=()) -> None:
    """Fill the map made by :func:`contour_figure` (one batch): the metric ``z`` (display
    units, shaped (len(xs), len(ys))), the scenarios inside the grids, title and axes
    (reduction-ratio axes reversed)."""
    label, _, unit = METRIC_CHOICES[metric]
    with fig.batch_update():
        fig.data[0].update(x=xs.tolist(), y=ys.tolist(), z=z.T.tolist(), colorbar=dict(title=f"{label} {unit}".strip()))
        for trace, scen in zip(fig.data[1 : 1 + len(scenarios)], scenarios):
            trace.update(marker_xy(scenario_point(scen, x, y, xs, ys)))
        fig.layout.title = map_title(metric, sigma)
        fig.layout.xaxis.title = axis_title(x)
        fig.layout.yaxis.title = axis_title(y)
        fig.layout.xaxis.autorange = "reversed" if x.endswith(".reduction_ratio") else True
        fig.layout.yaxis.autorange = "reversed" if y.endswith(".reduction_ratio") else True


def draw_pareto(fig: go.Figure, power, f1, front, note: str) -> None:
    """Fill the Pareto view made by :func:`pareto_figure` from :func:`pareto_points`' output."""
    with fig.batch_update():
        fig.data[0].update(x=power.ravel().tolist(), y=f1.ravel().tolist())
        fig.data[1].update(x=(np.asarray(front["scaled_power"]) / 1e6).tolist(), y=np.asarray(front["f1"]).tolist())
        fig.layout.title = "Pareto front: scaled power vs F1" + (f" ({note})" if note else "")
