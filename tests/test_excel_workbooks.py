"""Workbooks as Excel saves them: formula cells with cached values, helper columns, unused
zeros, extra sheets; what a save keeps and what it says it drops; sheets matched once."""

from __future__ import annotations

import math
import pickle
import warnings

import openpyxl
import pytest
from xlsx_fixtures import F, excel_workbook, rows_of

import twidgets
from twidgets import SpecError, System
from twidgets.compat import construct_graph, dataframes_from_spreadsheet
from twidgets.model.params import field_in_use

BASE = "cms-hllhc-pu200"
GLOBAL_ROW = 7  # spreadsheet row of the Global (Gaussian, RR 100) stage
INTERMEDIATE_ROW = 6


_RR_FORMULA = F("40+13.3", 53.3)


def _excel_like(rr_formula=_RR_FORMULA, *, research_columns=False, **kw) -> bytes:
    """The pile-up-200 system as a physicist's Excel file: sizes computed from a MB helper
    column, a computed reduction ratio and skill, zeros in unused skill cells."""
    s = twidgets.load_system(BASE)
    det = rows_of(s, "Detectors")
    det[0].append("Data (MB)")
    for i, r in enumerate(det[1:], start=2):
        mb = r[2] / 1e6
        r[2] = F(f"INT(1000000*H{i})", int(1_000_000 * mb))
        r.append(mb)
    stg = rows_of(s, "Triggers")
    rr, mean, var = (stg[0].index(h) for h in ("Reduction Ratio", "Skill mean", "Skill variance"))
    for r in stg[1:]:
        if r[mean] is None:  # Dummy and L1T rows: Excel users type 0 where a field is unused
            r[mean] = r[var] = 0
    stg[INTERMEDIATE_ROW - 1][rr] = rr_formula
    stg[GLOBAL_ROW - 1][var] = F("1.44*(1-0.54)*0+1", 1.0)
    if research_columns:  # exactly the research code's Triggers columns, in its order (MODEL.md)
        keep = [stg[0].index(h) for h in stg[0] if h not in ("Skill boost", "Complexity")]
        stg = [[r[j] for j in keep] for r in stg]
    glob = [["Year"], [F("2030+2", 2032)]]
    return excel_workbook({"Detectors": det, "Triggers": stg, "Global": glob}, **kw)


@pytest.fixture
def excel_path(tmp_path):
    p = tmp_path / "cms_system_200.xlsx"
    p.write_bytes(_excel_like())
    return p


def test_formula_cells_give_their_saved_values(excel_path):
    base = twidgets.load_system(BASE)
    for load in (twidgets.load_system, System.from_xlsx):
        s = load(excel_path)
        assert s.param("Intermediate.reduction_ratio") == 53.3
        assert s.param("Global.skill_scale") == 1.0 and s.year == 2032
        assert s.detectors["Data (bytes)"].tolist() == base.detectors["Data (bytes)"].tolist()
        assert s.detectors["Data (MB)"].tolist() == pytest.approx((base.detectors["Data (bytes)"] / 1e6).tolist())
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ev = twidgets.evaluate(s)
        assert ev.power == twidgets.evaluate(base).power  # same numbers as the bundled system


def test_excel_file_through_the_seed_workflow(tmp_path):
    excel_path = tmp_path / "cms_system_200.xlsx"
    excel_path.write_bytes(_excel_like(research_columns=True))
    system = dataframes_from_spreadsheet(str(excel_path))
    assert list(system.triggers.columns) == [
        "Name",
        "Output",
        "Data (bytes)",
        "Reduction Ratio",
        "Classifier",
        "Skill mean",
        "Skill variance",
        "Link Efficiency (J/bit)",
        "Op Efficiency (J/op)",
        "Compression",
    ]
    assert system.triggers.loc[4, "Reduction Ratio"] == 53.3
    t = system.triggers.copy()
    t.at[4, "Reduction Ratio"] = 400
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = construct_graph(system.detectors, t, system.globals, {"Intermediate": lambda x: x / 2.0e6})
    assert g is not None


def test_helper_columns_survive_a_round_trip_and_formulas_are_listed(excel_path, tmp_path):
    s = twidgets.load_system(excel_path)
    assert any("formula" in x for x in s.not_saved)
    out = tmp_path / "saved.xlsx"
    s.to_xlsx(out)
    back = twidgets.load_system(out)
    assert back == s
    assert "Data (MB)" in back.detectors.columns
    assert not any("formula" in x for x in back.not_saved)  # saved as values now


