"""SystemEditor driven the way the front end drives it (anywidget commands), no browser.

The pure-pandas draft behind it is tested on its own in ``tests/test_draft.py``.
"""

from __future__ import annotations

import io
import re
from importlib import resources

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.comments import Comment

import twidgets
from twidgets.model.io import bundled_path, read_workbook
from twidgets.widgets.cells import show
from twidgets.widgets.editor import MAX_UPLOAD_BYTES, SystemEditor

IT = 0  # Inner Tracker, first detector row
INTERMEDIATE = 4  # stage rows: Tracking, Timing, Calorimetry, Muon, Intermediate, Global, Disk
GLOBAL = 5


def invoke(editor, name, content=None, buffers=None):
    """Send a command exactly as the browser's ``experimental.invoke`` does (the message
    anywidget's front end sends); returns the widget's answer and its buffers."""
    sent = []
    had_own = "send" in editor.__dict__
    own = editor.__dict__.get("send")
    editor.send = lambda c, b=None: sent.append((c, [bytes(x) for x in b or []]))
    try:
        editor._handle_custom_msg(
            {"id": "test-1", "kind": "anywidget-command", "name": name, "msg": content or {}}, buffers or []
        )
    finally:
        if had_own:
            editor.send = own
        else:
            del editor.send
    ((reply, out),) = sent  # exactly one answer per command
    assert reply["kind"] == "anywidget-command-response" and reply["id"] == "test-1"
    return reply["response"], out


def msg(editor, content, buffers=None):
    """``{"type": "edit", ...}`` -> the ``_on_edit`` command with the other keys."""
    content = dict(content)
    return invoke(editor, "_on_" + content.pop("type"), content, buffers)


def edit(editor, table, row, column, value):
    msg(editor, {"type": "edit", "table": table, "row": row, "column": column, "value": value})


@pytest.fixture
def editor(pu200):
    ed = SystemEditor(pu200)
    ed.received = []
    ed.observe(lambda change: ed.received.append(change["new"]), "system")
    return ed


def only_error(editor):
    assert len(editor.errors) == 1, editor.errors
    return editor.errors[0]


def xlsx_bytes(system):
    buf = io.BytesIO()
    system.to_xlsx(buf)
    return buf.getvalue()


# ---------------------------------------------------------------- initial state


def test_initial_state_mirrors_the_system(editor, pu200):
    assert editor.system is pu200
    assert editor.errors == []
    assert [r["Detector"] for r in editor.detectors] == pu200.detector_names
    assert [r["Name"] for r in editor.stages] == pu200.stage_names
    assert editor.detectors[IT]["Data (bytes)"] == "1440000"
    assert editor.stages[INTERMEDIATE]["Reduction Ratio"] == "53.3"
    assert editor.stages[INTERMEDIATE]["Classifier"] == "L1T"
    assert editor.stages[GLOBAL]["Complexity"] == "hlt-cpu"
    assert editor.year == "2032"
    assert editor.columns["detectors"][:7] == list(pu200.detectors.columns)
    assert editor.column_kinds["stages"]["Output"] == "ref"
    assert editor.choices["stages"] == pu200.stage_names
    assert editor.choices["classifiers"] == ["Dummy", "Gaussian", "L1T", "HLT"]
    assert {"", "l1t-linear", "hlt-cpu", "hlt-gpu"} <= set(editor.choices["complexities"])
    assert "twidgets-editor" in editor._dom_classes
    state = editor.get_state()
    for trait in ("detectors", "stages", "columns", "year", "errors", "choices", "status"):
        assert trait in state
    assert "system" not in state  # the System is not synced to the browser


def test_default_and_named_systems():
    assert SystemEditor().system == twidgets.load_system("cms-hllhc-pu200")
    assert SystemEditor("cms-run3-pu60").system.year == 2024


def test_number_display_round_trips():
    for v in (1440000.0, 53.3, 2.22e-11, 0.003, 4e7, 1e20, 0.1 + 0.2):
        assert float(show(v)) == v
    assert show(float("nan")) == "" and show(None) == ""


# ---------------------------------------------------------------- valid edits


def test_edit_detector_bytes_gives_new_system_and_power(editor, pu200):
    edit(editor, "detectors", IT, "Data (bytes)", "2e6")
    expected = pu200.with_detector("Inner Tracker", data_bytes=2e6)
    assert editor.system == expected
    assert editor.system.node("Inner Tracker").params["data_bytes"] == 2e6
    assert editor.received == [editor.system]
    assert editor.errors == []
    assert editor.detectors[IT]["Data (bytes)"] == "2000000"
    before = twidgets.evaluate(pu200).power
    after = twidgets.evaluate(editor.system).power
    assert after == pytest.approx(twidgets.evaluate(expected).power, rel=1e-12)
    # at least the Inner Tracker's own link carries 0.56 MB more per crossing at 40 MHz
    link_delta = 2.22e-11 * 8 * (2e6 - 1.44e6) * 40e6
    assert after - before > link_delta


def test_edit_stage_reduction_ratio_and_year(editor, pu200):
    edit(editor, "stages", INTERMEDIATE, "Reduction Ratio", " 80 ")
    assert editor.system.param("Intermediate.reduction_ratio") == 80.0
    edit(editor, "global", 0, "Year", "2030")
    assert editor.system.year == 2030
    assert editor.year == "2030"
    assert len(editor.received) == 2
    ev = twidgets.evaluate(editor.system)
    ref = twidgets.evaluate(pu200.with_stage("Intermediate", reduction_ratio=80).with_year(2030))
    assert ev.scaled_power == pytest.approx(ref.scaled_power, rel=1e-12)


def test_python_api_accepts_row_names_and_numbers(editor):
    assert editor.edit("stages", "Intermediate", "Skill boost", 0.4) is True
    assert editor.system.param("Intermediate.skill_boost") == 0.4
    assert editor.edit("detectors", "HGCAL", "Data (bytes)", "abc") is False


