"""Read the cell values of an .xlsx workbook in bounded memory and time.

An .xlsx file is a zip of XML parts. This reader opens only the parts a system needs
(``xl/workbook.xml``, its relationships, ``xl/sharedStrings.xml``, the worksheets and,
only when a number cell carries a style, the number formats of ``xl/styles.xml``) and
parses each with :mod:`xml.parsers.expat` in chunks, counting bytes, tags and text
tags and text characters *while* parsing: a part past its :class:`Budget` stops the read with a
:class:`SpecError`. Document type declarations (and so entity expansion) are refused.

A formula cell yields the value the spreadsheet program saved with it (Excel's cached
value); a formula is never evaluated. A formula saved without a value yields
:class:`Uncached`, which the caller reports with the cell's location.
"""

from __future__ import annotations

import datetime as _dt
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from .errors import SpecError
from .xlsx_dates import excel_date, is_date_format

__all__ = ["Budget", "RawSheet", "RawWorkbook", "Uncached", "read_parts"]

_CHUNK = 1 << 16
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_CELL_REF = re.compile(r"([A-Za-z]{1,3})(\d+)")


@dataclass(frozen=True)
class Budget:
    """What one XML part may hold: bytes after decompression, tags (``<``), text characters."""

    bytes: int = 64 * 1024 * 1024
    tags: int = 1_000_000
    chars: int = 16 * 1024 * 1024


#: Budget of the small parts (workbook, relationships, styles).
SMALL = Budget(bytes=8 * 1024 * 1024, tags=200_000, chars=1024 * 1024)


@dataclass(frozen=True)
class Uncached:
    """A formula cell saved without its value (written by a program that does not compute)."""

    formula: str


@dataclass(frozen=True)
class RawSheet:
    """One worksheet's values: ``cells[(row, column)]`` (1-based), nothing for empty cells."""

    title: str
    cells: dict = field(compare=False)
    formulas: int = 0  # formula cells read as their saved values
    styled: bool = False  # some cell carries a style (number format, font, colour)
    features: tuple = ()  # sheet features outside the values (merged cells, validation...)


@dataclass(frozen=True)
class RawWorkbook:
    """Every worksheet of a workbook, in workbook order, plus what a values-only save drops."""

    sheets: tuple
    defined_names: int = 0
    chart_sheets: int = 0
    parts: tuple = ()  # names of the zip members


