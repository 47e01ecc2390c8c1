"""Vectorised propagation of events through a System -> :class:`Evaluation`.

``evaluate(system, {"Intermediate.reduction_ratio": rr_grid, "Intermediate.skill_boost":
boost_grid})`` computes every quantity as a numpy array broadcast over the shapes of the
overridden parameters: a 101 x 101 grid is one call. The steps (MODEL.md section 2), each
a small function below:

1. :func:`global_ratios`: ``global ratio`` = product of reduction ratios downstream;
   detectors emit ``floor(rate / global_ratio)`` relevant events/s, the rest irrelevant;
2. :func:`propagate_rates`: in topological order a stage's inputs are the floored mean of
   its predecessors' kept rates; :func:`select` turns them into a 2x2 contingency table
   (floored) with the stage's classifier;
3. :func:`message_size`: message sizes add up (after the sender's compression) plus each
   stage's payload; ``ops = complexity(message)``;
4. :func:`link_power`: link efficiency (J/bit) x 8 x bytes/s on each edge;
5. :func:`node_power`: op efficiency (J/op) x ops x input rate on each node;
6. system power = links + ops; scaled power divides by the technology density scale;
7. :func:`pipeline_confusion`: the rejected rows of every non-Dummy stage that has
   another one downstream plus the whole table of the last one.

Overrides are checked and split by :mod:`twidgets.model.overrides`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .errors import ParameterError
from .evaluation import METRICS, Evaluation, LinkResult, NodeResult, StageScores, Values
from .overrides import (
    CALIBRATED_YEARS,
    GRID_BUDGET_BYTES,
    ExtrapolationWarning,
    ResolvedOverrides,
    check_grid,
    max_grid_points,
    resolve_overrides,
)
from .registry import classifier_kind
from .spec import Node, System

__all__ = [
    "evaluate",
    "Evaluation",
    "NodeResult",
    "LinkResult",
    "StageScores",
    "METRICS",
    "classifier_for",
    "resolve_overrides",
    "ResolvedOverrides",
    "GRID_BUDGET_BYTES",
    "max_grid_points",
    "CALIBRATED_YEARS",
    "ExtrapolationWarning",
]


def _floor(x: Any) -> np.ndarray:
    # floor with a tolerance for float round-off of products that are whole numbers
    return np.floor(np.asarray(x, dtype=float) + 1e-6)


def classifier_for(node: Node, seed: int = 0) -> Any:
    """The (cached, shared) classifier object of a stage for a given seed (see :mod:`.registry`)."""
    return classifier_kind(node.classifier).build(node, int(seed))


# ---------------------------------------------------------------------------- steps
#: ``value(node, param)``: a node's parameter with the numeric overrides applied.
ValueOf = Callable[[Node, str], Values]


def global_ratios(nodes: tuple[Node, ...], value: ValueOf) -> dict[str, Values]:
    """Product of the reduction ratios of each node and everything downstream of it."""
    ratio: dict[str, Values] = {}
    for n in reversed(nodes):
        rr = value(n, "reduction_ratio") if n.kind == "stage" else 1.0
        ratio[n.name] = rr * ratio[n.output] if n.output else rr
    return ratio


def detector_rates(node: Node, global_ratio: Values, value: ValueOf) -> tuple[np.ndarray, np.ndarray]:
    """(irrelevant, relevant) events/s a detector emits: ``rate / global ratio`` are relevant."""
    rate = value(node, "sample_rate")
    relevant = _floor(np.asarray(rate) / global_ratio)
    return _floor(rate - relevant), relevant


def propagate_rates(node: Node, results: Mapping[str, NodeResult]) -> tuple[np.ndarray, np.ndarray]:
    """(irrelevant, relevant) events/s entering a stage: the floored mean of what its
    predecessors keep (0 for a stage nothing feeds)."""
    if not node.preds:
        return np.zeros(()), np.zeros(())
    k = len(node.preds)
    irrelevant = _floor(sum((results[q].fp for q in node.preds), np.zeros(())) / k)
    relevant = _floor(sum((results[q].tp for q in node.preds), np.zeros(())) / k)
    return irrelevant, relevant


def message_size(node: Node, results: Mapping[str, NodeResult], by_name: Mapping[str, Node], value: ValueOf) -> Values:
    """Bytes per event leaving ``node``: its predecessors' messages after their
    compression, plus its own payload."""
    own = np.asarray(value(node, "data_bytes"), dtype=float)
    if not node.preds:
        return own
    incoming = sum(
        (results[q].message_bytes * (1.0 - np.asarray(value(by_name[q], "compression"))) for q in node.preds),
        np.zeros(()),
    )
    return incoming + own


def select(
    node: Node, irrelevant: np.ndarray, relevant: np.ndarray, value: ValueOf, seed: int
) -> tuple[Values, Values, Values, Any]:
    """Solve a stage's threshold for its reduction ratio.

    Returns ``(threshold, rejected irrelevant fraction, rejected relevant fraction,
    classifier)``; a Dummy stage keeps everything (threshold NaN).
    """
    clf = classifier_for(node, seed)
    if node.classifier == "Dummy":
        return np.nan, 0.0, 0.0, clf
    rho = 1.0 - 1.0 / np.asarray(value(node, "reduction_ratio"), dtype=float)
    gaussian = node.classifier == "Gaussian"
    t, rejected_irrelevant, rejected_relevant = clf.solve(
        irrelevant,
        relevant,
        rho,
        value(node, "skill_boost"),
        mean=value(node, "skill_mean") if gaussian else None,
        scale=value(node, "skill_scale") if gaussian else None,
    )
    return t, rejected_irrelevant, rejected_relevant, clf


def contingency(tn: Values, fn: Values, fp: Values, tp: Values) -> np.ndarray:
    """``[[tn, fn], [fp, tp]]`` stacked on two trailing axes (events/s)."""
    if all(np.ndim(x) == 0 for x in (tn, fn, fp, tp)):  # one point: no broadcasting to do
        return np.array([[tn, fn], [fp, tp]], dtype=float)
    parts = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (tn, fn, fp, tp)))
    return np.stack(parts, axis=-1).reshape(parts[0].shape + (2, 2))


def link_power(node: Node, message: Values, output_rate: Values, value: ValueOf) -> LinkResult | None:
    """The output link of ``node``: throughput (bytes/s), power (W) and J per event."""
    if not node.output:
        return None
    eff = value(node, "link_efficiency")
    throughput = message * np.asarray(output_rate)
    return LinkResult(node.name, node.output, throughput, eff * throughput * 8.0, eff * message * 8.0)


def node_power(node: Node, message: Values, input_rate: Values, value: ValueOf) -> tuple[Values, Values, Values]:
    """(ops per event, J of compute per event, compute power in W) of ``node``."""
    ops = node.complexity(message)
    energy = value(node, "op_efficiency") * ops
    return ops, energy, energy * input_rate


def _evaluate_node(
    node: Node,
    results: Mapping[str, NodeResult],
    links: dict[str, LinkResult],
    by_name: Mapping[str, Node],
    ratio: Mapping[str, Values],
    value: ValueOf,
    seed: int,
    classifiers: dict[str, tuple[Any, Values]],
) -> NodeResult:
    """All quantities of one node, its predecessors' results given."""
    if node.kind == "detector":
        irrelevant, relevant = detector_rates(node, ratio[node.name], value)
        t: Values = np.nan
        f_irr: Values = 0.0
        f_rel: Values = 0.0
        rr: Values = 1.0
        tn = fn = np.zeros(())
        fp, tp = irrelevant, relevant
    else:
        irrelevant, relevant = propagate_rates(node, results)
        t, f_irr, f_rel, clf = select(node, irrelevant, relevant, value, seed)
        classifiers[node.name] = (clf, value(node, "skill_boost"))
        rr = value(node, "reduction_ratio")
        tn, fn = _floor(irrelevant * f_irr), _floor(relevant * f_rel)
        fp, tp = _floor(irrelevant * (1.0 - np.asarray(f_irr))), _floor(relevant * (1.0 - np.asarray(f_rel)))
    message = message_size(node, results, by_name, value)
    input_rate, output_rate = irrelevant + relevant, fp + tp
    ops, energy, op_power = node_power(node, message, input_rate, value)
    link = link_power(node, message, output_rate, value)
    if link is not None:
        links[node.name] = link
    upstream = sum((results[q].cumulative_energy_per_event + results[q].link_energy_per_event for q in node.preds), 0.0)
    return NodeResult(
        name=node.name,
        kind=node.kind,
        classifier=node.classifier if node.kind == "stage" else "",
        irrelevant_in=irrelevant,
        relevant_in=relevant,
        rejected_irrelevant_fraction=f_irr,
        rejected_relevant_fraction=f_rel,
        threshold=t,
        reduction_ratio=rr,
        global_ratio=ratio[node.name],
        tn=tn,
        fn=fn,
        fp=fp,
        tp=tp,
        input_rate=input_rate,
        output_rate=output_rate,
        rejected_rate=tn + fn,
        message_bytes=message,
        ops=ops,
        energy_per_event=energy,
        op_power=op_power,
        contingency=contingency(tn, fn, fp, tp),
        link_power=0.0 if link is None else link.power,
        link_energy_per_event=0.0 if link is None else link.energy_per_event,
        cumulative_energy_per_event=energy + upstream,
    )


