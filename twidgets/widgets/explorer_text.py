"""The sweep explorer's text: map title, status line, the selected point's read-out and
the CSV download link (HTML strings; every shown value is escaped and sits in a span
whose ``data-value`` holds it at full precision, so tests read what is on screen)."""

from __future__ import annotations

import html

from ..model.display import format_quantity, format_value
from ..model.display import label as display_name
from .explorer_figures import METRIC_CHOICES
from .explorer_points import GridPoint

__all__ = ["map_title", "sweep_status", "selected_html", "csv_filename", "NOTHING_SELECTED"]

#: What the read-out says before a point is picked.
NOTHING_SELECTED = "click the map to pick a point"


def map_title(metric: str, sigma: float) -> str:
    """Title of the map: the metric's label and unit, and the smoothing when ``sigma`` > 0 (grid cells)."""
    label, _, unit = METRIC_CHOICES[metric]
    title = f"{label}{f' ({unit})' if unit else ''}"
    if sigma > 0:
        title += f", smoothed (sigma {sigma:g})"
    return title


def sweep_status(nx: int, ny: int, repeats: int, seconds: float) -> str:
    """The status line after a sweep of ``nx`` x ``ny`` points that took ``seconds``."""
    took = f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1e3:.0f} ms"
    reps = f", mean of {repeats} seeds" if repeats > 1 else ""
    return f"{nx} x {ny} points{reps} in {took}"


def selected_html(x: str, y: str, metric: str, point: GridPoint) -> str:
    """Read-out of a selected grid point of the map of ``x`` over ``y``: the two parameter
    values, the metric (with its spread over repeats), the scaled power and F1 there."""
    label, _, unit = METRIC_CHOICES[metric]
    sd = ""
    if point.spread is not None:
        sd = f' &plusmn; <span class="tw-selected-spread" data-value="{point.spread!r}">{point.spread:.2g}</span>'
    return (
        f'selected: <span class="tw-selected-x" data-value="{point.x!r}">{html.escape(display_name(x))} = '
        f"{html.escape(format_value(x, point.x))}</span>, "
        f'<span class="tw-selected-y" data-value="{point.y!r}">{html.escape(display_name(y))} = '
        f"{html.escape(format_value(y, point.y))}</span>; "
        f'{label} <span class="tw-selected-value" data-value="{point.value!r}">{point.value:.4g}</span>{sd} {unit}; '
        f"scaled power {html.escape(format_quantity(point.power, 'W'))}, F1 {point.f1:.3f}"
    )


def csv_filename(x: str, y: str) -> str:
    """File name of the sweep's CSV over the ``x`` and ``y`` parameters (no spaces or path
    separators)."""
    name = f"sweep_{x}_{y}.csv"
    return "".join("_" if c in " /\\:" else c for c in name)
