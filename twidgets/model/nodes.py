"""The compiled nodes of a system and the edits that change one cell of its tables.

:func:`compile_nodes` turns validated table rows into :class:`Node` objects in
topological order; :func:`patch_number` changes one numeric parameter of one node and
its table cell without rebuilding anything else (what makes ``System.with_stage`` fast);
:func:`set_cell` edits a table cell for a full rebuild.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .classifiers import DEFAULT_SAMPLES
from .complexity import Complexity, parse_complexity
from .errors import ParameterError, SpecError
from .params import CONDITIONAL_FIELDS, DETECTOR_COLUMNS, RULES, STAGE_COLUMNS, Column, check_values, split_param
from .tables import canonical_kind, check_stage_fields, parse_complexities
from .topology import topological_order

__all__ = [
    "Node",
    "check_savable",
    "compile_nodes",
    "edited_tables",
    "patch_number",
    "set_cell",
    "DETECTOR_PARAMS",
    "STAGE_PARAMS",
]

#: Numeric parameters of detectors and stages, in table order.
DETECTOR_PARAMS = ("data_bytes", "sample_rate", "compression", "link_efficiency", "op_efficiency")
STAGE_PARAMS = (
    "data_bytes",
    "reduction_ratio",
    "skill_mean",
    "skill_scale",
    "skill_boost",
    "link_efficiency",
    "op_efficiency",
    "compression",
)


@dataclass(frozen=True)
class Node:
    """A validated node of the system graph (shared by evaluate and the widgets).

    ``params`` holds the numeric parameters in their units (``data_bytes`` bytes/event,
    ``sample_rate`` events/s, efficiencies J/bit and J/op, fractions, ratios).
    """

    name: str
    kind: str  # "detector" or "stage"
    output: str | None
    row: int  # spreadsheet row
    params: Mapping[str, float]
    classifier: str = "Dummy"
    complexity: Complexity = field(default_factory=lambda: parse_complexity(""))
    n_samples: int = DEFAULT_SAMPLES
    calibration: str = "published"
    curves: tuple = ()  # ((object, ((energy...), (eff...))), ...)
    preds: tuple = field(default=())


def _stage_curves(curve_map: dict, name: str) -> tuple:
    return tuple(
        sorted(
            (obj, (tuple(e for e, _ in sorted(pts)), tuple(f for _, f in sorted(pts))))
            for obj, pts in curve_map.get(name, {}).items()
        )
    )


def compile_nodes(det_rows: list, stg_rows: list, curve_map: dict) -> tuple[dict, list]:
    """``({name: Node}, topological order)`` of validated rows (detectors first)."""
    nodes: dict = {}
    for i, r in enumerate(det_rows):
        nodes[r["name"]] = dict(
            name=r["name"],
            kind="detector",
            output=r["output"],
            row=i + 2,
            params={p: float(r[p]) for p in DETECTOR_PARAMS},
            complexity=r["complexity_obj"],
        )
    for i, r in enumerate(stg_rows):
        nodes[r["name"]] = dict(
            name=r["name"],
            kind="stage",
            output=r["output"] or None,
            row=i + 2,
            params={p: float(r[p]) for p in STAGE_PARAMS},
            classifier=r["classifier"],
            complexity=r["complexity_obj"],
            n_samples=int(r["n_samples"]),
            calibration=r["calibration"],
            curves=_stage_curves(curve_map, r["name"]),
        )
    preds: dict = {n: [] for n in nodes}
    for n, d in nodes.items():
        if d["output"]:
            preds[d["output"]].append(n)
    order = topological_order(list(nodes), {n: d["output"] for n, d in nodes.items()})
    return {n: Node(preds=tuple(preds[n]), **nodes[n]) for n in order}, order


def _column(kind: str, param: str) -> Column | None:
    cols = DETECTOR_COLUMNS if kind == "detector" else STAGE_COLUMNS
    return next((c for c in cols if c.param == param and c.param != "name"), None)


def patch_number(node: Node, frame: pd.DataFrame, param: str, value) -> tuple[Node, pd.DataFrame] | None:
    """``node`` and its table ``frame`` with one numeric parameter changed, or ``None``.

    ``None`` means the change needs a full rebuild (not a plain number of this node, or
    its column is absent from the table). Raises :class:`ParameterError` for a value
    its rule refuses and :class:`SpecError` (located, like a rebuild) for a row that
    becomes invalid.
    """
    col = _column(node.kind, param)
    if col is None or col.header not in frame.columns:
        return None
    if param in ("complexity", "classifier") and isinstance(value, str):
        return _patch_text(node, frame, col, value.strip())
    if col.kind != "number" or param not in node.params:
        return None
    key = f"{node.name}.{param}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None  # let the full rebuild say what is wrong with it
    conditional = node.kind == "stage" and param in CONDITIONAL_FIELDS
    x = float(check_values("" if conditional else param, value, key))
    params = dict(node.params)
    params[param] = x
    if node.kind == "stage":  # e.g. a Gaussian that starts to reject: SpecError, as in a rebuild
        check_stage_fields(dict(params, classifier=node.classifier), "Triggers", node.row)
    frame = frame.copy()
    frame.iloc[node.row - 2, frame.columns.get_loc(col.header)] = x
    return dataclasses.replace(node, params=params), frame


def _patch_text(node: Node, frame: pd.DataFrame, col: Column, text: str) -> tuple[Node, pd.DataFrame] | None:
    """A complexity or classifier change patched like :func:`patch_number` (``None``: rebuild)."""
    if col.param == "complexity":  # a bad value is a SpecError at its cell, as in a rebuild
        rows: list[dict] = [{"complexity": text}]
        try:
            parse_complexities(rows, "Triggers" if node.kind == "stage" else "Detectors")
        except SpecError as e:
            raise SpecError(e.problem, sheet=e.sheet, row=node.row, column=e.column) from None
        new = dataclasses.replace(node, complexity=rows[0]["complexity_obj"])
    else:
        if node.kind != "stage" or node.curves:
            return None  # curves are checked against the classifier's objects: rebuild
        kind = canonical_kind(text, "Triggers", node.row, col.header)
        if kind == "Gaussian" and node.classifier != "Gaussian":
            return None  # its skill cells may be blank in the table: the rebuild says so
        new = dataclasses.replace(node, classifier=kind)
    frame = frame.copy()
    j = frame.columns.get_loc(col.header)
    if not pd.api.types.is_object_dtype(frame.dtypes.iloc[j]):
        frame[col.header] = frame[col.header].astype(object)
    frame.iloc[node.row - 2, j] = text
    return new, frame


def set_cell(frame: pd.DataFrame, kind: str, namecol: str, node: str, param: str, value) -> pd.DataFrame:
    """Set the cell of ``node`` under ``param``'s column (in place; for a full rebuild)."""
    col = _column(kind, param)
    if col is None:
        cols = DETECTOR_COLUMNS if kind == "detector" else STAGE_COLUMNS
        allowed = ", ".join(c.param for c in cols if c.param != "name")
        raise ParameterError(f"{node}.{param}: a {kind} has no parameter {param!r}; use one of {allowed}")
    if param == "complexity" and not isinstance(value, str) and value is not None:
        value = parse_complexity(value)  # callables: kept on the node, not the table
    if col.header not in frame.columns:
        frame[col.header] = pd.Series(
            [col.default] * len(frame), dtype="float64" if col.kind in ("number", "int") else object
        )
    if isinstance(value, Complexity) and frame[col.header].dtype != object:
        frame[col.header] = frame[col.header].astype(object)
    if isinstance(value, (np.ndarray, list, tuple)):
        raise ParameterError(f"{node}.{param}: with_* takes one value; pass arrays to evaluate(overrides=...)")
    idx = frame.index[frame[namecol] == node]
    if col.kind in ("number", "int"):
        conditional = kind == "stage" and param in CONDITIONAL_FIELDS
        check_values("" if conditional else param, value, f"{node}.{param}")
        frame.loc[idx, col.header] = float(value)
    else:
        if frame[col.header].dtype != object:
            frame[col.header] = frame[col.header].astype(object)
        frame.loc[idx, col.header] = "" if value is None else value
    return frame


