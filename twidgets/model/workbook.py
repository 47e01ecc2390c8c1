"""System workbooks (.xlsx) to tables and back: sheet matching, limits, what a save drops.

:func:`read_tables` turns a workbook (path, bytes or binary file) into the raw tables of a
system — ``Detectors``, ``Triggers``, ``Global`` and the optional ``Curves`` sheet —
plus every other worksheet's values, which a save writes back. It reads through
:mod:`.xlsx_reader` (bounded XML parsing, saved formula values, nothing evaluated).
:func:`write_tables` writes tables as values. Every failure is a :class:`SpecError`.
"""

from __future__ import annotations

import datetime as _dt
import io as _io
import math
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import SpecError
from .tables import MAX_ROWS
from .xlsx_reader import RawSheet, RawWorkbook, Uncached, read_parts

__all__ = ["WorkbookTables", "read_tables", "write_tables", "MAX_BYTES", "MAX_EXPANDED", "MAX_COLUMNS", "SHEETS"]

#: Largest workbook file accepted (bytes).
MAX_BYTES = 20 * 1024 * 1024
#: Largest total size of a workbook's zip members once decompressed (bytes, as declared).
MAX_EXPANDED = 128 * 1024 * 1024
#: Widest sheet accepted (columns holding values).
MAX_COLUMNS = 200
#: Sheets of a system: matched ignoring case and spaces (``"Curves"`` is optional).
SHEETS = {"detectors": "Detectors", "triggers": "Triggers", "global": "Global", "curves": "Curves"}


@dataclass(frozen=True)
class WorkbookTables:
    """The raw tables of a system workbook (validated later by ``System.from_frames``).

    ``extra_sheets`` holds the other worksheets as ``(title, rows)``, rows being tuples
    of cell values; ``not_saved`` says, for people, what a values-only save will drop.
    """

    detectors: pd.DataFrame
    triggers: pd.DataFrame
    globals: pd.DataFrame
    curves: pd.DataFrame | None
    extra_sheets: tuple
    not_saved: tuple
    label: str | None = None


def _sheet_key(title: str) -> str:
    return "".join(title.split()).lower()


def _read_bytes(source) -> tuple[bytes, str | None]:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), None
    if hasattr(source, "read"):
        data = source.read(MAX_BYTES + 1)
        if not isinstance(data, (bytes, bytearray)):
            raise SpecError("the file was opened as text; open it in binary mode ('rb')")
        return bytes(data), None
    if not isinstance(source, (str, os.PathLike)):
        raise SpecError(f"expected a workbook path, bytes or a binary file, got {type(source).__name__}")
    path = Path(source)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SpecError(f"{path.name} is {size / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB")
        return path.read_bytes(), path.stem
    except FileNotFoundError:
        raise SpecError(f"file not found: {str(path)!r}") from None
    except OSError as e:
        raise SpecError(f"cannot read {str(path)!r}: {e.strerror or e}") from None


def _open_zip(data: bytes) -> zipfile.ZipFile:
    if len(data) > MAX_BYTES:
        raise SpecError(f"the workbook is larger than the {MAX_BYTES / 1e6:.0f} MB limit")
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise SpecError(
            "this is an old-style .xls workbook or a password-protected one; remove the password "
            "and save it as Excel Workbook (.xlsx)"
        )
    if not data.startswith(b"PK"):
        raise SpecError(
            "this is not an .xlsx workbook (an .xlsx file is a zip archive); "
            "save it from your spreadsheet program as Excel Workbook (.xlsx)"
        )
    try:
        zf = zipfile.ZipFile(_io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, OSError) as e:
        raise SpecError(
            f"this file cannot be read as an .xlsx workbook ({type(e).__name__}: {e}); "
            "it may be truncated or in another format"
        ) from None
    if sum(i.file_size for i in infos) > MAX_EXPANDED:
        zf.close()
        raise SpecError(f"the workbook expands to more than {MAX_EXPANDED / 1e6:.0f} MB; refusing to read it")
    try:
        if "mimetype" in zf.namelist() and b"opendocument" in zf.read("mimetype"):
            zf.close()
            raise SpecError("this is an OpenDocument spreadsheet (.ods); save it as Excel Workbook (.xlsx)")
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError) as e:
        zf.close()
        raise SpecError(f"the workbook is damaged (entry 'mimetype' is corrupt: {e})") from None
    return zf