def test_formula_without_a_saved_value_names_the_cell_and_the_fix(tmp_path):
    p = tmp_path / "written-by-a-library.xlsx"
    p.write_bytes(_excel_like(rr_formula=F("40+13.3", None)))
    for load in (twidgets.load_system, dataframes_from_spreadsheet):
        with pytest.raises(SpecError) as info:
            load(p)
        e = info.value
        assert (e.sheet, e.row, e.column) == ("Triggers", INTERMEDIATE_ROW, "Reduction Ratio")
        assert "'=40+13.3'" in e.problem and "Excel or LibreOffice" in e.problem and "53.3" not in str(e)


def _with_skill(classifier, rr, mean, var, tmp_path):
    s = twidgets.load_system(BASE)
    stg = rows_of(s, "Triggers")
    h = stg[0]
    row = stg[GLOBAL_ROW - 1]
    for col, v in (("Classifier", classifier), ("Reduction Ratio", rr), ("Skill mean", mean), ("Skill variance", var)):
        row[h.index(col)] = v
    p = tmp_path / "skill.xlsx"
    p.write_bytes(excel_workbook({"Detectors": rows_of(s, "Detectors"), "Triggers": stg, "Global": [["Year"], [2032]]}))
    return p


@pytest.mark.parametrize(
    "classifier, rr, mean, var",
    [
        ("Dummy", 100, 0, 0),
        ("Dummy", 100, -7, -3),
        ("Dummy", 100, None, None),
        ("HLT", 100, 0, 0),
        ("Gaussian", 1, 0, 0),  # a pass-through Gaussian rejects nothing: its scale is unused
        ("Gaussian", 1, None, -1),
    ],
)
def test_unused_skill_fields_may_hold_any_number_or_nothing(classifier, rr, mean, var, tmp_path):
    s = twidgets.load_system(_with_skill(classifier, rr, mean, var, tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ev = twidgets.evaluate(s)
    assert math.isfinite(ev.power) and ev.power > 0


@pytest.mark.parametrize(
    "mean, var, column, says",
    [
        (4, 0, "Skill variance", "standard deviation > 0"),
        (4, -1, "Skill variance", "standard deviation > 0"),
        (None, 1, "Skill mean", "gaussian classifier needs skill mean"),
        (4, "wide", "Skill variance", "'wide' is not a number"),
    ],
)
def test_used_skill_fields_obey_their_rules(mean, var, column, says, tmp_path):
    with pytest.raises(SpecError) as info:
        twidgets.load_system(_with_skill("Gaussian", 100, mean, var, tmp_path))
    assert (info.value.sheet, info.value.row, info.value.column) == ("Triggers", GLOBAL_ROW, column)
    assert says in str(info.value).lower()


def test_unused_fields_text_is_still_refused(tmp_path):
    with pytest.raises(SpecError, match="'wide' is not a number"):
        twidgets.load_system(_with_skill("Dummy", 1, 0, "wide", tmp_path))


def test_field_in_use_is_one_rule():
    assert field_in_use("Gaussian", "skill_scale", {"reduction_ratio": 100.0})
    assert not field_in_use("Gaussian", "skill_scale", {"reduction_ratio": 1.0})
    assert not field_in_use("L1T", "skill_mean", {"reduction_ratio": 400.0})
    assert not field_in_use("Dummy", "skill_boost", {})
    assert field_in_use("L1T", "skill_boost", {})
    assert field_in_use("Dummy", "reduction_ratio", {})


def test_with_stage_checks_a_gaussian_that_starts_to_reject(tmp_path):
    s = twidgets.load_system(_with_skill("Gaussian", 1, 0, 0, tmp_path))
    with pytest.raises(SpecError, match="standard deviation > 0") as info:
        s.with_stage("Global", reduction_ratio=100.0)
    assert (info.value.sheet, info.value.row, info.value.column) == ("Triggers", GLOBAL_ROW, "Skill variance")
    assert (
        s.with_stage("Global", skill_scale=1.0)
        .with_stage("Global", reduction_ratio=100.0)
        .param("Global.reduction_ratio")
        == 100.0
    )


def test_fast_with_stage_equals_a_full_rebuild():
    s = twidgets.load_system(BASE)
    fast = s.with_stage("Intermediate", reduction_ratio=60.0, skill_boost=0.5).with_detector(
        "Inner Tracker", data_bytes=1e6
    )
    stg, det = s.stages, s.detectors
    stg.loc[stg["Name"] == "Intermediate", ["Reduction Ratio", "Skill boost"]] = [60.0, 0.5]
    det.loc[det["Detector"] == "Inner Tracker", "Data (bytes)"] = 1e6
    slow = System.from_frames(det, stg, s.globals, name=s.name)
    assert fast == slow and fast.nodes == slow.nodes
    assert twidgets.evaluate(fast).power == twidgets.evaluate(slow).power
    assert s.param("Intermediate.reduction_ratio") == 53.3  # the original is unchanged


@pytest.mark.parametrize(
    "changes",
    [
        {"Global.complexity": "hlt-gpu"},
        {"Global.complexity": " poly:1e-7,2e-13 ", "Intermediate.classifier": "hlt"},
        {"Inner Tracker.complexity": "l1t-linear", "Muon.classifier": "L1T"},
    ],
)
def test_fast_text_changes_equal_a_full_rebuild(changes):
    s = twidgets.load_system(BASE)
    fast = s.with_params(changes)
    det, stg = s.detectors, s.stages
    for key, value in changes.items():
        node, param = key.rsplit(".", 1)
        header = {"complexity": "Complexity", "classifier": "Classifier"}[param]
        frame, col = (det, "Detector") if node in s.detector_names else (stg, "Name")
        frame[header] = frame[header].astype(object) if header in frame else ""
        frame.loc[frame[col] == node, header] = value
    slow = System.from_frames(det, stg, s.globals, name=s.name)
    assert fast == slow and fast.nodes == slow.nodes


def test_fast_text_changes_are_checked():
    s = twidgets.load_system(BASE)
    for change, says in ((dict(complexity="hlt-tpu"), "unknown complexity"), (dict(classifier="Neural"), "unknown")):
        with pytest.raises(SpecError, match=says) as info:  # located at the cell, as a full rebuild says
            s.with_stage("Global", **change)
        assert (info.value.sheet, info.value.row) == ("Triggers", GLOBAL_ROW)


def test_two_sheets_matching_one_name_are_refused(tmp_path):
    s = twidgets.load_system(BASE)
    det = rows_of(s, "Detectors")
    data = excel_workbook(
        {"Detectors": det, "DETECTORS ": det, "Triggers": rows_of(s, "Triggers"), "Global": [["Year"], [2032]]}
    )
    with pytest.raises(SpecError) as info:
        twidgets.model.io.read_workbook(data)
    assert "'Detectors'" in info.value.problem and "'DETECTORS '" in info.value.problem
    assert info.value.sheet == "Detectors"


def test_extra_sheets_are_kept_and_what_is_dropped_is_named(tmp_path):
    s = twidgets.load_system(BASE)
    notes = [["Note", "Value"], ["source", "TDR 2024"], [None, 3.5]]
    data = excel_workbook(
        {
            "Detectors": rows_of(s, "Detectors"),
            "Notes": notes,
            "Triggers": rows_of(s, "Triggers"),
            "Global": [["Year"], [2032]],
        },
        comments=True,
        defined_names=(("L1_RR", "Triggers!$D$6"),),
        styled=True,
    )
    loaded = twidgets.model.io.read_workbook(data)
    assert loaded.extra_sheets == (("Notes", (("Note", "Value"), ("source", "TDR 2024"), (None, 3.5))),)
    dropped = " | ".join(loaded.not_saved)
    for words in ("cell comments", "1 defined name", "cell formats"):
        assert words in dropped
    assert "Notes" not in dropped  # kept, so not listed
    copy = pickle.loads(pickle.dumps(loaded))  # to Dask workers and back
    assert (copy.extra_sheets, copy.not_saved) == (loaded.extra_sheets, loaded.not_saved)
    out = tmp_path / "saved.xlsx"
    loaded.with_stage("Intermediate", reduction_ratio=60.0).to_xlsx(out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Detectors", "Triggers", "Global", "Notes"]
    assert [list(r) for r in wb["Notes"].iter_rows(values_only=True)] == [list(r) for r in notes]
    assert twidgets.load_system(out).extra_sheets == loaded.extra_sheets


def test_bundled_systems_lose_nothing_on_save():
    for name in twidgets.list_systems():
        assert twidgets.load_system(name).not_saved == ()


def test_fast_year_change_equals_a_full_rebuild_and_bad_years_are_located():
    s = twidgets.load_system(BASE)
    fast = s.with_year(2030)
    assert fast == System.from_frames(s.detectors, s.stages, dict(s.globals, Year=2030)) and fast.year == 2030
    for bad, says in ((3032, "between 1900 and 2300"), (2030.5, "whole year"), (float("nan"), "empty cell")):
        with pytest.raises(SpecError, match=says) as info:
            s.with_year(bad)
        assert (info.value.sheet, info.value.column) == ("Global", "Year")
