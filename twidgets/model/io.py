"""Read and write system workbooks (.xlsx) and find the bundled configurations.

Workbooks are read with openpyxl in read-only mode, values only: a cell holding a
formula is reported (twidgets never evaluates anything), macros are never loaded, and
openpyxl uses ``defusedxml`` (a dependency) against XML attacks. Files above
:data:`MAX_BYTES` or sheets beyond :data:`MAX_ROWS` rows / :data:`MAX_COLUMNS` columns
are refused before they are read. Every failure is a :class:`SpecError`.
"""

from __future__ import annotations

import datetime as _dt
import io as _io
import math
import os
import zipfile
import zlib
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import SpecError
from .spec import System

__all__ = [
    "read_workbook",
    "write_workbook",
    "load_system",
    "list_systems",
    "bundled_path",
    "MAX_BYTES",
    "MAX_ROWS",
    "MAX_COLUMNS",
    "SHEETS",
]

#: Largest workbook accepted (bytes).
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 10_000
MAX_COLUMNS = 200
#: Sheet names (matched case-insensitively when reading).
SHEETS = {"detectors": "Detectors", "triggers": "Triggers", "global": "Global", "curves": "Curves"}

_DESCRIPTIONS = {
    "cms-run3-pu60": "CMS Run 3, pile-up 60, L1 RR 400, year 2024",
    "cms-hllhc-pu140": "CMS HL-LHC, pile-up 140, L1 RR 80, year 2028",
    "cms-hllhc-pu200": "CMS HL-LHC, pile-up 200, L1 RR 53.3, year 2032",
    "cms-hllhc-pu200-smartpx": "pile-up 200 with smart pixels (Inner Tracker 662,400 bytes)",
    "cms-hllhc-pu200-smartpx-lowpower": "smart pixels + low-energy links (2.0e-12 J/bit)",
}


def _data_dir():
    return resources.files("twidgets") / "data"


def list_systems() -> list[str]:
    """Names of the bundled systems (load them with :func:`load_system`)."""
    names = sorted(p.name[:-5] for p in _data_dir().iterdir() if p.name.endswith(".xlsx"))
    return names


def describe_systems() -> dict:
    """``{name: one-line description}`` of the bundled systems."""
    return {n: _DESCRIPTIONS.get(n, "") for n in list_systems()}


def bundled_path(name: str):
    """Path of a bundled workbook (a ``Traversable``; use ``open()``)."""
    p = _data_dir() / f"{name}.xlsx"
    if not p.is_file():
        raise SpecError(f"no bundled system named {name!r}; bundled: {', '.join(list_systems())}")
    return p


def load_system(name_or_path) -> System:
    """Load a bundled system by name (see :func:`list_systems`) or a workbook by path.

    Raises :class:`SpecError` for unknown names, unreadable files and invalid contents.
    """
    if isinstance(name_or_path, System):
        return name_or_path
    if (
        isinstance(name_or_path, str)
        and not name_or_path.lower().endswith((".xlsx", ".xlsm"))
        and os.path.sep not in name_or_path
    ):
        p = bundled_path(name_or_path)
        with p.open("rb") as f:
            return read_workbook(f.read(), name=name_or_path)
    return read_workbook(name_or_path)


def _sheet_frame(ws, sheet: str) -> pd.DataFrame:
    # The declared <dimension> is only a hint written by the saving program: a wrong one
    # would make openpyxl's read-only reader drop real cells (or pad to absurd sizes), so
    # read the cells that are actually there and apply our own limits.
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()
    rows = []
    header = None
    for i, values in enumerate(ws.iter_rows(values_only=True)):
        if i > MAX_ROWS + 1:
            raise SpecError(f"more than {MAX_ROWS} rows; is this the right sheet?", sheet=sheet)
        if len(values) > MAX_COLUMNS:
            values = values[:MAX_COLUMNS] if all(v is None for v in values[MAX_COLUMNS:]) else None
            if values is None:
                raise SpecError(f"more than {MAX_COLUMNS} columns", sheet=sheet, row=i + 1)
        if header is None:
            header = list(values)
            continue
        rows.append(list(values))
    if header is None:
        raise SpecError("the sheet is empty: it needs a header row and data rows", sheet=sheet, row=1)
    # drop trailing empty rows and columns (spreadsheets keep formatted blanks)
    while rows and all(v is None or (isinstance(v, str) and not v.strip()) for v in rows[-1]):
        rows.pop()
    header = header + [None] * (max([len(r) for r in rows], default=0) - len(header))
    width = len(header)
    while width and header[width - 1] is None and all(len(r) < width or r[width - 1] is None for r in rows):
        width -= 1
    header = header[:width]
    names = []
    for j, h in enumerate(header):
        if isinstance(h, str):
            h = h.strip()
            if h.startswith("="):
                raise SpecError(f"header is a formula {h!r}", sheet=sheet, row=1, column=h)
        elif h is None:
            h = f"Unnamed: {j}"
            if any(j < len(r) and r[j] is not None for r in rows):
                raise SpecError(
                    "a column with values has no header; give it a name", sheet=sheet, row=1, column=f"column {j + 1}"
                )
        else:
            h = str(h)
        if h in names:
            raise SpecError(f"column {h!r} appears twice", sheet=sheet, row=1, column=h)
        names.append(h)
    keep = [j for j, h in enumerate(names) if not h.startswith("Unnamed: ")]
    data = [[(r[j] if j < len(r) else None) for j in keep] for r in rows]
    frame = (
        pd.DataFrame(data, columns=[names[j] for j in keep]) if data else pd.DataFrame(columns=[names[j] for j in keep])
    )
    return frame


