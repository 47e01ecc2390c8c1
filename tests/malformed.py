"""A generated corpus of malformed (and tricky-but-valid) system workbooks.

Every :class:`Case` knows how to make its file's bytes, starting from the bundled
``cms-hllhc-pu200`` workbook and breaking one thing (a cell, a column, a sheet, the zip
container, the sheet XML), and where :class:`twidgets.SpecError` must point: the sheet,
the spreadsheet row (header = row 1) and the column header, plus words the message must
contain so the user knows what to fix. Cases with ``valid=True`` must load.

Used by ``tests/test_bad_input.py`` and importable by other tests (e.g. the editor's)::

    from malformed import CASES, case_bytes, write_case, tables_to_frames
"""

from __future__ import annotations

import datetime as _dt
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

import openpyxl
import pandas as pd

BASE = "cms-hllhc-pu200"

# Rows of the bundled pile-up-200 workbook (spreadsheet numbering, header = 1).
DET_ROW = {
    "Inner Tracker": 2,
    "Outer Tracker PS": 3,
    "Outer Tracker 2S": 4,
    "Track Finder TPG": 5,
    "MIP Timing BTL": 6,
    "MIP Timing ETL": 7,
    "ECAL Barrel": 8,
    "HCAL Barrel": 9,
    "HCAL HO": 10,
    "Muon RPC": 20,
}
STG_ROW = {"Tracking": 2, "Timing": 3, "Calorimetry": 4, "Muon": 5, "Intermediate": 6, "Global": 7, "Disk": 8}

# A file name the code-injection case would create if the string were ever evaluated.
INJECTION_MARKER = "twidgets-injected-marker"


# --------------------------------------------------------------------------- tables


@cache
def base_bytes(name: str = BASE) -> bytes:
    """The bytes of a bundled workbook."""
    from twidgets.model.io import bundled_path

    with bundled_path(name).open("rb") as f:
        return f.read()


