"""Property-based fuzzing of System.from_frames with arbitrary tables.

Whatever the tables hold, ``from_frames`` returns a System or raises SpecError, nothing
else; and a System it returns evaluates to finite, non-negative rates and power.
"""

from __future__ import annotations

import datetime as dt
import math
from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import twidgets
from twidgets import SpecError, System
from twidgets.model.params import DETECTOR_COLUMNS, STAGE_COLUMNS

_SETTINGS = dict(
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
)

# ---------------------------------------------------------------- cell values

_weird = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.just(float("inf")),
    st.just(-float("inf")),
    st.just(1e300),
    st.just(-1e300),
    st.just(0),
    st.just(-1),
    st.just(""),
    st.just("  "),
    st.booleans(),
    st.just(np.nan),
    st.just(pd.NA),
    st.just(pd.NaT),
    st.just(np.float32(2.5)),
    st.just(np.int64(7)),
    st.just(dt.datetime(2024, 1, 1)),
    st.just(dt.date(2024, 1, 1)),
    st.just([1, 2]),
    st.just({"a": 1}),
    st.just("=A1+1"),
    st.just("1e999"),
    st.just("poly:-1,1"),
    st.just("poly:1e300,1e300,1e300"),
    st.just("NaN"),
    st.just("12"),
    st.just(" 3.5 "),
    st.just(b"bytes"),
    st.text(max_size=8),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
)