def test_dropdown_values_are_applied(editor):
    edit(editor, "stages", GLOBAL, "Complexity", "hlt-gpu")
    edit(editor, "stages", GLOBAL, "Classifier", "HLT")
    node = editor.system.node("Global")
    assert node.complexity.spec == "hlt-gpu" and node.classifier == "HLT"
    edit(editor, "detectors", IT, "Category", "Timing")
    assert editor.system.node("Inner Tracker").output == "Timing"
    assert "Inner Tracker" in editor.system.node("Timing").preds


def test_poly_complexity_is_parsed(editor):
    edit(editor, "stages", GLOBAL, "Complexity", "poly:1e-7, 2e-13, 2e-20")
    node = editor.system.node("Global")
    x = 1.0e6
    assert node.complexity(x) == pytest.approx(1e-7 * x + 2e-13 * x**2 + 2e-20 * x**3)


def test_noop_edit_notifies_nobody(editor, pu200):
    edit(editor, "stages", INTERMEDIATE, "Reduction Ratio", "53.3")
    assert editor.received == []
    assert editor.system is pu200
    edit(editor, "stages", INTERMEDIATE, "Reduction Ratio", " 5.33e1 ")  # same number, other spelling
    assert editor.system is pu200 and editor.received == []
    assert editor.stages[INTERMEDIATE]["Reduction Ratio"] == "53.3"
    edit(editor, "stages", INTERMEDIATE, "Samples", "")  # blank in a column the table does not have
    assert editor.system is pu200 and editor.received == [] and editor.errors == []
    edit(editor, "stages", INTERMEDIATE, "Samples", "20000")
    assert editor.system.node("Intermediate").n_samples == 20000
    assert editor.system.node("Global").n_samples == pu200.node("Global").n_samples


# ---------------------------------------------------------------- invalid edits


@pytest.mark.parametrize(
    "table,row,column,value,sheet,sheet_row,words",
    [
        ("detectors", 1, "Data (bytes)", "abc", "Detectors", 3, ["'abc'", "not a number"]),
        ("detectors", IT, "Data (bytes)", "-5", "Detectors", 2, ["-5"]),
        ("detectors", 2, "Sample Rate", "", "Detectors", 4, ["empty"]),
        ("stages", INTERMEDIATE, "Reduction Ratio", "0.5", "Triggers", 6, ["0.5", ">= 1"]),
        ("stages", INTERMEDIATE, "Compression", "1", "Triggers", 6, ["[0, 1)"]),
        ("stages", GLOBAL, "Output", "Nowhere", "Triggers", 7, ["unknown Output", "'Nowhere'"]),
        ("stages", GLOBAL, "Classifier", "Magic", "Triggers", 7, ["unknown classifier", "'Magic'"]),
        ("detectors", 3, "Category", "Nowhere", "Detectors", 5, ["unknown Category"]),
        ("stages", 1, "Name", "Tracking", "Triggers", 3, ["duplicate", "'Tracking'"]),
    ],
)
def test_invalid_edit_keeps_system_and_names_the_cell(
    editor, pu200, table, row, column, value, sheet, sheet_row, words
):
    edit(editor, table, row, column, value)
    assert editor.system is pu200
    assert editor.received == []
    err = only_error(editor)
    assert (err["sheet"], err["row"], err["column"]) == (sheet, sheet_row, column)
    for w in words:
        assert w in err["message"]
    # what the front end uses to mark the cell, and the text stays as typed
    assert (err["table"], err["index"]) == (table, row)
    assert getattr(editor, table)[row][column] == value
    assert editor.get_state()["errors"][0]["column"] == column
    assert "problem" in editor.status


def test_cycle_via_output_is_reported_on_an_output_cell(editor, pu200):
    edit(editor, "stages", GLOBAL, "Output", "Intermediate")
    assert editor.system is pu200
    err = only_error(editor)
    assert err["sheet"] == "Triggers" and err["column"] == "Output"
    assert err["row"] in (INTERMEDIATE + 2, GLOBAL + 2)
    assert "cycle" in err["message"]
    assert editor.stages[GLOBAL]["Output"] == "Intermediate"


def test_self_loop_is_rejected(editor, pu200):
    edit(editor, "stages", GLOBAL, "Output", "Global")
    assert editor.system is pu200
    err = only_error(editor)
    assert (err["row"], err["column"]) == (GLOBAL + 2, "Output")


def test_fixing_the_cell_clears_the_error(editor, pu200):
    edit(editor, "stages", INTERMEDIATE, "Reduction Ratio", "0.5")
    assert editor.errors
    edit(editor, "stages", INTERMEDIATE, "Reduction Ratio", "400")
    assert editor.errors == []
    assert editor.system.param("Intermediate.reduction_ratio") == 400
    assert editor.received == [editor.system]
    assert editor.stages[INTERMEDIATE]["Reduction Ratio"] == "400"


def test_several_problems_are_listed_and_pending_text_kept(editor, pu200):
    edit(editor, "detectors", 1, "Data (bytes)", "abc")
    edit(editor, "stages", INTERMEDIATE, "Reduction Ratio", "0.5")
    edit(editor, "global", 0, "Year", "soon")
    cells = {(e["sheet"], e["row"], e["column"]) for e in editor.errors}
    assert cells == {("Detectors", 3, "Data (bytes)"), ("Triggers", 6, "Reduction Ratio"), ("Global", 2, "Year")}
    # a valid edit elsewhere does not wipe the pending text
    edit(editor, "detectors", IT, "Data (bytes)", "1e6")
    assert editor.detectors[1]["Data (bytes)"] == "abc"
    assert editor.stages[INTERMEDIATE]["Reduction Ratio"] == "0.5"
    assert editor.year == "soon"
    assert editor.system is pu200 and editor.received == []
    edit(editor, "detectors", 1, "Data (bytes)", "7")
    edit(editor, "stages", INTERMEDIATE, "Reduction Ratio", "60")
    assert [e["column"] for e in editor.errors] == ["Year"]
    edit(editor, "global", 0, "Year", "2031")
    assert editor.errors == []
    assert len(editor.received) == 1
    s = editor.system
    assert (
        s.node("Inner Tracker").params["data_bytes"],
        s.node("Outer Tracker PS").params["data_bytes"],
        s.param("Intermediate.reduction_ratio"),
        s.year,
    ) == (1e6, 7.0, 60.0, 2031)