def read_workbook(source, *, name: str | None = None) -> System:
    """Read a System from a workbook path, bytes or binary file object.

    Raises :class:`SpecError` (never another exception type) for missing or unreadable
    files, files that are not workbooks, oversized files and invalid contents.
    """
    import openpyxl

    label = None
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    elif hasattr(source, "read"):
        data = source.read(MAX_BYTES + 1)
        if not isinstance(data, (bytes, bytearray)):
            raise SpecError("the file was opened as text; open it in binary mode ('rb')")
    elif not isinstance(source, (str, os.PathLike)):
        raise SpecError(f"expected a workbook path, bytes or a binary file, got {type(source).__name__}")
    else:
        path = Path(source)
        label = path.stem
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise SpecError(f"file not found: {str(path)!r}") from None
        except OSError as e:
            raise SpecError(f"cannot read {str(path)!r}: {e.strerror or e}") from None
        if size > MAX_BYTES:
            raise SpecError(f"{path.name} is {size / 1e6:.1f} MB; the limit is {MAX_BYTES / 1e6:.0f} MB")
        try:
            data = path.read_bytes()
        except OSError as e:
            raise SpecError(f"cannot read {str(path)!r}: {e.strerror or e}") from None
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
        with zipfile.ZipFile(_io.BytesIO(data)) as zf:
            total = sum(i.file_size for i in zf.infolist())
            if total > 20 * MAX_BYTES:
                raise SpecError(f"the workbook expands to more than {20 * MAX_BYTES / 1e6:.0f} MB; refusing to read it")
            try:
                bad = zf.testzip()
            except (zlib.error, EOFError) as e:
                bad = f"? ({e})"
            if bad is not None:
                raise SpecError(f"the workbook is damaged (entry {bad!r} is corrupt)")
            if "mimetype" in zf.namelist() and b"opendocument" in zf.read("mimetype"):
                raise SpecError("this is an OpenDocument spreadsheet (.ods); save it as Excel Workbook (.xlsx)")
        wb = openpyxl.load_workbook(
            _io.BytesIO(data), read_only=True, data_only=False, keep_vba=False, keep_links=False
        )
    except SpecError:
        raise
    except Exception as e:  # zip, XML and openpyxl errors of a damaged or foreign file
        raise SpecError(
            f"this file cannot be read as an .xlsx workbook ({type(e).__name__}: {e}); "
            "it may be truncated or in another format"
        ) from None
    try:
        sheets = {ws.title.strip().lower(): ws for ws in wb.worksheets}
        frames = {}
        for key, title in SHEETS.items():
            ws = sheets.get(key)
            if ws is None:
                if key == "curves":
                    continue
                raise SpecError(
                    f"missing sheet {title!r} (sheets found: "
                    f"{', '.join(repr(w.title) for w in wb.worksheets) or 'none'})",
                    sheet=title,
                )
            try:
                frames[key] = _sheet_frame(ws, title)
            except SpecError:
                raise
            except Exception as e:  # damaged sheet XML (e.g. a number cell holding text)
                raise SpecError(
                    f"this sheet cannot be read ({type(e).__name__}: {e}); re-save the workbook "
                    "from your spreadsheet program",
                    sheet=title,
                ) from None
    except SpecError:
        raise
    except Exception as e:  # openpyxl parse errors of damaged parts
        raise SpecError(f"this workbook cannot be read ({type(e).__name__}: {e})") from None
    finally:
        wb.close()
    return System.from_frames(
        frames["detectors"], frames["triggers"], frames["global"], curves=frames.get("curves"), name=name or label
    )


def _cell(v):
    if v is None:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, (np.floating,)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, str):
        return v if v != "" else None
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (int, float, bool)):
        return v
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, (_dt.datetime, _dt.time)):  # dates and times stay dates and times
        return v if v.tzinfo is None else v.isoformat()  # (a workbook has no time zones)
    if isinstance(v, (_dt.date, _dt.timedelta)):
        return v
    return str(v)


def write_workbook(system: System, path) -> None:
    """Write ``system`` as a workbook (sheets Detectors, Triggers, Global, Curves if any).

    Values are written as values: text starting with ``=`` is stored as text, not as a
    formula. Raises :class:`SpecError` for what a workbook cannot hold (a callable
    complexity, control characters in text).
    """
    import openpyxl
    from openpyxl.utils.exceptions import IllegalCharacterError

    for n in system.nodes:
        if n.complexity.spec.startswith("<callable"):
            raise SpecError(
                f"{n.name}: a Python callable complexity cannot be saved to a workbook; "
                "use a named model or 'poly:c1,c2,c3'",
                sheet="Triggers" if n.kind == "stage" else "Detectors",
                row=n.row,
                column="Complexity",
            )
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    tables = [("Detectors", system._det), ("Triggers", system._stg), ("Global", pd.DataFrame([system._globals]))]
    if system._curves is not None:
        tables.append(("Curves", system._curves))
    for title, frame in tables:
        ws = wb.create_sheet(title)
        headers = [str(c) for c in frame.columns]
        for i, rec in enumerate([headers] + list(frame.itertuples(index=False, name=None))):
            for j, v in enumerate(rec):
                v = _cell(v) if i else v
                if v is None:
                    continue
                try:
                    cell = ws.cell(row=i + 1, column=j + 1, value=v)
                except IllegalCharacterError:
                    raise SpecError(
                        f"{v!r} holds control characters that a workbook cannot store; remove them",
                        sheet=title,
                        row=i + 1,
                        column=headers[j],
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
