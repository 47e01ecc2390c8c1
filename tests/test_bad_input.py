"""Malformed workbooks and tables: every failure is a SpecError at the right place.

The corpus lives in ``tests/malformed.py``; each case breaks one thing in the bundled
pile-up-200 workbook and states where the error must point (sheet, spreadsheet row,
column header) and what the message must say.
"""

from __future__ import annotations

import io
import os
import pickle

import malformed
import numpy as np
import openpyxl
import pandas as pd
import pytest
from malformed import INVALID, VALID, case, write_case

import twidgets
from twidgets import SpecError, System
from twidgets.model import io as tio
from twidgets.model.complexity import parse_complexity
from twidgets.model.errors import ParameterError


def _assert_located(err: SpecError, c: malformed.Case, *, column=True):
    assert type(err) is SpecError
    assert (err.sheet, err.row) == (c.sheet, c.row), f"{c.id}: got {err!r}"
    if column:
        assert err.column == c.column, f"{c.id}: got column {err.column!r}"
    text = str(err).lower()
    for fragment in c.says:
        assert fragment in text, f"{c.id}: {fragment!r} not in {str(err)!r}"
    # the message starts with the location, then says what is wrong
    prefix = ", ".join(
        p
        for p in (
            f"sheet {c.sheet!r}" if c.sheet else "",
            f"row {c.row}" if c.row else "",
            f"column {c.column!r}" if (c.column and column) else "",
        )
        if p
    )
    assert str(err).startswith(prefix), str(err)
    assert err.problem and err.problem in str(err)


def test_corpus_is_large_enough():
    assert len(INVALID) >= 30
    assert len({c.id for c in malformed.CASES}) == len(malformed.CASES)
    # every kind of location appears: whole file, sheet only, header row, data cells
    assert any(c.sheet is None for c in INVALID)
    assert any(c.sheet and c.row is None for c in INVALID)
    assert any(c.row == 1 for c in INVALID)
    assert any(c.row and c.row > 1 and c.column for c in INVALID)


@pytest.fixture(scope="module")
def base():
    return twidgets.load_system(malformed.BASE)


@pytest.mark.parametrize("c", INVALID, ids=lambda c: c.id)
def test_invalid_workbook_raises_located_spec_error(c, tmp_path):
    path = write_case(c, tmp_path)
    data = path.read_bytes()
    for load in (
        lambda: twidgets.load_system(str(path)),
        lambda: System.from_xlsx(path),
        lambda: tio.read_workbook(io.BytesIO(data) if c.suffix == ".xlsx" else data),
    ):
        with pytest.raises(SpecError) as info:
            load()
        _assert_located(info.value, c)


# From tables, the same problems must be found at the same place. Problems of the file
# container or sheet XML have no table form.
_TABLE_CASES = [c for c in INVALID if c.tables is not None]
# cases whose problem only exists in a sheet (a table cannot be "empty of a header row",
# and a frame with an unnamed column names it by pandas' label)
_SHEET_ONLY = {"empty-sheet-detectors", "missing-sheet-triggers", "missing-sheet-global"}


@pytest.mark.parametrize("c", [c for c in _TABLE_CASES if c.id not in _SHEET_ONLY], ids=lambda c: c.id)
def test_invalid_tables_raise_the_same_spec_error(c):
    frames = malformed.tables_to_frames(c.tables())
    with pytest.raises(SpecError) as info:
        System.from_frames(frames["Detectors"], frames["Triggers"], frames["Global"], curves=frames.get("Curves"))
    _assert_located(info.value, c, column=c.id != "unnamed-column-with-values")


@pytest.mark.parametrize("sheet", ["Detectors", "Triggers", "Global"])
def test_missing_or_wrong_tables_in_from_frames(sheet):
    frames = malformed.tables_to_frames(malformed.base_tables())
    for bad in (None, "Detectors", 42, [[1, 2]], pd.DataFrame()):
        args = {k: frames[k] for k in ("Detectors", "Triggers", "Global")}
        args[sheet] = bad
        with pytest.raises(SpecError) as info:
            System.from_frames(args["Detectors"], args["Triggers"], args["Global"])
        assert info.value.sheet == sheet


