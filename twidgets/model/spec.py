"""The immutable :class:`System`: detectors, trigger stages, globals; validation.

A system is read from three tables (workbook sheets ``Detectors``, ``Triggers``,
``Global``; an optional ``Curves`` sheet holds measured turn-on points). Validation
happens once, when a System is built, and names the sheet, row and column of the first
problem (:class:`SpecError`). A System never changes: ``with_stage``, ``with_detector``
and ``with_year`` return new Systems, so widgets and threads can share one.

Row numbers in errors are spreadsheet rows: the header is row 1, the first data row 2.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np
import pandas as pd

from .classifiers import DEFAULT_SAMPLES
from .complexity import Complexity, parse_complexity
from .errors import ParameterError, SpecError
from .params import (
    CURVE_COLUMNS,
    DETECTOR_COLUMNS,
    GLOBAL_COLUMNS,
    RULES,
    STAGE_COLUMNS,
    Column,
    check_values,
    split_param,
)
from .registry import calibration_names, classifier_kind, classifier_kinds
from .sample_cache import check_sample_budget

__all__ = ["System", "Node", "SpecError"]

_MAX_ROWS = 10_000
#: Largest polynomial complexity coefficient: keeps ops finite for any allowed message size.
_MAX_COEFF = 1e30


@dataclass(frozen=True)
class Node:
    """A validated node of the system graph (internal, shared by evaluate and widgets)."""

    name: str
    kind: str  # "detector" or "stage"
    output: str | None
    row: int  # spreadsheet row
    params: Mapping[str, float]
    classifier: str = "Dummy"
    complexity: Complexity = None
    n_samples: int = DEFAULT_SAMPLES
    calibration: str = "published"
    curves: tuple = ()  # ((object, ((energy...), (eff...))), ...)
    preds: tuple = field(default=())


def _is_blank(v) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if isinstance(v, str) and not v.strip():
        return True
    try:
        return bool(pd.isna(v)) if not isinstance(v, (list, tuple, np.ndarray)) else False
    except (TypeError, ValueError):
        return False


def _match_columns(df: pd.DataFrame, columns, sheet: str) -> dict:
    """Map canonical headers to the frame's headers (case/space-insensitive)."""
    if not isinstance(df, pd.DataFrame):
        raise SpecError(f"expected a table (pandas DataFrame), got {type(df).__name__}", sheet=sheet)
    found = {}
    norm = {}
    for h in df.columns:
        if not isinstance(h, str):
            continue
        key = " ".join(h.split()).lower()
        if key in norm:
            raise SpecError(f"column {h!r} appears twice", sheet=sheet, row=1, column=h)
        norm[key] = h
    for col in columns:
        h = norm.get(col.header.lower())
        if h is None and col.required:
            have = ", ".join(repr(c) for c in df.columns) or "none"
            raise SpecError(
                f"missing column {col.header!r} (columns found: {have})", sheet=sheet, row=1, column=col.header
            )
        if h is not None:
            found[col.header] = h
    return found


def _number(value, col: Column, sheet: str, row: int, *, allow_blank=False, default=None):
    if _is_blank(value):
        if allow_blank:
            return default
        raise SpecError(
            f"empty cell: {col.header} needs {RULES[col.param][4] if col.param in RULES else 'a number'}",
            sheet=sheet,
            row=row,
            column=col.header,
        )
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("="):
            raise SpecError(
                f"cell holds the formula {text!r}; twidgets reads values only: "
                "replace it by its value (copy, paste values)",
                sheet=sheet,
                row=row,
                column=col.header,
            )
        try:
            value = float(text)
        except ValueError:
            raise SpecError(f"{text!r} is not a number", sheet=sheet, row=row, column=col.header) from None
    if isinstance(value, (_dt.date, _dt.time, _dt.timedelta)):
        raise SpecError(
            f"the date/time {value} is not a number: format the cell as a number",
            sheet=sheet,
            row=row,
            column=col.header,
        )
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise SpecError(f"{value!r} is not a number", sheet=sheet, row=row, column=col.header)
    try:
        return float(check_values(col.param, value, "value")) if col.param in RULES else float(value)
    except ParameterError as e:
        raise SpecError(str(e).replace("value: ", "", 1), sheet=sheet, row=row, column=col.header) from None


