"""The seed workflow's system graph for :mod:`twidgets.compat`: :func:`construct_graph`,
:func:`update_throughput` and :func:`to_model`, on top of :func:`twidgets.evaluate`.

See :mod:`twidgets.compat` for the graph's attributes and units.
"""

from __future__ import annotations

import copy as _copy
from collections.abc import Mapping

import networkx as nx
import numpy as np
import pandas as pd

from .compat_classifier import Classifier
from .model.complexity import Complexity
from .model.errors import ParameterError, SpecError
from .model.evaluate import classifier_for, evaluate
from .model.params import check_values
from .model.spec import System as _ModelSystem

__all__ = ["CompatGraph", "construct_graph", "update_throughput", "to_model"]

_CONTEXT_KEY = "twidgets"

_ATOMIC_TYPES = frozenset({float, int, str, bool, type(None), np.float64, np.int64, np.bool_})
_FUNCTION_TYPES = (type(lambda: None), type(len), type(np.add))


def _deep(value, memo):
    """Deep copy of one attribute value, sharing what is immutable (fast paths first)."""
    t = type(value)
    if t in _ATOMIC_TYPES:
        return value
    if t is np.ndarray:
        return value.copy()
    if t is Classifier:
        return value.__deepcopy__(memo)
    if isinstance(value, (_Context, Complexity, _ModelSystem, _FUNCTION_TYPES)):
        return value  # immutable models and functions are shared (deepcopy shares functions too)
    return _copy.deepcopy(value, memo)


class CompatGraph(nx.DiGraph):
    """The seed-style system graph: a ``networkx.DiGraph`` whose deep copies are cheap.

    ``copy.deepcopy`` copies every mutable attribute value (arrays, dicts, the
    classifiers' small state) but shares what never changes: the model System, the
    classifiers' score samples, complexity models and functions.
    """

    def __deepcopy__(self, memo):
        new = self.__class__()
        memo[id(self)] = new
        new.graph.update((k, _deep(v, memo)) for k, v in self.graph.items())
        new.add_nodes_from((n, {k: _deep(v, memo) for k, v in d.items()}) for n, d in self.nodes(data=True))
        new.add_edges_from((u, v, {k: _deep(x, memo) for k, x in d.items()}) for u, v, d in self.edges(data=True))
        return new


class _Context:
    """What a compat graph shares across copies: the System, the seed, the baseline inputs.

    Immutable in use (the System cache only grows), so copies and deep copies share it.
    """

    def __init__(self, system: _ModelSystem, seed: int, baseline: dict, complexities: dict):
        self.system = system
        self.seed = seed
        self.baseline = baseline  # node -> {attribute: value at construction}
        self.complexities = complexities  # node -> complexity object in ``system``
        self.systems: dict = {}  # frozenset((node, id(func))) -> (System, funcs kept alive)

    def system_with(self, changed: dict) -> _ModelSystem:
        """The System with the complexities in ``changed`` ({node: callable}) swapped in (cached)."""
        if not changed:
            return self.system
        key = frozenset((n, id(f)) for n, f in changed.items())
        hit = self.systems.get(key)
        if hit is None:
            system = self.system.with_params({f"{n}.complexity": f for n, f in changed.items()})
            hit = self.systems[key] = (system, tuple(changed.values()))
        return hit[0]

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


# attribute -> parameter; "data reduction" is 1 - compression
_NODE_INPUTS = {
    "sample data": "data_bytes",
    "sample rate": "sample_rate",
    "reduction ratio": "reduction_ratio",
    "op efficiency": "op_efficiency",
    "data reduction": "compression",
}
_CLASSIFIER_INPUTS = {"skill_boost": "skill_boost", "skill_mean": "skill_mean", "skill_scale": "skill_scale"}


