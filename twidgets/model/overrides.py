"""Overrides of :func:`twidgets.evaluate` checked like workbook cells, and split.

Numeric ``"Stage.param"`` overrides become float arrays that broadcast together
(booleans are refused, values follow :data:`twidgets.model.params.RULES`, a technology
year outside :data:`CALIBRATED_YEARS` warns). Structural ones (``complexity``,
``classifier``, ``output``, ``n_samples``, ``calibration``) are applied with
:meth:`System.with_params`, which patches the compiled nodes where it can (a
``complexity`` change rebuilds no table) and re-validates the system otherwise.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .errors import ParameterError, SpecError
from .params import NUMERIC_PARAMS, check_values, split_param
from .spec import Node, System
from .technology import DENSITY_RATE, REFERENCE_YEAR

__all__ = [
    "resolve_overrides",
    "ResolvedOverrides",
    "GRID_BUDGET_BYTES",
    "max_grid_points",
    "check_grid",
    "CALIBRATED_YEARS",
    "ExtrapolationWarning",
]

#: Largest working memory (bytes) one ``evaluate`` call may use for its grid; larger grids
#: are refused with a pointer to :func:`twidgets.sweep`, which evaluates in chunks.
GRID_BUDGET_BYTES = 2 * 1024**3
#: Working memory per grid point and node (bytes). Measured on cms-hllhc-pu200 (26 nodes,
#: every node's quantities arrays): ~20 B during evaluate, ~190 B once the per-node table
#: (``Evaluation.stages``, which widgets read) broadcasts every quantity to the grid.
_BYTES_PER_POINT_PER_NODE = 256
#: Technology years the model is calibrated for: the efficiencies in the workbooks are
#: those of 2022 (the density scale's reference year) and the published configurations
#: reach 2032 (MODEL.md sections 4 and 6). Outside, the density trend is extrapolated.
CALIBRATED_YEARS = (REFERENCE_YEAR, 2032)
#: Structural (non-numeric) parameters an override may change (scalars only).
_STRUCTURAL = ("complexity", "classifier", "output", "calibration", "n_samples")


class ExtrapolationWarning(UserWarning):
    """A value lies outside the range the model is calibrated for (e.g. the technology year)."""


@dataclass(frozen=True)
class ResolvedOverrides:
    """Overrides checked and split: what :func:`evaluate` propagates.

    Attributes
    ----------
    system : System
        The given System with the structural overrides applied.
    nodes : tuple of Node
        ``system``'s nodes in topological order.
    numeric : dict
        ``(node name or None, param)`` -> float array of the override.
    shape : tuple
        Broadcast shape of the numeric overrides.
    """

    system: System
    nodes: tuple[Node, ...]
    numeric: dict[tuple[str | None, str], np.ndarray]
    shape: tuple[int, ...]


def _check_key(system: System, key: object) -> tuple[str | None, str]:
    node, param = split_param(key)  # type: ignore[arg-type]  # split_param reports non-strings
    if node is None:
        return node, param
    n = system.node(node)
    if param not in n.params and param not in _STRUCTURAL:
        raise ParameterError(f"{key!r}: a {n.kind} has no parameter {param!r}; numeric ones: {', '.join(n.params)}")
    if n.kind == "detector" and param in ("classifier", "n_samples", "calibration"):
        raise ParameterError(f"{key!r}: detectors have no {param}")
    return node, param


def _check_number(param: str, value: object, key: str) -> np.ndarray:
    """A numeric override, checked like a workbook cell (booleans are not numbers)."""
    arr = check_values(param, value, repr(key))
    if param == "year":
        lo, hi = CALIBRATED_YEARS
        if np.any((arr < lo) | (arr > hi)):
            outside = arr[(arr < lo) | (arr > hi)]
            warnings.warn(
                f"{key!r} = {float(outside.flat[0]):g} lies outside the years the model is calibrated for "
                f"({lo}-{hi}: efficiencies of {lo}, published configurations up to {hi}); the transistor-density "
                f"trend exp({DENSITY_RATE:.4f} x (year - {REFERENCE_YEAR})) is extrapolated there",
                ExtrapolationWarning,
                stacklevel=4,
            )
    return arr


def _broadcast_shape(numeric: Mapping[tuple[str | None, str], np.ndarray]) -> tuple[int, ...]:
    try:
        return tuple(np.broadcast_shapes(*(a.shape for a in numeric.values())))
    except ValueError:
        shapes = ", ".join(f"{'year' if n is None else f'{n}.{p}'} {a.shape}" for (n, p), a in numeric.items())
        raise ParameterError(
            f"override arrays do not broadcast together: {shapes}; give axes of their own, "
            "e.g. shapes (n, 1) and (1, m) for an n x m grid"
        ) from None


def resolve_overrides(system: System, overrides: Mapping | None) -> ResolvedOverrides:
    """Check ``overrides`` and split them into numeric arrays and structural changes.

    Numeric parameters may be scalars or arrays (broadcast together); structural ones
    (``classifier``, ``complexity``, ``output``, ``n_samples``, ``calibration``) must be
    scalars. Keys are ``"Stage.param"`` or ``"year"``. Raises :class:`ParameterError`
    naming the key for unknown names, booleans where a number is meant, out-of-range
    values and arrays that do not broadcast; warns (:class:`ExtrapolationWarning`) for a
    year outside :data:`CALIBRATED_YEARS`.
    """
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, Mapping):
        raise ParameterError(f"overrides must be a mapping of 'Stage.param' -> value, got {type(overrides).__name__}")
    numeric: dict[tuple[str | None, str], np.ndarray] = {}
    structural: dict[str, object] = {}
    for key, value in overrides.items():
        node, param = _check_key(system, key)
        if param in NUMERIC_PARAMS:
            numeric[(node, param)] = _check_number(param, value, key)
            continue
        if np.ndim(value) and not isinstance(value, str):
            raise ParameterError(f"{key!r} is not numeric: give one value, not an array")
        structural[key] = value
    if structural:  # System.with_params patches the compiled nodes where it can (complexity, ...)
        try:
            system = system.with_params(structural)
        except SpecError as exc:
            raise ParameterError(f"{', '.join(map(repr, structural))}: {exc}") from None
    return ResolvedOverrides(
        system=system,
        nodes=tuple(system.nodes),
        numeric=numeric,
        shape=_broadcast_shape(numeric) if numeric else (),
    )


def max_grid_points(n_nodes: int, budget: int = GRID_BUDGET_BYTES) -> int:
    """The largest grid (points) one :func:`evaluate` call takes for a system of ``n_nodes``."""
    return max(1, budget // (_BYTES_PER_POINT_PER_NODE * max(1, n_nodes)))


def check_grid(shape: tuple[int, ...], n_nodes: int) -> None:
    points = math.prod(shape)
    limit = max_grid_points(n_nodes)
    if points > limit:
        need = points * _BYTES_PER_POINT_PER_NODE * n_nodes
        raise ParameterError(
            f"a grid of shape {shape} ({points:,} points) needs about {need / 2**30:.1f} GiB in one evaluate call, "
            f"over its budget of {GRID_BUDGET_BYTES / 2**30:g} GiB: evaluate takes up to {limit:,} points for this "
            f"{n_nodes}-node system; use twidgets.sweep(system, {{'Stage.param': values, ...}}), which evaluates "
            "the grid in chunks"
        )