def test_malicious_complexity_is_rejected_not_run(editor, pu200, tmp_path):
    canary = tmp_path / "pwned"
    payloads = [
        f"__import__('pathlib').Path({str(canary)!r}).touch()",
        "__import__('os').system('x')",
        f"poly:1,__import__('pathlib').Path({str(canary)!r}).touch()",
    ]
    for text in payloads:
        edit(editor, "stages", GLOBAL, "Complexity", text)
        err = only_error(editor)
        assert (err["sheet"], err["row"], err["column"]) == ("Triggers", GLOBAL + 2, "Complexity")
        assert "unknown complexity" in err["message"]
        assert editor.stages[GLOBAL]["Complexity"] == text
        assert editor.system is pu200
    assert not canary.exists()
    # typed into a numeric cell, it stays text and is reported as not a number
    edit(editor, "stages", GLOBAL, "Complexity", "hlt-cpu")
    edit(editor, "detectors", IT, "Data (bytes)", payloads[0])
    assert "not a number" in only_error(editor)["message"]
    assert not canary.exists()


# ---------------------------------------------------------------- rows


def test_rename_stage_references_follow(editor, pu200):
    edit(editor, "stages", 0, "Name", "Trackers")
    s = editor.system
    assert s.stage_names[0] == "Trackers" and "Tracking" not in s.stage_names
    cats = s.detectors.set_index("Detector")["Category"]
    assert (cats[["Inner Tracker", "Outer Tracker PS", "Outer Tracker 2S", "Track Finder TPG"]] == "Trackers").all()
    assert s == pu200.rename("Tracking", "Trackers")
    assert twidgets.evaluate(s).power == pytest.approx(twidgets.evaluate(pu200).power, rel=1e-12)
    edit(editor, "stages", INTERMEDIATE, "Name", "L1")
    assert editor.system.node("Trackers").output == "L1"
    assert editor.system.node("L1").output == "Global"
    assert "L1" in editor.choices["stages"]
    assert len(editor.received) == 2


def test_rename_through_an_invalid_name_still_moves_references(editor, pu200):
    edit(editor, "stages", 0, "Name", "Timing")  # duplicate: references must not merge
    assert "duplicate" in only_error(editor)["message"]
    assert editor.detectors[IT]["Category"] == "Tracking"
    edit(editor, "stages", 0, "Name", "")  # empty
    assert "empty name" in only_error(editor)["message"]
    edit(editor, "stages", 0, "Name", "Pixels")
    assert editor.errors == []
    assert editor.system == pu200.rename("Tracking", "Pixels")
    assert editor.system.node("Timing").preds == pu200.node("Timing").preds


def test_rename_detector(editor, pu200):
    edit(editor, "detectors", IT, "Detector", "Inner Tracker v2")
    assert editor.system == pu200.rename("Inner Tracker", "Inner Tracker v2")


def test_add_and_connect_a_stage(editor, pu200):
    msg(editor, {"type": "add_row", "table": "stages"})
    new = editor.stages[-1]
    name = new["Name"]
    assert name and name not in pu200.stage_names
    assert new["Output"] == "Disk" and new["Classifier"] == "Dummy"
    assert name in editor.choices["stages"]
    # put the new stage between Global and Disk
    edit(editor, "stages", GLOBAL, "Output", name)
    assert editor.errors == []
    s = editor.system
    assert s.node("Global").output == name and s.node(name).output == "Disk"
    assert s.node(name).params["reduction_ratio"] == 1.0
    # a pass-through stage with no payload and no ops only adds its output link's power
    before, after = twidgets.evaluate(pu200), twidgets.evaluate(s)
    assert after.f1 == pytest.approx(before.f1, rel=1e-12)
    assert after.power >= before.power
    assert editor.received[-1] is s


def test_add_detector(editor, pu200):
    msg(editor, {"type": "add_row", "table": "detectors"})
    assert editor.errors == []
    s = editor.system
    assert len(s.detector_names) == len(pu200.detector_names) + 1
    new = s.node(s.detector_names[-1])
    assert new.output == "Muon" and new.params["data_bytes"] == 0
    edit(editor, "detectors", len(s.detector_names) - 1, "Data (bytes)", "5000")
    assert editor.system.node(new.name).params["data_bytes"] == 5000
    assert len(editor.received) == 2


def test_delete_rows(editor, pu200):
    msg(editor, {"type": "delete_row", "table": "detectors", "row": IT})
    assert editor.system.detector_names == pu200.detector_names[1:]
    assert len(editor.received) == 1
    # deleting a stage that detectors still feed is an error; the system stays
    s = editor.system
    msg(editor, {"type": "delete_row", "table": "stages", "row": 1})  # Timing
    assert editor.system is s
    err = editor.errors[0]
    assert err["sheet"] == "Detectors" and err["column"] == "Category" and "Timing" in err["message"]
    assert [r["Name"] for r in editor.stages] == [n for n in pu200.stage_names if n != "Timing"]
    # repoint the timing detectors: valid again
    for i, row in enumerate(editor.detectors):
        if row["Category"] == "Timing":
            edit(editor, "detectors", i, "Category", "Tracking")
    assert editor.errors == []
    assert "Timing" not in editor.system.stage_names
    assert len(editor.received) == 2


def test_errors_never_escape_a_message(editor, pu200):
    for bad in (
        {"type": "edit", "table": "nope", "row": 0, "column": "Name", "value": "x"},
        {"type": "edit", "table": "stages", "row": 99, "column": "Name", "value": "x"},
        {"type": "edit", "table": "stages", "row": 0, "column": "No such column", "value": "x"},
        {"type": "delete_row", "table": "global", "row": 0},
        {"type": "edit", "table": "stages", "row": None},
    ):
        answer, _ = msg(editor, bad)
        assert editor.system is pu200
        assert editor.status.startswith("could not apply")
        assert answer["applied"] is False and answer["ok"] is False and answer["error"]
    editor._handle_custom_msg({"type": "something else"}, [])  # not a command: ignored
    assert editor.system is pu200