def _num(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


_GOOD = {
    "data_bytes": _num(0, 1e15),
    "sample_rate": _num(1e-3, 1e13),
    "compression": _num(0, 0.999),
    "link_efficiency": _num(0, 1),
    "op_efficiency": _num(0, 1e6),
    "reduction_ratio": _num(1, 1e15),
    "skill_mean": _num(-1e3, 1e3),
    "skill_scale": _num(1e-3, 1e3),
    "skill_boost": _num(-1e3, 1e3),
    "n_samples": st.sampled_from([10, 50, 200]),
    "classifier": st.sampled_from(["Dummy", "Gaussian", "L1T", "HLT", "gaussian", " l1t "]),
    "complexity": st.sampled_from(
        [
            "",
            None,
            "identity",
            "l1t-linear",
            "hlt-cpu",
            "hlt-gpu",
            "poly:1e-7,2e-13",
            "poly:1,0,1e-30",
            "POLY: 2e-6",
            "poly:" + ",".join(["1e30"] * 8),
        ]
    ),
    "calibration": st.sampled_from(["published", "per-object", None, "Per-Object"]),
}

_NAMES = st.one_of(
    st.sampled_from(
        [
            "Disk",
            "Global",
            "Intermediate",
            "Tracking",
            "a.b.c",
            "Ünïcødé ✓",
            "李",
            " padded ",
            "x" * 200,
            "Name",
            "0",
            "1.5",
            "nan",
            "None",
            "Disk ",
        ]
    ),
    st.text(min_size=0, max_size=6),
)


@st.composite
def cell(draw, param, chaos=7):
    # mostly good values, sometimes (chaos %) anything at all
    if draw(st.integers(0, 99)) < chaos:
        return draw(_weird)
    return draw(_GOOD.get(param, _num(0, 10)))


def _mutate(draw, df):
    """Column mutations: drop one, rename one, change header case/spacing, add an extra; or no rows."""
    r = draw(st.integers(0, 99))
    cols = list(df.columns)
    if r < 5:
        df = df.drop(columns=[draw(st.sampled_from(cols))])
    elif r < 10:
        old = draw(st.sampled_from(cols))
        df = df.rename(columns={old: draw(st.one_of(st.text(max_size=6), st.sampled_from([None, 3, old.upper()])))})
    elif r < 20:
        df = df.rename(columns={h: f"  {h.lower()} " for h in cols})
    if draw(st.integers(0, 9)) == 0:
        df = df.copy()
        df[draw(st.one_of(st.text(max_size=5), st.sampled_from([None, 0, "Extra"])))] = [
            draw(_weird) for _ in range(len(df))
        ]
    if draw(st.integers(0, 19)) == 0:
        df = df.iloc[0:0]
    return df


@st.composite
def tables(draw):
    chaos = draw(st.sampled_from([0, 0, 1, 3, 10, 30]))  # per-table share of weird cells (%)
    n_stg = draw(st.integers(1, 5))
    n_det = draw(st.integers(1, 4))
    names = draw(st.lists(_NAMES, min_size=n_stg, max_size=n_stg))
    if draw(st.booleans()):  # mostly unique names, so that many systems are valid
        names = [f"S{i}" if draw(st.integers(0, 9)) else n for i, n in enumerate(names)]
    # wiring: usually forward to a later stage (a DAG), the last one is the sink
    outputs = []
    for i in range(n_stg):
        r = draw(st.integers(0, 99))
        if i == n_stg - 1:
            outputs.append("" if r < 90 else draw(st.sampled_from(names + ["nowhere", None])))
        elif r < 85:
            outputs.append(names[draw(st.integers(i + 1, n_stg - 1))])
        else:
            outputs.append(draw(st.one_of(st.sampled_from(names + ["", "nowhere", None]), _weird)))
    stg = {"Name": names, "Output": outputs}
    for c in STAGE_COLUMNS:
        if c.param in ("name", "output"):
            continue
        if not c.required and draw(st.booleans()):
            continue
        stg[c.header] = [draw(cell(c.param, chaos)) for _ in range(n_stg)]
    det = {
        "Category": [draw(st.sampled_from(names)) if draw(st.integers(0, 9)) else draw(_NAMES) for _ in range(n_det)],
        "Detector": [f"D{i}" if draw(st.integers(0, 9)) else draw(_NAMES) for i in range(n_det)],
    }
    for c in DETECTOR_COLUMNS:
        if c.param in ("name", "output") or (not c.required and draw(st.booleans())):
            continue
        det[c.header] = [draw(cell(c.param, chaos)) for _ in range(n_det)]
    det_df, stg_df = pd.DataFrame(det, dtype=object), pd.DataFrame(stg, dtype=object)
    det_df, stg_df = _mutate(draw, det_df), _mutate(draw, stg_df)
    glob = draw(
        st.one_of(
            st.fixed_dictionaries({"Year": st.integers(1990, 2060)}),
            st.fixed_dictionaries({"Year": _weird}),
            st.fixed_dictionaries({"year": st.integers(2000, 2040), "Extra": _weird}),
            st.just({}),
            st.integers(2000, 2040).map(lambda y: pd.DataFrame({"Year": [y]})),
        )
    )
    curves = None
    if draw(st.integers(0, 4)) == 0:
        n = draw(st.integers(0, 5))
        objects = ["jet", "muon", "egamma", "tau", "B2G", "Higgs", "photon"]
        curves = pd.DataFrame(
            {
                "Stage": [draw(st.sampled_from(names)) if draw(st.integers(0, 9)) else draw(_weird) for _ in range(n)],
                "Object": [
                    draw(st.sampled_from(objects)) if draw(st.integers(0, 9)) else draw(_weird) for _ in range(n)
                ],
                "Energy (GeV)": [draw(st.one_of(_num(0, 1e3), _weird)) for _ in range(n)],
                "Efficiency": [draw(st.one_of(_num(0, 1), _weird)) for _ in range(n)],
            },
            dtype=object,
        )
        curves = _mutate(draw, curves)
    return det_df, stg_df, glob, curves


def _check_evaluation(s: System):
    ev = twidgets.evaluate(s)
    for name in ("power", "link_power", "op_power", "scaled_power", "output_rate"):
        v = getattr(ev, name)
        assert math.isfinite(v) and v >= 0, (name, v)
    assert (ev.confusion >= 0).all()
    for name in ("precision", "recall", "f1"):
        v = getattr(ev, name)
        assert math.isnan(v) or 0 <= v <= 1, (name, v)
    st_ = ev.stages
    for q in (
        "input_rate",
        "output_rate",
        "rejected_rate",
        "message_bytes",
        "ops",
        "op_power",
        "link_power",
        "energy_per_event",
        "cumulative_energy_per_event",
    ):
        vals = np.asarray(st_[q].tolist(), dtype=float)
        assert np.isfinite(vals).all() and (vals >= 0).all(), (q, vals)
    # events are conserved at every stage (up to integer truncation)
    kept_plus_rejected = st_["output_rate"] + st_["rejected_rate"]
    stages = st_[st_["kind"] == "stage"]
    assert (np.abs(stages["input_rate"] - kept_plus_rejected[stages.index]) <= 2).all()


@settings(max_examples=200, **_SETTINGS)
@given(tables())
def test_from_frames_gives_a_system_or_spec_error(t):
    det, stg, glob, curves = t
    try:
        s = System.from_frames(det, stg, glob, curves=curves)
    except SpecError as e:
        assert e.sheet in (None, "Detectors", "Triggers", "Global", "Curves")
        assert e.row is None or (isinstance(e.row, int) and e.row >= 1)
        assert e.problem
        return
    assert isinstance(s, System)
    _check_evaluation(s)


@st.composite
def valid_tables(draw):
    """Always-valid random DAGs with random (legal) numbers: the evaluation check bites."""
    n_stg = draw(st.integers(1, 5))
    names = [f"S{i}" for i in range(n_stg)]
    outputs = [names[draw(st.integers(i + 1, n_stg - 1))] for i in range(n_stg - 1)] + [""]
    stg = {"Name": names, "Output": outputs}
    for c in STAGE_COLUMNS:
        if c.param not in ("name", "output"):
            stg[c.header] = [draw(_GOOD.get(c.param, _num(0, 10))) for _ in range(n_stg)]
    # every stage must receive events: feed each stage that no other stage outputs to
    sources = [n for n in names if n not in outputs]
    cats = sources + [draw(st.sampled_from(names)) for _ in range(draw(st.integers(0, 2)))]
    n_det = len(cats)
    det = {"Category": cats, "Detector": [f"D{i}" for i in range(n_det)]}
    for c in DETECTOR_COLUMNS:
        if c.param not in ("name", "output"):
            det[c.header] = [draw(_GOOD.get(c.param, _num(0, 10))) for _ in range(n_det)]
    return pd.DataFrame(det), pd.DataFrame(stg), {"Year": draw(st.integers(1900, 2300))}


@settings(max_examples=150, **_SETTINGS)
@given(valid_tables())
def test_valid_random_systems_evaluate_to_finite_non_negative_numbers(t):
    s = System.from_frames(*t)
    _check_evaluation(s)


@settings(max_examples=60, **_SETTINGS)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "Intermediate.reduction_ratio",
                "Intermediate.skill_boost",
                "Global.op_efficiency",
                "Inner Tracker.data_bytes",
                "year",
                "Global.complexity",
                "Intermediate.classifier",
                "Disk.output",
                "Nowhere.data_bytes",
                "Intermediate.nonsense",
                "Global",
            ]
        ),
        _weird,
        max_size=3,
    )
)
def test_with_params_raises_only_parameter_or_spec_errors(values):
    s = twidgets.load_system("cms-hllhc-pu200")
    try:
        s2 = s.with_params(values)
    except (twidgets.ParameterError, SpecError):
        return
    assert isinstance(s2, System)


