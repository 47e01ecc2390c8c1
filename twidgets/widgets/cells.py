"""Cell text <-> table values for the editor grid (pure pandas, no widgets).

Every value the grid shows is a string; :func:`show` writes a table value as text and
:func:`parse_number` reads what a user typed into a numeric cell. Nothing typed is ever
evaluated: numbers go through ``float()``, everything else stays text for the model to
check.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["show", "parse_number", "put_cell", "is_blank"]


def show(value) -> str:
    """Text shown in a cell for a table value (numbers without a spurious ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return ""
        if v.is_integer() and abs(v) < 1e16:
            return str(int(v))
        return repr(v)
    if isinstance(value, str):
        return value
    if hasattr(value, "spec"):  # a Complexity model set through the Python API
        return str(value.spec)
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def is_blank(value) -> bool:
    """True for a cell that shows nothing (None, NaN, empty or blank text)."""
    return show(value).strip() == ""


def parse_number(text):
    """``float(text)`` for a typed numeric cell; blank -> NaN; anything else stays text
    (the model then says what is wrong with it)."""
    if isinstance(text, (int, float, np.integer, np.floating)) and not isinstance(text, (bool, np.bool_)):
        return float(text)
    if not text.strip():
        return float("nan")
    try:
        return float(text)
    except ValueError:
        return text


def put_cell(frame: pd.DataFrame, index, column: str, value) -> None:
    """Set one cell of ``frame`` (label ``index``), widening the column's dtype when the
    value needs it; an absent column is added (blank elsewhere)."""
    if column not in frame.columns:
        numeric = isinstance(value, float)
        frame[column] = pd.Series(
            [np.nan if numeric else ""] * len(frame), index=frame.index, dtype="float64" if numeric else object
        )
    kind = frame[column].dtype.kind
    if isinstance(value, str) and kind != "O":
        frame[column] = frame[column].astype(object)
    elif isinstance(value, float) and kind in "iub":
        if kind == "i" and value.is_integer():
            value = int(value)
        else:
            frame[column] = frame[column].astype("float64" if kind != "b" else object)
    frame.at[index, column] = value