def _match_sheets(sheets: tuple) -> tuple[dict, list]:
    """``{key: RawSheet}`` of the system's sheets and the list of the other sheets."""
    found: dict = {}
    extra = []
    for s in sheets:
        key = _sheet_key(s.title)
        if key not in SHEETS:
            extra.append(s)
            continue
        if key in found:
            raise SpecError(
                f"two sheets, {found[key].title!r} and {s.title!r}, both match the required sheet "
                f"{SHEETS[key]!r} (case and spaces are ignored); rename or delete one",
                sheet=SHEETS[key],
            )
        found[key] = s
    for key, title in SHEETS.items():
        if key not in found and key != "curves":
            have = ", ".join(repr(s.title) for s in sheets) or "none"
            raise SpecError(f"missing sheet {title!r} (sheets found: {have})", sheet=title)
    return found, extra


def _dense(sheet: RawSheet, *, keep_formulas: bool = False) -> list[list]:
    """The sheet's cells as a list of rows (1-based rows and columns become list positions)."""
    if not sheet.cells:
        return []
    n_rows = max(r for r, _ in sheet.cells)
    n_cols = max(c for _, c in sheet.cells)
    rows: list[list] = [[None] * n_cols for _ in range(n_rows)]
    for (r, c), v in sheet.cells.items():
        rows[r - 1][c - 1] = v if keep_formulas or not isinstance(v, Uncached) else None
    return rows


def _uncached_error(formula: Uncached, sheet: str, row: int, column: str) -> SpecError:
    return SpecError(
        f"cell holds the formula '={formula.formula}' but no saved value (the file was written by a "
        "program that does not compute formulas); twidgets never computes formulas: open and save the "
        "workbook in Excel or LibreOffice, or type the value",
        sheet=sheet,
        row=row,
        column=column,
    )


def _sheet_frame(sheet: RawSheet, title: str) -> pd.DataFrame:
    """A sheet's header row and data rows as a DataFrame (trailing blanks dropped)."""
    rows = _dense(sheet, keep_formulas=True)
    if not rows or all(v is None for v in rows[0]):
        raise SpecError("the sheet is empty: it needs a header row and data rows", sheet=title, row=1)
    header, data = rows[0], rows[1:]
    while data and all(v is None or (isinstance(v, str) and not v.strip()) for v in data[-1]):
        data.pop()
    width = len(header)
    while width and header[width - 1] is None and all(r[width - 1] is None for r in data):
        width -= 1
    names: list[str] = []
    for j, h in enumerate(header[:width]):
        if isinstance(h, Uncached):
            raise _uncached_error(h, title, 1, f"column {j + 1}")
        if isinstance(h, str):
            h = h.strip()
        elif h is None:
            if any(r[j] is not None for r in data):
                raise SpecError(
                    "a column with values has no header; give it a name", sheet=title, row=1, column=f"column {j + 1}"
                )
            h = f"Unnamed: {j}"
        else:
            h = str(h)
        if h in names:
            raise SpecError(f"column {h!r} appears twice", sheet=title, row=1, column=h)
        names.append(h)
    keep = [j for j, h in enumerate(names) if not h.startswith("Unnamed: ")]
    for i, r in enumerate(data):
        for j in keep:
            if isinstance(r[j], Uncached):
                raise _uncached_error(r[j], title, i + 2, names[j])
    columns = [names[j] for j in keep]
    return (
        pd.DataFrame([[r[j] for j in keep] for r in data], columns=columns) if data else pd.DataFrame(columns=columns)
    )


