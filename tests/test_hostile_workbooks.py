"""Hostile workbooks (a few hundred KB that inflate to hundreds of MB of XML) are refused
with a SpecError while being read, in bounded memory: each is loaded in a fresh process
whose peak resident memory (``resource.getrusage``) is reported back."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import pytest
from malformed import DET_XML, base_bytes

MiB = 1 << 20

_LOADER = """
import json, resource, sys
from twidgets import SpecError
from twidgets.model.io import read_workbook
try:
    read_workbook(sys.argv[1])
    outcome = "loaded"
except SpecError as e:
    outcome = "SpecError: " + str(e)
except BaseException as e:
    outcome = type(e).__name__ + ": " + str(e)
rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes
print(json.dumps({"outcome": outcome, "rss_mib": rss_mib}))
"""


def _bulk_zip(member: str, head: bytes, unit: bytes, size: int, tail: bytes, *, also: dict | None = None) -> bytes:
    """The base workbook with ``member`` (replaced or added) = head + ``size`` bytes of ``unit`` + tail."""
    src = zipfile.ZipFile(io.BytesIO(base_bytes()))
    out = io.BytesIO()
    chunk = unit * (MiB // len(unit))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if info.filename != member:
                dst.writestr(info.filename, (also or {}).get(info.filename, src.read(info.filename)))
        with dst.open(member, "w", force_zip64=True) as f:
            f.write(head)
            for _ in range(size // len(chunk)):
                f.write(chunk)
            f.write(tail)
    return out.getvalue()


def _sheet_with_bulk_before_data(size: int) -> bytes:
    body = zipfile.ZipFile(io.BytesIO(base_bytes())).read(DET_XML)
    head, rest = body.split(b"<sheetData>", 1)
    return _bulk_zip(DET_XML, head, b"<x/>", size, b"<sheetData>" + rest)


def _styles_bulk(size: int, *, dated_cell: bool) -> bytes:
    also = {}
    if dated_cell:  # a styled number cell makes the reader look up its number format
        body = zipfile.ZipFile(io.BytesIO(base_bytes())).read(DET_XML)
        also[DET_XML] = body.replace(b'<c r="D3" t="n">', b'<c r="D3" s="1" t="n">', 1)
    return _bulk_zip("xl/styles.xml", b"<styleSheet><cellXfs>", b"<xf/>", size, b"</cellXfs></styleSheet>", also=also)


def _shared_strings(size: int, unit: bytes) -> bytes:
    """A sharedStrings part (linked from the workbook's relationships) of ``size`` bytes of ``unit``."""
    rels = "xl/_rels/workbook.xml.rels"
    body = zipfile.ZipFile(io.BytesIO(base_bytes())).read(rels)
    link = (
        b'<Relationship Id="rIdSST" Target="sharedStrings.xml" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/sharedStrings"/></Relationships>'
    )
    head = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
    return _bulk_zip(
        "xl/sharedStrings.xml",
        head,
        unit,
        size,
        b"</t></si></sst>",
        also={rels: body.replace(b"</Relationships>", link)},
    )


def _long_string(size: int) -> bytes:
    return _shared_strings(size, b"x")


def _many_strings(size: int) -> bytes:
    return _shared_strings(size, b"</t></si><si><t>")


HOSTILE = {
    # (make, what the SpecError must say)
    "390 MiB of empty elements before sheetData": (lambda: _sheet_with_bulk_before_data(390 * MiB), "expands to"),
    "100 MiB of empty elements before sheetData": (lambda: _sheet_with_bulk_before_data(100 * MiB), "xml tags"),
    "390 MiB styles.xml": (lambda: _styles_bulk(390 * MiB, dated_cell=False), "expands to"),
    "100 MiB styles.xml read for a styled cell": (lambda: _styles_bulk(100 * MiB, dated_cell=True), "styles.xml"),
    "100 MiB shared string": (lambda: _long_string(100 * MiB), "characters of text"),
    "100 MiB of shared strings": (lambda: _many_strings(100 * MiB), "xml tags"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_workbook_is_a_spec_error_in_bounded_memory(name, tmp_path):
    make, says = HOSTILE[name]
    data = make()
    assert len(data) < 2 * MiB  # small on disk, huge once inflated
    path = tmp_path / "hostile.xlsx"
    path.write_bytes(data)
    r = subprocess.run(
        [sys.executable, "-c", _LOADER, str(path)], capture_output=True, text=True, timeout=300
    )  # the timeout only guards against a hang
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["outcome"].startswith("SpecError: "), result
    assert says in result["outcome"].lower(), result
    assert result["rss_mib"] < 1024, result


def test_an_unknown_encoding_in_an_xml_declaration_is_a_spec_error(tmp_path):
    """Found by the fuzz test: one flipped byte turned 'UTF-8' into 'U-F-8' (expat raised LookupError)."""
    import zipfile

    import twidgets
    from twidgets.model.errors import SpecError

    good = tmp_path / "good.xlsx"
    twidgets.load_system("cms-hllhc-pu200").to_xlsx(good)
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = b'<?xml version="1.0" encoding="U-F-8" standalone="yes"?>\n' + data.split(b"?>", 1)[-1]
            zout.writestr(item, data)
    with pytest.raises(SpecError, match=r"sheet1\.xml.*unknown encoding"):
        twidgets.System.from_xlsx(bad)
