"""Vectorised propagation of events through a System -> :class:`Evaluation`.

``evaluate(system, {"Intermediate.reduction_ratio": rr_grid, "Intermediate.skill_boost":
boost_grid})`` computes every quantity as a numpy array broadcast over the shapes of the
overridden parameters: a 101 x 101 grid is one call. The steps (MODEL.md section 2):

1. relevant fraction: ``global ratio`` = product of reduction ratios downstream;
   detectors emit ``floor(rate / global_ratio)`` relevant events/s, the rest irrelevant;
2. in topological order a stage's inputs are the floored mean of its predecessors'
   kept vectors; its classifier turns them into a 2x2 contingency table (floored);
3. message sizes add up (after the sender's compression) plus each stage's payload;
   ``ops = complexity(message)``;
4. link power = link efficiency (J/bit) x 8 x bytes/s on each edge;
5. op power = op efficiency (J/op) x ops x input rate on each node;
6. system power = links + ops; scaled power divides by the technology density scale;
7. the pipeline confusion matrix sums the rejected rows of every non-Dummy stage that
   has another one downstream and the whole table of the last one.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import numpy as np
import pandas as pd

from . import metrics as _metrics
from .classifiers import PassThrough
from .errors import ParameterError
from .params import NUMERIC_PARAMS, check_values, split_param
from .registry import classifier_kind
from .spec import Node, System
from .technology import density_scale

__all__ = ["evaluate", "Evaluation", "classifier_for", "resolve_overrides"]


def _floor(x):
    # floor with a tolerance for float round-off of products that are whole numbers
    return np.floor(np.asarray(x, dtype=float) + 1e-6)


def classifier_for(node: Node, seed: int = 0):
    """The (cached, shared) classifier object of a stage for a given seed (see :mod:`.registry`)."""
    return classifier_kind(node.classifier).build(node, int(seed))


def resolve_overrides(system: System, overrides: Mapping | None):
    """Split overrides into (system with structural changes applied, numeric arrays by key).

    Numeric parameters may be scalars or arrays; structural ones (``classifier``,
    ``complexity``, ``output``, ``n_samples``, ``calibration``) must be scalars and are
    applied with :meth:`System.with_params`. Keys are ``"Stage.param"`` or ``"year"``.
    """
    if not overrides:
        return system, {}
    if not isinstance(overrides, Mapping):
        raise ParameterError(f"overrides must be a mapping of 'Stage.param' -> value, got {type(overrides).__name__}")
    numeric = {}
    structural = {}
    for key, value in overrides.items():
        node, param = split_param(key)
        if node is not None:
            n = system.node(node)
            if param not in n.params and param not in (
                "classifier",
                "complexity",
                "output",
                "n_samples",
                "calibration",
            ):
                raise ParameterError(
                    f"{key!r}: a {n.kind} has no parameter {param!r}; numeric ones: {', '.join(n.params)}"
                )
            if n.kind == "detector" and param in ("classifier", "n_samples", "calibration"):
                raise ParameterError(f"{key!r}: detectors have no {param}")
        if param in NUMERIC_PARAMS:
            numeric[(node, param)] = check_values(param, value, key)
        else:
            if np.ndim(value) and not isinstance(value, str):
                raise ParameterError(f"{key!r} is not numeric: give one value, not an array")
            structural[key] = value
    if structural:
        system = system.with_params(structural)
    return system, numeric


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
    """

    def __init__(self, system, seed, overrides, shape, year, nodes, edges, confusion, classifiers):
        self.system = system
        self.seed = seed
        self.overrides = overrides
        self.shape = shape
        self.year = year
        self._nodes = nodes
        self._edges = edges
        self._classifiers = classifiers
        self.confusion = np.broadcast_to(confusion, shape + (2, 2)).astype(np.int64)
        self.link_power = self._full(sum(e["power"] for e in edges.values()) if edges else 0.0)
        self.op_power = self._full(sum(n["op_power"] for n in nodes.values()))
        self.power = self._full(self.link_power + self.op_power)
        self.density_scale = self._full(density_scale(year))
        self.scaled_power = self._full(self.power / self.density_scale)
        self.precision = self._full(_metrics.precision(self.confusion))
        self.recall = self._full(_metrics.recall(self.confusion))
        self.f1 = self._full(_metrics.f1_score(self.confusion))
        self.kept_rate = self._full(_metrics.kept(self.confusion))
        self.productivity = self._full(_metrics.productivity(self.confusion, self.scaled_power))
        self.productivity_per_kJ = self._full(self.productivity * 1e3)
        self.output_rate = self._full(nodes[system.sink]["output_rate"])
        tp = self.confusion[..., 1, 1].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.energy_per_relevant_event = self._full(
                np.where(tp > 0, self.scaled_power / np.where(tp > 0, tp, 1.0), np.inf)
            )

    def _full(self, x):
        arr = np.broadcast_to(np.asarray(x, dtype=float), self.shape)
        return float(arr) if self.shape == () else np.array(arr)

    def scaled_power_at(self, year):
        """Power (W) on the technology of another ``year`` (scalar or array, broadcast)."""
        return (np.asarray(self.power) / density_scale(year))[()]

    def node(self, name: str) -> dict:
        """All per-node quantities of one detector or stage (arrays broadcastable to ``shape``)."""
        try:
            d = self._nodes[name]
        except KeyError:
            raise ParameterError(f"no node {name!r}; nodes: {', '.join(self._nodes)}") from None
        return dict(d)

    def value(self, name: str, quantity: str):
        """One per-node quantity (e.g. ``("Global", "input_rate")``) broadcast to ``shape``."""
        d = self.node(name)
        if quantity not in d:
            raise ParameterError(f"no quantity {quantity!r}; quantities: {', '.join(d)}")
        v = np.asarray(d[quantity], dtype=float)
        tail = v.shape[-2:] if quantity == "contingency" else ()
        out = np.broadcast_to(v, self.shape + tail)
        return float(out) if out.shape == () else np.array(out)

    def classifier(self, name: str):
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
        cols = [
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
        ]
        rows = {}
        for name, d in self._nodes.items():
            row = {}
            for c in cols:
                if c in ("kind", "classifier"):
                    row[c] = d[c]
                elif c == "contingency":
                    row[c] = self.value(name, c).astype(np.int64)
                else:
                    row[c] = self.value(name, c)
            rows[name] = row
        return pd.DataFrame.from_dict(rows, orient="index", columns=cols)

    @cached_property
    def links(self) -> pd.DataFrame:
        """One row per edge: source, target, throughput (bytes/s), power (W), energy_per_event (J)."""
        out = []
        for (u, v), e in self._edges.items():
            out.append(
                {
                    "source": u,
                    "target": v,
                    "throughput": self._full(e["throughput"]),
                    "power": self._full(e["power"]),
                    "energy_per_event": self._full(e["energy_per_event"]),
                }
            )
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

    def metric(self, name: str):
        """A named metric: f1, precision, recall, power, link_power, op_power, scaled_power,
        productivity, productivity_per_kJ, output_rate, energy_per_relevant_event."""
        if name not in METRICS:
            raise ParameterError(f"unknown metric {name!r}; metrics: {', '.join(METRICS)}")
        return getattr(self, name)

    def __repr__(self):
        if self.shape == ():
            return (
                f"<Evaluation power={self.power / 1e6:.3f} MW scaled={self.scaled_power / 1e6:.3f} MW "
                f"({self.year}) F1={self.f1:.4f} precision={self.precision:.4f} recall={self.recall:.4f} "
                f"productivity={self.productivity_per_kJ:.4f}/kJ>"
            )
        return f"<Evaluation over shape {self.shape}>"


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

    def __init__(self, name, clf, boost, threshold):
        self.name = name
        self.kind = clf.kind
        self.monte_carlo = clf.monte_carlo
        self._clf = clf
        self.skill_boost = boost
        self.threshold = threshold

    @property
    def null_scores(self):
        if isinstance(self._clf, PassThrough):
            return np.empty(0)
        return self._clf.null_scores

    @property
    def pos_scores(self):
        if isinstance(self._clf, PassThrough):
            return np.empty(0)
        b = self.skill_boost
        return self._clf.pos_scores + b if np.ndim(b) == 0 and b else self._clf.pos_scores

    def __repr__(self):
        return f"<StageScores {self.name} {self.kind} threshold={self.threshold!r}>"


