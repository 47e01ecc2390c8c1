"""Workbooks written the way Excel writes them, byte by byte, for the reader's tests.

openpyxl cannot save a formula together with the value Excel computed for it, so this
helper writes the .xlsx parts itself: shared strings, formula cells with (or without)
their cached ``<v>`` values, optional comments, defined names, styles and extra parts.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


@dataclass(frozen=True)
class F:
    """A formula cell: ``text`` without the leading ``=``; ``cached`` the saved value (or None)."""

    text: str
    cached: object = None


def _col(j: int) -> str:
    letters = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _cell(ref: str, v, strings: dict, style: int) -> str:
    s = f' s="{style}"' if style else ""
    if isinstance(v, F):
        f = f"<f>{escape(v.text)}</f>"
        if v.cached is None:
            return f'<c r="{ref}"{s}>{f}</c>'
        if isinstance(v.cached, str):
            return f'<c r="{ref}"{s} t="str">{f}<v>{escape(v.cached)}</v></c>'
        if isinstance(v.cached, bool):
            return f'<c r="{ref}"{s} t="b">{f}<v>{int(v.cached)}</v></c>'
        return f'<c r="{ref}"{s}>{f}<v>{v.cached!r}</v></c>'
    if isinstance(v, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (int, float)):
        return f'<c r="{ref}"{s}><v>{v!r}</v></c>'
    idx = strings.setdefault(str(v), len(strings))
    return f'<c r="{ref}"{s} t="s"><v>{idx}</v></c>'


def sheet_xml(rows, strings: dict, *, style: int = 0, before_data: str = "") -> str:
    body = []
    for i, row in enumerate(rows):
        cells = "".join(_cell(f"{_col(j)}{i + 1}", v, strings, style) for j, v in enumerate(row) if v is not None)
        body.append(f'<row r="{i + 1}">{cells}</row>')
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">'
        f"{before_data}<sheetData>{''.join(body)}</sheetData></worksheet>"
    )


def excel_workbook(
    sheets: dict,
    *,
    comments: bool = False,
    defined_names: tuple = (),
    styled: bool = False,
    extra_parts: dict | None = None,
) -> bytes:
    """``{title: rows}`` as .xlsx bytes; rows hold numbers, text, booleans, :class:`F` or None."""
    strings: dict = {}
    parts = {}
    for k, rows in enumerate(sheets.values(), start=1):
        parts[f"xl/worksheets/sheet{k}.xml"] = sheet_xml(rows, strings, style=1 if styled else 0)
    sst = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    parts["xl/sharedStrings.xml"] = (
        f'<sst xmlns="{_MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>'
    )
    parts["xl/styles.xml"] = (
        f'<styleSheet xmlns="{_MAIN}"><numFmts count="1"><numFmt numFmtId="164" formatCode="0.00"/></numFmts>'
        '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>'
    )
    sheet_entries = "".join(
        f'<sheet name={quoteattr(t)} sheetId="{k}" r:id="rId{k}"/>' for k, t in enumerate(sheets, start=1)
    )
    names = "".join(f'<definedName name="{n}">{escape(ref)}</definedName>' for n, ref in defined_names)
    parts["xl/workbook.xml"] = (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{sheet_entries}</sheets>'
        + (f"<definedNames>{names}</definedNames>" if names else "")
        + "</workbook>"
    )
    n = len(sheets)
    rels = "".join(
        f'<Relationship Id="rId{k}" Type="{_REL}/worksheet" Target="worksheets/sheet{k}.xml"/>' for k in range(1, n + 1)
    )
    rels += f'<Relationship Id="rId{n + 1}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    rels += f'<Relationship Id="rId{n + 2}" Type="{_REL}/styles" Target="styles.xml"/>'
    parts["xl/_rels/workbook.xml.rels"] = f'<Relationships xmlns="{_PKG}">{rels}</Relationships>'
    parts["_rels/.rels"] = (
        f'<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    )
    parts["[Content_Types].xml"] = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/></Types>'
    )
    if comments:
        parts["xl/comments1.xml"] = f'<comments xmlns="{_MAIN}"><authors><author>me</author></authors></comments>'
    parts.update(extra_parts or {})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, body if isinstance(body, bytes) else body.encode("utf-8"))
    return out.getvalue()


def rows_of(system, sheet: str) -> list:
    """``[header, *rows]`` of one of a System's tables (plain values, NaN as None)."""
    import math

    frame = {"Detectors": system.detectors, "Triggers": system.stages}[sheet]
    rows = [list(frame.columns)]
    for rec in frame.itertuples(index=False, name=None):
        rows.append([None if isinstance(v, float) and math.isnan(v) else v for v in rec])
    return rows