# ---------------------------------------------------------------- damaged files


def _read_or_spec_error(data: bytes):
    from twidgets.model.io import read_workbook

    try:
        s = read_workbook(data)
    except SpecError as e:
        assert e.problem
        return None
    assert isinstance(s, System)
    return s


@settings(max_examples=100, **_SETTINGS)
@given(st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 255)), min_size=1, max_size=8))
def test_flipped_bytes_give_a_system_or_spec_error(flips):
    from malformed import base_bytes

    data = bytearray(base_bytes())
    for pos, value in flips:
        data[pos % len(data)] = value
    _read_or_spec_error(bytes(data))


@settings(max_examples=100, **_SETTINGS)
@given(
    st.sampled_from(
        [
            "xl/worksheets/sheet1.xml",
            "xl/worksheets/sheet2.xml",
            "xl/worksheets/sheet3.xml",
            "xl/workbook.xml",
            "xl/styles.xml",
            "[Content_Types].xml",
            "xl/_rels/workbook.xml.rels",
        ]
    ),
    st.integers(0, 10**6),
    st.integers(0, 40),
    st.one_of(
        st.text(max_size=20),
        st.sampled_from(
            ["<", ">", "</row>", '<c r="Z99" t="n"><v>x</v></c>', '<c r="C2" t="s"><v>999</v></c>', '"', "&", "]]>"]
        ),
    ),
)
def test_edited_workbook_xml_gives_a_system_or_spec_error(member, at, cut, insert):
    from malformed import base_bytes, rewrite_zip

    def edit(body):
        i = at % (len(body) + 1)
        return body[:i] + insert.encode("utf-8", "surrogatepass") + body[i + cut :]

    s = _read_or_spec_error(rewrite_zip(base_bytes(), edits={member: edit}))
    if s is not None:
        ev = twidgets.evaluate(s)
        assert math.isfinite(ev.power) and ev.power >= 0


