"""How the editor grid names its tables, columns and problems (pure Python, no widgets).

The grid shows the ``Detectors`` and ``Triggers`` sheets as two tables whose columns read
as display names with units (:func:`column_label`, from :mod:`twidgets.model.display`),
and numbers rows from 1 as people count them. A :class:`Problem` is a model error located
in those words: ``Detectors, row 2 "Outer Tracker PS", Event size (B)``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from ..model import display
from ..model.errors import SpecError
from ..model.params import DETECTOR_COLUMNS, STAGE_COLUMNS, Column

if TYPE_CHECKING:
    from .draft import SystemDraft

__all__ = ["Table", "TABLES", "SHEET_TABLE", "Problem", "problem_from_error", "column_label"]


@dataclass(frozen=True)
class Table:
    """One editable table: grid key, workbook sheet, title people see, model columns."""

    key: str
    sheet: str
    title: str
    columns: tuple[Column, ...]

    @property
    def name_header(self) -> str:
        return next(c.header for c in self.columns if c.kind == "name")

    @property
    def ref_header(self) -> str:
        return next(c.header for c in self.columns if c.kind == "ref")

    def header(self, param: str) -> str:
        """The workbook header of a model parameter in this table."""
        return next(c.header for c in self.columns if c.param == param)

    def column(self, header: str) -> Column | None:
        return next((c for c in self.columns if c.header == header), None)


TABLES = {
    "detectors": Table("detectors", "Detectors", "Detectors", DETECTOR_COLUMNS),
    "stages": Table("stages", "Triggers", "Trigger stages", STAGE_COLUMNS),
}
SHEET_TABLE = {"Detectors": "detectors", "Triggers": "stages", "Global": "global"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the draft (or an upload), located as the user sees it.

    ``message`` says what is wrong and how to fix it; ``where`` names the place in the
    grid's words (table title, row number counted from 1 and the row's name, column);
    ``sheet``/``row``/``column`` are the workbook location (``row``: spreadsheet row,
    header 1); ``table`` (``"detectors"``, ``"stages"``, ``"global"`` or ``None``) and
    ``index`` (0-based data row or ``None``) locate the grid cell; ``source`` names an
    upload when the problem is about a file, not the grid.
    """

    message: str
    where: str = ""
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    table: str | None = None
    index: int | None = None
    source: str | None = None

    @property
    def text(self) -> str:
        """``where: message`` (or ``source: message`` for an upload)."""
        prefix = self.source or self.where
        return f"{prefix}: {self.message}" if prefix else self.message

    def as_dict(self) -> dict:
        """The plain dict the browser receives (``errors`` trait), ``text`` included."""
        return {**asdict(self), "text": self.text}


def column_label(table: Table, header: str) -> str:
    """A column as people read it: a numeric model parameter's display name and unit from
    :mod:`twidgets.model.display` (``"Data (bytes)"`` -> ``"Event size (B)"``); names,
    references, choices and extra columns keep their workbook header."""
    col = table.column(header)
    if col is None or col.kind not in ("number", "int") or col.param not in display.PARAMETERS:
        return header
    return display.axis_title(col.param)


def _grid_rows(message: str) -> str:
    """Spreadsheet row numbers in a model message -> the grid's rows (first data row 1)."""
    message = re.sub(
        r"\b(Detectors|Triggers) row (\d+)",
        lambda m: f"{TABLES[SHEET_TABLE[m.group(1)]].title} row {int(m.group(2)) - 1}",
        message,
    )
    return re.sub(r"\(row (\d+)\)", lambda m: f"(row {int(m.group(1)) - 1})", message)


def problem_from_error(e: SpecError, draft: SystemDraft | None = None) -> Problem:
    """A :class:`SpecError` as a :class:`Problem`; with ``draft``, rows are named as the
    draft shows them and located in its grid."""
    table = SHEET_TABLE.get(e.sheet) if e.sheet else None
    index = None
    if table in TABLES and isinstance(e.row, int) and e.row >= 2:
        index = e.row - 2
    elif table == "global":
        index = 0
    column = e.column
    if draft is not None and table == "global":
        return Problem(e.problem, display.axis_title("year"), e.sheet, e.row, column, table, index)
    if draft is None or table not in TABLES:  # a file's problem: the workbook's own words
        where = str(e).removesuffix(e.problem).rstrip(": ")
        return Problem(e.problem, where, e.sheet, e.row, column, table, index)
    if index is not None and not 0 <= index < len(draft.frames[table]):
        index = None  # e.g. "no detectors" on an empty table
    if column is not None and column not in draft.columns(table):
        column = None
    parts = [TABLES[table].title]
    if index is not None:
        parts.append(draft.row_label(table, index))
    if column is not None:
        parts.append(column_label(TABLES[table], column))
    return Problem(_grid_rows(e.problem), ", ".join(parts), e.sheet, e.row, column, table, index)