def test_command_answers_say_whether_the_edit_applied_and_is_valid(editor, pu200):
    answer, _ = msg(
        editor, {"type": "edit", "table": "stages", "row": INTERMEDIATE, "column": "Reduction Ratio", "value": "0.5"}
    )
    assert answer["applied"] is True and answer["ok"] is False  # taken into the draft, invalid
    assert answer["error"].startswith("1 problem") and ">= 1" in only_error(editor)["message"]
    answer, _ = msg(
        editor, {"type": "edit", "table": "stages", "row": INTERMEDIATE, "column": "Reduction Ratio", "value": "60"}
    )
    assert answer == {"ok": True, "applied": True, "status": editor.status, "error": None}
    assert editor.system.param("Intermediate.reduction_ratio") == 60


def test_setting_system_from_outside_refreshes(editor, run3):
    edit(editor, "detectors", IT, "Data (bytes)", "abc")
    editor.system = run3
    assert editor.errors == []
    assert editor.year == "2024"
    assert editor.detectors[IT]["Data (bytes)"] == show(run3.node("Inner Tracker").params["data_bytes"])
    edit(editor, "stages", INTERMEDIATE, "Reduction Ratio", "300")
    assert editor.system == run3.with_stage("Intermediate", reduction_ratio=300)


def test_extra_columns_survive_edits(pu200):
    det = pu200.detectors
    det["PU 200 (MB)"] = det["Data (bytes)"] / 1e6
    det["Note"] = ["pixel"] + [""] * (len(det) - 1)
    s = twidgets.System.from_frames(det, pu200.stages, pu200.globals)
    ed = SystemEditor(s)
    assert ed.columns["detectors"][7:9] == ["PU 200 (MB)", "Note"]
    assert ed.column_kinds["detectors"]["Note"] == "extra"
    ed.edit("detectors", IT, "Data (bytes)", "1e6")
    out = ed.system.detectors
    assert list(out.columns[:9]) == list(det.columns)
    assert out["PU 200 (MB)"].dtype == np.float64 and out["PU 200 (MB)"][0] == 1.44
    ed.edit("detectors", IT, "PU 200 (MB)", "1.0")
    assert ed.system.detectors["PU 200 (MB)"][0] == 1.0
    assert ed.system.detectors["PU 200 (MB)"].dtype == np.float64
    ed.edit("detectors", 1, "Note", "strip")
    assert ed.system.detectors["Note"][1] == "strip"


# ---------------------------------------------------------------- upload / download


def test_upload_valid_workbook_replaces_system(editor, run3):
    data = xlsx_bytes(run3)
    msg(editor, {"type": "upload", "name": "colleague.xlsx", "size": len(data)}, [memoryview(data)])
    assert editor.errors == []
    assert editor.system == run3
    assert editor.system.name == "colleague"
    assert editor.received == [editor.system]
    assert editor.year == "2024"
    assert "colleague.xlsx" in editor.status


def test_upload_bundled_file(editor):
    data = bundled_path("cms-hllhc-pu140").read_bytes()
    assert editor.load_bytes(data, "cms-hllhc-pu140.xlsx") is True
    assert editor.system == twidgets.load_system("cms-hllhc-pu140")


def _formula_workbook(pu200):
    wb = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(pu200)))
    ws = wb["Triggers"]
    headers = [c.value for c in ws[1]]
    ws.cell(row=INTERMEDIATE + 2, column=headers.index("Reduction Ratio") + 1, value="=40+13.3")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    "case",
    ["garbage", "truncated", "oversized", "declared-oversized", "formula", "missing-sheet", "no-buffer", "empty"],
)
def test_bad_upload_shows_error_and_keeps_system(editor, pu200, case):
    good = xlsx_bytes(pu200)
    buffers = None
    size = None
    if case == "garbage":
        data = b"this is not a workbook at all"
    elif case == "truncated":
        data = good[: len(good) // 2]
    elif case == "oversized":
        data = b"PK" + b"\0" * MAX_UPLOAD_BYTES
    elif case == "declared-oversized":
        data, size = None, MAX_UPLOAD_BYTES + 1
    elif case == "formula":
        data = _formula_workbook(pu200)
    elif case == "missing-sheet":
        wb = openpyxl.load_workbook(io.BytesIO(good))
        del wb["Global"]
        buf = io.BytesIO()
        wb.save(buf)
        data = buf.getvalue()
    elif case == "no-buffer":
        data, size = None, 100
    else:
        data = b""
    if data is not None:
        buffers, size = [memoryview(data)], len(data)
    edit(editor, "stages", INTERMEDIATE, "Reduction Ratio", "0.5")  # a pending problem survives
    msg(editor, {"type": "upload", "name": "bad.xlsx", "size": size}, buffers)
    assert editor.system is pu200
    assert editor.received == []
    upload_errors = [e for e in editor.errors if e.get("source") == "upload bad.xlsx"]
    assert len(upload_errors) == 1
    err = upload_errors[0]
    assert "could not load bad.xlsx" in editor.status
    assert editor.stages[INTERMEDIATE]["Reduction Ratio"] == "0.5"
    assert any(e["column"] == "Reduction Ratio" for e in editor.errors)
    if case in ("oversized", "declared-oversized"):
        assert "limit" in err["message"]
    assert err["table"] is None and err["index"] is None  # about the file, not a grid cell
    if case == "formula":
        assert (err["sheet"], err["row"], err["column"]) == ("Triggers", INTERMEDIATE + 2, "Reduction Ratio")
        assert "formula" in err["message"]
    if case == "missing-sheet":
        assert "Global" in err["message"]
    # the next edit clears the upload message
    edit(editor, "stages", INTERMEDIATE, "Reduction Ratio", "53.3")
    assert editor.errors == []


def test_download_reads_back_equal(editor, pu200):
    edit(editor, "stages", INTERMEDIATE, "Skill boost", "0.4")
    content, buffers = msg(editor, {"type": "download"})
    assert content["ok"] and content["name"].endswith(".xlsx")
    data = bytes(buffers[0])
    assert content["size"] == len(data)
    back = read_workbook(data)
    assert back == editor.system
    assert back.param("Intermediate.skill_boost") == 0.4
    assert editor.to_xlsx_bytes()[:2] == b"PK"


def _with_not_saved(system, dropped):
    """A copy of ``system`` as the workbook reader returns it when a save would drop
    ``dropped`` (stands in for a workbook with extra sheets or comments)."""
    return twidgets.System.from_frames(
        system.detectors, system.stages, system.globals, curves=system.curves, name=system.name, not_saved=dropped
    )


def test_editor_says_what_download_will_not_keep(editor, pu200):
    assert editor.not_saved == []
    dropped = ("sheet 'Notes'", "cell comments")
    editor.set_system(_with_not_saved(pu200, dropped))
    assert editor.not_saved == list(dropped)
    # an edited system still comes from that workbook: the warning stays
    edit(editor, "stages", INTERMEDIATE, "Reduction Ratio", "70")
    assert editor.system.param("Intermediate.reduction_ratio") == 70
    assert editor.not_saved == list(dropped)
    edit(editor, "stages", INTERMEDIATE, "Reduction Ratio", "abc")
    assert editor.not_saved == list(dropped)
    # another system replaces it, and with it what its save would drop
    editor.set_system(pu200)
    assert editor.not_saved == []


def test_upload_keeps_extra_sheets_through_edits_and_says_what_it_drops(editor, pu200):
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(pu200)))
    notes = book.create_sheet("Notes")
    notes["A1"] = "run plan"
    notes["A2"] = 42
    book["Triggers"]["D2"].comment = Comment("checked with the L1 team", "me")
    buf = io.BytesIO()
    book.save(buf)
    assert editor.load_bytes(buf.getvalue(), "annotated.xlsx")
    assert any("comments" in s for s in editor.not_saved), editor.not_saved
    assert not any("Notes" in s for s in editor.not_saved)  # the extra sheet is kept, not dropped
    edit(editor, "stages", INTERMEDIATE, "Reduction Ratio", "70")
    assert editor.system.param("Intermediate.reduction_ratio") == 70
    assert any("comments" in s for s in editor.not_saved)  # still the loaded workbook
    _, buffers = msg(editor, {"type": "download"})
    saved = openpyxl.load_workbook(io.BytesIO(buffers[0]))
    assert "Notes" in saved.sheetnames
    assert [c.value for c in saved["Notes"]["A"]] == ["run plan", 42]
    assert read_workbook(buffers[0]).param("Intermediate.reduction_ratio") == 70