# ---------------------------------------------------------------- complexity strings


@settings(max_examples=200, **_SETTINGS)
@given(
    st.one_of(
        st.text(max_size=40),
        st.text(max_size=30).map(lambda t: "poly:" + t),
        st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=9).map(
            lambda cs: "poly:" + ",".join(repr(c) for c in cs)
        ),
    )
)
def test_any_complexity_string_parses_or_is_a_parameter_error(text):
    from twidgets.model.complexity import Complexity, parse_complexity

    try:
        c = parse_complexity(text)
    except twidgets.ParameterError as e:
        assert "complexity" in str(e) or "coefficient" in str(e)
        return
    assert isinstance(c, Complexity)
    assert parse_complexity(c.spec) == c  # the spec string reads back as the same model
    ops = c(np.array([0.0, 1.0, 1e6]))
    assert ops.shape == (3,)


@settings(max_examples=100, **_SETTINGS)
@given(st.lists(st.floats(0, 1e30, allow_nan=False), min_size=1, max_size=8))
def test_poly_strings_keep_their_coefficients(coeffs):
    from twidgets.model.complexity import parse_complexity

    c = parse_complexity("poly:" + ",".join(repr(x) for x in coeffs))
    assert c.coeffs == tuple(coeffs)
    x = 1234.5
    assert c(x) == pytest.approx(sum(k * x ** (i + 1) for i, k in enumerate(coeffs)), rel=1e-12)


@lru_cache(maxsize=1)
def _excel_like_parts() -> dict:
    """The parts of an Excel-style workbook (shared strings, a formula with its cached value)."""
    import io
    import zipfile

    from xlsx_fixtures import F, excel_workbook, rows_of

    s = twidgets.load_system("cms-hllhc-pu200")
    det = rows_of(s, "Detectors")
    det[1][2] = F("INT(1000000*1.44)", 1440000)
    data = excel_workbook({"Detectors": det, "Triggers": rows_of(s, "Triggers"), "Global": [["Year"], [2032]]})
    src = zipfile.ZipFile(io.BytesIO(data))
    return {n: src.read(n) for n in src.namelist()}


@settings(max_examples=150, **_SETTINGS)
@given(
    st.sampled_from(
        [
            "xl/worksheets/sheet1.xml",
            "xl/worksheets/sheet2.xml",
            "xl/sharedStrings.xml",
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "_rels/.rels",
        ]
    ),
    st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8),
)
def test_flipped_bytes_in_the_xml_give_a_system_or_spec_error(member, flips):
    """Bytes flipped inside one XML part (the zip stays intact, so the reader parses them)."""
    import io
    import zipfile

    parts = dict(_excel_like_parts())
    body = bytearray(parts[member])
    for pos, value in flips:
        body[pos % len(body)] = value
    parts[member] = bytes(body)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    s = _read_or_spec_error(out.getvalue())
    if s is not None:
        ev = twidgets.evaluate(s)
        assert math.isfinite(ev.power) and ev.power >= 0
