"""A figure from plotly JSON (``{"data": [...], "layout": {...}}``) the views can redraw,
with clicks reported as the clicked x value.

The pure figure builders (:mod:`.compare_data`, ...) return plain JSON; :func:`figure_box`
shows one in a :class:`~twidgets.widgets.plot.Plot` and :meth:`PlotBox.set_figure` redraws it.
"""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go

from .plot import Plot, PlotEvent

__all__ = ["PlotBox", "figure_box"]


class PlotBox(Plot):
    """A :class:`~twidgets.widgets.plot.Plot` built from plotly JSON; ``on_click(x)`` gets a
    click's x value."""

    def __init__(self, figure: dict, on_click: Callable | None = None, **kwargs):
        super().__init__(go.Figure(figure), **kwargs)
        self._on_x_click = on_click
        if on_click is not None:
            self.on_click(self._clicked)

    def _clicked(self, event: PlotEvent) -> None:
        xs = [p.x for p in event.points if p.x is not None]
        if xs and self._on_x_click is not None:
            self._on_x_click(xs[0])

    def set_figure(self, figure: dict) -> None:
        """Redraw with new JSON (sent to the browser once, drawn with ``Plotly.react``)."""
        self.figure = go.Figure(figure)


def figure_box(figure: dict, on_click: Callable | None = None, **kwargs) -> PlotBox:
    """A :class:`PlotBox` showing ``figure`` (plotly JSON)."""
    return PlotBox(figure, on_click=on_click, **kwargs)
