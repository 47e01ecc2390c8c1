"""Dashboard: the editor, inspector, explorer and flow view linked, driven like a user does.

Expected numbers come from independent :func:`twidgets.evaluate` calls on the systems
the edits describe (built with the System API, not read from the widgets).
"""

from __future__ import annotations

import numpy as np
import pytest

import twidgets
from twidgets.cms.scenarios import scenario
from twidgets.widgets import Dashboard
from twidgets.widgets.flow import REJECTED, flow_links, flow_nodes, sankey_arguments, stream_shares

RR, BOOST = "Intermediate.reduction_ratio", "Intermediate.skill_boost"


@pytest.fixture()
def dash(pu200):
    return Dashboard(pu200, num=11, debounce=0)


def sankey(d):
    t = d.flow.figure.data[0]
    labels = list(t.node.label)
    return {(labels[s], labels[g]): v for s, g, v in zip(t.link.source, t.link.target, t.link.value)}


def test_default_dashboard_composes_the_widgets():
    d = Dashboard(num=5, debounce=0)
    assert d.system == twidgets.load_system("cms-hllhc-pu200")
    assert "twidgets-dashboard" in d._dom_classes
    assert "tw-system-picker" in d.picker._dom_classes
    assert "tw-flow" in d.flow.plot._dom_classes
    assert d.picker.value == "system:cms-hllhc-pu200"
    assert "twidgets-editor" in d.editor._dom_classes
    for w in (d.editor, d.inspector, d.explorer, d.flow):
        assert w.system is d.system if hasattr(w, "system") else w.evaluation is d.state.evaluation()


def test_editor_edit_updates_inspector_flow_and_explorer(dash, pu200):
    before_flow = sankey(dash)
    assert dash.editor.edit("detectors", 0, "Data (bytes)", "2000000")  # Inner Tracker
    edited = pu200.with_detector("Inner Tracker", data_bytes=2e6)
    assert dash.system == edited
    ev = twidgets.evaluate(edited)
    assert dash.inspector.evaluation.power == ev.power != twidgets.evaluate(pu200).power
    assert dash.inspector.system is dash.system and dash.explorer.system is dash.system
    # the flow follows once its tab is shown (a hidden Sankey is not redrawn on every change)
    dash.tabs.selected_index = 2
    assert dash.flow.evaluation is dash.state.evaluation()
    dash.flow.unit = "bytes"
    after = sankey(dash)
    links = ev.links.set_index(["source", "target"])
    tracking = [d for d in edited.detector_names if edited.node(d).output == "Tracking"]
    assert after[("Tracking detectors", "Tracking")] == pytest.approx(
        sum(links.loc[(d, "Tracking"), "throughput"] for d in tracking)
    )
    assert after[("Intermediate", "Global")] == pytest.approx(links.loc[("Intermediate", "Global"), "throughput"])
    dash.flow.unit = "events"
    assert sankey(dash) == before_flow  # events/s do not depend on sizes
    # the explorer recomputed on the edited system (debounce=0: synchronously)
    ref = twidgets.sweep(
        edited, {RR: np.linspace(450, 40, 11), BOOST: np.linspace(0, 1, 11)}, metrics=["scaled_power"], progress=False
    )
    np.testing.assert_allclose(dash.explorer.result.metric("scaled_power"), ref.metric("scaled_power"))
    assert dash.picker.value == "edited"


def test_invalid_edit_changes_nothing(dash, pu200):
    ev, flow, result = dash.inspector.evaluation, sankey(dash), dash.explorer.result
    assert not dash.editor.edit("stages", 4, "Reduction Ratio", "0.5")
    assert dash.editor.errors and "reduction ratio" in dash.editor.errors[0]["text"].lower()
    assert dash.system is pu200
    assert dash.inspector.evaluation is ev
    assert sankey(dash) == flow
    assert dash.explorer.result is result
    assert dash.picker.value == "system:cms-hllhc-pu200"