def test_the_sensor_network_is_edited_through_the_commands():
    """A non-CMS system (tests/generic_system.py) needs no code change in the editor."""
    from generic_system import sensor_network

    system = sensor_network()
    ed = SystemEditor(system)
    assert [r["Name"] for r in ed.stages] == system.stage_names
    assert ed.choices["stages"] == system.stage_names
    msg(ed, {"type": "edit", "table": "stages", "row": "Edge", "column": "Name", "value": "Gateway"})
    assert ed.system == system.rename("Edge", "Gateway")
    answer, _ = msg(ed, {"type": "edit", "table": "stages", "row": "Gateway", "column": "Skill variance", "value": "0"})
    assert answer["applied"] and not answer["ok"]
    assert only_error(ed)["where"].startswith('Trigger stages, row 3 "Gateway", Skill width')
    msg(ed, {"type": "edit", "table": "stages", "row": "Gateway", "column": "Skill variance", "value": "1.5"})
    assert ed.errors == [] and ed.system.param("Gateway.skill_scale") == 1.5
    msg(ed, {"type": "add_row", "table": "detectors"})
    assert ed.errors == [] and len(ed.system.detector_names) == len(system.detector_names) + 1
    _, buffers = msg(ed, {"type": "download"})
    assert read_workbook(buffers[0]) == ed.system
    twidgets.evaluate(ed.system)  # the edited system evaluates


def test_set_system_and_load_callbacks(editor, pu200, run3):
    loads = []
    editor.on_load(lambda system, name: loads.append((system, name, editor.system)))
    edit(editor, "stages", INTERMEDIATE, "Reduction Ratio", "abc")
    editor.set_system("cms-run3-pu60")
    assert editor.system == run3 and editor.errors == [] and editor.year == "2024"
    assert loads == []  # set_system is not a load
    assert editor.load_bytes(xlsx_bytes(pu200), "mine.xlsx")
    ((system, name, current),) = loads
    assert system == pu200 and name == "mine.xlsx"
    assert current == run3  # called before .system changes, so overrides can be cleared first
    assert editor.system is system
    msg(editor, {"type": "upload", "name": "bad.xlsx", "size": 3}, [b"abc"])
    assert len(loads) == 1  # a failed upload loads nothing
    with pytest.raises(twidgets.ParameterError):
        editor.set_system(42)


def test_download_with_pending_errors_saves_last_valid(editor, pu200):
    edit(editor, "stages", INTERMEDIATE, "Reduction Ratio", "abc")
    _, buffers = msg(editor, {"type": "download"})
    assert read_workbook(buffers[0]) == pu200
    assert "pending" in editor.status


def test_edit_saved_and_reloaded_is_still_there(pu200, tmp_path):
    """Issue 6 round trip: edit in the grid, download, load again (file and upload)."""
    first = SystemEditor(pu200)
    first.edit("detectors", "Inner Tracker", "Data (bytes)", "662400")
    first.edit("stages", "Intermediate", "Name", "L1 Trigger")
    first.edit("stages", "Global", "Complexity", "poly:1e-7,2e-13,2e-20")
    first.edit("global", 0, "Year", "2030")
    assert first.errors == []
    data = first.to_xlsx_bytes()
    path = tmp_path / "edited.xlsx"
    path.write_bytes(data)
    reloaded = twidgets.System.from_xlsx(path)
    assert reloaded == first.system
    assert reloaded.node("Inner Tracker").params["data_bytes"] == 662400
    assert reloaded.node("Tracking").output == "L1 Trigger"
    assert reloaded.node("Global").complexity.spec == "poly:1e-7,2e-13,2e-20"
    assert reloaded.year == 2030
    second = SystemEditor(pu200)
    assert second.load_bytes(data, "edited.xlsx")
    assert second.system == first.system
    assert second.stages[INTERMEDIATE]["Name"] == "L1 Trigger"
    assert twidgets.evaluate(second.system).power == pytest.approx(twidgets.evaluate(first.system).power, rel=1e-12)


