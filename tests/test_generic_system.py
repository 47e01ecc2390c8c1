"""A non-CMS system (tests/generic_system.py) drives every widget and the CLI with no code change.

Expected values come from :func:`twidgets.evaluate` / :func:`twidgets.sweep` on the same
System, never from the widgets themselves.
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import twidgets
from twidgets.cli import main
from twidgets.widgets import Dashboard, StageInspector, SweepExplorer
from twidgets.widgets.editor import SystemEditor
from twidgets.widgets.flow import FlowView, flow_nodes

sys.path.insert(0, str(Path(__file__).parent))
from generic_system import SELECTING, X, Y, sensor_network

WIDGETS = Path(twidgets.__file__).parent / "widgets"
IMPORTS_THE_STUDY = "<imports twidgets.cms>"


@pytest.fixture(scope="module")
def net():
    return sensor_network()


def _code_strings(path: Path):
    """String constants of a module's code (docstrings excluded: examples may name a bundled system)."""
    tree = ast.parse(path.read_text())
    docs = {
        id(n.body[0].value)
        for n in ast.walk(tree)
        if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and n.body
        and isinstance(n.body[0], ast.Expr)
        and isinstance(n.body[0].value, ast.Constant)
    }
    for n in ast.walk(tree):
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs:
            yield n.value
        if isinstance(n, ast.ImportFrom) and "cms" in (n.module or "").split("."):
            yield IMPORTS_THE_STUDY


def test_no_widget_names_a_cms_stage_or_imports_the_study():
    for path in WIDGETS.glob("*.py"):
        for text in _code_strings(path):
            assert text is not IMPORTS_THE_STUDY, f"{path.name} imports twidgets.cms"
            for word in ("Intermediate", "cms-hllhc", "cms-run3"):
                assert word not in text, f"{path.name} names {word!r}: {text!r}"


def test_inspector_opens_on_the_first_selecting_stage(net):
    ins = StageInspector(net)
    assert ins.stage == SELECTING[0]
    ev = twidgets.evaluate(net)
    assert ins.evaluation.f1 == ev.f1
    ins.stage = SELECTING[1]
    ins.overrides = {"Datacenter.reduction_ratio": 5.0}
    assert ins.evaluation.f1 == twidgets.evaluate(net, {"Datacenter.reduction_ratio": 5.0}).f1
    with pytest.raises(twidgets.ParameterError, match="no stage 'Intermediate'"):
        StageInspector(net, stage="Intermediate")


def test_explorer_maps_the_first_selecting_stage_without_scenarios(net):
    ex = SweepExplorer(net, num=5, debounce=0)
    assert (ex.x, ex.y) == (X, Y) and ex.scenarios == ()
    ref = twidgets.sweep(net, {X: np.linspace(*ex.x_range[:2], 5), Y: np.linspace(*ex.y_range[:2], 5)}, metrics=["f1"])
    np.testing.assert_allclose(ex.z(), ref.metric("f1"))
    ex.select(ex.x_range[0], ex.y_range[1])
    assert set(ex.selected) == {X, Y}
    # only the map, the operating point and the selection: no study's scenario markers
    assert [t.name for t in ex.contour.data[1:]] == [t.name for t in ex.contour.data[-2:]]


def test_explorer_marks_scenarios_given_as_arguments(net):
    class Point:
        name, marker = "cheap edge", "diamond"
        overrides = {X: 10.0, Y: 0.5}

    ex = SweepExplorer(net, X, Y, scenarios=[Point()], x_range=(40.0, 2.0, 5), y_range=(0.0, 1.0, 5), debounce=0)
    trace = ex.contour.data[1]
    assert trace.name == "cheap edge" and trace.marker.symbol == "diamond"
    assert list(trace.x) == [10.0] and list(trace.y) == [0.5]


def test_flow_and_editor_show_the_generic_system(net):
    ev = twidgets.evaluate(net)
    flow = FlowView(ev)
    nodes = flow_nodes(ev)
    kinds = dict(zip(nodes["label"], nodes["kind"]))
    assert (kinds["Edge"], kinds["Datacenter"], kinds["Archive"]) == ("selecting", "selecting", "sink")
    assert flow.figure.data[0].type == "sankey"
    assert list(flow.figure.data[0].node.label)[: len(nodes)] == list(nodes["label"])
    editor = SystemEditor(net)
    assert editor.system == net


def test_dashboard_composes_every_widget_on_the_generic_system(net):
    dash = Dashboard(net, debounce=0, num=5)
    assert dash.inspector.stage == SELECTING[0]
    assert (dash.explorer.x, dash.explorer.y) == (X, Y)
    assert dash.compare.variants == []  # no study registered variants for this system
    ev = twidgets.evaluate(net)
    assert dash.state.evaluation().f1 == ev.f1
    dash.overrides = {"Edge.reduction_ratio": 10.0}
    assert dash.inspector.evaluation.f1 == twidgets.evaluate(net, {"Edge.reduction_ratio": 10.0}).f1


def test_cli_evaluates_and_sweeps_a_workbook_of_the_generic_system(net, tmp_path, capsys):
    path = tmp_path / "sensor-network.xlsx"
    net.to_xlsx(path)
    assert main(["evaluate", str(path), "--set", "Edge.reduction_ratio=10", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["headline"]["f1"] == twidgets.evaluate(net, {"Edge.reduction_ratio": 10.0}).f1
    csv = tmp_path / "sweep.csv"
    assert main(["sweep", str(path), "--param", f"{X}=40:2:4", "--metric", "f1", "--out", str(csv), "--quiet"]) == 0
    capsys.readouterr()
    ref = twidgets.sweep(net, {X: np.linspace(40, 2, 4)}, metrics=["f1"])
    pd.testing.assert_frame_equal(pd.read_csv(csv, comment="#"), ref.to_dataframe(), check_exact=True)