def test_explorer_click_moves_the_inspector(dash, pu200):
    f1_before = dash.inspector.evaluation.f1
    # the message the browser sends on a click on the map (trace 0)
    dash.explorer.contour_plot._on_message(
        None, {"type": "event", "kind": "click", "points": [{"trace": 0, "index": [6, 8], "x": 122.0, "y": 0.6}]}, []
    )
    xs, ys = np.linspace(450, 40, 11), np.linspace(0, 1, 11)
    expected = {RR: float(xs[np.argmin(abs(xs - 122.0))]), BOOST: float(ys[np.argmin(abs(ys - 0.6))])}
    assert dash.explorer.selected == expected
    assert dash.inspector.overrides == expected
    ev = twidgets.evaluate(pu200, expected)
    assert dash.inspector.evaluation.f1 == ev.f1 != f1_before
    assert dash.inspector.rr_slider.value == expected[RR]
    assert dash.inspector.boost_slider.value == expected[BOOST]
    # the inspector agrees with the map at that point
    i, j = int(np.argmin(abs(xs - 122.0))), int(np.argmin(abs(ys - 0.6)))
    assert dash.explorer.result.metric("f1")[i, j] == pytest.approx(ev.f1)


def test_picking_a_scenario_loads_it(dash):
    dash.explorer.select(200.0, 0.5)
    dash.picker.value = "scenario:Phase-2 + smart sensing"
    expected = scenario("Phase-2 + smart sensing").load()
    assert dash.system == expected
    assert dash.editor.system == expected
    assert dash.inspector.overrides == {} and dash.explorer.selected == {}
    assert dash.inspector.evaluation.f1 == twidgets.evaluate(expected).f1
    assert dash.inspector.evaluation.scaled_power == twidgets.evaluate(expected).scaled_power


def test_picking_a_bundled_system_after_an_edit(dash):
    dash.editor.edit("global", 0, "Year", "2030")
    assert dash.picker.value == "edited"
    dash.picker.value = "system:cms-run3-pu60"
    run3 = twidgets.load_system("cms-run3-pu60")
    assert dash.system == run3 and dash.inspector.evaluation.power == twidgets.evaluate(run3).power


def test_editing_the_year_changes_scaled_power_only(dash, pu200):
    ev0 = dash.inspector.evaluation
    assert dash.editor.edit("global", 0, "Year", "2028")
    ev = dash.inspector.evaluation
    assert ev.power == ev0.power and ev.year == 2028
    assert ev.scaled_power == twidgets.evaluate(pu200.with_year(2028)).scaled_power > ev0.scaled_power


# ------------------------------------------------------------------ the flow view


def test_event_flow_widths_are_conserved(pu200):
    ev = twidgets.evaluate(pu200, {RR: 80.0})
    links = flow_links(ev, "events")
    into = links.groupby("target")["value"].sum()
    out = links.groupby("source")["value"].sum()
    # 40 MHz of crossings enter once and leave as stored + rejected (floored rates: within a few events/s)
    assert out[[s for s in out.index if s.endswith("detectors")]].sum() == pytest.approx(40e6, abs=8)
    assert into["Disk"] + into[REJECTED] == pytest.approx(40e6, abs=8)
    for stage in ("Intermediate", "Global"):
        assert into[stage] == pytest.approx(out[stage], abs=8)
    row = links.set_index(["source", "target"])
    assert row.loc[("Intermediate", "Global"), "rate"] == ev.value("Intermediate", "output_rate")
    assert row.loc[("Global", "Disk"), "rate"] == ev.output_rate
    assert row.loc[("Tracking", "Intermediate"), "value"] == pytest.approx(40e6 / 4)


def test_stream_shares_split_at_merges(pu200):
    shares = stream_shares(pu200)
    assert shares["Disk"] == shares["Global"] == shares["Intermediate"] == 1.0
    assert shares["Muon"] == 0.25
    n_tracking = sum(pu200.node(d).output == "Tracking" for d in pu200.detector_names)
    assert shares["Inner Tracker"] == pytest.approx(0.25 / n_tracking)


def test_flow_nodes_carry_power_per_stage(pu200):
    ev = twidgets.evaluate(pu200)
    nodes = flow_nodes(ev).set_index("label")
    stages = ev.stages
    assert nodes.loc["Global", "op_power"] == stages.loc["Global", "op_power"]
    assert nodes.loc["Global", "power"] == pytest.approx(
        stages.loc["Global", "op_power"] + stages.loc["Global", "link_power"]
    )
    total = nodes["power"].sum()
    assert total == pytest.approx(ev.power)  # every watt is on exactly one node
    args = sankey_arguments(ev, "bytes")
    assert len(args["node"]["label"]) == len(nodes)
    assert any("W" in h for h in args["node"]["customdata"])
    with pytest.raises(ValueError, match="unit"):
        flow_links(ev, "watts")


