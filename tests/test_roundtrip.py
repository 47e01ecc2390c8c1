"""load -> to_xlsx -> load gives the identical System: every column, order and dtype."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import twidgets
from twidgets import SpecError, System
from twidgets.model import io as tio


def _roundtrip(s: System, tmp_path, name="rt.xlsx") -> System:
    path = tmp_path / name
    s.to_xlsx(path)
    return System.from_xlsx(path)


def _assert_identical(a: System, b: System):
    assert a == b
    pd.testing.assert_frame_equal(a.detectors, b.detectors, check_exact=True)
    pd.testing.assert_frame_equal(a.stages, b.stages, check_exact=True)
    assert a.globals == b.globals
    assert [type(v) for v in a.globals.values()] == [type(v) for v in b.globals.values()]
    if a.curves is None:
        assert b.curves is None
    else:
        pd.testing.assert_frame_equal(a.curves, b.curves, check_exact=True)
    assert [
        (
            n.name,
            n.kind,
            n.output,
            dict(n.params),
            n.classifier,
            n.complexity,
            n.n_samples,
            n.calibration,
            n.curves,
            n.preds,
        )
        for n in a.nodes
    ] == [
        (
            n.name,
            n.kind,
            n.output,
            dict(n.params),
            n.classifier,
            n.complexity,
            n.n_samples,
            n.calibration,
            n.curves,
            n.preds,
        )
        for n in b.nodes
    ]


@pytest.mark.parametrize("name", twidgets.list_systems())
def test_bundled_systems_round_trip(name, tmp_path):
    s = twidgets.load_system(name)
    back = _roundtrip(s, tmp_path)
    _assert_identical(s, back)
    a, b = twidgets.evaluate(s), twidgets.evaluate(back)
    assert a.power == b.power and a.f1 == b.f1 and np.array_equal(a.confusion, b.confusion)


def test_bundled_workbook_bytes_read_the_same_as_the_written_copy(tmp_path):
    # the writer reproduces the bundled sheets: same sheet names, headers and values
    import openpyxl
    from malformed import base_bytes

    s = twidgets.load_system("cms-hllhc-pu200")
    buf = io.BytesIO()
    s.to_xlsx(buf)
    ours = openpyxl.load_workbook(io.BytesIO(buf.getvalue()))
    theirs = openpyxl.load_workbook(io.BytesIO(base_bytes()))
    assert ours.sheetnames == theirs.sheetnames == ["Detectors", "Triggers", "Global"]
    for title in ours.sheetnames:
        rows_a = [tuple(r) for r in ours[title].iter_rows(values_only=True)]
        rows_b = [tuple(r) for r in theirs[title].iter_rows(values_only=True)]
        assert [tuple(x if x not in ("", None) else None for x in r) for r in rows_a] == [
            tuple(x if x not in ("", None) else None for x in r) for r in rows_b
        ]


@pytest.fixture(scope="module")
def rich():
    """pu200 with extra columns of every kind, extra globals and a Curves sheet."""
    s = twidgets.load_system("cms-hllhc-pu200")
    det, stg = s.detectors, s.stages
    n, m = len(det), len(stg)
    det.insert(2, "Notes", [f"note {i} ✓" if i % 3 else None for i in range(n)])  # text between columns
    det["Channels"] = np.arange(n, dtype=np.int64) * 1000
    det["PU 200 (MB)"] = [i / 10 if i % 4 else np.nan for i in range(n)]
    det["Installed"] = [bool(i % 2) for i in range(n)]
    det["Since"] = pd.Timestamp("2024-05-01")
    det["Mixed"] = [i if i % 2 else f"v{i}" for i in range(n)]
    # (no "" here: a spreadsheet cell cannot hold empty text, "" reads back as missing)
    stg["Owner"] = ["Zoë", "Ólafur", "李", "Ψ", "=not a formula", None, "x"][:m]
    stg = stg[["Name", "Owner"] + [c for c in stg.columns if c not in ("Name", "Owner")]]  # new order
    curves = pd.DataFrame(
        {
            "Stage": ["Intermediate"] * 3,
            "Object": ["muon"] * 3,
            "Energy (GeV)": [5.0, 20.0, 60.0],
            "Efficiency": [0.0, 0.5, 0.95],
        }
    )
    return System.from_frames(
        det, stg, {"Year": 2032, "Comment": "from a colleague", "Lumi": 7.5, "Runs": 3}, curves=curves, name="rich"
    )


def test_extra_columns_globals_and_curves_round_trip(rich, tmp_path):
    back = _roundtrip(rich, tmp_path)
    _assert_identical(rich, back)
    # the extras are all there, in place, with their dtypes
    assert list(back.detectors.columns[:3]) == ["Category", "Detector", "Notes"]
    assert back.detectors["Channels"].dtype == np.int64
    assert back.detectors["PU 200 (MB)"].isna().sum() == 5
    assert back.detectors["Installed"].dtype == bool
    assert back.detectors["Since"].iloc[0] == pd.Timestamp("2024-05-01")
    assert back.detectors["Mixed"].tolist()[:3] == ["v0", 1, "v2"]
    assert list(back.stages.columns[:2]) == ["Name", "Owner"]
    assert back.stages["Owner"].iloc[4] == "=not a formula"
    assert back.globals == {"Year": 2032, "Comment": "from a colleague", "Lumi": 7.5, "Runs": 3}
    assert back.curves["Energy (GeV)"].tolist() == [5.0, 20.0, 60.0]


def test_text_that_looks_like_a_formula_is_written_as_text(rich):
    buf = io.BytesIO()
    rich.to_xlsx(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        xml = b"".join(zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/"))
    assert b"<f>" not in xml
    assert b"=not a formula" in xml


def test_control_characters_are_a_located_error(tmp_path):
    s = twidgets.load_system("cms-hllhc-pu200")
    det = s.detectors
    det["Notes"] = ["ok"] * len(det)
    det.loc[3, "Notes"] = "bell\x07"
    bad = System.from_frames(det, s.stages, s.globals)
    with pytest.raises(SpecError) as info:
        bad.to_xlsx(tmp_path / "x.xlsx")
    assert (info.value.sheet, info.value.row, info.value.column) == ("Detectors", 5, "Notes")


def test_round_trip_is_stable(rich, tmp_path):
    once = _roundtrip(rich, tmp_path, "a.xlsx")
    twice = _roundtrip(once, tmp_path, "b.xlsx")
    _assert_identical(once, twice)


def test_unicode_names_round_trip(tmp_path):
    s = twidgets.load_system("cms-hllhc-pu200")
    s = s.rename("Inner Tracker", "Détecteur interne ✓ 内部").rename("Global", "Global — niveau 2 😀")
    s = s.rename("Tracking", "Trajectographie ⟶ τ")
    back = _roundtrip(s, tmp_path)
    _assert_identical(s, back)
    assert back.node("Intermediate").output == "Global — niveau 2 😀"
    assert back.node("Détecteur interne ✓ 内部").output == "Trajectographie ⟶ τ"


@pytest.mark.parametrize(
    "edit, check",
    [
        (
            lambda s: s.with_stage("Intermediate", reduction_ratio=80, skill_boost=0.4),
            lambda s: (s.param("Intermediate.reduction_ratio"), s.param("Intermediate.skill_boost")) == (80.0, 0.4),
        ),
        (
            lambda s: s.with_detector("Inner Tracker", data_bytes=662_400, compression=0.25),
            lambda s: (s.param("Inner Tracker.data_bytes"), s.param("Inner Tracker.compression")) == (662_400.0, 0.25),
        ),
        (lambda s: s.with_year(2030), lambda s: s.year == 2030),
        (
            lambda s: s.with_params({"Global.complexity": "hlt-gpu", "year": 2029}),
            lambda s: s.param("Global.complexity") == "hlt-gpu" and s.year == 2029,
        ),
        (
            lambda s: s.with_stage("Global", complexity="poly:1e-7,2e-13,2e-20", classifier="L1T"),
            lambda s: s.param("Global.complexity") == "poly:1e-7,2e-13,2e-20" and s.param("Global.classifier") == "L1T",
        ),
        (
            lambda s: s.with_stage("Intermediate", n_samples=2000, calibration="per-object"),
            lambda s: s.param("Intermediate.n_samples") == 2000 and s.param("Intermediate.calibration") == "per-object",
        ),
        (lambda s: s.with_stage("Timing", output="Global"), lambda s: s.node("Timing").output == "Global"),
        (lambda s: s.rename("Disk", "Tape"), lambda s: s.sink == "Tape"),
    ],
    ids=["rr-boost", "detector", "year", "params", "poly-classifier", "samples-calibration", "rewire", "rename"],
)
def test_edits_survive_a_round_trip(edit, check, tmp_path):
    s = edit(twidgets.load_system("cms-hllhc-pu200"))
    assert check(s)
    back = _roundtrip(s, tmp_path)
    assert check(back)
    _assert_identical(s, back)


def test_callable_complexity_cannot_be_saved(tmp_path):
    s = twidgets.load_system("cms-hllhc-pu200").with_stage("Global", complexity=lambda x: x / 1e6)
    with pytest.raises(SpecError) as info:
        s.to_xlsx(tmp_path / "x.xlsx")
    assert (info.value.sheet, info.value.row, info.value.column) == ("Triggers", 7, "Complexity")
    assert "poly:" in str(info.value)
    assert not (tmp_path / "x.xlsx").exists()


def test_round_trip_through_bytes(rich):
    buf = io.BytesIO()
    rich.to_xlsx(buf)
    _assert_identical(rich, tio.read_workbook(buf.getvalue()))


def test_pickle_round_trip(rich):
    import pickle

    _assert_identical(rich, pickle.loads(pickle.dumps(rich)))


_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12).filter(
    lambda t: t.strip() == t
)  # leading/trailing spaces are trimmed from names only, but keep text simple
_cells = st.one_of(
    st.none(),
    _text.filter(bool),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
)  # no slow shrinking: examples are printed
@given(values=st.lists(_cells, min_size=7, max_size=7), header=_text.filter(lambda h: h.strip() and h[:1] != "="))
def test_any_extra_stage_column_round_trips(values, header, tmp_path_factory):
    s = twidgets.load_system("cms-hllhc-pu200")
    stg = s.stages
    if " ".join(header.split()).lower() in {" ".join(str(c).split()).lower() for c in stg.columns} | {
        "samples",
        "calibration",
    }:
        return
    stg[header] = pd.Series(values, dtype=object)
    s2 = System.from_frames(s.detectors, stg, s.globals)
    buf = io.BytesIO()
    s2.to_xlsx(buf)
    back = tio.read_workbook(buf.getvalue())
    got = back.stages[header].tolist()
    want = [None if v is None else v for v in values]
    assert [None if (g is None or (isinstance(g, float) and np.isnan(g))) else g for g in got] == want


def test_floats_keep_all_17_digits(tmp_path):
    s = twidgets.load_system("cms-hllhc-pu200").with_stage(
        "Intermediate", skill_boost=0.1 + 0.2, reduction_ratio=1 / 0.0187
    )
    s = s.with_detector("Inner Tracker", data_bytes=1.3510798882111234e14, link_efficiency=2.22e-11 / 3)
    back = _roundtrip(s, tmp_path)
    assert back.param("Intermediate.skill_boost") == 0.30000000000000004
    assert back.param("Intermediate.reduction_ratio") == 1 / 0.0187
    assert back.param("Inner Tracker.data_bytes") == 1.3510798882111234e14
    assert back.param("Inner Tracker.link_efficiency") == 2.22e-11 / 3
    _assert_identical(s, back)
