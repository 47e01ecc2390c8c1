"""Keeping plotly FigureWidgets drawable by views that appear after an update.

A ``FigureWidget`` sends every change to the browser as a delta message, and keeps the
state a *new* view is drawn from in two synced traits (``_widget_data``,
``_widget_layout``) that plotly refreshes only when the figure itself is displayed. A
figure nested in an ipywidgets container is never displayed itself, and in Voila the
widgets are built before the page connects, so the deltas are gone and the page would
draw the figure as it was created (empty). :func:`updating` wraps ``batch_update`` and
then refreshes the snapshot, so any view, created now or later, draws the current figure.
"""

from __future__ import annotations

import contextlib
from copy import deepcopy

__all__ = ["updating", "sync_snapshot"]


def sync_snapshot(fig) -> None:
    """Copy the figure's current data and layout into the traits new views are drawn from."""
    fig._widget_data = deepcopy(fig._data)
    fig._widget_layout = deepcopy(fig._layout_obj._props)


@contextlib.contextmanager
def updating(fig):
    """``with updating(fig): ...`` = ``fig.batch_update()`` followed by :func:`sync_snapshot`."""
    with fig.batch_update():
        yield fig
    sync_snapshot(fig)
