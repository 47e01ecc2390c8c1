"""SystemDraft: the editor's working copy, tested as plain pandas (no widget, no browser)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from twidgets import System
from twidgets.model.errors import SpecError
from twidgets.widgets.cells import is_blank, parse_number, put_cell, show
from twidgets.widgets.draft import SystemDraft
from twidgets.widgets.grid import TABLES, Problem, problem_from_error

IT, OT_PS = 0, 1  # first two detector rows: Inner Tracker, Outer Tracker PS
INTERMEDIATE = 4  # stage rows: Tracking, Timing, Calorimetry, Muon, Intermediate, Global, Disk


@pytest.fixture
def draft(pu200):
    return SystemDraft(pu200)


def only(problems):
    assert len(problems) == 1, problems
    return problems[0]


# ---------------------------------------------------------------- cells


def test_cell_text_round_trips_numbers():
    for v in (1440000.0, 53.3, 2.22e-11, 0.003, 4e7, 1e20, 0.1 + 0.2):
        assert float(show(v)) == v
    assert show(1440000.0) == "1440000" and show(2) == "2" and show(True) == "True"
    assert show(float("nan")) == "" and show(None) == "" and show(pd.NA) == ""
    assert is_blank("  ") and is_blank(float("nan")) and not is_blank("0")


def test_typed_numbers_are_parsed_never_evaluated():
    assert parse_number(" 2e6 ") == 2e6
    assert math.isnan(parse_number("  "))
    assert parse_number("__import__('os')") == "__import__('os')"  # stays text for the model to refuse
    assert parse_number("=1+1") == "=1+1"
    assert parse_number(7) == 7.0


def test_put_cell_widens_dtypes_and_adds_columns():
    frame = pd.DataFrame({"a": [1, 2]})
    put_cell(frame, 0, "a", 3.0)
    assert frame["a"].tolist() == [3, 2] and frame["a"].dtype.kind == "i"
    put_cell(frame, 1, "a", 2.5)
    assert frame["a"].tolist() == [3.0, 2.5]
    put_cell(frame, 0, "a", "abc")
    assert frame["a"].tolist() == ["abc", 2.5]
    put_cell(frame, 1, "b", 1.0)
    assert math.isnan(frame.at[0, "b"]) and frame.at[1, "b"] == 1.0


# ---------------------------------------------------------------- a fresh draft


def test_fresh_draft_shows_the_system_and_builds_it_back(draft, pu200):
    assert draft.names("detectors") == pu200.detector_names
    assert draft.names("stages") == pu200.stage_names
    assert draft.columns("detectors")[:7] == list(pu200.detectors.columns)
    assert draft.rows("detectors")[IT]["Data (bytes)"] == "1440000"
    assert draft.year_text() == "2032"
    assert draft.column_kinds("stages")["Output"] == "ref"
    assert draft.stage_choices() == pu200.stage_names
    system, problems = draft.build()
    assert problems == [] and system == pu200


def test_column_help_says_what_blank_means_and_lists_choices(draft):
    help_ = draft.column_help("stages", {"classifiers": ["Dummy", "Gaussian"], "calibrations": ["a", "b"]})
    assert help_["Samples"]["placeholder"] == "50000"  # params' default for the optional column
    assert help_["Skill mean"]["placeholder"] == "0" and help_["Skill variance"]["placeholder"] == "1"
    assert help_["Reduction Ratio"]["placeholder"] == ""  # required: no default
    assert ">= 1" in help_["Reduction Ratio"]["title"]
    assert "(Dummy; Gaussian)" in help_["Classifier"]["title"]
    assert "(a; b)" in help_["Calibration"]["title"]
    assert help_["Data (bytes)"]["title"].startswith("Event size (B): bytes per event")


def test_headers_read_as_display_names_with_units(draft):
    for t in TABLES:
        labels = draft.column_labels(t)
        assert list(labels) == draft.columns(t)
        assert all(isinstance(v, str) and v.strip() for v in labels.values())
    det, stg = draft.column_labels("detectors"), draft.column_labels("stages")
    assert det["Data (bytes)"] == "Event size (B)" and det["Sample Rate"] == "Sample rate (Hz)"
    assert stg["Skill variance"] == "Skill width"  # the API's skill_scale, not a variance
    assert stg["Reduction Ratio"] == "Reduction ratio"
    assert stg["Name"] == "Name" and stg["Classifier"] == "Classifier"  # not numbers: workbook words


# ---------------------------------------------------------------- edits


def test_valid_edits_build_the_system_the_model_would(draft, pu200):
    draft.set_cell("detectors", "Inner Tracker", "Data (bytes)", " 2e6 ")
    draft.set_cell("stages", INTERMEDIATE, "Reduction Ratio", 80)
    draft.set_cell("global", 0, "Year", "2030")
    system, problems = draft.build()
    assert problems == []
    expected = (
        pu200.with_detector("Inner Tracker", data_bytes=2e6)
        .with_stage("Intermediate", reduction_ratio=80)
        .with_year(2030)
    )
    assert system == expected
    assert draft.base is pu200  # build does not move the base: the caller resets to the result


def test_unknown_table_row_or_column_is_a_value_error(draft):
    with pytest.raises(ValueError, match="unknown table"):
        draft.set_cell("nope", 0, "Name", "x")
    with pytest.raises(ValueError, match="outside the stages table"):
        draft.set_cell("stages", 99, "Name", "x")
    with pytest.raises(ValueError, match="no row named 'Nowhere'"):
        draft.set_cell("stages", "Nowhere", "Name", "x")
    with pytest.raises(ValueError, match="unknown column"):
        draft.set_cell("stages", 0, "No such column", "x")
    with pytest.raises(ValueError, match="row must be"):
        draft.set_cell("stages", True, "Name", "x")
    with pytest.raises(ValueError, match="only 'Year'"):
        draft.set_cell("global", 0, "Month", "1")


def test_invalid_cell_is_kept_as_typed_and_named_as_the_grid_shows_it(draft, pu200):
    draft.set_cell("detectors", OT_PS, "Data (bytes)", "-5")
    assert draft.rows("detectors")[OT_PS]["Data (bytes)"] == "-5"
    system, problems = draft.build()
    assert system is None
    p = only(problems)
    # the grid's second row is "row 2" (the spreadsheet would call it row 3)
    # display name and unit of the column (the workbook header stays in p.column)
    assert p.where == 'Detectors, row 2 "Outer Tracker PS", Event size (B)'
    assert (p.table, p.index, p.column) == ("detectors", OT_PS, "Data (bytes)")
    assert (p.sheet, p.row) == ("Detectors", OT_PS + 2)  # the workbook location stays available
    assert p.text == f"{p.where}: {p.message}" and ">= 0" in p.message
    assert p.as_dict()["text"] == p.text


def test_model_messages_count_rows_as_the_grid_does(draft):
    draft.set_cell("detectors", OT_PS, "Detector", "Inner Tracker")
    p = only(draft.build()[1])
    assert p.where == 'Detectors, row 2 "Inner Tracker", Detector'
    assert "duplicate name 'Inner Tracker' (also Detectors row 1)" in p.message
    draft.set_cell("detectors", OT_PS, "Detector", "Outer Tracker PS")
    draft.set_cell("stages", INTERMEDIATE, "Output", "")  # a second sink
    p = only(draft.build()[1])
    assert f"'Intermediate' (row {INTERMEDIATE + 1})" in p.message
    assert p.where.startswith("Trigger stages, row ")


def test_several_problems_are_listed_one_per_cell(draft):
    draft.set_cell("stages", INTERMEDIATE, "Reduction Ratio", "0.5")
    draft.set_cell("detectors", IT, "Sample Rate", "abc")
    draft.set_cell("global", 0, "Year", "1800")
    system, problems = draft.build()
    assert system is None
    assert {(p.table, p.index, p.column) for p in problems} == {
        ("stages", INTERMEDIATE, "Reduction Ratio"),
        ("detectors", IT, "Sample Rate"),
        ("global", 0, "Year"),
    }
    year = next(p for p in problems if p.table == "global")
    assert year.where == "Technology year"  # the display name of the Global sheet's Year


def test_rename_stage_moves_references_along(draft, pu200):
    draft.set_cell("stages", "Tracking", "Name", "Pixels")
    system, problems = draft.build()
    assert problems == []
    assert system == pu200.rename("Tracking", "Pixels")


def test_rename_through_a_blank_name_still_moves_references(draft, pu200):
    draft.set_cell("stages", "Intermediate", "Name", "")
    assert draft.build()[0] is None
    draft.set_cell("stages", INTERMEDIATE, "Name", "L1")
    system, problems = draft.build()
    assert problems == [] and system == pu200.rename("Intermediate", "L1")


# ---------------------------------------------------------------- rows


def test_a_new_stage_is_a_valid_pass_through_to_the_sink(draft, pu200):
    i = draft.add_row("stages")
    assert i == len(pu200.stage_names)
    row = draft.rows("stages")[i]
    assert row["Name"] == "Stage 1" and row["Output"] == "Disk"
    assert (row["Classifier"], row["Reduction Ratio"], row["Data (bytes)"]) == ("Dummy", "1", "0")
    # valid on its own, except that nothing feeds it yet: the model says so on that row
    system, problems = draft.build()
    assert system is None and all(p.index == i for p in problems if p.table == "stages")
    draft.set_cell("stages", "Global", "Output", "Stage 1")
    system, problems = draft.build()
    assert problems == [] and system.node("Stage 1").output == "Disk"


def test_a_new_detector_copies_the_last_ones_rate_and_efficiencies(draft, pu200):
    i = draft.add_row("detectors")
    row, last = draft.rows("detectors")[i], draft.rows("detectors")[i - 1]
    assert row["Detector"] == "Detector 1" and row["Data (bytes)"] == "0"
    for header in ("Sample Rate", "Compression", "Link Efficiency (J/bit)", "Op Efficiency (J/op)"):
        assert row[header] == last[header]
    assert row["Category"] == last["Category"]
    system, problems = draft.build()
    assert problems == [] and "Detector 1" in system.detector_names


def test_delete_row_and_global_row_rules(draft, pu200):
    assert draft.delete_row("detectors", "HCAL HO") == "HCAL HO"
    system, problems = draft.build()
    assert problems == [] and "HCAL HO" not in system.detector_names
    with pytest.raises(ValueError, match="cannot be deleted"):
        draft.delete_row("global", 0)
    with pytest.raises(ValueError, match="one row"):
        draft.add_row("global")


def test_reset_drops_pending_edits(draft, pu200, run3):
    draft.set_cell("stages", INTERMEDIATE, "Reduction Ratio", "abc")
    draft.reset(run3)
    assert draft.build() == (run3, [])
    assert draft.year_text() == "2024"


def test_an_error_without_a_draft_keeps_the_workbook_words():
    e = SpecError("is not a number", sheet="Triggers", row=6, column="Reduction Ratio")
    p = problem_from_error(e)
    assert p.where == "sheet 'Triggers', row 6, column 'Reduction Ratio'"
    assert p == Problem("is not a number", p.where, "Triggers", 6, "Reduction Ratio", "stages", 4)


# ---------------------------------------------------------------- a system that is not CMS


def _two_level():
    det = pd.DataFrame(
        [["Filter", "Sensor", 100.0, 1.0e3, 0.0, 1.0e-10, 0.0]],
        columns=["Category", "Detector", "Data (bytes)", "Sample Rate", "Compression"]
        + ["Link Efficiency (J/bit)", "Op Efficiency (J/op)"],
    )
    stg = pd.DataFrame(
        [
            ["Filter", "Store", 50.0, 10.0, "Gaussian", 2.0, 1.0, 1.0e-10, 1.0e-9, 0.0],
            ["Store", None, 0.0, 1.0, "Dummy", None, None, 1.0e-10, 0.0, 0.0],
        ],
        columns=["Name", "Output", "Data (bytes)", "Reduction Ratio", "Classifier", "Skill mean"]
        + ["Skill variance", "Link Efficiency (J/bit)", "Op Efficiency (J/op)", "Compression"],
    )
    return System.from_frames(det, stg, {"Year": 2025}, name="sensor")


def test_a_non_cms_system_is_edited_the_same_way():
    base = _two_level()
    draft = SystemDraft(base)
    draft.set_cell("stages", "Filter", "Name", "Gate")
    draft.set_cell("stages", "Gate", "Reduction Ratio", "0")
    p = only(draft.build()[1])
    assert p.where == 'Trigger stages, row 1 "Gate", Reduction ratio'
    draft.set_cell("stages", "Gate", "Reduction Ratio", "20")
    i = draft.add_row("stages")
    assert draft.rows("stages")[i]["Output"] == "Store"
    draft.set_cell("stages", "Gate", "Output", draft.names("stages")[i])
    system, problems = draft.build()
    assert problems == []
    assert system.node("Sensor").output == "Gate"  # the rename moved the detector's Category
    assert system.node("Gate").output == "Stage 1" and system.node("Stage 1").output == "Store"
    assert system.param("Gate.reduction_ratio") == 20