def test_new_views_draw_the_current_flow(dash, pu200):
    dash.flow.unit = "bytes"
    values = dash.flow.plot.figure_data[0]["link"]["value"]
    assert list(values) == list(dash.flow.figure.data[0].link.value)
    assert max(values) > 1e12  # bytes/s, not events/s


# ------------------------------------------------------------------ one state, links, compare, export


def headline_value(d, key):
    """The full-precision number the headline shows for ``key`` (its ``data-value``)."""
    import re

    m = re.search(rf'class="tw-h-value tw-h-{key}" data-value="([^"]+)"', d.headline.value)
    assert m, f"headline shows no {key}"
    return float(m.group(1))


def test_link_opens_the_system_at_that_point():
    d = Dashboard.from_query("?system=cms-run3-pu60&Intermediate.reduction_ratio=100&tab=explore", num=5, debounce=0)
    run3 = twidgets.load_system("cms-run3-pu60")
    ev = twidgets.evaluate(run3, {RR: 100.0})
    assert d.system == run3 and d.overrides == {RR: 100.0}
    assert headline_value(d, "f1") == ev.f1
    assert headline_value(d, "scaled-power") == ev.scaled_power
    assert headline_value(d, "precision") == ev.precision and headline_value(d, "recall") == ev.recall
    assert d.inspector.evaluation.f1 == ev.f1 and d.inspector.rr_slider.value == 100.0
    assert d.tabs.selected_index == 0
    assert "L1 reduction ratio" in d.whatif.value and d.message.value == ""


def test_link_with_an_unknown_parameter_says_so():
    d = Dashboard.from_query("system=cms-run3-pu60&Intermediate.reduction_rate=100&tab=flow", num=5, debounce=0)
    assert "Intermediate.reduction_rate" in d.message.value
    assert d.overrides == {} and d.tabs.selected_index == 2


def test_copied_link_reproduces_the_state(dash):
    dash.inspector.stage = "Global"
    dash.inspector.boost_slider.value = 0.3
    dash.explorer.metric = "recall"
    dash.tabs.selected_index = 2
    again = Dashboard.from_query(dash.share.query, num=11, debounce=0)
    assert again.state.overrides == dash.state.overrides == {"Global.skill_boost": 0.3}
    assert again.state.view == dash.state.view
    assert again.inspector.stage == "Global" and again.explorer.metric == "recall" and again.tabs.selected_index == 2
    assert headline_value(again, "f1") == headline_value(dash, "f1")


def test_download_saves_what_is_on_screen(dash, pu200, tmp_path):
    dash.inspector.rr_slider.value = 120.0
    dash.inspector.boost_slider.value = 0.25
    path = tmp_path / "shown.xlsx"
    path.write_bytes(dash.editor.to_xlsx_bytes())
    ev = twidgets.evaluate(twidgets.load_system(path))
    assert ev.f1 == headline_value(dash, "f1") == twidgets.evaluate(pu200, {RR: 120.0, BOOST: 0.25}).f1
    assert ev.scaled_power == pytest.approx(headline_value(dash, "scaled-power"), rel=1e-12)


def test_upload_clears_earlier_overrides(dash, run3, tmp_path):
    dash.inspector.boost_slider.value = 0.56
    dash.explorer.select(200.0, 0.5)
    path = tmp_path / "run3.xlsx"
    run3.to_xlsx(path)
    assert dash.editor.load_bytes(path.read_bytes(), "run3.xlsx")
    assert dash.overrides == {} and dash.inspector.overrides == {} and dash.explorer.selected == {}
    assert headline_value(dash, "f1") == twidgets.evaluate(run3).f1 == dash.inspector.evaluation.f1
    assert "run3.xlsx (uploaded)" in dash.headline.value