# ---------------------------------------------------------------- static assets


def test_esm_and_css_are_in_the_package():
    static = resources.files("twidgets.widgets") / "static"
    js = (static / "editor.js").read_text(encoding="utf-8")
    css = (static / "editor.css").read_text(encoding="utf-8")
    assert re.search(r"export\s+default\s*\{\s*render\s*\}", js) or re.search(r"export\s+function\s+render", js)
    assert not re.search(r"https?://", js) and not re.search(r"https?://", css)
    assert not re.search(r"^\s*import\s", js, re.M) and "@import" not in css
    assert "eval(" not in js and "new Function" not in js
    ed = SystemEditor()
    assert ed._esm == js and ed._css == css
    # the DOM contract the browser tests rely on
    for cls in (
        "tw-detectors",
        "tw-stages",
        "tw-row",
        "tw-invalid",
        "tw-error",
        "tw-errors",
        "tw-year",
        "tw-add-row",
        "tw-delete-row",
        "tw-upload",
        "tw-download",
    ):
        assert cls in js
    assert "data-column" in js or "dataset.column" in js


def test_malformed_corpus_uploads_show_the_error_and_keep_the_system(pu200):
    """Issue 6: every malformed workbook of the shared corpus, uploaded through the editor."""
    import malformed  # tests/malformed.py (the shared corpus)

    ed = SystemEditor(pu200)
    received = []
    ed.observe(lambda change: received.append(change["new"]), "system")
    assert len(malformed.INVALID) >= 30
    for c in malformed.INVALID:
        data = malformed.case_bytes(c)
        msg(ed, {"type": "upload", "name": f"{c.id}{c.suffix}", "size": len(data)}, [memoryview(data)])
        assert ed.system is pu200, c.id
        assert received == [], c.id
        (err,) = [e for e in ed.errors if e.get("source")]
        if len(data) > MAX_UPLOAD_BYTES:
            assert "limit" in err["message"], c.id
            continue
        assert (err["sheet"], err["row"], err["column"]) == (c.sheet, c.row, c.column), (c.id, err)
        for word in c.says:
            assert word in err["message"].lower(), (c.id, word, err["message"])
        assert f"could not load {c.id}" in ed.status, c.id
    for c in malformed.VALID:
        assert ed.load_bytes(malformed.case_bytes(c), f"{c.id}.xlsx"), (c.id, ed.errors)
        assert ed.errors == [], c.id


def test_rename_moves_curve_points_too(pu200):
    curves = pd.DataFrame(
        {
            "Stage": ["Intermediate"] * 3,
            "Object": ["muon"] * 3,
            "Energy (GeV)": [5.0, 20.0, 60.0],
            "Efficiency": [0.0, 0.5, 0.95],
        }
    )
    s = twidgets.System.from_frames(pu200.detectors, pu200.stages, pu200.globals, curves=curves)
    ed = SystemEditor(s)
    assert ed.edit("stages", "Intermediate", "Name", "L1") is True
    assert (ed.system.curves["Stage"] == "L1").all()
    assert ed.system == s.rename("Intermediate", "L1")
    assert ed.system.node("L1").curves == s.node("Intermediate").curves


# ---------------------------------------------------------------- fuzzing the message path

_TEXT = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "1",
            "-1",
            "0.5",
            "1e309",
            "nan",
            "inf",
            "abc",
            "=1+1",
            "53.3",
            "2e6",
            "Tracking",
            "Global",
            "Disk",
            "Nowhere",
            "L1T",
            "HLT",
            "Gaussian",
            "Dummy",
            "hlt-gpu",
            "poly:1e-7,2e-13",
            "poly:",
            "__import__('os')",
            "2030",
            "1800",
            "published",
        ]
    ),
    st.text(max_size=8),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_sequence_of_messages_keeps_a_valid_system(pu200, data):
    ed = SystemEditor(pu200)
    received = []
    ed.observe(lambda change: received.append(change["new"]), "system")
    for _ in range(data.draw(st.integers(1, 6), label="n")):
        action = data.draw(st.sampled_from(["edit", "edit", "edit", "add_row", "delete_row"]), label="action")
        table = data.draw(st.sampled_from(["detectors", "stages", "global"]), label="table")
        rows = len(getattr(ed, table)) if table != "global" else 1
        row = data.draw(st.integers(0, max(rows - 1, 0)), label="row")
        if action == "edit":
            column = "Year" if table == "global" else data.draw(st.sampled_from(ed.columns[table]), label="col")
            content = {
                "type": "edit",
                "table": table,
                "row": row,
                "column": column,
                "value": data.draw(_TEXT, label="value"),
            }
        else:
            content = {"type": action, "table": table, "row": row}
        msg(ed, content)
        assert isinstance(ed.system, twidgets.System)
        for err in ed.errors:
            assert err["message"] and (err["sheet"] is None or err["sheet"] in ("Detectors", "Triggers", "Global"))
            if err["table"] in ("detectors", "stages"):
                assert 0 <= err["index"] < len(getattr(ed, err["table"]))
                assert err["column"] is None or err["column"] in ed.columns[err["table"]]
        if not ed.errors:  # a valid draft is exactly the current system
            assert [r["Detector"] for r in ed.detectors] == ed.system.detector_names
            assert [r["Name"] for r in ed.stages] == ed.system.stage_names
            assert ed.year == str(ed.system.year)
    # observers saw each new System once, in order, and the last one is current
    assert all(a is not b for a, b in zip(received, received[1:]))
    if received:
        assert received[-1] is ed.system
    else:
        assert ed.system is pu200


