"""Parameter names, table columns and value rules shared by the tables, overrides and CLI.

Parameters are addressed as ``"Stage.param"`` strings (``"Intermediate.reduction_ratio"``,
``"Inner Tracker.data_bytes"``), or ``"year"`` for the technology year. The node name
is everything before the *last* dot, so names may contain dots themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .errors import ParameterError

__all__ = [
    "Column",
    "DETECTOR_COLUMNS",
    "STAGE_COLUMNS",
    "GLOBAL_COLUMNS",
    "CURVE_COLUMNS",
    "NUMERIC_PARAMS",
    "RULES",
    "split_param",
    "check_values",
    "field_in_use",
    "CONDITIONAL_FIELDS",
    "UNITS",
]


@dataclass(frozen=True)
class Column:
    """One table column: snake_case parameter, spreadsheet header, kind, required."""

    param: str
    header: str
    kind: str  # "name" | "ref" | "number" | "classifier" | "complexity" | "calibration" | "int"
    required: bool = True
    default: object = None


DETECTOR_COLUMNS = (
    Column("output", "Category", "ref"),
    Column("name", "Detector", "name"),
    Column("data_bytes", "Data (bytes)", "number"),
    Column("sample_rate", "Sample Rate", "number"),
    Column("compression", "Compression", "number"),
    Column("link_efficiency", "Link Efficiency (J/bit)", "number"),
    Column("op_efficiency", "Op Efficiency (J/op)", "number"),
    Column("complexity", "Complexity", "complexity", required=False, default=""),
)

STAGE_COLUMNS = (
    Column("name", "Name", "name"),
    Column("output", "Output", "ref"),
    Column("data_bytes", "Data (bytes)", "number"),
    Column("reduction_ratio", "Reduction Ratio", "number"),
    Column("classifier", "Classifier", "classifier"),
    Column("skill_mean", "Skill mean", "number"),
    Column("skill_scale", "Skill variance", "number"),
    Column("link_efficiency", "Link Efficiency (J/bit)", "number"),
    Column("op_efficiency", "Op Efficiency (J/op)", "number"),
    Column("compression", "Compression", "number"),
    Column("skill_boost", "Skill boost", "number", required=False, default=0.0),
    Column("complexity", "Complexity", "complexity", required=False, default=""),
    Column("n_samples", "Samples", "int", required=False, default=50_000),
    Column("calibration", "Calibration", "calibration", required=False, default="published"),
)

GLOBAL_COLUMNS = (Column("year", "Year", "int"),)

CURVE_COLUMNS = (
    Column("stage", "Stage", "ref"),
    Column("object", "Object", "name"),
    Column("energy", "Energy (GeV)", "number"),
    Column("efficiency", "Efficiency", "number"),
)

#: Parameters that take numbers (and so arrays in overrides and sweeps).
NUMERIC_PARAMS = frozenset(
    {
        "data_bytes",
        "sample_rate",
        "reduction_ratio",
        "skill_mean",
        "skill_scale",
        "skill_boost",
        "link_efficiency",
        "op_efficiency",
        "compression",
        "year",
    }
)

UNITS = {
    "data_bytes": "bytes per event",
    "sample_rate": "events/s",
    "reduction_ratio": "events in / events out",
    "skill_mean": "score units",
    "skill_scale": "score units",
    "skill_boost": "score units",
    "link_efficiency": "J/bit",
    "op_efficiency": "J/op",
    "compression": "fraction removed",
    "year": "calendar year",
    "n_samples": "samples per class",
}

# param -> (low, low_inclusive, high, high_inclusive, description)
RULES = {
    "data_bytes": (0.0, True, 1e15, True, "a size in bytes >= 0"),
    "sample_rate": (0.0, False, 1e13, True, "a rate in events/s > 0"),
    "reduction_ratio": (1.0, True, 1e15, True, "a reduction ratio >= 1 (events in / events out)"),
    "skill_mean": (-1e3, True, 1e3, True, "a finite score shift"),
    "skill_scale": (0.0, False, 1e3, True, "a standard deviation > 0"),
    "skill_boost": (-1e3, True, 1e3, True, "a finite score shift"),
    "link_efficiency": (0.0, True, 1.0, True, "an energy per bit in J/bit, >= 0"),
    "op_efficiency": (0.0, True, 1e6, True, "an energy per op in J/op, >= 0"),
    "compression": (0.0, True, 1.0, False, "a fraction in [0, 1)"),
    "year": (1900.0, True, 2300.0, True, "a year between 1900 and 2300"),
    "n_samples": (10.0, True, 1e7, True, "a whole number of samples between 10 and 10,000,000"),
    "energy": (0.0, True, 1e7, True, "an energy in GeV >= 0"),
}


def split_param(key: str) -> tuple[str | None, str]:
    """``"Stage.param"`` -> ``("Stage", "param")``; ``"year"`` -> ``(None, "year")``."""
    if not isinstance(key, str) or not key.strip():
        raise ParameterError(f"parameter names are strings like 'L1.reduction_ratio', got {key!r}")
    key = key.strip()
    if key in ("year", "Global.year", "Year"):
        return None, "year"
    if "." not in key:
        raise ParameterError(f"parameter {key!r} must be written 'Stage.param' (e.g. 'L1.reduction_ratio') or 'year'")
    node, param = key.rsplit(".", 1)
    return node.strip(), param.strip()


def _describe_bad(values: np.ndarray, ok: np.ndarray) -> str:
    bad = values[~ok]
    return repr(float(bad.flat[0])) if bad.size else "?"


def check_values(param: str, values, where: str) -> np.ndarray:
    """Validate a number or an array for ``param``; returns a float array.

    Raises :class:`ParameterError` naming ``where`` and the rule on the first bad value;
    booleans are not numbers (``True`` is refused, not taken as 1).
    """
    if isinstance(values, (bool, np.bool_)) or np.asarray(values).dtype.kind == "b":
        raise ParameterError(f"{where}: expected a number, got the boolean {values!r}")
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{where}: expected numbers, got {values!r}") from None
    if arr.dtype.kind not in "fiu":
        raise ParameterError(f"{where}: expected numbers, got {values!r}")
    rule = RULES.get(param)
    ok = np.isfinite(arr)
    if rule is not None:
        lo, lo_inc, hi, hi_inc, desc = rule
        ok &= (arr >= lo) if lo_inc else (arr > lo)
        ok &= (arr <= hi) if hi_inc else (arr < hi)
        if param == "n_samples":
            ok &= arr == np.floor(arr)
    else:
        desc = "a finite number"
    if not ok.all():
        raise ParameterError(f"{where}: {_describe_bad(arr, ok)} is not {desc}")
    return arr


#: Stage fields that only some classifiers use; :func:`field_in_use` says where.
CONDITIONAL_FIELDS = frozenset({"skill_mean", "skill_scale", "skill_boost"})


def field_in_use(classifier: str, field: str, row: Mapping[str, object]) -> bool:
    """Whether ``field`` of a stage row takes part in the model (and so must obey :data:`RULES`).

    The one rule for fields only some classifiers read: a Gaussian's ``skill_mean`` and
    ``skill_scale`` only where it rejects events (``reduction_ratio`` > 1); ``skill_boost``
    wherever a classifier selects (not on ``Dummy``). Elsewhere the cell may hold any
    finite number or be blank (workbooks often carry 0 there). Every other field is
    always in use.
    """
    if field in ("skill_mean", "skill_scale"):
        rr = row.get("reduction_ratio")
        return classifier == "Gaussian" and (rr is None or float(rr) > 1.0)  # type: ignore[arg-type]
    if field == "skill_boost":
        return classifier != "Dummy"
    return True
