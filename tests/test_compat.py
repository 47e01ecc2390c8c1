"""twidgets.compat: the seed workflow's API on top of the model core.

The acceptance test runs ``../shared/seed/workflow.py`` top to bottom (only its import
cell replaced) in a folder holding the workbooks it reads, then checks its results
against the core. The unit tests check each compat function against the core or
against hand-computed values.
"""

from __future__ import annotations

import copy
import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import seed_runner

import twidgets
from twidgets import compat
from twidgets.cms.complexity import HLT_CPU_COEFFS, HLT_GPU_COEFFS
from twidgets.cms.scenarios import PUBLISHED, SCENARIOS, scenario_table
from twidgets.compat import (
    construct_graph,
    dataframes_from_spreadsheet,
    density_scale_model,
    f1_score,
    get_passed,
    get_rejected,
    precision,
    ratio_to_reduction,
    recall,
    reduction_to_ratio,
    to_model,
    transistor_scale_model,
    update_throughput,
)

GRID = 101


# ------------------------------------------------------------------ the seed workflow


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    """Namespace and folder of one full run of the seed workflow (101 x 101 loop included)."""
    folder = seed_runner.write_workbooks(tmp_path_factory.mktemp("seed"))
    cells = seed_runner.split_cells(seed_runner.seed_path().read_text())
    return seed_runner.run_cells(folder, cells), folder


def test_seed_workflow_script_is_present():
    path = seed_runner.seed_path()  # raises FileNotFoundError naming the expected location
    labels = [label for label, _ in seed_runner.split_cells(path.read_text())]
    assert labels[0] == "1" and "95" in labels and len(labels) > 50


def test_first_cell_is_the_only_replacement():
    cells = seed_runner.split_cells(seed_runner.seed_path().read_text())
    assert "from graph import *" in cells[0][1]
    assert not any("from graph import" in code for _, code in cells[1:])


def test_workbooks_hold_the_bundled_systems(tmp_path):
    seed_runner.write_workbooks(tmp_path)
    assert twidgets.System.from_xlsx(tmp_path / "cms_system_200.xlsx") == twidgets.load_system("cms-hllhc-pu200")
    assert twidgets.System.from_xlsx(tmp_path / "cms_system_200_smartpx.xlsx") == twidgets.load_system(
        "cms-hllhc-pu200-smartpx"
    )
    data = pd.read_excel(tmp_path / "wall time scaling.xlsx", sheet_name="Data")
    assert {"Size", "Wall Time", "Wall Time GPU"} <= set(data.columns)
    # MODEL.md: an 8.425 MB event takes 27.88 s of CPU wall time; the GPU model halves it
    row = data.loc[np.isclose(data["Size"], 8.425e6)].iloc[0]
    assert row["Wall Time"] == pytest.approx(27.88, abs=0.005)
    assert row["Wall Time GPU"] == pytest.approx(row["Wall Time"] / 2, rel=1e-6)


def test_seed_loop_shapes(seed_run):
    ns, _ = seed_run
    assert len(ns["res"]) == GRID and all(len(row) == GRID for row in ns["res"])
    for name in ("res_f1", "res_recall", "res_precision", "power", "res_productivity"):
        assert np.shape(ns[name]) == (GRID, GRID), name
    for name in ("res_f1", "res_recall", "res_precision"):
        assert np.all((ns[name] >= 0) & (ns[name] <= 1)), name


def test_seed_f1_rises_with_skill_boost(seed_run):
    f1 = seed_run[0]["res_f1"]  # rows: skill boost 0 .. 1, columns: L1 RR 450 .. 40
    assert np.all(f1[-1] > f1[0] + 0.2)
    # Monte-Carlo scores and integer event counts allow only tiny dips along the boost axis
    assert np.diff(f1, axis=0).min() > -1e-3
    assert np.all(f1[:, 50] > 0.26)


