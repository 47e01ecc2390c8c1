"""Jupyter widgets over :mod:`twidgets.model`: each works alone in a notebook.

* :class:`SystemEditor` -- edit the detector and stage tables (anywidget grid);
* :class:`StageInspector` -- score histograms, threshold, confusion matrix and power of one stage;
* :class:`SweepExplorer` -- contour map of a metric over two parameters, Pareto front, click to select;
* :class:`Dashboard` -- the three linked, plus a Sankey flow of events/s or bytes/s.
"""

from __future__ import annotations

from .dashboard import Dashboard
from .editor import SystemEditor
from .explorer import SweepExplorer
from .inspector import StageInspector

__all__ = ["SystemEditor", "StageInspector", "SweepExplorer", "Dashboard"]