def test_deleting_every_detector_keeps_the_last_valid_system(pu200):
    ed = SystemEditor(pu200)
    last_valid = ed.system
    while ed.detectors:
        if ed.delete_row("detectors", 0):
            last_valid = ed.system
        assert ed.system is last_valid
    assert len(last_valid.detector_names) < len(pu200.detector_names)
    err = only_error(ed)
    assert err["sheet"] == "Detectors" and "no detectors" in err["message"]
    assert err["index"] is None  # no grid cell to mark: shown in the summary
    ed.add_row("detectors")  # the new one feeds a stage; the other stages are still unfed
    assert len(ed.detectors) == 1
    assert ed.errors and not any("no detectors" in e["message"] for e in ed.errors)
    assert ed.system is last_valid


def test_revert_drops_pending_edits(editor, pu200):
    edit(editor, "stages", INTERMEDIATE, "Reduction Ratio", "0.5")
    edit(editor, "detectors", IT, "Detector", "")
    assert len(editor.errors) == 2
    msg(editor, {"type": "revert"})
    assert editor.errors == []
    assert editor.system is pu200 and editor.received == []
    assert editor.stages[INTERMEDIATE]["Reduction Ratio"] == "53.3"
    assert editor.detectors[IT]["Detector"] == "Inner Tracker"


def test_column_help_describes_blank_optional_cells(editor):
    help_ = editor.column_help["stages"]
    # every registered classifier kind is named in the tooltip, with its description
    for kind in editor.choices["classifiers"]:
        description = twidgets.model.registry.classifier_kind(kind).description
        assert f"{kind}: {description}" in help_["Classifier"]["title"]
    assert help_["Samples"]["placeholder"] == "50000"
    assert help_["Skill boost"]["placeholder"] == "0"
    assert help_["Reduction Ratio"]["placeholder"] == ""  # required: no default
    assert ">= 1" in help_["Reduction Ratio"]["title"]
    assert "poly:" in help_["Complexity"]["title"]


# ---------------------------------------------------------------- the real editor.js in Chromium

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>{css}</style></head>
<body><div id="host"></div><script type="module">
const listeners = {{}};
let state = {{}};
const toB64 = (b) => {{ const u = new Uint8Array(b.buffer ? b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) : b);
  let s = ""; for (const x of u) s += String.fromCharCode(x); return btoa(s); }};
