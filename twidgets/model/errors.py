"""Exceptions raised by the modeling core."""

from __future__ import annotations

__all__ = ["SpecError", "ParameterError"]


class SpecError(ValueError):
    """A system specification (workbook or tables) is invalid.

    Attributes
    ----------
    sheet : str or None
        Sheet (table) name: ``"Detectors"``, ``"Triggers"``, ``"Global"``, ``"Curves"``
        or ``None`` when the whole file is at fault.
    row : int or None
        Spreadsheet row number as Excel shows it (the header is row 1, the first data
        row is row 2), or ``None`` when no single row is at fault.
    column : str or None
        Column header, or ``None``.
    problem : str
        What is wrong and how to fix it, without the location prefix.
    """

    def __init__(self, problem: str, *, sheet: str | None = None, row: int | None = None, column: str | None = None):
        self.problem = problem
        self.sheet = sheet
        self.row = row
        self.column = column
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.sheet is not None:
            where.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return (", ".join(where) + ": " if where else "") + self.problem

    def __reduce__(self):  # picklable across processes (Dask workers)
        return (_rebuild_spec_error, (self.problem, self.sheet, self.row, self.column))


def _rebuild_spec_error(problem, sheet, row, column):
    return SpecError(problem, sheet=sheet, row=row, column=column)


class ParameterError(ValueError):
    """A ``"Stage.param"`` name or an override value is invalid."""
