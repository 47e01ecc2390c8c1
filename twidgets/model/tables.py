"""Reading and normalising the tables of a system: Detectors, Triggers, Global, Curves.

Each table is matched to its columns (:mod:`.params`, headers ignoring case and spaces),
every cell is parsed and checked where it is used, and the first problem is a
:class:`SpecError` naming the sheet, the spreadsheet row (header = row 1) and the column.
Extra columns are kept verbatim. No cell is ever evaluated.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .classifiers import DEFAULT_SAMPLES
from .complexity import Complexity, parse_complexity
from .errors import ParameterError, SpecError
from .params import (
    CONDITIONAL_FIELDS,
    CURVE_COLUMNS,
    GLOBAL_COLUMNS,
    RULES,
    Column,
    check_values,
    field_in_use,
)
from .registry import DEFAULT_CALIBRATION, calibration_names, classifier_kind, classifier_kinds
from .sample_cache import SampleBudgetError, check_sample_budget

__all__ = [
    "MAX_ROWS",
    "is_blank",
    "match_columns",
    "normalise_table",
    "normalise_stages",
    "parse_complexities",
    "check_names",
    "globals_dict",
    "curves_frame",
    "check_curves",
]

#: Most data rows a table may have.
MAX_ROWS = 10_000
#: Largest polynomial complexity coefficient: keeps ops finite for any allowed message size.
MAX_COEFF = 1e30


def is_blank(v) -> bool:
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


def match_columns(df: pd.DataFrame, columns, sheet: str) -> dict:
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


def _number(value, col: Column, sheet: str, row: int, *, allow_blank=False, default=None, rule=True):
    if is_blank(value):
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
                f"cell holds the text {text!r}, which looks like a formula; twidgets never computes "
                "formulas: type the value (a formula saved by Excel or LibreOffice is read as its value)",
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
        return float(check_values(col.param if rule else "", value, "value"))
    except ParameterError as e:
        raise SpecError(str(e).replace("value: ", "", 1), sheet=sheet, row=row, column=col.header) from None


def _text(value, col: Column, sheet: str, row: int) -> str:
    if is_blank(value):
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


def canonical_kind(text: str, sheet: str, row: int, header: str) -> str:
    """The registered classifier kind a cell names (case-insensitive); SpecError listing the kinds."""
    kinds = classifier_kinds()
    for k in kinds:
        if text.lower() == k.lower():
            return k
    if text == "":
        raise SpecError(f"empty cell: choose a classifier: {', '.join(kinds)}", sheet=sheet, row=row, column=header)
    raise SpecError(f"unknown classifier {text!r}: use one of {', '.join(kinds)}", sheet=sheet, row=row, column=header)


def normalise_table(df, columns, sheet):
    """Validate and normalise one table. Returns (normalised frame, list of per-row dicts)."""
    found = match_columns(df, columns, sheet)
    if len(df) > MAX_ROWS:
        raise SpecError(f"{len(df)} rows is more than the {MAX_ROWS} supported", sheet=sheet)
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
                conditional = col.param in CONDITIONAL_FIELDS
                parsed.append(
                    _number(
                        v,
                        col,
                        sheet,
                        r,
                        allow_blank=not col.required or conditional,
                        default=None if col.required or conditional else col.default,
                        rule=not conditional,  # checked per row where in use (normalise_stages)
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
                if all(is_blank(v) for v in col_vals):
                    continue  # drop unnamed empty columns (trailing blanks in sheets)
                raise SpecError("a column with values has no header; give it a name", sheet=sheet, row=1, column=str(h))
            frame[h] = raw_records[h].reset_index(drop=True)
    return pd.DataFrame(frame, index=pd.RangeIndex(n)), rows


def check_names(rows, sheet, header, seen):
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


def globals_dict(globals_) -> dict:
    if globals_ is None:
        raise SpecError("missing Global table (needs a Year)", sheet="Global")
    if isinstance(globals_, pd.DataFrame):
        found = match_columns(globals_, GLOBAL_COLUMNS, "Global")
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


def curves_frame(curves):
    if curves is None:
        return None
    if isinstance(curves, pd.DataFrame) and len(curves) == 0:
        return None
    frame, rows = normalise_table(curves, CURVE_COLUMNS, "Curves")
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


def check_curves(curve_map, first_row, classifier_of):
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


def check_stage_fields(r: dict, sheet: str, row: int) -> None:
    """Apply :data:`RULES` to the conditional fields of one stage row where they are in use."""
    for p, header in (("skill_mean", "Skill mean"), ("skill_scale", "Skill variance"), ("skill_boost", "Skill boost")):
        if not field_in_use(r["classifier"], p, r):
            continue
        if r.get(p) is None:
            if p == "skill_boost":
                continue
            raise SpecError(
                f"empty cell: a Gaussian classifier needs {header} where it rejects events (reduction ratio > 1)",
                sheet=sheet,
                row=row,
                column=header,
            )
        try:
            check_values(p, r[p], "value")
        except ParameterError as e:
            raise SpecError(str(e).replace("value: ", "", 1), sheet=sheet, row=row, column=header) from None


def normalise_stages(stg_rows: list) -> None:
    """Per-stage checks and defaults (in place): classifier, conditional fields, calibration, samples."""
    for i, r in enumerate(stg_rows):
        row = i + 2
        r["classifier"] = canonical_kind(r["classifier"], "Triggers", row, "Classifier")
        check_stage_fields(r, "Triggers", row)
        for p, default in (("skill_mean", 0.0), ("skill_scale", 1.0), ("skill_boost", 0.0)):
            if r.get(p) is None:
                r[p] = default
        cal = r.get("calibration") or DEFAULT_CALIBRATION
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
    check_samples(stg_rows)


def check_samples(stg_rows: list) -> None:
    """The Monte-Carlo stages' samples must fit the per-system budget (SpecError at the offending row)."""
    sampled = {r["name"]: i + 2 for i, r in enumerate(stg_rows) if classifier_kind(r["classifier"]).monte_carlo}
    try:
        check_sample_budget((r["name"], r["n_samples"]) for r in stg_rows if r["name"] in sampled)
    except SampleBudgetError as e:
        raise SpecError(str(e), sheet="Triggers", row=sampled[e.stage], column="Samples") from None


def parse_complexities(rows: list, sheet: str) -> None:
    """Parse each row's Complexity cell into ``row["complexity_obj"]`` (in place)."""
    for i, r in enumerate(rows):
        try:
            r["complexity_obj"] = parse_complexity(r.get("complexity", ""))
        except ParameterError as e:
            raise SpecError(str(e), sheet=sheet, row=i + 2, column="Complexity") from None
        coeffs = getattr(r["complexity_obj"], "coeffs", ())
        if not all(0 <= c <= MAX_COEFF for c in coeffs):
            raise SpecError(
                f"complexity {r['complexity_obj'].spec!r}: polynomial coefficients must lie between 0 and "
                f"{MAX_COEFF:g} (ops per event can be neither negative nor infinite)",
                sheet=sheet,
                row=i + 2,
                column="Complexity",
            )
