"""The sweep explorer's control panel: metric picker, axes, ranges, smoothing, repeats,
progress, status, the selected point's read-out and the CSV link.

:class:`ExplorerControls` is a plain object holding those ipywidgets: it builds and lays
them out, shows given values (:meth:`show`) and reports what a person changes through one
callback ``on_change(trait name, value)``; the explorer owns the traits and decides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ipywidgets as widgets

from ..model.display import label as display_name
from .download import DownloadButton
from .explorer_figures import METRIC_CHOICES
from .explorer_text import NOTHING_SELECTED

__all__ = ["ExplorerControls", "CONTROL_NAMES"]

#: The controls' attribute names (the explorer exposes each under the same name).
CONTROL_NAMES = (
    "x_picker",
    "y_picker",
    "x_start",
    "x_stop",
    "x_num",
    "y_start",
    "y_stop",
    "y_num",
    "metric_picker",
    "sigma_input",
    "repeats_input",
    "progress",
    "status_html",
    "selected_html",
    "download",
    "ranges",
)

_WRAP = dict(flex_flow="row wrap", align_items="center")
_STYLE = {"description_width": "initial"}


def _classed(widget, css_class: str):
    widget.add_class(css_class)
    return widget


class ExplorerControls:
    """The explorer's controls; ``on_change(name, value)`` is called with the trait a
    control stands for (``x``, ``y``, ``x_range``, ``y_range``, ``metric``, ``sigma``,
    ``repeats``) and the value a person entered."""

    def __init__(self, on_change: Callable[[str, object], None]):
        small = dict(width="150px")
        self.x_picker = _classed(widgets.Dropdown(description="x", style=_STYLE), "tw-x-param")
        self.y_picker = _classed(widgets.Dropdown(description="y", style=_STYLE), "tw-y-param")
        for axis in ("x", "y"):
            start = widgets.FloatText(description="from", layout=widgets.Layout(**small), style=_STYLE)
            stop = widgets.FloatText(description="to", layout=widgets.Layout(**small), style=_STYLE)
            num = widgets.BoundedIntText(
                min=2, max=401, description="points", layout=widgets.Layout(**small), style=_STYLE
            )
            setattr(self, f"{axis}_start", _classed(start, f"tw-{axis}-start"))
            setattr(self, f"{axis}_stop", _classed(stop, f"tw-{axis}-stop"))
            setattr(self, f"{axis}_num", _classed(num, f"tw-{axis}-num"))
        self.metric_picker = _classed(
            widgets.Dropdown(
                options=[(v[0], k) for k, v in METRIC_CHOICES.items()], description="Metric", style=_STYLE
            ),
            "tw-metric",
        )
        self.sigma_input = _classed(
            widgets.BoundedFloatText(
                min=0.0,
                max=50.0,
                step=0.5,
                description="Smoothing sigma",
                layout=widgets.Layout(width="180px"),
                style=_STYLE,
            ),
            "tw-sigma",
        )
        self.repeats_input = _classed(
            widgets.BoundedIntText(
                min=1, max=50, description="Repeats", layout=widgets.Layout(width="140px"), style=_STYLE
            ),
            "tw-repeats",
        )
        self.progress = _classed(
            widgets.IntProgress(min=0, max=1, value=0, layout=widgets.Layout(width="90px")), "tw-progress"
        )
        self.status_html = _classed(widgets.HTML(), "tw-status")
        self.selected_html = _classed(widgets.HTML(NOTHING_SELECTED), "tw-selected")
        self.download = _classed(
            DownloadButton(description="Download CSV", mime="text/csv", disabled=True), "tw-download-csv"
        )
        ranges = widgets.VBox(
            [
                widgets.HBox([self.x_picker, self.x_start, self.x_stop, self.x_num], layout=widgets.Layout(**_WRAP)),
                widgets.HBox([self.y_picker, self.y_start, self.y_stop, self.y_num], layout=widgets.Layout(**_WRAP)),
                widgets.HBox([self.sigma_input, self.repeats_input], layout=widgets.Layout(**_WRAP)),
            ]
        )
        # the axes and ranges fold away so the map sits in the first screen of a projector
        self.ranges = _classed(
            widgets.Accordion(children=[ranges], titles=("Axes, ranges, smoothing",), selected_index=None),
            "tw-ranges",
        )
        self._connect(on_change)

    x_start: widgets.FloatText
    x_stop: widgets.FloatText
    x_num: widgets.BoundedIntText
    y_start: widgets.FloatText
    y_stop: widgets.FloatText
    y_num: widgets.BoundedIntText

    def _connect(self, on_change: Callable[[str, object], None]) -> None:
        self.x_picker.observe(lambda c: on_change("x", c["new"]), names="value")
        self.y_picker.observe(lambda c: on_change("y", c["new"]), names="value")
        for w in (self.x_start, self.x_stop, self.x_num):
            w.observe(lambda c: on_change("x_range", self.range_of("x")), names="value")
        for w in (self.y_start, self.y_stop, self.y_num):
            w.observe(lambda c: on_change("y_range", self.range_of("y")), names="value")
        self.metric_picker.observe(lambda c: on_change("metric", c["new"]), names="value")
        self.sigma_input.observe(lambda c: on_change("sigma", c["new"]), names="value")
        self.repeats_input.observe(lambda c: on_change("repeats", c["new"]), names="value")

    def range_of(self, axis: str) -> tuple:
        """(start, stop, num) entered for ``axis`` ("x" or "y")."""
        return tuple(getattr(self, f"{axis}_{part}").value for part in ("start", "stop", "num"))

    def top_row(self) -> widgets.HBox:
        """Metric picker, progress, status and CSV link in one wrapping row."""
        return widgets.HBox(
            [self.metric_picker, self.progress, self.status_html, self.download], layout=widgets.Layout(**_WRAP)
        )

    def show(
        self, params: Sequence[str], x: str, y: str, x_range, y_range, metric: str, sigma: float, repeats: int
    ) -> None:
        """Show these values (``params``: the numeric parameters the axis pickers offer).
        The caller silences its own reactions meanwhile."""
        self.x_picker.options = [(display_name(p), p) for p in params]
        self.y_picker.options = [(display_name(p), p) for p in params]
        self.x_picker.value, self.y_picker.value = x, y
        self.x_start.value, self.x_stop.value, self.x_num.value = x_range
        self.y_start.value, self.y_stop.value, self.y_num.value = y_range
        self.metric_picker.value = metric
        self.sigma_input.value = sigma
        self.repeats_input.value = repeats