const fromB64 = (b) => {{ const bin = atob(b);
  const u = new Uint8Array(bin.length); for (let i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
  return new DataView(u.buffer); }};
const model = {{
  get: (k) => state[k],
  on: (ev, cb) => {{ (listeners[ev] = listeners[ev] || []).push(cb); }},
  off: (ev, cb) => {{ listeners[ev] = (listeners[ev] || []).filter((f) => f !== cb); }},
}};
// anywidget's experimental.invoke, wired to the kernel side through Playwright; while
// window.kernelDead is set no answer ever comes and the caller's signal fires (as with a dead
// kernel); window.kernelSlowMs delays the kernel's work and answer (a busy kernel)
const experimental = {{
  invoke: (name, msg, opts) => new Promise((resolve, reject) => {{
    const signal = opts && opts.signal;
    if (window.kernelDead) {{
      window.lostCommands = (window.lostCommands || 0) + 1;
      signal.addEventListener("abort", () => reject(signal.reason));
      return;
    }}
    const ask = () => window.toPython(name, JSON.stringify(msg), ((opts && opts.buffers) || []).map(toB64))
      .then(([answer, b64s]) => resolve([answer, b64s.map(fromB64)]), reject);
    if (window.kernelSlowMs) setTimeout(ask, window.kernelSlowMs); else ask();
  }}),
}};
window.setState = (s) => {{ state = Object.assign({{}}, state, s);
  for (const k of Object.keys(s)) for (const cb of listeners["change:" + k] || []) cb(); }};
const mod = await import("data:text/javascript;base64,{esm_b64}");
window.setState(JSON.parse({state_json}));
mod.default.render({{ model, el: document.getElementById("host"), experimental }});
window.rendered = true;
</script></body></html>"""


def _chromium(p):
    import os
    import shutil

    try:
        return p.chromium.launch()
    except Exception:  # no Playwright-managed browser: use the system's Chromium if there is one
        exe = next(
            (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None
        )
        if exe is None or os.environ.get("TWIDGETS_NO_BROWSER"):
            pytest.skip("no Chromium available for the browser test")
        return p.chromium.launch(executable_path=exe, args=["--no-sandbox"])


@pytest.mark.browser
def test_editor_js_in_chromium(pu200, tmp_path):
    """The shipped ESM rendered in Chromium, wired to a real SystemEditor through a stand-in comm."""
    import base64
    import json

    from playwright.sync_api import expect, sync_playwright

    ed = SystemEditor(pu200)
    synced = [name for name in ed.keys if not name.startswith("_") and name not in ("layout", "tabbable", "tooltip")]
    static = resources.files("twidgets.widgets") / "static"
    js = (static / "editor.js").read_text(encoding="utf-8")
    page_html = _PAGE.format(
        css=(static / "editor.css").read_text(encoding="utf-8"),
        esm_b64=base64.b64encode(js.encode()).decode(),
        state_json=json.dumps(json.dumps(ed.get_state(synced))),
    )
    (tmp_path / "page.html").write_text(page_html, encoding="utf-8")
    run3_file = tmp_path / "run3.xlsx"
    run3_file.write_bytes(bundled_path("cms-run3-pu60").read_bytes())

    with sync_playwright() as p:
        browser = _chromium(p)
        page = browser.new_page(accept_downloads=True)
        page_errors = []
        page.on("pageerror", lambda e: page_errors.append(str(e)))

        def to_python(name, content, b64s):
            answer, out = invoke(ed, name, json.loads(content), [base64.b64decode(b) for b in b64s])
            page.evaluate("s => window.setState(s)", ed.get_state(synced))
            return [answer, [base64.b64encode(b).decode() for b in out]]

        page.expose_function("toPython", to_python)
        page.goto((tmp_path / "page.html").as_uri())
        page.wait_for_function("window.rendered === true")
        root = page.locator(".twidgets-editor")
        assert root.locator("table.tw-detectors tr.tw-row").count() == 19
        assert root.locator("table.tw-stages tr.tw-row").count() == 7

        status = root.locator(".tw-editor-status")
        header = root.locator('table.tw-detectors th[data-column="Data (bytes)"]')
        assert header.inner_text() == "Event size (B)"
        assert 'workbook column "Data (bytes)"' in header.get_attribute("title")
        expect(root.locator(".tw-not-saved")).to_be_hidden()  # the bundled system loses nothing

        def cell(table, name, column):
            return root.locator(f'table.tw-{table} tr.tw-row[data-name="{name}"] td[data-column="{column}"]')

        # a blank calibration reads as the column's default (from the model, not the ESM)
        blank = cell("stages", "Intermediate", "Calibration").locator("option").first
        assert blank.inner_text() == f"({ed.column_help['stages']['Calibration']['placeholder']})" == "(published)"

        # invalid edit: marked, message beside the cell and in the summary, text kept
        rr = cell("stages", "Intermediate", "Reduction Ratio")
        rr.locator("input").fill("0.5")
        rr.locator("input").press("Enter")
        page.wait_for_selector("td.tw-invalid .tw-error")
        assert "tw-invalid" in rr.get_attribute("class")
        assert ">= 1" in rr.locator(".tw-error").inner_text()
        # the summary names the row as the grid numbers it and the column by its display name
        assert 'Trigger stages, row 5 "Intermediate", Reduction ratio' in root.locator(".tw-errors").inner_text()
        assert rr.locator("xpath=..").locator("td.tw-rownum").inner_text() == "5"
        assert rr.locator("input").input_value() == "0.5"
        assert ed.system is pu200
        rr.locator("input").fill("80")
        rr.locator("input").press("Enter")
        expect(root.locator(".tw-invalid")).to_have_count(0)
        assert ed.system.param("Intermediate.reduction_ratio") == 80

        # dropdowns, rename, rows, year
        cell("stages", "Global", "Classifier").locator("select").select_option("HLT")
        expect(status).to_contain_text("stages Classifier")
        assert ed.system.node("Global").classifier == "HLT"
        name = cell("stages", "Tracking", "Name").locator("input")
        name.fill("Pixels")
        name.press("Enter")
        expect(cell("detectors", "Inner Tracker", "Category").locator("select")).to_have_value("Pixels")
        assert ed.system.node("Inner Tracker").output == "Pixels"
        root.locator("table.tw-detectors .tw-add-row").click()
        expect(root.locator("table.tw-detectors tr.tw-row")).to_have_count(20)
        root.locator('table.tw-detectors tr.tw-row[data-name="HCAL HO"] .tw-delete-row').click()
        expect(root.locator("table.tw-detectors tr.tw-row")).to_have_count(19)
        assert "HCAL HO" not in ed.system.detector_names
        year = root.locator(".tw-year")
        year.fill("2030")
        year.press("Enter")
        expect(status).to_contain_text("global Year")
        assert ed.system.year == 2030

        # the kernel stops answering: the edit stays in its cell, marked, with a message and
        # Retry; once the kernel answers again Retry applies it
        ed.answer_timeout = 1.0
        page.evaluate("s => window.setState(s)", ed.get_state(["answer_timeout"]))
        page.evaluate("() => { window.kernelDead = true; }")
        boost = cell("stages", "Global", "Skill boost")
        boost.locator("input").fill("0.25")
        boost.locator("input").press("Enter")
        note = root.locator(".tw-unsent-note")
        expect(note).to_be_visible()
        assert "1 edit not applied" in note.inner_text() and "no answer from the kernel" in note.inner_text()
        assert "Skill boost" in note.inner_text()
        expect(boost).to_have_class(re.compile(r"\btw-unsent\b"))
        assert boost.locator("input").input_value() == "0.25"
        assert page.evaluate("() => window.lostCommands") == 1
        assert ed.system.param("Global.skill_boost") == 0.0
        # a redraw from another change keeps the unsent value in its cell
        page.evaluate("s => window.setState(s)", ed.get_state(["stages"]))
        assert boost.locator("input").input_value() == "0.25"
        page.evaluate("() => { window.kernelDead = false; }")
        ed.answer_timeout = 60.0
        page.evaluate("s => window.setState(s)", ed.get_state(["answer_timeout"]))
        note.locator(".tw-retry").click()
        expect(note).to_be_hidden()
        expect(root.locator(".tw-unsent")).to_have_count(0)
        assert ed.system.param("Global.skill_boost") == 0.25

        # a busy kernel: the edit is marked while no answer has come, and the late answer clears it
        ed.answer_timeout = 1.0
        page.evaluate("s => window.setState(s)", ed.get_state(["answer_timeout"]))
        page.evaluate("() => { window.kernelSlowMs = 4000; }")
        boost.locator("input").fill("0.3")
        boost.locator("input").press("Enter")
        expect(note).to_be_visible()
        assert "no answer from the kernel yet" in note.inner_text()
        assert ed.system.param("Global.skill_boost") == 0.25
        expect(note).to_be_hidden(timeout=20_000)
        assert ed.system.param("Global.skill_boost") == 0.3
        expect(root.locator(".tw-unsent")).to_have_count(0)
        page.evaluate("() => { window.kernelSlowMs = 0; }")
        ed.answer_timeout = 60.0
        page.evaluate("s => window.setState(s)", ed.get_state(["answer_timeout"]))

        # download and upload
        with page.expect_download() as info:
            root.locator(".tw-download").click()
        assert twidgets.System.from_xlsx(info.value.path()) == ed.system
        root.locator("input.tw-upload").set_input_files(str(run3_file))
        expect(root.locator(".tw-year")).to_have_value("2024")
        assert ed.system == twidgets.load_system("cms-run3-pu60")
        ed.set_system(_with_not_saved(ed.system, ("sheet 'Notes'", "cell comments")))
        page.evaluate("s => window.setState(s)", ed.get_state(synced))
        expect(root.locator(".tw-not-saved")).to_have_text("Download will not keep: sheet 'Notes'; cell comments")
        browser.close()
    assert page_errors == []