def _text(value, col: Column, sheet: str, row: int) -> str:
    if _is_blank(value):
        return ""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("=") and col.kind != "complexity":
            raise SpecError(
                f"cell holds the formula {text!r}; twidgets reads values only", sheet=sheet, row=row, column=col.header
            )
        return text
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        v = float(value)
        return str(int(v)) if v.is_integer() else str(v)
    if col.kind == "complexity" and (isinstance(value, Complexity) or callable(value)):
        return value  # API only: a Complexity model or a Python callable bytes -> ops
    raise SpecError(f"expected text, got {value!r}", sheet=sheet, row=row, column=col.header)


def _canonical_kind(text: str, sheet: str, row: int, header: str) -> str:
    kinds = classifier_kinds()
    for k in kinds:
        if text.lower() == k.lower():
            return k
    if text == "":
        raise SpecError(f"empty cell: choose a classifier: {', '.join(kinds)}", sheet=sheet, row=row, column=header)
    raise SpecError(f"unknown classifier {text!r}: use one of {', '.join(kinds)}", sheet=sheet, row=row, column=header)


def _normalise_table(df, columns, sheet):
    """Validate and normalise one table. Returns (normalised frame, list of per-row dicts)."""
    found = _match_columns(df, columns, sheet)
    if len(df) > _MAX_ROWS:
        raise SpecError(f"{len(df)} rows is more than the {_MAX_ROWS} supported", sheet=sheet)
    rows = []
    out = {}
    raw_records = df.reset_index(drop=True)
    for col in columns:
        if col.header not in found:
            continue
        values = raw_records[found[col.header]].tolist()
        parsed = []
        for i, v in enumerate(values):
            r = i + 2
            if col.kind == "number":
                parsed.append(
                    _number(
                        v,
                        col,
                        sheet,
                        r,
                        allow_blank=not col.required or col.param in ("skill_mean", "skill_scale"),
                        default=None if col.required else col.default,
                    )
                )
            elif col.kind == "int":
                x = _number(v, col, sheet, r, allow_blank=not col.required, default=col.default)
                if x is not None and not float(x).is_integer():
                    raise SpecError(f"{x!r} is not a whole number", sheet=sheet, row=r, column=col.header)
                parsed.append(x)
            else:
                parsed.append(_text(v, col, sheet, r))
        out[col.header] = parsed
    n = len(raw_records)
    for i in range(n):
        rows.append({col.param: out[col.header][i] for col in columns if col.header in out})
    # normalised frame: canonical headers in the input's order, extras kept verbatim
    frame = {}
    canon_by_raw = {raw: canon for canon, raw in found.items()}
    kinds = {c.header: c.kind for c in columns}
    for h in df.columns:
        if h in canon_by_raw:
            canon = canon_by_raw[h]
            vals = out[canon]
            if kinds[canon] in ("number", "int"):
                frame[canon] = pd.Series([np.nan if v is None else v for v in vals], dtype="float64")
            else:
                frame[canon] = pd.Series(vals, dtype=object)
        else:
            if not isinstance(h, str) or not h.strip():
                col_vals = raw_records[h]
                if all(_is_blank(v) for v in col_vals):
                    continue  # drop unnamed empty columns (trailing blanks in sheets)
                raise SpecError("a column with values has no header; give it a name", sheet=sheet, row=1, column=str(h))
            frame[h] = raw_records[h].reset_index(drop=True)
    return pd.DataFrame(frame, index=pd.RangeIndex(n)), rows


def _check_names(rows, sheet, header, seen):
    for i, r in enumerate(rows):
        name = r["name"]
        if not name:
            raise SpecError("empty name: every row needs a unique name", sheet=sheet, row=i + 2, column=header)
        if name in seen:
            other_sheet, other_row = seen[name]
            raise SpecError(
                f"duplicate name {name!r} (also {other_sheet} row {other_row}); names must be unique",
                sheet=sheet,
                row=i + 2,
                column=header,
            )
        seen[name] = (sheet, i + 2)


