"""A figure from plotly JSON (``{"data": [...], "layout": {...}}``) in a box the views can
redraw, with clicks reported as the clicked x value.

The pure figure builders (:mod:`.compare_data`, ...) return plain JSON; :func:`figure_box`
shows one and :meth:`PlotBox.set_figure` redraws it.
"""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go

from .figures import FigureBox, updating

__all__ = ["PlotBox", "figure_box"]


class PlotBox(FigureBox):
    """A :class:`FigureBox` built from plotly JSON; ``on_click(x)`` gets a click's x value."""

    def __init__(self, figure: dict, on_click: Callable | None = None, **kwargs):
        self._on_click = on_click
        super().__init__(go.FigureWidget(figure), **kwargs)
        self._hook(self.figure)

    def _hook(self, fig):
        if self._on_click is None:
            return
        for trace in fig.data:
            trace.on_click(self._clicked)

    def _clicked(self, trace, points, state=None):
        if points.xs and self._on_click is not None:
            self._on_click(points.xs[0])

    def set_figure(self, figure: dict) -> None:
        """Redraw with new JSON (traces updated in place when their number is unchanged)."""
        fig = self.figure
        data = figure.get("data", [])
        if len(data) == len(fig.data):
            with updating(fig):
                for trace, new in zip(fig.data, data):
                    trace.update(new)
                fig.layout.update(figure.get("layout", {}))
            return
        new_fig = go.FigureWidget(figure)
        self._hook(new_fig)
        old = self.figure
        self.figure = new_fig
        self.children = [new_fig]
        old.close()


def figure_box(figure: dict, on_click: Callable | None = None, **kwargs) -> PlotBox:
    """A :class:`PlotBox` showing ``figure`` (plotly JSON)."""
    return PlotBox(figure, on_click=on_click, **kwargs)
