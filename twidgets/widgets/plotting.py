"""A :class:`~.plot.Plot` built from plotly JSON (``{"data": [...], "layout": {...}}``) that
the views redraw whole, with clicks reported as the clicked x value.

The pure figure builders (:mod:`.compare_data`, ...) return plain JSON; :func:`figure_box`
shows one and :meth:`PlotBox.set_figure` redraws it.
"""

from __future__ import annotations

from collections.abc import Callable

from .plot import Plot, PlotEvent

__all__ = ["PlotBox", "figure_box"]


class PlotBox(Plot):
    """A :class:`Plot` of plotly JSON; ``on_x_click(x)`` gets a click's x value."""

    def __init__(self, figure: dict, on_x_click: Callable | None = None, **kwargs):
        super().__init__(figure, **kwargs)
        self._on_x_click = on_x_click
        if on_x_click is not None:
            self.on_click(self._clicked)

    def _clicked(self, event: PlotEvent) -> None:
        xs = [p.x for p in event.points if p.x is not None]
        if xs and self._on_x_click is not None:
            self._on_x_click(xs[0])

    def set_figure(self, figure: dict) -> None:
        """Redraw with new JSON (only what changed reaches the browser)."""
        self.figure = figure


def figure_box(figure: dict, on_click: Callable | None = None, **kwargs) -> PlotBox:
    """A :class:`PlotBox` showing ``figure`` (plotly JSON)."""
    return PlotBox(figure, on_x_click=on_click, **kwargs)
