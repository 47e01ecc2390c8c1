"""What one evaluation computed: typed per-node and per-link results and :class:`Evaluation`.

:func:`twidgets.evaluate` fills these; nothing here propagates events. Every quantity is a
float or a numpy array broadcastable to :attr:`Evaluation.shape` (the broadcast shape of
the overridden parameters). Units: events/s, bytes, W, J, ops.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from . import metrics as _metrics
from .classifiers import PassThrough
from .errors import ParameterError
from .spec import System
from .technology import density_scale

__all__ = ["NodeResult", "LinkResult", "Evaluation", "StageScores", "METRICS", "Values"]

#: A float, or a numpy array broadcastable to the evaluation's shape.
Values = float | np.ndarray

#: Metrics available through :meth:`Evaluation.metric` (and sweeps).
METRICS = (
    "f1",
    "precision",
    "recall",
    "power",
    "link_power",
    "op_power",
    "scaled_power",
    "productivity",
    "productivity_per_kJ",
    "output_rate",
    "energy_per_relevant_event",
)


@dataclass(frozen=True)
class NodeResult:
    """The quantities of one detector or stage in one evaluation.

    Rates are events/s, sizes bytes/event, energies J, powers W. A detector keeps every
    event (rejected fractions 0, threshold NaN, reduction ratio 1).
    """

    name: str
    kind: str  #: "detector" or "stage"
    classifier: str  #: the stage's classifier kind; "" for detectors
    irrelevant_in: Values  #: irrelevant events/s entering (detectors: emitted)
    relevant_in: Values  #: relevant events/s entering (detectors: emitted)
    rejected_irrelevant_fraction: Values  #: fraction of the irrelevant input rejected
    rejected_relevant_fraction: Values  #: fraction of the relevant input rejected
    threshold: Values  #: solved score threshold (events at or below it are rejected); NaN if none
    reduction_ratio: Values  #: events in / events out asked of the stage (1 for detectors)
    global_ratio: Values  #: product of the reduction ratios from here to the sink
    tn: Values  #: rejected irrelevant events/s
    fn: Values  #: rejected relevant events/s
    fp: Values  #: kept irrelevant events/s
    tp: Values  #: kept relevant events/s
    input_rate: Values  #: events/s in
    output_rate: Values  #: events/s out
    rejected_rate: Values  #: events/s rejected here
    message_bytes: Values  #: bytes per event leaving the node, before its compression
    ops: Values  #: operations per event
    energy_per_event: Values  #: J of compute per event
    op_power: Values  #: W of compute
    contingency: np.ndarray  #: ``[[tn, fn], [fp, tp]]`` in events/s, shape ``(..., 2, 2)``
    link_power: Values  #: W of the output link (0 for the sink)
    link_energy_per_event: Values  #: J per event on the output link
    cumulative_energy_per_event: Values  #: J spent on an event up to and including this node

    def __getitem__(self, quantity: str) -> Any:
        """``result["input_rate"]``: the same as the attribute (for code written against dicts)."""
        if quantity not in _NODE_FIELDS:
            raise ParameterError(f"no quantity {quantity!r}; quantities: {', '.join(_NODE_FIELDS)}")
        return getattr(self, quantity)


_NODE_FIELDS = tuple(f.name for f in dataclasses.fields(NodeResult) if f.name not in ("name",))


@dataclass(frozen=True)
class LinkResult:
    """One edge of the graph (the output link of ``source``)."""

    source: str
    target: str
    throughput: Values  #: bytes/s on the link (after nothing: the sender's message size x output rate)
    power: Values  #: W
    energy_per_event: Values  #: J per event sent


class StageScores:
    """A stage's classifier as seen in one evaluation.

    Attributes
    ----------
    null_scores, pos_scores : ndarray
        Scores of irrelevant and relevant events (relevant shifted by the skill boost).
        Monte-Carlo samples for L1T/HLT; seeded draws for Gaussian (display only).
    threshold : float or ndarray
        The solved threshold: events scoring at or below it are rejected.
    """

    def __init__(self, name: str, clf: Any, boost: Values, threshold: Values):
        self.name = name
        self.kind = clf.kind
        self.monte_carlo = clf.monte_carlo
        self._clf = clf
        self.skill_boost = boost
        self.threshold = threshold

    @property
    def null_scores(self) -> np.ndarray:
        if isinstance(self._clf, PassThrough):
            return np.empty(0)
        return np.asarray(self._clf.null_scores)

    @property
    def pos_scores(self) -> np.ndarray:
        if isinstance(self._clf, PassThrough):
            return np.empty(0)
        b = self.skill_boost
        pos = np.asarray(self._clf.pos_scores)
        return pos + b if np.ndim(b) == 0 and b else pos

    def __repr__(self) -> str:
        return f"<StageScores {self.name} {self.kind} threshold={self.threshold!r}>"


class Evaluation:
    """Everything one evaluation computed. Arrays have the broadcast shape of the overrides.

    Attributes (W = watts, events/s, bytes)
    ----------
    shape : tuple
    power, link_power, op_power : ndarray or float
        System power and its link / compute parts (W, today's technology).
    scaled_power : ndarray or float
        Power at the technology of the system's year (W): ``power / density_scale(year)``.
    confusion : ndarray of int64, shape ``shape + (2, 2)``
        Pipeline contingency table in events/s.
    precision, recall, f1, productivity : ndarray or float
        ``productivity`` is relevant samples per joule of scaled power.
    output_rate : ndarray or float
        Events/s reaching storage (the sink).
    results : mapping
        Node name -> :class:`NodeResult` (topological order); :attr:`link_results` the
        :class:`LinkResult` of every edge.
    """

    def __init__(
        self,
        system: System,
        seed: int,
        overrides: dict,
        shape: tuple,
        year: Values,
        results: Mapping[str, NodeResult],
        links: tuple[LinkResult, ...],
        confusion: Values,
        classifiers: Mapping[str, tuple[Any, Values]],
        sink: str,
    ):
        self.system = system  #: the evaluated System (structural overrides applied)
        self.seed = seed
        self.overrides = overrides
        self.shape = shape
        self.year = year
        self.results: Mapping[str, NodeResult] = dict(results)
        self.link_results: tuple[LinkResult, ...] = tuple(links)
        self._classifiers = dict(classifiers)
        self.confusion = np.broadcast_to(confusion, shape + (2, 2)).astype(np.int64)
        self.link_power = self._full(sum((lk.power for lk in links), 0.0))
        self.op_power = self._full(sum((r.op_power for r in results.values()), 0.0))
        self.power = self._full(self.link_power + self.op_power)
        self.density_scale = self._full(density_scale(year))
        self.scaled_power = self._full(self.power / self.density_scale)
        self.precision = self._full(_metrics.precision(self.confusion))
        self.recall = self._full(_metrics.recall(self.confusion))
        self.f1 = self._full(_metrics.f1_score(self.confusion))
        self.kept_rate = self._full(_metrics.kept(self.confusion))
        self.productivity = self._full(_metrics.productivity(self.confusion, self.scaled_power))
        self.productivity_per_kJ = self._full(self.productivity * 1e3)
        self.output_rate = self._full(results[sink].output_rate)
        tp = self.confusion[..., 1, 1].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.energy_per_relevant_event = self._full(
                np.where(tp > 0, self.scaled_power / np.where(tp > 0, tp, 1.0), np.inf)
            )

    def _full(self, x: Any) -> Any:
        arr = np.broadcast_to(np.asarray(x, dtype=float), self.shape)
        return float(arr) if self.shape == () else np.array(arr)

    def scaled_power_at(self, year: Values) -> Values:
        """Power (W) on the technology of another ``year`` (scalar or array, broadcast)."""
        return (np.asarray(self.power) / density_scale(year))[()]

    def node(self, name: str) -> NodeResult:
        """The :class:`NodeResult` of one detector or stage (arrays broadcastable to ``shape``)."""
        try:
            return self.results[name]
        except KeyError:
            raise ParameterError(f"no node {name!r}; nodes: {', '.join(self.results)}") from None

    def value(self, name: str, quantity: str) -> Any:
        """One per-node quantity (e.g. ``("Global", "input_rate")``) broadcast to ``shape``."""
        v = np.asarray(self.node(name)[quantity], dtype=float)
        tail = v.shape[-2:] if quantity == "contingency" else ()
        out = np.broadcast_to(v, self.shape + tail)
        return float(out) if out.shape == () else np.array(out)

    def classifier(self, name: str) -> StageScores:
        """Scores and solved threshold of a stage: a :class:`StageScores`."""
        if name not in self._classifiers:
            raise ParameterError(f"{name!r} is not a stage with a classifier; stages: {', '.join(self._classifiers)}")
        clf, boost = self._classifiers[name]
        return StageScores(name, clf, boost, self.value(name, "threshold"))

    @cached_property
    def stages(self) -> pd.DataFrame:
        """One row per node (detectors and stages, topological order).

        Columns: kind, classifier, input_rate, output_rate, rejected_rate (events/s),
        reduction_ratio, global_ratio, message_bytes (bytes/event), ops (ops/event),
        energy_per_event (J of compute per event), op_power (W), link_power (W, of the
        output link), threshold, tn, fn, fp, tp (events/s), contingency (2x2),
        cumulative_energy_per_event (J spent on an event up to and including this
        node: the cost of an event rejected here). Cells are arrays when the
        evaluation is vectorised.
        """
        rows = {}
        for name, r in self.results.items():
            row: dict[str, Any] = {"kind": r.kind, "classifier": r.classifier}
            for c in STAGE_COLUMNS[2:]:
                row[c] = self.value(name, c).astype(np.int64) if c == "contingency" else self.value(name, c)
            rows[name] = row
        return pd.DataFrame.from_dict(rows, orient="index", columns=list(STAGE_COLUMNS))

    @cached_property
    def links(self) -> pd.DataFrame:
        """One row per edge: source, target, throughput (bytes/s), power (W), energy_per_event (J)."""
        out = [
            {
                "source": lk.source,
                "target": lk.target,
                "throughput": self._full(lk.throughput),
                "power": self._full(lk.power),
                "energy_per_event": self._full(lk.energy_per_event),
            }
            for lk in self.link_results
        ]
        return pd.DataFrame(out, columns=["source", "target", "throughput", "power", "energy_per_event"])

    def headline(self) -> dict:
        """The headline metrics as plain numbers (scalar evaluations) or arrays."""
        return {
            "power_W": self.power,
            "link_power_W": self.link_power,
            "op_power_W": self.op_power,
            "scaled_power_W": self.scaled_power,
            "year": self.year,
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "productivity_per_J": self.productivity,
            "productivity_per_kJ": self.productivity_per_kJ,
            "output_rate_Hz": self.output_rate,
            "energy_per_relevant_event_J": self.energy_per_relevant_event,
        }

    def metric(self, name: str) -> Any:
        """A named metric: f1, precision, recall, power, link_power, op_power, scaled_power,
        productivity, productivity_per_kJ, output_rate, energy_per_relevant_event."""
        if name not in METRICS:
            raise ParameterError(f"unknown metric {name!r}; metrics: {', '.join(METRICS)}")
        return getattr(self, name)

    def __repr__(self) -> str:
        if self.shape == ():
            return (
                f"<Evaluation power={self.power / 1e6:.3f} MW scaled={self.scaled_power / 1e6:.3f} MW "
                f"({self.year}) F1={self.f1:.4f} precision={self.precision:.4f} recall={self.recall:.4f} "
                f"productivity={self.productivity_per_kJ:.4f}/kJ>"
            )
        return f"<Evaluation over shape {self.shape}>"


#: Columns of :attr:`Evaluation.stages`, in order.
STAGE_COLUMNS = (
    "kind",
    "classifier",
    "input_rate",
    "output_rate",
    "rejected_rate",
    "reduction_ratio",
    "global_ratio",
    "message_bytes",
    "ops",
    "energy_per_event",
    "op_power",
    "link_power",
    "threshold",
    "tn",
    "fn",
    "fp",
    "tp",
    "contingency",
    "cumulative_energy_per_event",
)