def test_globals_mapping_without_year():
    frames = malformed.tables_to_frames(malformed.base_tables())
    with pytest.raises(SpecError) as info:
        System.from_frames(frames["Detectors"], frames["Triggers"], {"Yr": 2032})
    assert (info.value.sheet, info.value.row, info.value.column) == ("Global", 1, "Year")


# --------------------------------------------------------------------------- valid oddities


@pytest.mark.parametrize("c", VALID, ids=lambda c: c.id)
def test_unusual_but_valid_workbooks_load(c, tmp_path):
    path = write_case(c, tmp_path)
    s = twidgets.load_system(path)
    assert isinstance(s, System)
    assert s == tio.read_workbook(path.read_bytes())
    ev = twidgets.evaluate(s)
    assert np.isfinite(ev.power) and ev.power > 0


@pytest.mark.parametrize(
    "cid",
    [
        "absurd-dimension",
        "too-small-dimension",
        "no-dimension",
        "macro-workbook",
        "headers-with-spaces-and-case",
        "sheet-names-other-case",
    ],
)
def test_valid_variants_read_the_same_system(cid, base, tmp_path):
    s = twidgets.load_system(write_case(case(cid), tmp_path))
    assert s == base
    assert len(s.detector_names) == 19  # nothing beyond a declared dimension is lost


def test_unicode_names_load_and_keep_the_numbers(base, tmp_path):
    s = twidgets.load_system(write_case(case("unicode-names"), tmp_path))
    assert "Détecteur interne ✓ 内部" in s.detector_names
    assert "Trajectographie ⟶ τ" in s.stage_names and "Global — niveau 2 😀" in s.stage_names
    assert s.node("Détecteur interne ✓ 内部").output == "Trajectographie ⟶ τ"
    assert s.node("Intermediate").output == "Global — niveau 2 😀"
    assert s.param("Global — niveau 2 😀.reduction_ratio") == 100.0
    a, b = twidgets.evaluate(s), twidgets.evaluate(base)
    assert a.power == b.power and a.f1 == b.f1
    assert np.array_equal(a.confusion, b.confusion)


def test_extra_column_is_kept(tmp_path):
    s = twidgets.load_system(write_case(case("extra-named-column"), tmp_path))
    col = s.detectors["PU 200 (MB)"]
    assert col.iloc[0] == 1.44 and pd.isna(col.iloc[1]) and col.iloc[2] == "n/a"


def test_valid_curves_reach_the_classifier(tmp_path, base):
    s = twidgets.load_system(write_case(case("valid-curves"), tmp_path))
    curves = dict(s.node("Intermediate").curves)
    assert curves["muon"] == ((5.0, 20.0, 60.0), (0.0, 0.5, 0.95))
    ev = twidgets.evaluate(s)
    assert np.isfinite(ev.f1)
    # the measured muon curve changes the L1T scores
    assert not np.array_equal(
        ev.classifier("Intermediate").null_scores, twidgets.evaluate(base).classifier("Intermediate").null_scores
    )


@pytest.mark.parametrize(
    "points, problem",
    [
        ([("Intermediate", "muon", 5.0, 0.1)], "at least two"),
        ([("Intermediate", "muon", 5.0, 0.1), ("Intermediate", "muon", 5.0, 0.2)], "distinct"),
    ],
)
def test_unusable_curves_are_spec_errors(points, problem):
    t = malformed.base_tables()
    t["Curves"] = [["Stage", "Object", "Energy (GeV)", "Efficiency"]] + [list(p) for p in points]
    with pytest.raises(SpecError) as info:
        tio.read_workbook(malformed.tables_to_bytes(t))
    assert (info.value.sheet, info.value.row, info.value.column) == ("Curves", 2, "Energy (GeV)")
    assert problem in str(info.value)


def test_macros_are_not_kept(tmp_path):
    path = write_case(case("macro-workbook"), tmp_path)
    with zipfile_open(path) as zf:
        assert "xl/vbaProject.bin" in zf.namelist()
    s = twidgets.load_system(path)
    out = tmp_path / "saved.xlsx"
    s.to_xlsx(out)
    with zipfile_open(out) as zf:
        assert not any("vba" in n.lower() for n in zf.namelist())


def zipfile_open(path):
    import zipfile

    return zipfile.ZipFile(path)


# --------------------------------------------------------------------------- uploads / safety