def base_tables(name: str = BASE) -> dict:
    """``{sheet title: [header row, data rows...]}`` of a bundled workbook (plain values)."""
    wb = openpyxl.load_workbook(io.BytesIO(base_bytes(name)))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def tables_to_bytes(tables: dict) -> bytes:
    """Write ``{sheet: rows}`` as an .xlsx workbook and return its bytes."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in tables.items():
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(list(r))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def tables_to_frames(tables: dict) -> dict:
    """``{sheet: DataFrame}`` (header row -> columns) for :meth:`System.from_frames`."""
    frames = {}
    for title, rows in tables.items():
        if not rows:
            frames[title] = pd.DataFrame()
            continue
        header, data = list(rows[0]), [list(r) for r in rows[1:]]
        width = max([len(header)] + [len(r) for r in data])
        header += [None] * (width - len(header))
        data = [r + [None] * (width - len(r)) for r in data]
        frames[title] = pd.DataFrame(data, columns=header, dtype=object) if data else pd.DataFrame(columns=header)
    return frames


def col_index(rows, header: str) -> int:
    return [h for h in rows[0]].index(header)


def set_cell(tables, sheet, row, header, value):
    """Set the cell of spreadsheet ``row`` under ``header`` (tables edited in place)."""
    rows = tables[sheet]
    j = col_index(rows, header)
    r = rows[row - 1]
    r.extend([None] * (j + 1 - len(r)))
    r[j] = value
    return tables


def drop_column(tables, sheet, header):
    j = col_index(tables[sheet], header)
    for r in tables[sheet]:
        del r[j]
    return tables


def add_column(tables, sheet, header, values):
    """Append a column; ``values`` are for the data rows (cycled if shorter)."""
    rows = tables[sheet]
    rows[0].append(header)
    for i, r in enumerate(rows[1:]):
        r.append(values[i % len(values)])
    return tables


# --------------------------------------------------------------------------- zip surgery


def rewrite_zip(data: bytes, edits: dict | None = None, add: dict | None = None, drop: tuple = ()) -> bytes:
    """Copy a zip, applying ``edits`` ({member: fn(bytes) -> bytes}), adding and dropping members."""
    edits, add = edits or {}, add or {}
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            body = src.read(info.filename)
            if info.filename in edits:
                body = edits[info.filename](body)
            dst.writestr(info.filename, body)
        for member, body in add.items():
            dst.writestr(member, body)
    return out.getvalue()


def _replace(old: bytes, new: bytes):
    def fn(body):
        assert old in body, f"{old!r} not in member"
        return body.replace(old, new, 1)

    return fn


@lru_cache(maxsize=1)
def zip_bomb_bytes() -> bytes:
    """A valid workbook plus an extra part that inflates to ~420 MB (compresses to ~0.4 MB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        src = zipfile.ZipFile(io.BytesIO(base_bytes()))
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        chunk = b" " * (1 << 20)
        with dst.open("xl/media/padding.xml", "w", force_zip64=True) as f:
            for _ in range(420):
                f.write(chunk)
    return out.getvalue()


def _macro_workbook() -> bytes:
    """The base workbook turned into a macro-enabled one (.xlsm) with a vbaProject part."""
    main = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    macro = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    types_add = b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject" /></Types>'
    rels_add = (
        b'<Relationship Id="rIdVBA" Type="http://schemas.microsoft.com/office/2006/relationships/'
        b'vbaProject" Target="vbaProject.bin" /></Relationships>'
    )

    def types(body):
        return body.replace(main, macro).replace(b"</Types>", types_add)

    def rels(body):
        return body.replace(b"</Relationships>", rels_add)

    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b'Sub AutoOpen(): Shell "touch pwned": End Sub' * 20
    return rewrite_zip(
        base_bytes(),
        edits={"[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels},
        add={"xl/vbaProject.bin": vba},
    )


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One corpus entry.

    ``make()`` returns the file's bytes. For invalid cases ``sheet``/``row``/``column`` are
    the location :class:`SpecError` must report and ``says`` are lower-case fragments its
    message must contain. ``tables`` (when the case is a table edit) lets the same
    problem be fed to ``System.from_frames``.
    """

    id: str
    make: Callable[[], bytes]
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    says: tuple = ()
    valid: bool = False
    suffix: str = ".xlsx"
    tables: Callable[[], dict] | None = field(default=None, compare=False)


def _edit(fn) -> tuple:
    """(make, tables) for a case built by editing the base tables with ``fn(tables)``."""

    def tables():
        t = base_tables()
        fn(t)
        return t

    return (lambda: tables_to_bytes(tables())), tables


def _cell_case(id, sheet, row, header, value, says, *, column=None, err_row="same"):
    make, tables = _edit(lambda t: set_cell(t, sheet, row, header, value))
    return Case(id, make, sheet, row if err_row == "same" else err_row, column or header, tuple(says), tables=tables)


def _table_case(id, fn, sheet, row, column, says, **kw):
    make, tables = _edit(fn)
    return Case(id, make, sheet, row, column, tuple(says), tables=tables, **kw)


def _curves(points):
    header = ["Stage", "Object", "Energy (GeV)", "Efficiency"]
    return lambda t: t.__setitem__("Curves", [header] + [list(p) for p in points])


_GOOD_CURVE = [
    ("Intermediate", "muon", 5.0, 0.0),
    ("Intermediate", "muon", 20.0, 0.5),
    ("Intermediate", "muon", 60.0, 0.95),
]


def _unicode(t):
    set_cell(t, "Detectors", DET_ROW["Inner Tracker"], "Detector", "Détecteur interne ✓ 内部")
    for r in t["Detectors"][1:]:
        if r[0] == "Tracking":
            r[0] = "Trajectographie ⟶ τ"
    set_cell(t, "Triggers", STG_ROW["Tracking"], "Name", "Trajectographie ⟶ τ")
    for r in t["Triggers"][1:]:
        if r[1] == "Global":
            r[1] = "Global — niveau 2 😀"
    set_cell(t, "Triggers", STG_ROW["Global"], "Name", "Global — niveau 2 😀")


def _odd_headers(t):
    t["Detectors"][0] = [
        "  category",
        "DETECTOR ",
        "data  (bytes)",
        "Sample rate  ",
        " compression",
        "link efficiency (j/bit)",
        "Op Efficiency (J/op)",
    ]
    t["Triggers"][0][3] = "reduction ratio "
    t["Triggers"][0][4] = " CLASSIFIER"


def _renamed_sheets(t):
    for old, new in (("Detectors", "detectors"), ("Triggers", " TRIGGERS "), ("Global", "global")):
        t[new] = t.pop(old)


def _sheet_xml(member: str, old: bytes, new: bytes) -> Callable[[], bytes]:
    return lambda: rewrite_zip(base_bytes(), edits={member: _replace(old, new)})


DET_XML = "xl/worksheets/sheet1.xml"
STG_XML = "xl/worksheets/sheet2.xml"
_DIM = b'<dimension ref="A1:G20" />'


def _truncated() -> bytes:
    b = base_bytes()
    return b[: len(b) // 2]


def _corrupt_entry() -> bytes:
    """Flip bytes inside the compressed data of the Detectors sheet (CRC mismatch)."""
    b = bytearray(base_bytes())
    zf = zipfile.ZipFile(io.BytesIO(bytes(b)))
    info = zf.getinfo(DET_XML)
    # local header: 30 bytes + name + extra, then the compressed data
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    mid = start + info.compress_size // 2
    for k in range(mid, mid + 8):
        b[k] ^= 0x5A
    return bytes(b)


def _ods() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def _plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "not a spreadsheet")
    return out.getvalue()


def _build_cases() -> list:
    D, T, G = "Detectors", "Triggers", "Global"
    it, imd, glb = DET_ROW["Inner Tracker"], STG_ROW["Intermediate"], STG_ROW["Global"]
    cases = [
        # ---- the file itself
        Case("not-a-workbook", lambda: b"Name,Output,Data (bytes)\nDisk,,0\n", says=("not an .xlsx",)),
        Case("empty-file", lambda: b"", says=("not an .xlsx",)),
        Case("truncated-zip", _truncated, says=("truncated",)),
        Case("zip-without-workbook", _plain_zip, says=("cannot be read as an .xlsx",)),
        Case(
            "old-xls-or-encrypted",
            lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000),
            says=(".xls", "password", "save it as excel workbook (.xlsx)"),
        ),
        Case("opendocument", _ods, says=("opendocument", ".xlsx")),
        Case("corrupt-zip-entry", _corrupt_entry, says=("damaged",)),
        Case("zip-bomb", zip_bomb_bytes, says=("expands to more than",)),
        # ---- sheets
        _table_case("missing-sheet-triggers", lambda t: t.pop(T), T, None, None, ("missing sheet 'triggers'",)),
        _table_case("missing-sheet-global", lambda t: t.pop(G), G, None, None, ("missing sheet 'global'",)),
        _table_case(
            "empty-sheet-detectors", lambda t: t.__setitem__(D, []), D, 1, None, ("sheet is empty", "header row")
        ),
        _table_case("header-only-triggers", lambda t: t.__setitem__(T, t[T][:1]), T, 2, None, ("no trigger stages",)),
        _table_case("header-only-detectors", lambda t: t.__setitem__(D, t[D][:1]), D, 2, None, ("no detectors",)),
        _table_case("header-only-global", lambda t: t.__setitem__(G, t[G][:1]), G, 2, "Year", ("no values row",)),
        # ---- columns
        _table_case(
            "missing-column",
            lambda t: drop_column(t, T, "Reduction Ratio"),
            T,
            1,
            "Reduction Ratio",
            ("missing column 'reduction ratio'",),
        ),
        _table_case(
            "renamed-column",
            lambda t: t[D][0].__setitem__(3, "Sampling rate"),
            D,
            1,
            "Sample Rate",
            ("missing column 'sample rate'", "sampling rate"),
        ),
        _table_case(
            "duplicate-column",
            lambda t: add_column(t, D, "Compression", [0.0]),
            D,
            1,
            "Compression",
            ("appears twice",),
        ),
        _table_case(
            "missing-year-column", lambda t: t[G][0].__setitem__(0, "Yr"), G, 1, "Year", ("missing column 'year'",)
        ),
        _table_case(
            "unnamed-column-with-values",
            lambda t: add_column(t, D, None, [1, 2, 3]),
            D,
            1,
            "column 8",
            ("no header", "give it a name"),
        ),
        # ---- cell types and values
        _cell_case(
            "text-in-number", D, DET_ROW["Outer Tracker 2S"], "Data (bytes)", "lots", ("'lots' is not a number",)
        ),
        _cell_case("empty-number", T, imd, "Reduction Ratio", None, ("empty cell", "reduction ratio >= 1")),
        _cell_case("nan-text", D, DET_ROW["Outer Tracker PS"], "Sample Rate", "NaN", ("nan is not a rate",)),
        _cell_case("inf-text", T, glb, "Data (bytes)", "inf", ("inf is not a size",)),
        _cell_case("huge-number", D, DET_ROW["Track Finder TPG"], "Sample Rate", 1e300, ("1e+300 is not a rate",)),
        _cell_case("negative-size", D, it, "Data (bytes)", -5, ("-5.0 is not a size in bytes >= 0",)),
        _cell_case("zero-rate", D, DET_ROW["Muon RPC"], "Sample Rate", 0, ("0.0 is not a rate in events/s > 0",)),
        _cell_case("negative-rate", D, DET_ROW["Track Finder TPG"], "Sample Rate", -4e7, ("is not a rate",)),
        _cell_case("rr-below-one", T, imd, "Reduction Ratio", 0.5, ("0.5 is not a reduction ratio >= 1",)),
        _cell_case("rr-zero", T, glb, "Reduction Ratio", 0, ("not a reduction ratio >= 1",)),
        _cell_case("compression-one", D, DET_ROW["MIP Timing BTL"], "Compression", 1, ("fraction in [0, 1)",)),
        _cell_case("compression-above-one", T, STG_ROW["Timing"], "Compression", 1.5, ("fraction in [0, 1)",)),
        _cell_case("compression-negative", T, STG_ROW["Tracking"], "Compression", -0.1, ("fraction in [0, 1)",)),
        _cell_case("negative-link-efficiency", T, imd, "Link Efficiency (J/bit)", -2.5e-11, ("j/bit",)),
        _cell_case(
            "date-in-number",
            D,
            DET_ROW["MIP Timing ETL"],
            "Sample Rate",
            _dt.datetime(2024, 1, 1),
            ("date/time 2024-01-01 00:00:00 is not a number", "format the cell as a number"),
        ),
        _cell_case("bool-in-number", D, DET_ROW["ECAL Barrel"], "Data (bytes)", True, ("true is not a number",)),
        _cell_case("bool-in-text", T, glb, "Classifier", False, ("expected text",)),
        _cell_case("formula-number", T, imd, "Reduction Ratio", "=40+13.3", ("formula", "value")),
        _cell_case("formula-text", T, glb, "Classifier", "=A1", ("formula",)),
        _cell_case("year-text", G, 2, "Year", "next year", ("'next year' is not a number",)),
        _cell_case("year-fraction", G, 2, "Year", 2032.5, ("whole year",)),
        _cell_case("year-out-of-range", G, 2, "Year", 3032, ("between 1900 and 2300",)),
        # ---- classifier, complexity, samples
        _cell_case("unknown-classifier", T, glb, "Classifier", "Neural", ("unknown classifier 'neural'", "l1t")),
        _cell_case("classifier-number", T, glb, "Classifier", 3, ("unknown classifier '3'",)),
        _cell_case("empty-classifier", T, imd, "Classifier", None, ("choose a classifier",)),
        _cell_case("gaussian-without-skill", T, glb, "Skill mean", None, ("gaussian classifier needs skill mean",)),
        _cell_case("gaussian-zero-scale", T, glb, "Skill variance", 0, ("standard deviation > 0",)),
        _cell_case("unknown-complexity", T, glb, "Complexity", "hlt-tpu", ("unknown complexity 'hlt-tpu'", "poly:")),
        _cell_case("poly-empty-coefficient", T, glb, "Complexity", "poly:1e-7,,2e-20", ("unknown complexity",)),
        _cell_case("poly-no-coefficients", T, imd, "Complexity", "poly:", ("unknown complexity",)),
        _cell_case("poly-words", T, imd, "Complexity", "poly:a,b,c", ("unknown complexity",)),
        _cell_case("poly-infinite", T, glb, "Complexity", "poly:1e999", ("finite",)),
        _cell_case(
            "poly-negative-coefficient", T, glb, "Complexity", "poly:1e-7,-1e-6,1e-20", ("between 0 and", "negative")
        ),
        _cell_case("poly-huge-coefficient", T, imd, "Complexity", "poly:1e300,1,1", ("between 0 and", "infinite")),
        _cell_case("poly-with-constant-expression", T, glb, "Complexity", "poly:2**1000", ("unknown complexity",)),
        _cell_case(
            "complexity-code",
            T,
            glb,
            "Complexity",
            f"__import__('os').system('touch {INJECTION_MARKER}')",
            ("unknown complexity",),
        ),
        _table_case(
            "samples-fraction",
            lambda t: add_column(t, T, "Samples", [1000, 1000, 1000, 1000, 1000.5]),
            T,
            imd,
            "Samples",
            ("1000.5", "whole number"),
        ),
        _table_case(
            "samples-too-few",
            lambda t: add_column(t, T, "Samples", [50_000, 5]),
            T,
            STG_ROW["Timing"],
            "Samples",
            ("between 10 and",),
        ),
        _table_case(
            "unknown-calibration",
            lambda t: add_column(t, T, "Calibration", ["published", "magic"]),
            T,
            STG_ROW["Timing"],
            "Calibration",
            ("unknown calibration 'magic'", "per-object"),
        ),
        # ---- names and wiring
        _cell_case("unknown-output", T, glb, "Output", "Diskk", ("unknown output 'diskk'", "disk")),
        _cell_case("self-loop", T, glb, "Output", "Global", ("outputs to itself",)),
        _cell_case(
            "cycle", T, glb, "Output", "Intermediate", ("cycle", "intermediate -> global -> intermediate"), err_row=imd
        ),
        _cell_case("no-sink", T, STG_ROW["Disk"], "Output", "Global", ("no sink", "empty output"), err_row=None),
        _cell_case(
            "two-sinks",
            T,
            glb,
            "Output",
            None,
            ("several sinks", "'global' (row 7)", "'disk' (row 8)"),
            err_row=STG_ROW["Disk"],
        ),
        _cell_case(
            "unknown-category",
            D,
            DET_ROW["HCAL Barrel"],
            "Category",
            "Calorimeter",
            ("unknown category 'calorimeter'", "calorimetry"),
        ),
        _cell_case("empty-category", D, DET_ROW["Outer Tracker PS"], "Category", None, ("which stage",)),
        _cell_case(
            "duplicate-detector",
            D,
            DET_ROW["Outer Tracker 2S"],
            "Detector",
            "Inner Tracker",
            ("duplicate name 'inner tracker'", "detectors row 2"),
        ),
        _cell_case("duplicate-stage", T, STG_ROW["Timing"], "Name", "Tracking", ("duplicate name 'tracking'",)),
        _cell_case(
            "detector-named-like-stage", D, it, "Detector", "Global", ("duplicate name 'global'", "triggers row 7")
        ),
        _cell_case("empty-name", T, STG_ROW["Muon"], "Name", None, ("empty name",)),
        # ---- curves
        _table_case(
            "curve-efficiency-above-one",
            _curves(_GOOD_CURVE[:1] + [("Intermediate", "muon", 20.0, 1.5)]),
            "Curves",
            3,
            "Efficiency",
            ("outside [0, 1]",),
        ),
        _table_case(
            "curve-unknown-stage",
            _curves([("Level 1", "muon", 5.0, 0.1)]),
            "Curves",
            2,
            "Stage",
            ("unknown stage 'level 1'",),
        ),
        _table_case(
            "curve-unknown-object",
            _curves(_GOOD_CURVE + [("Intermediate", "photon", 5.0, 0.1)]),
            "Curves",
            5,
            "Object",
            ("unknown trigger object 'photon'", "egamma"),
        ),
        _table_case(
            "curve-text-energy",
            _curves([("Intermediate", "muon", "high", 0.1)]),
            "Curves",
            2,
            "Energy (GeV)",
            ("'high' is not a number",),
        ),
        # ---- sheet XML
        Case(
            "too-many-rows",
            _sheet_xml(DET_XML, b"</sheetData>", b'<row r="20000"><c r="A20000" t="n"><v>1</v></c></row></sheetData>'),
            D,
            None,
            None,
            ("more than 10000 rows",),
        ),
        Case(
            "cell-in-last-column",
            _sheet_xml(DET_XML, b"</row></sheetData>", b'<c r="XFD20" t="n"><v>1</v></c></row></sheetData>'),
            D,
            20,
            None,
            ("more than 200 columns",),
        ),
        Case(
            "nan-in-xml",
            _sheet_xml(DET_XML, b'<c r="D3" t="n"><v>40000000</v>', b'<c r="D3" t="n"><v>NaN</v>'),
            D,
            3,
            None,
            ("sheet cannot be read", "'nan'"),
        ),
        Case(
            "inf-in-xml",
            _sheet_xml(DET_XML, b'<c r="C4" t="n"><v>430000</v>', b'<c r="C4" t="n"><v>INF</v>'),
            D,
            4,
            None,
            ("sheet cannot be read", "'inf'"),
        ),
        # ---- valid but unusual: must load
        Case("unicode-names", _edit(_unicode)[0], valid=True, tables=_edit(_unicode)[1]),
        Case("headers-with-spaces-and-case", _edit(_odd_headers)[0], valid=True, tables=_edit(_odd_headers)[1]),
        Case("sheet-names-other-case", _edit(_renamed_sheets)[0], valid=True),
        Case(
            "extra-named-column", _edit(lambda t: add_column(t, D, "PU 200 (MB)", [1.44, None, "n/a"]))[0], valid=True
        ),
        Case("valid-curves", _edit(_curves(_GOOD_CURVE))[0], valid=True),
        Case("macro-workbook", _macro_workbook, valid=True, suffix=".xlsm"),
        Case("absurd-dimension", _sheet_xml(DET_XML, _DIM, b'<dimension ref="A1:XFD1048576"/>'), valid=True),
        Case("too-small-dimension", _sheet_xml(DET_XML, _DIM, b'<dimension ref="A1:G10"/>'), valid=True),
        Case("no-dimension", _sheet_xml(DET_XML, _DIM, b""), valid=True),
    ]
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases


CASES = _build_cases()
INVALID = [c for c in CASES if not c.valid]
VALID = [c for c in CASES if c.valid]


def case(id: str) -> Case:
    return next(c for c in CASES if c.id == id)


def case_bytes(c: Case) -> bytes:
    return c.make()


def write_case(c: Case, directory) -> Path:
    """Write a case's file into ``directory`` and return its path."""
    p = Path(directory) / f"{c.id}{c.suffix}"
    p.write_bytes(c.make())
    return p