def evaluate(system: System, overrides: Mapping | None = None, *, seed: int = 0) -> Evaluation:
    """Propagate events through ``system`` and compute rates, power and selection quality.

    Parameters
    ----------
    system : System
    overrides : mapping, optional
        ``"Stage.param"`` (or ``"year"``) -> scalar or array. Arrays broadcast against
        each other; every result then has the broadcast shape.
    seed : int
        Seed of the Monte-Carlo classifier samples (same seed, bit-identical results).

    Returns
    -------
    Evaluation
    """
    if not isinstance(system, System):
        raise ParameterError(f"evaluate() needs a System, got {type(system).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"seed must be a non-negative integer, got {seed!r}")
    system, ov = resolve_overrides(system, overrides)
    shape = np.broadcast_shapes(*(a.shape for a in ov.values())) if ov else ()
    nodes = system.nodes

    def p(node, param):
        v = ov.get((node.name, param))
        return node.params[param] if v is None else v

    year = ov.get((None, "year"), system.year)

    # 1. global ratio = product of RRs of the node and everything downstream (reverse topo)
    ratio = {}
    for n in reversed(nodes):
        rr = p(n, "reduction_ratio") if n.kind == "stage" else 1.0
        ratio[n.name] = rr * ratio[n.output] if n.output else rr

    out = {}
    edges = {}
    classifiers = {}
    for n in nodes:
        d = {"kind": n.kind, "classifier": n.classifier if n.kind == "stage" else ""}
        if n.kind == "detector":
            rate = p(n, "sample_rate")
            pos = _floor(rate / ratio[n.name])
            neg = _floor(rate - pos)
            msg = np.asarray(p(n, "data_bytes"), dtype=float)
            d.update(
                neg_in=neg,
                pos_in=pos,
                f0=0.0,
                f1=0.0,
                threshold=np.nan,
                reduction_ratio=1.0,
                global_ratio=ratio[n.name],
            )
            tn = fn = np.zeros(())
            fp, tp = neg, pos
        else:
            if n.preds:
                neg = _floor(sum(out[q]["fp"] for q in n.preds) / len(n.preds))
                pos = _floor(sum(out[q]["tp"] for q in n.preds) / len(n.preds))
                msg = sum(out[q]["message_bytes"] * (1.0 - p(system.node(q), "compression")) for q in n.preds)
                msg = msg + p(n, "data_bytes")
            else:
                neg = pos = np.zeros(())
                msg = np.asarray(p(n, "data_bytes"), dtype=float)
            rr = p(n, "reduction_ratio")
            rho = 1.0 - 1.0 / np.asarray(rr, dtype=float)
            clf = classifier_for(n, seed)
            boost = p(n, "skill_boost")
            if n.classifier == "Dummy":
                t, f0, f1 = np.nan, 0.0, 0.0
            else:
                mean = p(n, "skill_mean") if n.classifier == "Gaussian" else None
                scale = p(n, "skill_scale") if n.classifier == "Gaussian" else None
                t, f0, f1 = clf.solve(neg, pos, rho, boost, mean=mean, scale=scale)
                classifiers[n.name] = (clf, boost)
            tn, fn = _floor(neg * f0), _floor(pos * f1)
            fp, tp = _floor(neg * (1.0 - np.asarray(f0))), _floor(pos * (1.0 - np.asarray(f1)))
            d.update(neg_in=neg, pos_in=pos, f0=f0, f1=f1, threshold=t, reduction_ratio=rr, global_ratio=ratio[n.name])
            if n.classifier == "Dummy":
                classifiers[n.name] = (clf, boost)
        ops = n.complexity(msg)
        energy = p(n, "op_efficiency") * ops
        input_rate = neg + pos
        output_rate = fp + tp
        d.update(
            tn=tn,
            fn=fn,
            fp=fp,
            tp=tp,
            input_rate=input_rate,
            output_rate=output_rate,
            rejected_rate=tn + fn,
            message_bytes=msg,
            ops=ops,
            energy_per_event=energy,
            op_power=energy * input_rate,
            contingency=np.stack(
                np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (tn, fn, fp, tp))), axis=-1
            ).reshape(np.broadcast_shapes(*(np.shape(x) for x in (tn, fn, fp, tp))) + (2, 2)),
        )
        if n.output:
            eff = p(n, "link_efficiency")
            thr = msg * output_rate
            e = {"throughput": thr, "power": eff * thr * 8.0, "energy_per_event": eff * msg * 8.0}
            edges[(n.name, n.output)] = e
            d["link_power"] = e["power"]
            d["link_energy_per_event"] = e["energy_per_event"]
        else:
            d["link_power"] = 0.0
            d["link_energy_per_event"] = 0.0
        # cost of one event up to here: own compute + everything spent upstream of it
        upstream = (
            sum(out[q]["cumulative_energy_per_event"] + out[q]["link_energy_per_event"] for q in n.preds)
            if n.preds
            else 0.0
        )
        d["cumulative_energy_per_event"] = energy + upstream
        out[n.name] = d

    # 7. pipeline confusion
    selecting = [n for n in nodes if n.kind == "stage" and n.classifier != "Dummy"]
    if not selecting:
        conf = out[system.sink]["contingency"]
    else:
        sel_names = {n.name for n in selecting}
        conf = 0.0
        for n in selecting:
            c = np.asarray(out[n.name]["contingency"])
            downstream = False
            nxt = n.output
            while nxt:
                if nxt in sel_names:
                    downstream = True
                    break
                nxt = system.node(nxt).output
            if downstream:
                c = c * np.array([[1.0, 1.0], [0.0, 0.0]])
            conf = conf + c
    return Evaluation(system, seed, dict(overrides or {}), tuple(shape), year, out, edges, conf, classifiers)