def test_defusedxml_guards_openpyxl():
    import defusedxml  # noqa: F401  (a dependency: openpyxl uses it when importable)
    from defusedxml import EntitiesForbidden
    from openpyxl.xml.functions import fromstring

    assert openpyxl.DEFUSEDXML is True
    with pytest.raises(EntitiesForbidden):  # openpyxl's own XML parser refuses entity declarations
        fromstring(b'<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>')


def test_xml_entity_expansion_is_refused():
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    )

    def add_doctype(body):
        return bomb + body.split(b"?>", 1)[1] if body.startswith(b"<?xml") else bomb + body

    def use_entity(body):
        return add_doctype(body).replace(b"<t>Inner Tracker</t>", b"<t>&lol2;</t>")

    for edits in ({"xl/workbook.xml": add_doctype}, {malformed.DET_XML: use_entity}):
        data = malformed.rewrite_zip(malformed.base_bytes(), edits=edits)
        with pytest.raises(SpecError) as info:
            tio.read_workbook(data)
        assert "cannot be read" in str(info.value)
        assert "lollol" not in str(info.value)


def test_size_limit(tmp_path):
    big = b"PK\x03\x04" + b"\0" * tio.MAX_BYTES
    path = tmp_path / "big.xlsx"
    path.write_bytes(big)
    for load in (
        lambda: twidgets.load_system(path),
        lambda: tio.read_workbook(big),
        lambda: tio.read_workbook(io.BytesIO(big)),
    ):
        with pytest.raises(SpecError) as info:
            load()
        assert info.value.sheet is None
        assert f"{tio.MAX_BYTES / 1e6:.0f} MB" in str(info.value)


@pytest.mark.parametrize("source", [123, None, ["a.xlsx"], io.StringIO("Name,Output"), 2.5])
def test_wrong_kind_of_source_is_a_spec_error(source):
    with pytest.raises(SpecError) as info:
        twidgets.load_system(source)
    assert info.value.sheet is None
    assert "binary" in str(info.value)


def test_missing_file_and_unknown_name(tmp_path):
    with pytest.raises(SpecError, match="file not found"):
        twidgets.load_system(tmp_path / "nope.xlsx")
    with pytest.raises(SpecError, match="cms-hllhc-pu200"):
        twidgets.load_system("cms-hllhc-pu300")
    with pytest.raises(SpecError):
        twidgets.load_system(str(tmp_path))  # a directory


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('touch {m}')",
        "poly:__import__('os').system('touch {m}')",
        "poly:1,open('{m}','w')",
        "lambda x: open('{m}', 'w')",
        "exec(\"open('{m}','w')\")",
        "poly:1e-7;import os",
        "{{}}.__class__",
    ],
)
def test_complexity_strings_are_parsed_never_evaluated(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = text.format(m=malformed.INJECTION_MARKER)
    with pytest.raises(ParameterError, match="unknown complexity"):
        parse_complexity(text)
    t = malformed.set_cell(malformed.base_tables(), "Triggers", malformed.STG_ROW["Global"], "Complexity", text)
    with pytest.raises(SpecError) as info:
        tio.read_workbook(malformed.tables_to_bytes(t))
    assert (info.value.sheet, info.value.row, info.value.column) == ("Triggers", 7, "Complexity")
    assert not os.path.exists(tmp_path / malformed.INJECTION_MARKER)


def test_code_injection_corpus_case_creates_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_case(case("complexity-code"), tmp_path)
    with pytest.raises(SpecError):
        twidgets.load_system(path)
    assert not (tmp_path / malformed.INJECTION_MARKER).exists()


def test_formulas_are_reported_not_computed(tmp_path):
    # a cached value next to the formula must not be used either: values only
    with pytest.raises(SpecError) as info:
        twidgets.load_system(write_case(case("formula-number"), tmp_path))
    assert "=40+13.3" in str(info.value)
    assert "53.3" not in str(info.value)


def test_spec_error_survives_pickling():
    with pytest.raises(SpecError) as info:
        tio.read_workbook(case("rr-below-one").make())
    e = pickle.loads(pickle.dumps(info.value))
    assert type(e) is SpecError
    assert (e.sheet, e.row, e.column, str(e)) == (info.value.sheet, info.value.row, info.value.column, str(info.value))