def _globals_dict(globals_) -> dict:
    if globals_ is None:
        raise SpecError("missing Global table (needs a Year)", sheet="Global")
    if isinstance(globals_, pd.DataFrame):
        found = _match_columns(globals_, GLOBAL_COLUMNS, "Global")
        if len(globals_) < 1:
            raise SpecError("the Global sheet has a header but no values row", sheet="Global", row=2, column="Year")
        rec = globals_.reset_index(drop=True).iloc[0].to_dict()
        out = {}
        for k, v in rec.items():
            if k == found["Year"]:
                out["Year"] = v
            elif isinstance(k, str) and k.strip():
                out[k] = v
        globals_ = out
    elif isinstance(globals_, Mapping):
        globals_ = {
            ("Year" if isinstance(k, str) and k.strip().lower() == "year" else k): v for k, v in globals_.items()
        }
        if "Year" not in globals_:
            raise SpecError("missing column 'Year'", sheet="Global", row=1, column="Year")
    else:
        raise SpecError(f"globals must be a mapping or a table, got {type(globals_).__name__}", sheet="Global")
    year = _number(globals_["Year"], GLOBAL_COLUMNS[0], "Global", 2)
    if not float(year).is_integer():
        raise SpecError(f"{year!r} is not a whole year", sheet="Global", row=2, column="Year")
    globals_["Year"] = int(year)
    return globals_


def _curves_frame(curves):
    if curves is None:
        return None
    if isinstance(curves, pd.DataFrame) and len(curves) == 0:
        return None
    frame, rows = _normalise_table(curves, CURVE_COLUMNS, "Curves")
    for i, r in enumerate(rows):
        if not r["stage"]:
            raise SpecError(
                "empty cell: which stage does this curve point belong to?", sheet="Curves", row=i + 2, column="Stage"
            )
        if not r["object"]:
            raise SpecError(
                "empty cell: name the trigger object (or path) whose turn-on curve these points give",
                sheet="Curves",
                row=i + 2,
                column="Object",
            )
        if not 0 <= r["efficiency"] <= 1:
            raise SpecError(
                f"efficiency {r['efficiency']} is outside [0, 1]", sheet="Curves", row=i + 2, column="Efficiency"
            )
    return frame, rows


def _check_curves(curve_map, first_row, classifier_of):
    """Curve points must name an object of their stage's classifier and make a usable curve."""
    from .curves import TabulatedCurve

    for (stage, obj), row in sorted(first_row.items(), key=lambda kv: kv[1]):
        names = classifier_kind(classifier_of[stage]).curve_objects
        if not names:
            continue  # this kind (e.g. Dummy, Gaussian) uses no curves
        if obj not in names:
            raise SpecError(
                f"unknown trigger object {obj!r} for the {classifier_of[stage]} stage {stage!r}: "
                f"use {', '.join(names)}",
                sheet="Curves",
                row=row,
                column="Object",
            )
        pts = sorted(curve_map[stage][obj])
        try:
            TabulatedCurve(tuple(e for e, _ in pts), tuple(f for _, f in pts))
        except ParameterError as e:
            raise SpecError(f"curve {stage!r} / {obj!r}: {e}", sheet="Curves", row=row, column="Energy (GeV)") from None


