"""The seed workflow's API (``graph`` / ``models`` / ``metrics``) on top of :mod:`twidgets.model`.

Analyses written for the older research code keep working after one change, their
import cell::

    from twidgets.compat import *

The names and behaviour are the seed's: :func:`dataframes_from_spreadsheet` returns the
three tables, :func:`construct_graph` builds a ``networkx.DiGraph`` whose node and
graph attributes carry the results, and :func:`update_throughput` recomputes them after
you edit node attributes (``"reduction ratio"``, the classifier's ``skill_boost``, ...).
Nothing is modelled here: every number comes from :func:`twidgets.evaluate`, called
with scalar overrides against a :class:`twidgets.System` that is built once, in
:func:`construct_graph`, and shared by every copy of the graph.

Why it is fast: the seed's ``vary_system`` deep-copies the graph for every point of its
101 x 101 loop. Here a deep copy shares everything immutable (the System, the
Monte-Carlo score arrays of the classifiers); only small per-node state is copied.
For new code, prefer one vectorised call (``twidgets.evaluate(system,
{"Intermediate.reduction_ratio": rr_grid, "Intermediate.skill_boost": boost_grid})``):
see ``notebooks/04-seed-workflow.ipynb``.

The tables, conversions and metrics are here; the graph is built and updated in
:mod:`twidgets.compat_graph`, and its classifier object is :mod:`twidgets.compat_classifier`'s.

Graph attributes (units: events/s, bytes, ops, J, W)
----------------------------------------------------
Inputs you may change before calling :func:`update_throughput`:

* nodes: ``"reduction ratio"`` (stages), ``"sample data"`` (bytes per event),
  ``"sample rate"`` (detectors, events/s), ``"op efficiency"`` (J/op),
  ``"data reduction"`` (fraction of the message kept = 1 - compression),
  ``"complexity"`` (callable bytes -> ops), and the ``"classifier"``'s
  ``skill_boost`` (and ``skill_mean`` / ``skill_scale`` for Gaussian stages);
* edges: ``"link efficiency"`` (J/bit; one value per source node, as in the tables);
* graph: ``"globals"["Year"]`` (technology year; only ``"scaled power"`` uses it).

Results written by :func:`update_throughput`:

* nodes: ``"type"``, ``"global ratio"``, ``"message size"`` (bytes), ``"ops"``,
  ``"input rate"``, ``"output rate"`` (events/s), ``"contingency"`` (2x2 int,
  ``[[tn, fn], [fp, tp]]`` in events/s), ``"discards"`` (its rejected row),
  ``"error matrix"``, ``"energy"`` (J per event), ``"op power"`` and ``"power"`` (W);
  the classifier's ``threshold`` and ``error_matrix``;
* edges: ``"message size"``, ``"throughput"`` (bytes/s), ``"energy"`` (J per event),
  ``"power"`` (W), ``"statistics"`` (the ``[fp, tp]`` events/s sent along it);
* graph: ``"op power"``, ``"link power"``, ``"power"`` (W), ``"scaled power"`` (W at the
  technology of ``"year"``), ``"performance"`` (the pipeline's 2x2 contingency table),
  ``"Root Node"`` (the sink).

Differences from the seed (deliberate): results are deterministic (``seed=0`` unless
``construct_graph(..., seed=n)``); 0/0 in :func:`precision`, :func:`recall` and
:func:`f1_score` gives 0.0, not NaN; a ``functions`` key that names no stage is an
error, not silently ignored; a stage missing from ``functions`` keeps its table's
``Complexity`` (empty or absent = identity, which is the seed's default);
``graph.graph["globals"]`` is a plain dict (``{"Year": 2032}``).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pandas as pd

from .compat_classifier import Classifier as Classifier  # re-exported (not in the seed's names)
from .compat_graph import CompatGraph as CompatGraph
from .compat_graph import construct_graph, update_throughput
from .compat_graph import to_model as to_model
from .model import metrics as _metrics
from .model.errors import ParameterError
from .model.io import read_workbook
from .model.spec import System as _ModelSystem
from .model.technology import density_scale, transistor_count_scale

__all__ = [
    "System",
    "dataframes_from_spreadsheet",
    "construct_graph",
    "update_throughput",
    "reduction_to_ratio",
    "ratio_to_reduction",
    "density_scale_model",
    "transistor_scale_model",
    "precision",
    "recall",
    "f1_score",
    "get_passed",
    "get_rejected",
]  # the seed's names (what ``from twidgets.compat import *`` brings in); also: to_model, CompatGraph, Classifier

# ----------------------------------------------------------------------------- tables


class System(namedtuple("System", ["detectors", "triggers", "globals"])):
    """The seed's tables of one system: ``detectors``, ``triggers`` and ``globals``
    (pandas DataFrames, sheets ``Detectors``, ``Triggers`` and ``Global``).

    Not to be confused with the immutable :class:`twidgets.System`; :meth:`to_model`
    converts (and validates).
    """

    __slots__ = ()

    @property
    def processors(self) -> pd.DataFrame:
        """Alias of ``triggers`` (the name later versions of the seed code used)."""
        return self.triggers

    def to_model(self, name: str | None = None) -> _ModelSystem:
        """The validated, immutable :class:`twidgets.System` of these tables."""
        return _ModelSystem.from_frames(self.detectors, self.triggers, self.globals, name=name)


def dataframes_from_spreadsheet(filename) -> System:
    """Read a system workbook into its three tables (a :class:`System` named tuple).

    The workbook is read safely (values only, size limits) and validated by
    :func:`twidgets.load_system`'s reader, so a bad file raises :class:`SpecError` naming
    the sheet, row and column. ``globals`` is a one-row DataFrame (``Year``, ...).
    """
    model = read_workbook(filename)
    return System(model.detectors, model.stages, pd.DataFrame([model.globals]))


# ----------------------------------------------------------------------- conversions


def reduction_to_ratio(reduction):
    """Reduction ratio (events in / events out) from the rejected fraction: ``1 / (1 - reduction)``.

    ``reduction`` must lie in [0, 1); scalars or arrays.
    """
    r = np.asarray(reduction, dtype=float)
    bad = ~((r >= 0.0) & (r < 1.0))
    if bad.any():
        raise ParameterError(f"reduction_to_ratio: {float(r[bad].flat[0])!r} is not a rejected fraction in [0, 1)")
    return (1.0 / (1.0 - r))[()]


def ratio_to_reduction(ratio):
    """Rejected fraction from a reduction ratio: ``1 - 1 / ratio`` (ratio >= 1; scalars or arrays)."""
    r = np.asarray(ratio, dtype=float)
    bad = ~(r >= 1.0)
    if bad.any():
        raise ParameterError(f"ratio_to_reduction: {float(r[bad].flat[0])!r} is not a reduction ratio >= 1")
    return (1.0 - 1.0 / r)[()]


def density_scale_model(year):
    """Transistor density relative to 2022 (dimensionless; 6.50 in 2032). Divide power by it."""
    return density_scale(year)


def transistor_scale_model(year):
    """Transistor-count model relative to 2022: ``exp(-0.19815559 + 0.18717361 (year - 2022))``."""
    return transistor_count_scale(year)


# -------------------------------------------------------------------------- metrics


def get_passed(contingency):
    """The kept row ``[fp, tp]`` (events/s) of a contingency table (or a stack of them)."""
    return np.asarray(contingency)[..., 1, :]


def get_rejected(contingency):
    """The rejected row ``[tn, fn]`` (events/s) of a contingency table (or a stack of them)."""
    return np.asarray(contingency)[..., 0, :]


def precision(confusion):
    """tp / (tp + fp) of a 2x2 table ``[[tn, fn], [fp, tp]]`` (0.0 when nothing is kept)."""
    return _metrics.precision(confusion)


def recall(confusion):
    """tp / (tp + fn) of a 2x2 table (0.0 when there is nothing relevant)."""
    return _metrics.recall(confusion)


def f1_score(confusion):
    """Harmonic mean of precision and recall of a 2x2 table (0.0 when undefined)."""
    return _metrics.f1_score(confusion)
