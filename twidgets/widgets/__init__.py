"""Jupyter widgets over :mod:`twidgets.model`: each works alone in a notebook.

* :class:`SystemEditor` -- edit the detector and stage tables (anywidget grid);
* :class:`StageInspector` -- score histograms, threshold, confusion matrix and power of one stage;
* :class:`SweepExplorer` -- contour map of a metric over two parameters, Pareto front, click to select;
* :class:`Dashboard` -- the three linked, plus a Sankey flow of events/s or bytes/s.

The classes are imported on first use, so ``import twidgets.widgets`` stays cheap and one
widget module failing to import does not take the others down.
"""

from __future__ import annotations

import importlib

__all__ = ["SystemEditor", "StageInspector", "SweepExplorer", "Dashboard"]

_MODULES = {
    "SystemEditor": ".editor",
    "StageInspector": ".inspector",
    "SweepExplorer": ".explorer",
    "Dashboard": ".dashboard",
}


def __getattr__(name):
    try:
        module = _MODULES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