class System:
    """An immutable trigger / DAQ system: detectors, trigger stages and globals.

    Build one with :func:`twidgets.load_system`, :meth:`from_xlsx` or
    :meth:`from_frames`; derive variants with :meth:`with_stage`, :meth:`with_detector`
    and :meth:`with_year`. Tables are returned as copies; nothing can change a System.

    Parameters (snake_case, addressable as ``"Stage.param"``): detectors ``output``
    (Category), ``data_bytes`` (bytes/event), ``sample_rate`` (events/s),
    ``compression`` (fraction), ``link_efficiency`` (J/bit), ``op_efficiency`` (J/op),
    ``complexity``; stages ``output``, ``data_bytes``, ``reduction_ratio``,
    ``classifier``, ``skill_mean``, ``skill_scale``, ``skill_boost``,
    ``link_efficiency``, ``op_efficiency``, ``compression``, ``complexity``,
    ``n_samples``, ``calibration``.
    """

    __slots__ = ("_det", "_stg", "_globals", "_curves", "_nodes", "_order", "name", "__dict__")

    def __init__(self, *args, **kwargs):
        raise TypeError("build a System with twidgets.load_system(), System.from_xlsx() or System.from_frames()")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frames(cls, detectors, stages, globals=None, *, curves=None, name: str | None = None) -> System:
        """Validate tables and build a System.

        Parameters
        ----------
        detectors, stages : pandas.DataFrame
            Tables with the ``Detectors`` and ``Triggers`` sheet columns (MODEL.md);
            extra columns are kept.
        globals : mapping or DataFrame
            Must give ``Year``; extra keys are kept.
        curves : DataFrame, optional
            Measured turn-on points: ``Stage``, ``Object``, ``Energy (GeV)``, ``Efficiency``.

        Raises
        ------
        SpecError
            Naming sheet, row and column of the first problem. No other exception
            type escapes for bad tables.
        """
        try:
            return cls._build(detectors, stages, globals, curves, name)
        except SpecError:
            raise
        except (
            ParameterError,
            ValueError,
            TypeError,
            KeyError,
            IndexError,
            AttributeError,
            OverflowError,
            RecursionError,
        ) as e:  # defensive: report, never crash half-way
            raise SpecError(f"could not read the tables: {type(e).__name__}: {e}") from None

    @classmethod
    def _build(cls, detectors, stages, globals_, curves, name):
        det_frame, det_rows = _normalise_table(detectors, DETECTOR_COLUMNS, "Detectors")
        stg_frame, stg_rows = _normalise_table(stages, STAGE_COLUMNS, "Triggers")
        if not stg_rows:
            raise SpecError(
                "no trigger stages: a system needs at least its sink (a stage with empty Output)",
                sheet="Triggers",
                row=2,
            )
        if not det_rows:
            raise SpecError("no detectors: a system needs at least one source", sheet="Detectors", row=2)
        glob = _globals_dict(globals_)
        cur = _curves_frame(curves)
        seen: dict = {}
        _check_names(stg_rows, "Triggers", "Name", seen)
        _check_names(det_rows, "Detectors", "Detector", seen)
        stage_names = [r["name"] for r in stg_rows]
        stage_set = set(stage_names)

        # references
        for i, r in enumerate(det_rows):
            if r["output"] not in stage_set:
                raise SpecError(
                    f"unknown Category {r['output']!r}: it must name a stage of the Triggers sheet "
                    f"({', '.join(stage_names)})"
                    if r["output"]
                    else "empty cell: which stage does this detector feed?",
                    sheet="Detectors",
                    row=i + 2,
                    column="Category",
                )
        sinks = []
        for i, r in enumerate(stg_rows):
            out = r["output"]
            if out == "":
                sinks.append(i)
            elif out == r["name"]:
                raise SpecError(f"stage {out!r} outputs to itself", sheet="Triggers", row=i + 2, column="Output")
            elif out not in stage_set:
                raise SpecError(
                    f"unknown Output {out!r}: it must name another stage "
                    f"({', '.join(stage_names)}) or be empty for the sink",
                    sheet="Triggers",
                    row=i + 2,
                    column="Output",
                )
        if not sinks:
            raise SpecError(
                "no sink: exactly one stage must have an empty Output (storage, e.g. 'Disk')",
                sheet="Triggers",
                column="Output",
            )
        if len(sinks) > 1:
            names = ", ".join(f"{stage_names[i]!r} (row {i + 2})" for i in sinks)
            raise SpecError(
                f"several sinks: {names} have an empty Output; exactly one stage may",
                sheet="Triggers",
                row=sinks[1] + 2,
                column="Output",
            )
        g = nx.DiGraph()
        g.add_nodes_from(stage_names)
        g.add_edges_from((r["name"], r["output"]) for r in stg_rows if r["output"])
        try:
            cycle = nx.find_cycle(g)
        except nx.NetworkXNoCycle:
            cycle = None
        if cycle:
            members = [u for u, _ in cycle]
            first = min(stage_names.index(m) for m in members)
            raise SpecError(
                f"cycle: {' -> '.join(members + [members[0]])}; outputs must lead to the sink",
                sheet="Triggers",
                row=first + 2,
                column="Output",
            )

        # every stage must receive events from some detector
        output_of = {r["name"]: r["output"] for r in stg_rows}
        live = set()
        for start in {r["output"] for r in det_rows}:
            node = start
            while node and node not in live:
                live.add(node)
                node = output_of[node]
        for i, r in enumerate(stg_rows):
            if r["name"] not in live:
                raise SpecError(
                    f"stage {r['name']!r} receives no events: no detector's Category and no "
                    "upstream stage's Output leads to it; connect it or delete the row",
                    sheet="Triggers",
                    row=i + 2,
                    column="Name",
                )

        # per-stage checks
        for i, r in enumerate(stg_rows):
            row = i + 2
            r["classifier"] = _canonical_kind(r["classifier"], "Triggers", row, "Classifier")
            if r["classifier"] == "Gaussian":
                for p, header in (("skill_mean", "Skill mean"), ("skill_scale", "Skill variance")):
                    if r.get(p) is None:
                        raise SpecError(
                            f"empty cell: a Gaussian classifier needs {header}",
                            sheet="Triggers",
                            row=row,
                            column=header,
                        )
            if r.get("skill_mean") is None:
                r["skill_mean"] = 0.0
            if r.get("skill_scale") is None:
                r["skill_scale"] = 1.0
            r.setdefault("skill_boost", 0.0)
            if r.get("skill_boost") is None:
                r["skill_boost"] = 0.0
            cal = r.get("calibration") or "published"
            if cal.lower() not in calibration_names():
                raise SpecError(
                    f"unknown calibration {cal!r}: use {' or '.join(map(repr, calibration_names()))}",
                    sheet="Triggers",
                    row=row,
                    column="Calibration",
                )
            r["calibration"] = cal.lower()
            if r.get("n_samples") is None:
                r["n_samples"] = DEFAULT_SAMPLES
        for sheet, rows in (("Triggers", stg_rows), ("Detectors", det_rows)):
            for i, r in enumerate(rows):
                try:
                    r["complexity_obj"] = parse_complexity(r.get("complexity", ""))
                except ParameterError as e:
                    raise SpecError(str(e), sheet=sheet, row=i + 2, column="Complexity") from None
                coeffs = getattr(r["complexity_obj"], "coeffs", ())
                if not all(0 <= c <= _MAX_COEFF for c in coeffs):
                    raise SpecError(
                        f"complexity {r['complexity_obj'].spec!r}: polynomial coefficients must lie between 0 and "
                        f"{_MAX_COEFF:g} (ops per event can be neither negative nor infinite)",
                        sheet=sheet,
                        row=i + 2,
                        column="Complexity",
                    )

        sampled = {r["name"]: i + 2 for i, r in enumerate(stg_rows) if classifier_kind(r["classifier"]).monte_carlo}
        try:
            check_sample_budget((r["name"], r["n_samples"]) for r in stg_rows if r["name"] in sampled)
        except ParameterError as e:
            stage = next(n for n in sampled if repr(n) in str(e))
            raise SpecError(str(e), sheet="Triggers", row=sampled[stage], column="Samples") from None

        curve_map: dict = {}
        if cur is not None:
            cframe, crows = cur
            first_row = {}
            for i, r in enumerate(crows):
                if r["stage"] not in stage_set:
                    raise SpecError(f"unknown stage {r['stage']!r}", sheet="Curves", row=i + 2, column="Stage")
                curve_map.setdefault(r["stage"], {}).setdefault(r["object"], []).append((r["energy"], r["efficiency"]))
                first_row.setdefault((r["stage"], r["object"]), i + 2)
            _check_curves(curve_map, first_row, {r["name"]: r["classifier"] for r in stg_rows})
        else:
            cframe = None

        self = object.__new__(cls)
        self._det = det_frame
        self._stg = stg_frame
        self._globals = glob
        self._curves = cframe
        self.name = name
        self._nodes, self._order = _compile(det_rows, stg_rows, curve_map)
        return self

    @classmethod
    def from_xlsx(cls, path, *, name: str | None = None) -> System:
        """Read a workbook (sheets ``Detectors``, ``Triggers``, ``Global``, optional ``Curves``)."""
        from .io import read_workbook

        return read_workbook(path, name=name)

    def to_xlsx(self, path) -> None:
        """Write the system to a workbook that :meth:`from_xlsx` reads back identically."""
        from .io import write_workbook

        write_workbook(self, path)

    # ------------------------------------------------------------------ accessors
    @property
    def detectors(self) -> pd.DataFrame:
        """Detectors table (a copy)."""
        return self._det.copy()

    @property
    def stages(self) -> pd.DataFrame:
        """Trigger stages table (``Triggers`` sheet; a copy)."""
        return self._stg.copy()

    @property
    def globals(self) -> dict:
        """Global values (``Year`` and any extras; a copy)."""
        return dict(self._globals)

    @property
    def curves(self) -> pd.DataFrame | None:
        """Measured turn-on points (``Curves`` sheet) or ``None``."""
        return None if self._curves is None else self._curves.copy()

    @property
    def year(self) -> int:
        """Technology year used for scaled power."""
        return int(self._globals["Year"])

    @property
    def stage_names(self) -> list[str]:
        return self._stg["Name"].tolist()

    @property
    def detector_names(self) -> list[str]:
        return self._det["Detector"].tolist()

    @property
    def sink(self) -> str:
        """Name of the storage stage (the one with no Output)."""
        return next(n.name for n in self._nodes.values() if n.kind == "stage" and not n.output)

    def node(self, name: str) -> Node:
        """The validated :class:`Node` of a detector or stage."""
        try:
            return self._nodes[name]
        except KeyError:
            raise ParameterError(f"no detector or stage named {name!r}; known: {', '.join(self._nodes)}") from None

    @property
    def nodes(self) -> list[Node]:
        """Nodes in topological order (detectors first)."""
        return [self._nodes[n] for n in self._order]

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The system as a frozen ``networkx.DiGraph`` (detector -> category -> ... -> sink).

        Node attributes: ``kind``, every parameter, ``classifier``, ``complexity``.
        Edge attribute ``link_efficiency`` (J/bit, from the source row).
        """
        g = nx.DiGraph(name=self.name or "", year=self.year)
        for n in self.nodes:
            g.add_node(n.name, kind=n.kind, classifier=n.classifier, complexity=n.complexity.spec, **dict(n.params))
        for n in self.nodes:
            if n.output:
                g.add_edge(n.name, n.output, link_efficiency=n.params["link_efficiency"])
        return nx.freeze(g)

    def param(self, key: str):
        """Current value of ``"Stage.param"`` (or ``"year"``)."""
        node, param = split_param(key)
        if node is None:
            return self.year
        n = self.node(node)
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
        raise ParameterError(
            f"{key!r}: {node!r} is a {n.kind} and has no parameter {param!r}; "
            f"numeric ones: {', '.join(sorted(n.params))}"
        )

    def parameters(self, numeric: bool = True) -> list[str]:
        """All ``"Stage.param"`` names (numeric ones by default), plus ``"year"``."""
        out = []
        for n in self.nodes:
            out.extend(f"{n.name}.{p}" for p in n.params)
        return out + ["year"]

    # ------------------------------------------------------------------ derivation
    def with_stage(self, name: str, **params) -> System:
        """A new System with parameters of stage ``name`` changed (snake_case names)."""
        return self._with_row("stage", name, params)

    def with_detector(self, name: str, **params) -> System:
        """A new System with parameters of detector ``name`` changed (snake_case names)."""
        return self._with_row("detector", name, params)

    def with_year(self, year: int) -> System:
        """A new System with another technology year."""
        glob = dict(self._globals)
        glob["Year"] = year
        return System.from_frames(self._det, self._stg, glob, curves=self._curves, name=self.name)

    def with_params(self, values: Mapping[str, object]) -> System:
        """A new System with several ``"Stage.param"`` values (scalars) changed at once."""
        det, stg, glob = self._det.copy(), self._stg.copy(), dict(self._globals)
        for key, value in values.items():
            node, param = split_param(key)
            if node is None:
                glob["Year"] = value
                continue
            kind = self.node(node).kind
            frame, cols, namecol = (
                (det, DETECTOR_COLUMNS, "Detector") if kind == "detector" else (stg, STAGE_COLUMNS, "Name")
            )
            _set_cell(frame, cols, namecol, node, param, value, kind)
        return System.from_frames(det, stg, glob, curves=self._curves, name=self.name)

    def _with_row(self, kind, name, params):
        node = self.node(name)
        if node.kind != kind:
            raise ParameterError(f"{name!r} is a {node.kind}, not a {kind}")
        return self.with_params({f"{name}.{k}": v for k, v in params.items()})

    def rename(self, old: str, new: str) -> System:
        """A new System with node ``old`` called ``new`` (references follow)."""
        node = self.node(old)
        det, stg = self._det.copy(), self._stg.copy()
        if node.kind == "detector":
            det.loc[det["Detector"] == old, "Detector"] = new
        else:
            stg.loc[stg["Name"] == old, "Name"] = new
            stg.loc[stg["Output"] == old, "Output"] = new
            det.loc[det["Category"] == old, "Category"] = new
        cur = self._curves
        if cur is not None and node.kind == "stage":
            cur = cur.copy()
            cur.loc[cur["Stage"] == old, "Stage"] = new
        return System.from_frames(det, stg, self._globals, curves=cur, name=self.name)

    # ------------------------------------------------------------------ dunder
    def __eq__(self, other) -> bool:
        if not isinstance(other, System):
            return NotImplemented

        def same(a, b):
            if a is None or b is None:
                return a is None and b is None
            return (
                a.shape == b.shape
                and list(a.columns) == list(b.columns)
                and list(a.dtypes) == list(b.dtypes)
                and a.equals(b)
            )

        return (
            same(self._det, other._det)
            and same(self._stg, other._stg)
            and self._globals == other._globals
            and same(self._curves, other._curves)
        )

    __hash__ = None  # tables are not hashable; compare with ==

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return (
            f"<System {label}{len(self._det)} detectors, {len(self._stg)} stages "
            f"({' -> '.join(n for n in self._stage_chain())}), year {self.year}>"
        )

    def _stage_chain(self):
        return [n.name for n in self.nodes if n.kind == "stage"]

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        return (_rebuild_system, (self._det, self._stg, self._globals, self._curves, self.name))


def _rebuild_system(det, stg, glob, curves, name):
    return System.from_frames(det, stg, glob, curves=curves, name=name)


def _set_cell(frame, cols, namecol, node, param, value, kind):
    col = next((c for c in cols if c.param == param and c.param != "name"), None)
    if col is None:
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
        check_values(param, value, f"{node}.{param}")
        frame.loc[idx, col.header] = float(value)
    else:
        if frame[col.header].dtype != object:
            frame[col.header] = frame[col.header].astype(object)
        frame.loc[idx, col.header] = "" if value is None else value
    return frame


def _compile(det_rows, stg_rows, curve_map):
    nodes = {}
    for i, r in enumerate(det_rows):
        nodes[r["name"]] = dict(
            name=r["name"],
            kind="detector",
            output=r["output"],
            row=i + 2,
            params={
                p: float(r[p]) for p in ("data_bytes", "sample_rate", "compression", "link_efficiency", "op_efficiency")
            },
            complexity=r["complexity_obj"],
        )
    for i, r in enumerate(stg_rows):
        curves = tuple(
            sorted(
                (obj, (tuple(e for e, _ in sorted(pts)), tuple(f for _, f in sorted(pts))))
                for obj, pts in curve_map.get(r["name"], {}).items()
            )
        )
        nodes[r["name"]] = dict(
            name=r["name"],
            kind="stage",
            output=r["output"] or None,
            row=i + 2,
            params={
                p: float(r[p])
                for p in (
                    "data_bytes",
                    "reduction_ratio",
                    "skill_mean",
                    "skill_scale",
                    "skill_boost",
                    "link_efficiency",
                    "op_efficiency",
                    "compression",
                )
            },
            classifier=r["classifier"],
            complexity=r["complexity_obj"],
            n_samples=int(r["n_samples"]),
            calibration=r["calibration"],
            curves=curves,
        )
    preds = {n: [] for n in nodes}
    for n, d in nodes.items():
        if d["output"]:
            preds[d["output"]].append(n)
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    g.add_edges_from((n, d["output"]) for n, d in nodes.items() if d["output"])
    # detectors first (in table order), then stages in a stable topological order
    order_index = {n: i for i, n in enumerate(nodes)}
    order = list(nx.lexicographical_topological_sort(g, key=lambda n: order_index[n]))
    out = {}
    for n in order:
        d = nodes[n]
        out[n] = Node(preds=tuple(preds[n]), **d)
    return out, order