def check_savable(nodes: list) -> None:
    """Raise :class:`SpecError` for what a workbook cannot hold (a Python callable complexity)."""
    for n in nodes:
        if n.complexity.spec.startswith("<callable"):
            raise SpecError(
                f"{n.name}: a Python callable complexity cannot be saved to a workbook; "
                "use a named model or 'poly:c1,c2,c3'",
                sheet="Triggers" if n.kind == "stage" else "Detectors",
                row=n.row,
                column="Complexity",
            )


def edited_tables(det: pd.DataFrame, stg: pd.DataFrame, glob: dict, values: Mapping, kind_of) -> tuple:
    """Copies of the tables with ``{"Stage.param": value}`` written in (for a full rebuild)."""
    det, stg, glob = det.copy(), stg.copy(), dict(glob)
    for key, value in values.items():
        node, param = split_param(key)
        if node is None:
            glob["Year"] = value
        elif kind_of(node) == "detector":
            set_cell(det, "detector", "Detector", node, param, value)
        else:
            set_cell(stg, "stage", "Name", node, param, value)
    return det, stg, glob


def renamed_tables(det: pd.DataFrame, stg: pd.DataFrame, cur: pd.DataFrame | None, kind: str, old: str, new: str):
    """Copies of the tables with node ``old`` called ``new``; references follow."""
    det, stg = det.copy(), stg.copy()
    if kind == "detector":
        det.loc[det["Detector"] == old, "Detector"] = new
        return det, stg, cur
    stg.loc[stg["Name"] == old, "Name"] = new
    stg.loc[stg["Output"] == old, "Output"] = new
    det.loc[det["Category"] == old, "Category"] = new
    if cur is not None:
        cur = cur.copy()
        cur.loc[cur["Stage"] == old, "Stage"] = new
    return det, stg, cur


def patched_year(glob: dict, value) -> dict | None:
    """``glob`` with another ``Year`` (a whole number its rule accepts), or ``None`` to rebuild."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    year = float(value)
    lo, _, hi, _, _ = RULES["year"]
    if not (lo <= year <= hi and year.is_integer()):
        return None  # the rebuild says what is wrong, at the Global sheet's Year cell
    return dict(glob, Year=int(year))


def same_table(a: pd.DataFrame | None, b: pd.DataFrame | None) -> bool:
    """Whether two normalised tables are equal: columns, dtypes and values (``None`` only equals ``None``)."""
    if a is None or b is None:
        return a is None and b is None
    return (
        a.shape == b.shape and list(a.columns) == list(b.columns) and list(a.dtypes) == list(b.dtypes) and a.equals(b)
    )


def node_param(n: Node, param: str) -> Any:
    """The current value of one parameter of node ``n`` (numbers in their units, or text)."""
    if param in n.params:
        return n.params[param]
    if param == "classifier" and n.kind == "stage":
        return n.classifier
    if param == "complexity":
        return n.complexity.spec
    if param == "output":
        return n.output
    if param == "n_samples" and n.kind == "stage":
        return n.n_samples
    if param == "calibration" and n.kind == "stage":
        return n.calibration
    key = f"{n.name}.{param}"
    raise ParameterError(
        f"{key!r}: {n.name!r} is a {n.kind} and has no parameter {param!r}; numeric ones: {', '.join(sorted(n.params))}"
    )