def pipeline_confusion(nodes: tuple[Node, ...], results: Mapping[str, NodeResult], sink: str) -> Values:
    """The pipeline's contingency table: the rejected row of every selecting (non-Dummy)
    stage with another selecting stage downstream, plus the whole table of the last."""
    selecting = [n.name for n in nodes if n.kind == "stage" and n.classifier != "Dummy"]
    if not selecting:
        return results[sink].contingency
    output_of = {n.name: n.output for n in nodes}
    rejected_only = np.array([[1.0, 1.0], [0.0, 0.0]])
    conf: Values = 0.0
    for name in selecting:
        c = np.asarray(results[name].contingency)
        nxt = output_of[name]
        while nxt and nxt not in selecting:
            nxt = output_of[nxt]
        conf = conf + (c * rejected_only if nxt else c)
    return conf


def evaluate(system: System, overrides: Mapping | None = None, *, seed: int = 0) -> Evaluation:
    """Propagate events through ``system`` and compute rates, power and selection quality.

    Parameters
    ----------
    system : System
    overrides : mapping, optional
        ``"Stage.param"`` (or ``"year"``) -> scalar or array. Arrays broadcast against
        each other; every result then has the broadcast shape. A grid larger than
        :func:`max_grid_points` (the :data:`GRID_BUDGET_BYTES` memory budget) is refused:
        use :func:`twidgets.sweep`.
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
    resolved = resolve_overrides(system, overrides)
    nodes, numeric = resolved.nodes, resolved.numeric
    check_grid(resolved.shape, len(nodes))

    def value(node: Node, param: str) -> Values:
        v = numeric.get((node.name, param))
        return node.params[param] if v is None else v

    by_name = {n.name: n for n in nodes}
    ratio = global_ratios(nodes, value)
    results: dict[str, NodeResult] = {}
    links: dict[str, LinkResult] = {}
    classifiers: dict[str, tuple[Any, Values]] = {}
    for n in nodes:
        results[n.name] = _evaluate_node(n, results, links, by_name, ratio, value, int(seed), classifiers)
    sink = next(n.name for n in nodes if n.kind == "stage" and not n.output)
    confusion = pipeline_confusion(nodes, results, sink)
    year = numeric.get((None, "year"), resolved.system.year)
    return Evaluation(
        resolved.system,
        int(seed),
        dict(overrides or {}),
        resolved.shape,
        year,
        results,
        tuple(links[n.name] for n in nodes if n.name in links),
        confusion,
        {n.name: classifiers[n.name] for n in nodes if n.name in classifiers},
        sink,
    )