def test_seed_loop_equals_one_vectorised_evaluate(seed_run):
    ns, _ = seed_run
    rr, boost = ns["l1t_reductions"], ns["l1t_skills"]
    system = twidgets.load_system("cms-hllhc-pu200").with_params({"Global.complexity": "hlt-cpu"})
    ev = twidgets.evaluate(
        system, {"Intermediate.reduction_ratio": rr[None, :], "Intermediate.skill_boost": boost[:, None]}
    )
    confusion = np.array([[r[1] for r in row] for row in ns["res"]])
    np.testing.assert_array_equal(confusion, ev.confusion)
    np.testing.assert_array_equal(ns["res_f1"], ev.f1)
    np.testing.assert_allclose(ns["power"], ev.scaled_power, rtol=1e-12)
    np.testing.assert_allclose(ns["res_productivity"], ev.productivity, rtol=1e-12)


def test_seed_scenarios_equal_the_core_scenarios(seed_run):
    ns, _ = seed_run
    table = scenario_table()
    assert [s.name for s in SCENARIOS] == list(table.index)
    powers = np.array([s[0] / density_scale_model(2032) for s in ns["all_systems"]])
    np.testing.assert_allclose(powers / 1e6, table["power_MW"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(ns["systems_power"] / 1e6, table["power_MW"].to_numpy(), rtol=1e-12)
    np.testing.assert_array_equal(ns["systems_f1"], table["f1"].to_numpy())
    for (power, confusion), s in zip(ns["all_systems"], SCENARIOS):
        ev = s.evaluate()
        assert power == pytest.approx(ev.power, rel=1e-12)
        np.testing.assert_array_equal(confusion, ev.confusion)


def test_seed_scenarios_near_the_published_figures(seed_run):
    mw = seed_run[0]["systems_power"] / 1e6
    # the paper's "all three improvements" figure (smart pixels, GPU HLT, L1 tracking)
    assert mw[4] == pytest.approx(PUBLISHED["improved_power_MW"], rel=0.01)
    assert 6.5 < mw[0] < 7.5  # Phase-1 (CPU HLT, L1 RR 400): about 6.9 MW
    assert mw[4] < mw[3] and mw[0] < mw[2]


def test_seed_fit_recovers_the_wall_time_model(seed_run):
    ns, _ = seed_run
    np.testing.assert_allclose(ns["k"], HLT_CPU_COEFFS[::-1], rtol=1e-3)
    np.testing.assert_allclose(ns["k_gpu"], HLT_GPU_COEFFS[::-1], rtol=1e-3)


def test_seed_single_points(seed_run):
    ns, _ = seed_run
    assert ns["ex"].nodes["Intermediate"]["reduction ratio"] == 400
    assert ns["ex_gpu"].nodes["Intermediate"]["reduction ratio"] == 53.3
    assert ns["ex"].nodes["Intermediate"]["classifier"].skill_boost == 0.0
    system = twidgets.load_system("cms-hllhc-pu200").with_params({"Global.complexity": "hlt-cpu"})
    ev = twidgets.evaluate(system, {"Intermediate.reduction_ratio": 100.0})
    assert ns["r"][0] == pytest.approx(ev.power, rel=1e-12)
    np.testing.assert_array_equal(ns["r"][1], ev.confusion)
    ev400 = twidgets.evaluate(system, {"Intermediate.reduction_ratio": 400.0})
    assert ns["ex"].nodes["Global"]["input rate"] == ev400.value("Global", "input_rate")
    assert ns["ex"].graph["op power"] == pytest.approx(ev400.op_power, rel=1e-12)


def test_seed_histogram_and_outputs(seed_run):
    ns, folder = seed_run
    c = ns["c"]
    assert c.null_scores.size == 50_000 and c.pos_scores.size == 50_000
    saved = np.load(folder / "smoothed_f1.npz")["arr_0"]
    np.testing.assert_array_equal(saved, ns["smoothed_f1"])
    assert saved.shape == (GRID, GRID)
    assert len(ns["_figures"]) == 8  # every fig.show() of the script ran
    hist = ns["_figures"][0]
    assert len(hist.data) == 2 and len(hist.data[0].x) == 50_000
    # cell In [112] styles its axis titles with plotly's legacy `titlefont`; the runner keeps that style
    power_fig = next(f for f in ns["_figures"] if f.layout.title.text == "Power by Trigger Skill & Reduction Ratio")
    assert power_fig.layout.xaxis.title.text == "Reduction Ratio"
    assert power_fig.layout.xaxis.title.font.size == 24
    np.testing.assert_array_equal(power_fig.data[0].z, ns["power"])


# ------------------------------------------------------------------ unit tests


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    path = tmp_path_factory.mktemp("tables") / "cms_system_200.xlsx"
    twidgets.load_system("cms-hllhc-pu200").to_xlsx(path)
    return dataframes_from_spreadsheet(path)


def _l1(x):
    return x / 2.0e6


def _hlt(x):
    k1, k2, k3 = HLT_CPU_COEFFS
    return k3 * x**3 + k2 * x**2 + k1 * x


FUNCS = {"Global": _hlt, "Intermediate": _l1}


@pytest.fixture(scope="module")
def graph(tables):
    return construct_graph(tables.detectors, tables.triggers, tables.globals, FUNCS)


@pytest.fixture(scope="module")
def cpu_system():
    return twidgets.load_system("cms-hllhc-pu200").with_params({"Global.complexity": "hlt-cpu"})


def test_reduction_conversions():
    assert reduction_to_ratio(0.0) == 1
    assert ratio_to_reduction(400) == 1 - 1 / 400
    assert reduction_to_ratio(0.75) == 4.0
    rr = np.array([1.0, 2.0, 53.3, 400.0])
    np.testing.assert_allclose(reduction_to_ratio(ratio_to_reduction(rr)), rr, rtol=1e-12)
    with pytest.raises(twidgets.ParameterError, match="1.0 is not a rejected fraction"):
        reduction_to_ratio(1.0)
    with pytest.raises(twidgets.ParameterError, match="0.5 is not a reduction ratio"):
        ratio_to_reduction(np.array([2.0, 0.5]))


def test_technology_models():
    assert density_scale_model(2032) == pytest.approx(6.4996, abs=1e-4)
    assert density_scale_model(2022) == 1.0
    assert transistor_scale_model(2032) == pytest.approx(math.exp(-0.19815559 + 0.18717361 * 10), rel=1e-12)
    np.testing.assert_allclose(density_scale_model(np.array([2022, 2032])), [1.0, 6.4996], atol=1e-4)


def test_passed_and_rejected_rows():
    c = np.array([[50, 10], [20, 30]])  # [[tn, fn], [fp, tp]]
    np.testing.assert_array_equal(get_passed(c), [20, 30])
    np.testing.assert_array_equal(get_rejected(c), [50, 10])
    stack = np.stack([c, 2 * c])
    np.testing.assert_array_equal(get_passed(stack), [[20, 30], [40, 60]])


def test_metrics_on_hand_made_tables():
    c = np.array([[50, 10], [20, 30]])  # tp 30, fp 20, fn 10
    assert precision(c) == pytest.approx(30 / 50)
    assert recall(c) == pytest.approx(30 / 40)
    assert f1_score(c) == pytest.approx(2 * 0.6 * 0.75 / (0.6 + 0.75))
    perfect = np.array([[90, 0], [0, 10]])
    assert precision(perfect) == recall(perfect) == f1_score(perfect) == 1.0
    nothing_kept = np.array([[90, 10], [0, 0]])
    assert precision(nothing_kept) == 0.0 and f1_score(nothing_kept) == 0.0


def test_dataframes_from_spreadsheet(tables):
    assert isinstance(tables, compat.System)
    assert len(tables.detectors) == 19 and "Data (bytes)" in tables.detectors.columns
    assert tables.triggers.at[4, "Name"] == "Intermediate"
    assert tables.triggers.at[4, "Reduction Ratio"] == 53.3
    assert tables.processors is tables.triggers
    assert tables.globals["Year"][0] == 2032
    assert tables.to_model() == twidgets.load_system("cms-hllhc-pu200")


def test_dataframes_from_spreadsheet_errors(tmp_path):
    with pytest.raises(twidgets.SpecError, match="file not found"):
        dataframes_from_spreadsheet(tmp_path / "missing.xlsx")
    bad = tmp_path / "bad.xlsx"
    with pd.ExcelWriter(bad, engine="openpyxl") as w:
        twidgets.load_system("cms-hllhc-pu200").detectors.to_excel(w, sheet_name="Detectors", index=False)
    with pytest.raises(twidgets.SpecError) as err:
        dataframes_from_spreadsheet(bad)
    assert err.value.sheet == "Triggers"


def test_construct_graph_structure(graph):
    assert isinstance(graph, nx.DiGraph)
    assert graph.number_of_nodes() == 19 + 7 and graph.number_of_edges() == 19 + 6
    assert graph.graph["Root Node"] == "Disk"
    assert graph.nodes["Disk"]["type"] == "storage"
    assert graph.nodes["Inner Tracker"]["type"] == "detector"
    assert graph.nodes["Global"]["type"] == "processor"
    assert graph.has_edge("Inner Tracker", "Tracking") and graph.has_edge("Global", "Disk")
    assert graph.nodes["Global"]["complexity"] is _hlt
    for key in (
        "reduction ratio",
        "input rate",
        "output rate",
        "classifier",
        "contingency",
        "message size",
        "ops",
        "op power",
        "discards",
        "global ratio",
    ):
        assert key in graph.nodes["Intermediate"], key
    for key in ("op power", "link power", "performance"):
        assert key in graph.graph, key


def test_construct_graph_equals_evaluate(graph, cpu_system):
    ev = twidgets.evaluate(cpu_system)
    assert graph.graph["op power"] + graph.graph["link power"] == pytest.approx(ev.power, rel=1e-12)
    assert graph.graph["op power"] == pytest.approx(ev.op_power, rel=1e-12)
    np.testing.assert_array_equal(graph.graph["performance"], ev.confusion)
    assert graph.graph["performance"].dtype == np.int64
    for name in ("Inner Tracker", "Tracking", "Intermediate", "Global", "Disk"):
        node = graph.nodes[name]
        assert node["input rate"] == ev.value(name, "input_rate")
        assert node["output rate"] == ev.value(name, "output_rate")
        assert node["message size"] == ev.value(name, "message_bytes")
        np.testing.assert_array_equal(node["contingency"], ev.value(name, "contingency"))
        np.testing.assert_array_equal(node["discards"], node["contingency"][0])
    assert graph.nodes["Intermediate"]["classifier"].threshold == ev.value("Intermediate", "threshold")
    link = graph.edges["Intermediate", "Global"]
    assert link["throughput"] == pytest.approx(
        ev.links.set_index(["source", "target"]).loc[("Intermediate", "Global"), "throughput"], rel=1e-12
    )
    # the L1 stage's own op count is its message size / 2e6 (the function passed in)
    assert graph.nodes["Intermediate"]["ops"] == pytest.approx(graph.nodes["Intermediate"]["message size"] / 2e6)


def test_functions_are_honoured(tables):
    g = construct_graph(tables.detectors, tables.triggers, tables.globals, {"Global": lambda x: 3.0 * x})
    node = g.nodes["Global"]
    assert node["ops"] == pytest.approx(3.0 * node["message size"], rel=1e-12)
    assert node["op power"] == pytest.approx(16.0 * node["ops"] * node["input rate"], rel=1e-12)


def test_missing_functions_use_the_table_or_identity(tables):
    g = construct_graph(tables.detectors, tables.triggers, tables.globals, {})
    hlt = g.nodes["Global"]
    assert hlt["ops"] == pytest.approx(_hlt(hlt["message size"]), rel=1e-12)  # table says hlt-cpu
    old_style = tables.triggers.drop(columns=["Complexity"])  # the seed's tables had no such column
    g = construct_graph(tables.detectors, old_style, tables.globals, {"Intermediate": _l1})
    assert g.nodes["Global"]["ops"] == g.nodes["Global"]["message size"]


def test_unknown_function_stage_is_an_error(tables):
    with pytest.raises(twidgets.ParameterError, match="'Globel'"):
        construct_graph(tables.detectors, tables.triggers, tables.globals, {"Globel": _hlt})


def test_seed_argument(tables, graph):
    with pytest.raises(twidgets.ParameterError, match="seed must be a non-negative integer"):
        construct_graph(tables.detectors, tables.triggers, tables.globals, FUNCS, seed=-1)
    other = construct_graph(tables.detectors, tables.triggers, tables.globals, FUNCS, seed=1)
    ev = twidgets.evaluate(
        twidgets.load_system("cms-hllhc-pu200").with_params({"Global.complexity": "hlt-cpu"}), seed=1
    )
    np.testing.assert_array_equal(other.graph["performance"], ev.confusion)
    assert not np.array_equal(other.graph["performance"], graph.graph["performance"])


def test_invalid_tables_raise_spec_error(tables):
    t = tables.triggers.copy()
    t.at[4, "Reduction Ratio"] = 0.5
    with pytest.raises(twidgets.SpecError) as err:
        construct_graph(tables.detectors, t, tables.globals, FUNCS)
    assert (err.value.sheet, err.value.row, err.value.column) == ("Triggers", 6, "Reduction Ratio")


def test_update_after_reduction_ratio_equals_evaluate(graph, cpu_system):
    g = copy.deepcopy(graph)
    g.nodes["Intermediate"]["reduction ratio"] = 120.0
    out = update_throughput(g)
    ev = twidgets.evaluate(cpu_system, {"Intermediate.reduction_ratio": 120.0})
    assert out.graph["op power"] + out.graph["link power"] == pytest.approx(ev.power, rel=1e-12)
    np.testing.assert_array_equal(out.graph["performance"], ev.confusion)
    assert out.nodes["Global"]["input rate"] == ev.value("Global", "input_rate")
    assert out.nodes["Intermediate"]["classifier"].threshold == ev.value("Intermediate", "threshold")


@pytest.mark.parametrize(
    "change, overrides",
    [
        (
            lambda g: setattr(g.nodes["Intermediate"]["classifier"], "skill_boost", 0.4),
            {"Intermediate.skill_boost": 0.4},
        ),
        (
            lambda g: g.nodes["Inner Tracker"].__setitem__("sample data", 662_400.0),
            {"Inner Tracker.data_bytes": 662_400.0},
        ),
        (lambda g: g.nodes["HGCAL"].__setitem__("data reduction", 0.25), {"HGCAL.compression": 0.75}),
        (lambda g: g.nodes["Global"].__setitem__("op efficiency", 8.0), {"Global.op_efficiency": 8.0}),
        (
            lambda g: g.edges["Muon CSC", "Muon"].__setitem__("link efficiency", 2.0e-12),
            {"Muon CSC.link_efficiency": 2.0e-12},
        ),
        (lambda g: g.nodes["ECAL Barrel"].__setitem__("sample rate", 20e6), {"ECAL Barrel.sample_rate": 20e6}),
        (lambda g: setattr(g.nodes["Global"]["classifier"], "skill_mean", 3.0), {"Global.skill_mean": 3.0}),
        (lambda g: g.graph["globals"].__setitem__("Year", 2030), {"year": 2030}),
    ],
    ids=[
        "skill_boost",
        "sample data",
        "data reduction",
        "op efficiency",
        "link efficiency",
        "sample rate",
        "gaussian skill",
        "year",
    ],
)
def test_update_after_any_input_equals_evaluate(graph, cpu_system, change, overrides):
    g = copy.deepcopy(graph)
    change(g)
    system, ov = to_model(g)
    assert ov == pytest.approx(overrides)
    out = update_throughput(g)
    ev = twidgets.evaluate(cpu_system, overrides)
    assert out.graph["power"] == pytest.approx(ev.power, rel=1e-12)
    assert out.graph["scaled power"] == pytest.approx(ev.scaled_power, rel=1e-12)
    np.testing.assert_array_equal(out.graph["performance"], ev.confusion)
    assert not np.isclose(out.graph["scaled power"], graph.graph["scaled power"], rtol=1e-9) or not np.array_equal(
        out.graph["performance"], graph.graph["performance"]
    )


def test_update_after_complexity_swap_reuses_the_system(graph, cpu_system):
    def gpu(x):
        return 0.5 * _hlt(x)

    g = copy.deepcopy(graph)
    g.nodes["Global"]["complexity"] = gpu
    first = update_throughput(g)
    second = update_throughput(copy.deepcopy(g))
    ev = twidgets.evaluate(cpu_system, {"Global.complexity": gpu})
    assert first.graph["op power"] == pytest.approx(ev.op_power, rel=1e-12)
    # the published GPU coefficients are the CPU ones halved, rounded to 9 digits
    assert first.graph["op power"] == pytest.approx(
        twidgets.evaluate(cpu_system, {"Global.complexity": "hlt-gpu"}).op_power, rel=1e-7
    )
    assert second.graph["op power"] == first.graph["op power"]
    assert to_model(g)[0] is to_model(copy.deepcopy(g))[0]  # built once, then cached
    assert to_model(graph)[0] is not to_model(g)[0]


def test_update_returns_a_new_graph(graph):
    before = graph.graph["performance"].copy()
    g = copy.deepcopy(graph)
    g.nodes["Intermediate"]["reduction ratio"] = 400.0
    out = update_throughput(g)
    assert out is not g
    assert g.nodes["Intermediate"]["classifier"].threshold != out.nodes["Intermediate"]["classifier"].threshold
    np.testing.assert_array_equal(graph.graph["performance"], before)
    assert graph.nodes["Intermediate"]["reduction ratio"] == 53.3
    out.graph["globals"]["Year"] = 2040
    assert g.graph["globals"]["Year"] == 2032


def test_deepcopy_shares_immutable_arrays(graph):
    g = copy.deepcopy(graph)
    old, new = graph.nodes["Intermediate"]["classifier"], g.nodes["Intermediate"]["classifier"]
    assert new is not old
    assert np.shares_memory(new.null_scores, old.null_scores)
    assert np.shares_memory(new.pos_scores, old.pos_scores)
    assert to_model(g)[0] is to_model(graph)[0]
    # ... while the mutable state is independent
    new.skill_boost = 0.7
    assert old.skill_boost == 0.0
    g.nodes["Intermediate"]["contingency"][0, 0] = -1
    assert graph.nodes["Intermediate"]["contingency"][0, 0] > 0
    g.graph["globals"]["Year"] = 2040
    assert graph.graph["globals"]["Year"] == 2032
    assert not np.shares_memory(g.graph["performance"], graph.graph["performance"])


def test_boosted_pos_scores(graph):
    c = copy.deepcopy(graph).nodes["Intermediate"]["classifier"]
    base = c.pos_scores
    c.skill_boost = 0.4
    np.testing.assert_allclose(c.pos_scores, base + 0.4)
    assert c.kind == "L1T" and graph.nodes["Tracking"]["classifier"].null_scores.size == 0


def test_invalid_changes_name_node_and_attribute(graph):
    g = copy.deepcopy(graph)
    g.nodes["Intermediate"]["reduction ratio"] = 0.5
    with pytest.raises(twidgets.ParameterError, match="'Intermediate'.*'reduction ratio'.*0.5"):
        update_throughput(g)
    g = copy.deepcopy(graph)
    g.nodes["Intermediate"]["classifier"].skill_boost = float("nan")
    with pytest.raises(twidgets.ParameterError, match="'Intermediate'.*skill_boost"):
        update_throughput(g)
    g = copy.deepcopy(graph)
    g.nodes["Global"]["complexity"] = 42
    with pytest.raises(twidgets.ParameterError, match="'Global'.*complexity"):
        update_throughput(g)


@pytest.mark.parametrize(
    "node, attr, value, message",
    [
        ("HGCAL", "data reduction", 0.0, "'HGCAL'.*'data reduction'.*1.0 is not a fraction"),
        ("HGCAL", "sample data", "abc", "'HGCAL'.*'sample data'.*'abc'"),
        ("Intermediate", "reduction ratio", np.array([50.0, 60.0]), "'Intermediate'.*one number.*evaluate"),
        ("Inner Tracker", "reduction ratio", 2.0, "'Inner Tracker'.*detector"),
    ],
)
def test_invalid_attribute_values(graph, node, attr, value, message):
    g = copy.deepcopy(graph)
    g.nodes[node][attr] = value
    with pytest.raises(twidgets.ParameterError, match=message):
        update_throughput(g)


def test_star_import_gives_the_seed_names():
    namespace = {}
    exec("from twidgets.compat import *", namespace)
    seed_names = {
        "System",
        "dataframes_from_spreadsheet",
        "construct_graph",
        "update_throughput",
        "reduction_to_ratio",
        "ratio_to_reduction",
        "density_scale_model",
        "transistor_scale_model",
        "precision",
        "recall",
        "f1_score",
        "get_passed",
        "get_rejected",
    }
    assert set(namespace) - {"__builtins__"} == seed_names


def test_update_needs_a_compat_graph():
    with pytest.raises(twidgets.ParameterError, match="construct_graph"):
        update_throughput(nx.DiGraph())