def construct_graph(
    detectors: pd.DataFrame, triggers: pd.DataFrame, globals, functions: Mapping | None = None, *, seed: int = 0
) -> CompatGraph:
    """Build the system graph from its tables and compute everything once.

    Parameters
    ----------
    detectors, triggers : pandas.DataFrame
        The ``Detectors`` and ``Triggers`` tables (e.g. from :func:`dataframes_from_spreadsheet`).
    globals : DataFrame or mapping
        Must give ``Year``.
    functions : dict, optional
        Stage name -> callable ``ops = f(message size in bytes)`` (or a complexity
        string such as ``"hlt-gpu"``). Stages missing from it keep their table's
        ``Complexity`` (empty or absent: identity, ops = bytes).
    seed : int
        Seed of the Monte-Carlo classifier samples.

    Returns
    -------
    CompatGraph
        A ``networkx.DiGraph``: detector -> category -> ... -> sink, with the attributes listed in the module
        docstring already computed.

    Raises
    ------
    SpecError
        Invalid tables (naming sheet, row and column).
    ParameterError
        A ``functions`` key naming no stage, a value that is not a callable or a
        complexity string, or a seed that is not a non-negative integer.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParameterError(f"construct_graph: seed must be a non-negative integer, got {seed!r}")
    base = _ModelSystem.from_frames(detectors, triggers, globals)
    functions = dict(functions or {})
    for name in functions:
        if name not in base.stage_names and name not in base.detector_names:
            raise ParameterError(
                f"construct_graph: functions names {name!r}, which is not a stage or detector; "
                f"stages: {', '.join(base.stage_names)}"
            )
    system = base.with_params({f"{n}.complexity": f for n, f in functions.items()}) if functions else base

    g = CompatGraph()
    baseline, complexities = {}, {}
    for n in system.nodes:
        p = n.params
        attrs = {
            "type": "detector" if n.kind == "detector" else ("processor" if n.output else "storage"),
            "sample data": p["data_bytes"],
            "op efficiency": p["op_efficiency"],
            "data reduction": 1.0 - p["compression"],
            "complexity": functions.get(n.name, n.complexity),
        }
        if n.kind == "detector":
            attrs["sample rate"] = p["sample_rate"]
            attrs["reduction ratio"] = 1.0
            attrs["classifier"] = Classifier("Dummy", None)
        else:
            attrs["reduction ratio"] = p["reduction_ratio"]
            model = None if n.classifier == "Dummy" else classifier_for(n, seed)
            gaussian = n.classifier == "Gaussian"
            attrs["classifier"] = Classifier(
                n.classifier,
                model,
                p["skill_boost"],
                p["skill_mean"] if gaussian else None,
                p["skill_scale"] if gaussian else None,
            )
        g.add_node(n.name, **attrs)
        baseline[n.name] = {a: attrs[a] for a in _NODE_INPUTS if a in attrs}
        baseline[n.name].update({a: getattr(attrs["classifier"], a) for a in _CLASSIFIER_INPUTS})
        baseline[n.name]["link efficiency"] = p["link_efficiency"]
        complexities[n.name] = attrs["complexity"]
    for n in system.nodes:
        if n.output:
            g.add_edge(n.name, n.output, **{"link efficiency": n.params["link_efficiency"]})
    g.graph["globals"] = dict(system.globals)
    g.graph["Root Node"] = system.sink
    g.graph[_CONTEXT_KEY] = _Context(system, seed, baseline, complexities)
    return update_throughput(g)


def _context(graph) -> _Context:
    ctx = graph.graph.get(_CONTEXT_KEY) if isinstance(graph, nx.DiGraph) else None
    if not isinstance(ctx, _Context):
        raise ParameterError(
            "this graph was not built by twidgets.compat.construct_graph (graph.graph"
            f"[{_CONTEXT_KEY!r}] is missing); build it with construct_graph(...)"
        )
    return ctx


def _scalar(param: str, value, where: str) -> float:
    """One validated number for ``param`` (a compat graph holds scalars; arrays go to evaluate)."""
    if np.ndim(value) != 0:
        raise ParameterError(
            f"{where}: a compat graph takes one number, got an array of shape {np.shape(value)}; "
            "for grids call twidgets.evaluate(system, overrides) with arrays (see to_model)"
        )
    return float(check_values(param, value, where))


def _changed(a, b) -> bool:
    if a is b:
        return False
    try:
        return bool(a != b)
    except (TypeError, ValueError):
        return True


def to_model(graph: nx.DiGraph):
    """The model-core equivalent of a compat graph's current inputs.

    Returns ``(system, overrides)`` such that ``twidgets.evaluate(system, overrides)``
    computes what :func:`update_throughput` writes into the graph. ``overrides`` holds
    only the ``"Stage.param"`` values that differ from the tables (scalars).

    Raises
    ------
    ParameterError
        Naming the node and attribute of a value that is not valid.
    """
    ctx = _context(graph)
    system, overrides, changed_fx = ctx.system, {}, {}
    for name, base in ctx.baseline.items():
        try:
            attrs = graph.nodes[name]
        except KeyError:
            raise ParameterError(
                f"graph node {name!r} is missing; the compat graph's structure cannot change "
                "(build a new one with construct_graph)"
            ) from None
        node = system.node(name)
        for attr, param in _NODE_INPUTS.items():
            if attr not in base:
                continue
            value = attrs.get(attr, base[attr])
            if attr == "reduction ratio" and node.kind == "detector":
                if _changed(value, 1.0):
                    raise ParameterError(
                        f"graph node {name!r}: a detector's 'reduction ratio' is always 1; "
                        "change the stage it feeds instead"
                    )
                continue
            if _changed(value, base[attr]):
                where = f"graph node {name!r}, attribute {attr!r}"
                if attr == "data reduction":
                    where += " (the fraction kept, 1 - compression; compression"
                    try:
                        compression = 1.0 - np.asarray(value, dtype=float)
                    except (TypeError, ValueError):
                        raise ParameterError(f"{where}): expected a number, got {value!r}") from None
                    v = _scalar("compression", compression, where + ")")
                else:
                    v = _scalar(param, value, where)
                overrides[f"{name}.{param}"] = v
        clf = attrs.get("classifier")
        if node.kind == "stage":
            if not isinstance(clf, Classifier):
                raise ParameterError(
                    f"graph node {name!r}: 'classifier' must stay the compat Classifier built by "
                    f"construct_graph (got {type(clf).__name__}); set its skill_boost instead"
                )
            for attr, param in _CLASSIFIER_INPUTS.items():
                value = getattr(clf, attr)
                if _changed(value, base[attr]):
                    if value is None:
                        raise ParameterError(f"graph node {name!r}: classifier.{attr} cannot be None")
                    where = f"graph node {name!r}, classifier.{attr}"
                    overrides[f"{name}.{param}"] = _scalar(param, value, where)
        if node.output:
            try:
                eff = graph.edges[name, node.output].get("link efficiency", base["link efficiency"])
            except KeyError:
                raise ParameterError(
                    f"graph edge {name!r} -> {node.output!r} is missing; the compat graph's "
                    "structure cannot change (build a new one with construct_graph)"
                ) from None
            if _changed(eff, base["link efficiency"]):
                where = f"graph edge {name!r} -> {node.output!r}, attribute 'link efficiency'"
                overrides[f"{name}.link_efficiency"] = _scalar("link_efficiency", eff, where)
        fx = attrs.get("complexity", ctx.complexities[name])
        if _changed(fx, ctx.complexities[name]):
            if not callable(fx) and not isinstance(fx, str):
                raise ParameterError(
                    f"graph node {name!r}: 'complexity' must be a callable bytes -> ops or a "
                    f"complexity string, got {type(fx).__name__}"
                )
            changed_fx[name] = fx
    year = graph.graph.get("globals", {}).get("Year", system.year)
    if _changed(year, system.year):
        overrides["year"] = _scalar("year", year, "graph.graph['globals']['Year']")
    if changed_fx:
        try:
            system = ctx.system_with(changed_fx)
        except (ParameterError, SpecError) as e:
            raise ParameterError(f"graph node complexity: {e}") from None
    return system, overrides


def update_throughput(graph: nx.DiGraph) -> CompatGraph:
    """Recompute rates, message sizes, ops, power and confusion tables of a compat graph.

    Reads the input attributes you may have changed (module docstring), evaluates the
    model core once with them as scalar overrides (:func:`twidgets.evaluate`) and
    returns a *new* graph with the results, as the seed did; ``graph`` is not modified.
    """
    ctx = _context(graph)
    system, overrides = to_model(graph)
    ev = evaluate(system, overrides, seed=ctx.seed)
    g = graph.copy()
    g.graph["globals"] = dict(graph.graph.get("globals", {}))  # not shared with the input graph
    values = {}
    for name in ctx.baseline:
        d = ev.node(name)
        values[name] = d
        a = g.nodes[name]
        cont = np.asarray(d.contingency, dtype=float).astype(np.int64)
        # the seed's error matrix: rejected fractions of irrelevant / relevant events
        r_irr, r_rel = float(d.rejected_irrelevant_fraction), float(d.rejected_relevant_fraction)
        a["global ratio"] = float(d.global_ratio)
        a["message size"] = float(d.message_bytes)
        a["ops"] = float(d.ops)
        a["input rate"] = float(d.input_rate)
        a["output rate"] = float(d.output_rate)
        a["contingency"] = cont
        a["discards"] = cont[0].copy()
        a["error matrix"] = np.array([[r_irr, r_rel], [1.0 - r_irr, 1.0 - r_rel]])
        a["energy"] = float(d.energy_per_event)
        a["op power"] = a["power"] = float(d.op_power)
        clf = a.get("classifier")
        if isinstance(clf, Classifier) and clf.kind != "Dummy":  # Dummy: threshold stays NaN
            clf = _copy.copy(clf)
            clf.threshold = float(d.threshold)
            clf.error_matrix = a["error matrix"].copy()
            a["classifier"] = clf
    for u, _v, e in g.edges(data=True):
        d = values[u]
        msg = float(d.message_bytes)
        e["message size"] = msg
        e["throughput"] = msg * float(d.output_rate)  # bytes/s leaving u
        e["energy"] = float(d.link_energy_per_event)
        e["power"] = float(d.link_power)
        e["statistics"] = g.nodes[u]["contingency"][1].copy()
    g.graph["link power"] = float(ev.link_power)
    g.graph["op power"] = float(ev.op_power)
    g.graph["power"] = float(ev.power)
    g.graph["scaled power"] = float(ev.scaled_power)
    g.graph["year"] = int(ev.year) if float(ev.year).is_integer() else float(ev.year)
    g.graph["performance"] = np.array(ev.confusion, dtype=np.int64)
    return g