def test_click_then_slider_keeps_the_selection_honest(dash, pu200):
    dash.explorer.select(200.0, 0.5)
    sel = dict(dash.explorer.selected)
    assert dash.overrides == sel and "What-if" in dash.whatif.value
    assert headline_value(dash, "f1") == twidgets.evaluate(pu200, sel).f1
    dash.inspector.rr_slider.value = 77.0  # moves off the selected grid point
    assert dash.explorer.selected == {}
    assert dash.overrides == {RR: 77.0, BOOST: sel[BOOST]}


def test_apply_and_reset(dash, pu200):
    dash.inspector.boost_slider.value = 0.4
    dash.reset()
    assert dash.overrides == {} and dash.inspector.boost_slider.value == 0.0
    assert headline_value(dash, "f1") == twidgets.evaluate(pu200).f1
    dash.inspector.boost_slider.value = 0.4
    dash.apply()
    applied = pu200.with_stage("Intermediate", skill_boost=0.4)
    assert dash.overrides == {} and dash.system == applied and dash.editor.system == applied
    assert dash.picker.value == "edited"
    assert "tw-better" in dash.headline.value  # F1 against the first system loaded


def test_compare_row_becomes_the_current_system(dash):
    from twidgets.cms.scenarios import paper_table

    assert len(dash.compare.variants) == 9
    assert dash.compare.variants[dash.compare.baseline].name == "PU 200"  # the system first loaded
    dash.compare.pick(8)
    ref = paper_table().iloc[8]
    assert headline_value(dash, "scaled-power") / 1e6 == pytest.approx(ref.power_MW, rel=1e-12)
    assert headline_value(dash, "f1") == ref.f1
    assert dash.compare.current == 8 and "smart sensors" in dash.headline.value
    dash.compare.save("mine", dash.state.shown_system())
    assert dash.compare.rows[-1].f1 == ref.f1 and len(dash.compare.rows) == 10


def test_exported_view_is_self_contained(dash):
    text = dash.export_html()
    assert "Plotly.newPlot" in text and text.count('class="tw-fig"') == 5
    assert 'src="http' not in text and "cdn" not in text.lower().split("<body>")[1]
    assert "tw-h-f1" in text  # the headline


def test_hidden_tabs_are_built_when_first_shown_from_the_state_then(pu200):
    """The first screen holds only the Explore tab's widgets; Design, Flow and Compare are
    built when chosen, from what the state is by then (not from the state at load)."""
    d = Dashboard(pu200, num=5, debounce=0)
    placeholders = d.tabs.children[1:]
    assert len({id(w) for w in placeholders}) == 1 and "Preparing" in placeholders[0].value
    assert d._lazy.views == {}  # nothing of Design, Flow or Compare exists yet
    d.inspector.overrides = {RR: 40.0}  # a what-if value set before the Flow tab is ever shown
    expected = twidgets.evaluate(pu200.with_params({RR: 40.0}))
    d.tabs.selected_index = 2
    assert d.tabs.children[2] is d.flow and set(d._lazy.views) == {"flow"}
    assert d.flow.evaluation.power == pytest.approx(expected.power)
    assert d.tabs.selected_index == 2 and d.tabs.children[1] is placeholders[0]
    d.tabs.selected_index = 1
    assert d.tabs.children[1] is d.editor
    assert d.editor.system == pu200.with_params({RR: 40.0})  # the grid shows the what-if values folded in


def test_a_link_to_a_hidden_tab_builds_that_tab_only():
    d = Dashboard.from_query("tab=compare", num=5, debounce=0)
    assert d.tabs.selected_index == 3 and d.tabs.children[3] is d.compare
    assert set(d._lazy.views) == {"compare"} and d.compare.current == -1


def test_lazy_tabs_name_what_they_cannot_build():
    import ipywidgets as widgets

    from twidgets.widgets.lazy_tabs import LazyTabs

    with pytest.raises(KeyError, match="no builder for tab.*b"):
        LazyTabs({"a": "A", "b": "B"}, widgets.HTML("a"), {})
    tabs = LazyTabs({"a": "A", "b": "B"}, widgets.HTML("a"), {"b": lambda: widgets.HTML("built")})
    with pytest.raises(KeyError, match="no tab 'c'"):
        tabs.view("c")
    assert tabs.built("b") is None and tabs.view("b").value == "built" and tabs.tab.children[1] is tabs.built("b")