class _Stop(Exception):
    """Raised inside an expat handler to abandon a part (carries the SpecError)."""

    def __init__(self, error: SpecError):
        self.error = error


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def _parse(zf: zipfile.ZipFile, part: str, budget: Budget, start: Callable, end=None, text=None) -> None:
    """Stream ``part`` through expat, calling ``start(name, attrs)``, ``end(name)``, ``text(data)``."""
    p = expat.ParserCreate()
    p.buffer_text = True
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    chars = [0]

    def refuse_dtd(*_args):
        raise _Stop(SpecError(f"this file cannot be read as an .xlsx workbook ({part} declares a document type)"))

    def on_start(name, attrs):
        start(_local(name) if ":" in name else name, attrs)

    def on_text(data):
        chars[0] += len(data)
        if chars[0] > budget.chars:
            raise _Stop(SpecError(f"{part} holds more than {budget.chars:,} characters of text; refusing to read it"))
        if text is not None:
            text(data)

    p.StartDoctypeDeclHandler = refuse_dtd
    p.EntityDeclHandler = refuse_dtd
    p.StartElementHandler = on_start
    p.CharacterDataHandler = on_text
    if end is not None:
        p.EndElementHandler = lambda name: end(_local(name) if ":" in name else name)
    read = tags = 0
    try:
        with zf.open(part) as f:
            while True:
                chunk = f.read(_CHUNK)
                read += len(chunk)
                if read > budget.bytes:
                    raise SpecError(f"{part} expands to more than {budget.bytes / 1e6:.0f} MB; refusing to read it")
                tags += chunk.count(b"<")  # counted before parsing, at C speed: bounds the elements
                if tags > budget.tags:
                    raise SpecError(
                        f"{part} holds more than {budget.tags:,} XML tags; "
                        "a system workbook is far smaller: is this the right file?"
                    )
                p.Parse(chunk, not chunk)
                if not chunk:
                    break
    except _Stop as stop:
        raise stop.error from None
    except expat.ExpatError as e:
        raise SpecError(f"this file cannot be read as an .xlsx workbook ({part}: {e})") from None
    except LookupError as e:  # the XML declaration names an encoding Python does not know
        raise SpecError(f"this file cannot be read as an .xlsx workbook ({part}: {e})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, OSError) as e:
        raise SpecError(f"the workbook is damaged (entry {part!r} is corrupt: {e})") from None


def _relationships(zf: zipfile.ZipFile, part: str, names: set) -> dict:
    """``{Id: (type, target part)}`` of ``part``'s relationships (empty when there are none)."""
    folder, base = posixpath.split(part)
    rels_part = posixpath.join(folder, "_rels", base + ".rels")
    out: dict = {}
    if rels_part not in names:
        return out

    def start(name, attrs):
        if name == "Relationship" and attrs.get("TargetMode") != "External":
            target = attrs.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            out[attrs.get("Id")] = (attrs.get("Type", ""), posixpath.normpath(target))

    _parse(zf, rels_part, SMALL, start)
    return out


def _shared_strings(zf: zipfile.ZipFile, part: str, budget: Budget) -> list:
    strings: list = []
    state: dict[str, Any] = {"buf": None, "t": False, "skip": 0}

    def start(name, attrs):
        if name == "si":
            state["buf"] = []
        elif name in ("rPh", "phoneticPr"):
            state["skip"] += 1
        elif name == "t":
            state["t"] = True

    def end(name):
        if name == "si":
            strings.append("".join(state["buf"] or ()))
            state["buf"] = None
        elif name in ("rPh", "phoneticPr"):
            state["skip"] -= 1
        elif name == "t":
            state["t"] = False

    def text(data):
        if state["t"] and not state["skip"] and state["buf"] is not None:
            state["buf"].append(data)

    _parse(zf, part, budget, start, end, text)
    return strings


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def _date_styles(zf: zipfile.ZipFile, part: str) -> frozenset:
    """Indices of the cell styles (``cellXfs``) whose number format shows a date or time."""
    codes: dict = {}
    xfs: list = []
    state: dict[str, Any] = {"in_xfs": False}

    def start(name, attrs):
        if name == "numFmt":
            codes[attrs.get("numFmtId")] = attrs.get("formatCode", "")
        elif name == "cellXfs":
            state["in_xfs"] = True
        elif name == "xf" and state["in_xfs"]:
            xfs.append(attrs.get("numFmtId", "0"))

    def end(name):
        if name == "cellXfs":
            state["in_xfs"] = False

    _parse(zf, part, SMALL, start, end)

    return frozenset(i for i, fmt in enumerate(xfs) if is_date_format(fmt, codes))


_FEATURES = {
    "mergeCells": "merged cells",
    "dataValidations": "data validation rules",
    "conditionalFormatting": "conditional formatting",
    "hyperlinks": "hyperlinks",
    "autoFilter": "filters",
    "sheetProtection": "sheet protection",
}


def _sheet(zf, part, title, strings, budget, max_rows, max_columns, date_styles: Callable, date1904: bool) -> RawSheet:
    cells: dict = {}
    features: set = set()
    st: dict[str, Any] = {
        "row": 0,
        "col": 0,
        "cell": None,
        "grab": None,
        "buf": [],
        "formulas": 0,
        "styled": False,
        "is": False,
    }

    def fail(problem, row=None):
        raise _Stop(SpecError(problem, sheet=title, row=row))

    def start(name, attrs):
        if name == "c":
            ref = _CELL_REF.fullmatch(attrs.get("r", ""))
            if ref:
                row, col = int(ref.group(2)), _column_index(ref.group(1))
                if row != st["row"]:
                    st["row"] = row
            else:
                row, col = st["row"], st["col"] + 1
            st["col"] = col
            style = attrs.get("s", "0")
            st["cell"] = {"row": row, "col": col, "t": attrs.get("t", "n"), "s": style, "v": None, "f": None, "is": []}
        elif name == "row":
            r = attrs.get("r")
            st["row"] = int(r) if r and r.isdigit() else st["row"] + 1
            st["col"] = 0
        elif st["cell"] is not None and name in ("v", "f"):
            st["grab"], st["buf"] = name, []
        elif st["cell"] is not None and name == "t":
            st["grab"], st["buf"] = "t", []
        elif name in _FEATURES:
            features.add(_FEATURES[name])

    def text(data):
        if st["grab"] is not None:
            st["buf"].append(data)

    def end(name):
        c = st["cell"]
        if c is None:
            return
        if name in ("v", "f") and st["grab"] == name:
            c[name] = "".join(st["buf"])
            st["grab"] = None
        elif name == "t" and st["grab"] == "t":
            c["is"].append("".join(st["buf"]))
            st["grab"] = None
        elif name == "c":
            st["cell"] = None
            value = _value(c)
            if value is None:
                return
            if c["row"] > max_rows + 1:
                fail(f"more than {max_rows} rows; is this the right sheet?")
            if c["col"] > max_columns:
                fail(f"more than {max_columns} columns", c["row"])
            if c["f"] is not None:
                st["formulas"] += 1
            if c["s"] not in ("0", ""):
                st["styled"] = True
            cells[(c["row"], c["col"])] = value

    def _value(c):
        t, v = c["t"], c["v"]
        if t == "inlineStr":
            return "".join(c["is"]) if c["is"] else None
        if v is None or (not v and t not in ("str", "s")):  # <v></v>: nothing saved
            return Uncached(c["f"]) if c["f"] is not None else None
        if t == "s":
            if not _INTEGER.fullmatch(v.strip()) or not 0 <= int(v) < len(strings):
                fail(f"this sheet cannot be read (cell {_ref(c)} points to a missing shared string {v!r})", c["row"])
            return strings[int(v)]
        if t in ("str", "e"):
            return v
        if t == "b":
            if v.strip() not in ("0", "1"):
                fail(f"this sheet cannot be read (cell {_ref(c)} holds {v!r}, not a boolean)", c["row"])
            return v.strip() == "1"
        if t == "d":
            try:
                return _dt.datetime.fromisoformat(v.strip())
            except ValueError:
                fail(f"this sheet cannot be read (cell {_ref(c)} holds {v!r}, not a date)", c["row"])
        text_ = v.strip()
        if not _NUMBER.fullmatch(text_):
            fail(f"this sheet cannot be read (cell {_ref(c)} holds {text_.lower()!r}, not a number)", c["row"])
        number = int(text_) if _INTEGER.fullmatch(text_) else float(text_)
        if isinstance(number, float) and number in (float("inf"), float("-inf")):
            fail(f"this sheet cannot be read (cell {_ref(c)} holds {text_!r}, too large a number)", c["row"])
        if c["s"] not in ("0", "") and c["s"].isdigit() and int(c["s"]) in date_styles():
            return excel_date(float(number), date1904)
        return number

    _parse(zf, part, budget, start, end, text)
    return RawSheet(title, cells, st["formulas"], st["styled"], tuple(sorted(features)))


def _ref(c) -> str:
    n, letters = c["col"], ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{c['row']}"


def read_parts(
    zf: zipfile.ZipFile, *, wanted: Callable[[str], bool], max_rows: int, max_columns: int, budget: Budget = Budget()
) -> RawWorkbook:
    """Read the worksheets of an open .xlsx zip whose titles ``wanted(title)`` accepts.

    Raises :class:`SpecError` for a missing workbook part, XML past ``budget``, damaged
    entries and malformed cells.
    """
    names = set(zf.namelist())
    office = [t for k, (typ, t) in _relationships(zf, "", names).items() if typ.endswith("/officeDocument")]
    workbook = office[0] if office and office[0] in names else "xl/workbook.xml"
    if workbook not in names:
        raise SpecError("this file cannot be read as an .xlsx workbook (it has no workbook part)")
    sheets: list = []
    info: dict[str, Any] = {"names": 0, "date1904": False}

    def start(name, attrs):
        if name == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), None)
            sheets.append((attrs.get("name", ""), rid))
        elif name == "definedName":
            info["names"] += 1
        elif name == "workbookPr":
            info["date1904"] = attrs.get("date1904") in ("1", "true")

    _parse(zf, workbook, SMALL, start)
    rels = _relationships(zf, workbook, names)
    strings_part = next((t for typ, t in rels.values() if typ.endswith("/sharedStrings")), None)
    styles_part = next((t for typ, t in rels.values() if typ.endswith("/styles")), None)
    strings = _shared_strings(zf, strings_part, budget) if strings_part in names else []
    dates: dict = {}

    def date_styles() -> frozenset:
        if "styles" not in dates:
            dates["styles"] = _date_styles(zf, styles_part) if styles_part in names else frozenset()
        return dates["styles"]

    out, charts = [], 0
    for title, rid in sheets:
        typ, target = rels.get(rid, ("", ""))
        if not typ.endswith("/worksheet"):
            charts += 1
            continue
        if not wanted(title):
            continue
        if target not in names:
            raise SpecError(f"this file cannot be read as an .xlsx workbook (sheet {title!r} has no part {target!r})")
        out.append(_sheet(zf, target, title, strings, budget, max_rows, max_columns, date_styles, info["date1904"]))
    return RawWorkbook(tuple(out), info["names"], charts, tuple(sorted(names)))
