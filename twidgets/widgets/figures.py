"""Keeping plotly FigureWidgets drawable and live in notebooks and in Voila.

Two problems of ``plotly.graph_objects.FigureWidget`` (plotly 7, anywidget-based) inside
ipywidgets containers, found by driving the Voila app in a browser:

1. **Stale first draw.** A figure sends each change to the browser as a delta message, and
   keeps the state a *new* view is drawn from in two synced traits (``_widget_data``,
   ``_widget_layout``) that plotly refreshes only when the figure itself is displayed. A
   figure nested in a container is never displayed itself, and Voila builds the widgets
   before the page connects, so the page drew every figure as it was created (empty).
   :func:`updating` wraps ``batch_update`` and refreshes that snapshot while no view
   shows the figure.
2. **Dead figures after the page connects.** In Voila, a random subset of the figure models
   that existed before the page connected never applies later updates (reproduced with
   bare FigureWidgets and anywidget 0.9 and 0.11), while figure models created once the
   page is connected always do. :class:`FigureBox` therefore swaps its figure, once, for a
   fresh copy (same data, layout and click callbacks) as soon as the front end reports a
   view of it (``_view_count``); owners reach the live figure through ``box.figure``.
"""

from __future__ import annotations

import contextlib
from copy import deepcopy

import ipywidgets as widgets
import plotly.graph_objects as go

__all__ = ["updating", "sync_snapshot", "FigureBox"]


def sync_snapshot(fig) -> None:
    """Copy the figure's current data and layout into the traits new views are drawn from."""
    fig._widget_data = deepcopy(fig._data)
    fig._widget_layout = deepcopy(fig._layout_obj._props)


@contextlib.contextmanager
def updating(fig):
    """``with updating(fig): ...`` = ``fig.batch_update()``, then :func:`sync_snapshot` while
    no front-end view shows the figure (once one does, the browser applies the deltas)."""
    with fig.batch_update():
        yield fig
    if not getattr(fig, "_view_count", 0):
        sync_snapshot(fig)


class FigureBox(widgets.Box):
    """A Box holding one FigureWidget, renewed once when the page first shows it.

    ``box.figure`` is always the live FigureWidget (use it, not a saved reference).
    ``renewed`` tells whether the swap happened; the box then also has the CSS class
    ``tw-live``, so browser tests can wait for ``.tw-contour.tw-live .js-plotly-plot``
    before they click or read a figure.
    """

    def __init__(self, figure: go.FigureWidget, **kwargs):
        super().__init__([figure], **kwargs)
        self.figure = figure
        self.renewed = False
        figure.observe(self._on_view_count, names="_view_count")

    def _on_view_count(self, change):
        if change["new"] and not self.renewed:
            self.renew()

    def renew(self) -> go.FigureWidget:
        """Replace the figure by a fresh FigureWidget with the same data, layout and click
        callbacks (the old one is closed). Returns the new figure."""
        old = self.figure
        new = go.FigureWidget(old)
        for old_trace, new_trace in zip(old.data, new.data):
            for callback in old_trace._click_callbacks:
                new_trace.on_click(callback, append=True)
        self.renewed = True
        self.figure = new
        self.children = [new]
        self.add_class("tw-live")
        old.close()
        return new