def _not_saved(raw: RawWorkbook, extra: list) -> tuple:
    """What a values-only save of this workbook drops, for people."""
    parts = raw.parts
    out = []
    formulas = sum(s.formulas for s in raw.sheets)
    if formulas:
        out.append(f"{formulas} formula{'s' * (formulas != 1)} (saved as the values your spreadsheet program computed)")
    if any(s.styled for s in raw.sheets):
        out.append("cell formats (number formats, fonts, colours, column widths)")
    if any(p.startswith("xl/comments") or p.startswith("xl/threadedComments/") for p in parts):
        out.append("cell comments")
    if raw.defined_names:
        out.append(f"{raw.defined_names} defined name{'s' * (raw.defined_names != 1)}")
    if any(p.startswith(("xl/drawings/", "xl/charts/", "xl/media/")) for p in parts) or raw.chart_sheets:
        out.append("charts, drawings and images")
    if any(p.startswith(("xl/pivotTables/", "xl/pivotCache/")) for p in parts):
        out.append("pivot tables")
    if any(p.startswith("xl/tables/") for p in parts):
        out.append("Excel table definitions (the values stay)")
    if any(p.lower().endswith("vbaproject.bin") for p in parts):
        out.append("macros")
    for s in raw.sheets:
        for feature in s.features:
            out.append(f"{feature} in sheet {s.title!r}")
    for s in extra:
        if any(isinstance(v, Uncached) for v in s.cells.values()):
            out.append(f"formulas without a saved value in sheet {s.title!r} (saved as empty cells)")
    return tuple(out)


def read_tables(source) -> WorkbookTables:
    """Read the tables of a system workbook from a path, bytes or binary file object.

    Raises :class:`SpecError` (never another exception type) for missing or unreadable
    files, files that are not workbooks, oversized or damaged ones, ambiguous or missing
    sheets and formulas saved without a value.
    """
    data, label = _read_bytes(source)
    with _open_zip(data) as zf:
        raw = read_parts(zf, wanted=lambda title: True, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
    found, extra = _match_sheets(raw.sheets)
    frames = {key: _sheet_frame(sheet, SHEETS[key]) for key, sheet in found.items()}
    extras = tuple((s.title, tuple(tuple(r) for r in _dense(s))) for s in extra)
    return WorkbookTables(
        frames["detectors"],
        frames["triggers"],
        frames["global"],
        frames.get("curves"),
        extras,
        _not_saved(raw, extra),
        label,
    )


def _cell(v):
    """A table value as a workbook cell value (``None`` for blanks)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (float, np.floating)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, str):
        return v if v != "" else None
    if isinstance(v, (int, bool)):
        return v
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, (_dt.datetime, _dt.time)):  # dates and times stay dates and times
        return v if v.tzinfo is None else v.isoformat()  # (a workbook has no time zones)
    if isinstance(v, (_dt.date, _dt.timedelta)):
        return v
    return str(v)


def write_tables(sheets: list[tuple[str, list[str], list]], path) -> None:
    """Write ``[(title, header, rows), ...]`` as a workbook of values (``header`` may be empty).

    Text starting with ``=`` is stored as text, never as a formula. Raises
    :class:`SpecError` for text a workbook cannot store (control characters).
    """
    import openpyxl
    from openpyxl.utils.exceptions import IllegalCharacterError

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title)
        records = ([header] if header else []) + list(rows)
        for i, rec in enumerate(records):
            for j, v in enumerate(rec):
                v = _cell(v)
                if v is None:
                    continue
                try:
                    cell = ws.cell(row=i + 1, column=j + 1, value=v)
                except IllegalCharacterError:
                    raise SpecError(
                        f"{v!r} holds control characters that a workbook cannot store; remove them",
                        sheet=title,
                        row=i + 1,
                        column=header[j] if header and j < len(header) else f"column {j + 1}",
                    ) from None
                if isinstance(v, str) and v.startswith("="):
                    cell.data_type = "s"  # text, never a formula a spreadsheet program would run
                elif isinstance(v, float) and math.isfinite(v) and float(f"{v:.16g}") != v:
                    # openpyxl writes numbers with 16 significant digits; keep all 17
                    cell.value = repr(v)
                    cell.data_type = "n"
    target = path
    if isinstance(path, (str, os.PathLike)):
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
