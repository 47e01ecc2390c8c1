"""SweepExplorer driven like a user does: pick parameters and metrics, click the map.

Expected maps come from independent :func:`twidgets.sweep` calls on the same grids.
Grids are small (21 x 21) to keep the suite fast.
"""

from __future__ import annotations

import asyncio
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
import traitlets

import twidgets
from twidgets.widgets import SweepExplorer
from twidgets.widgets.explorer import default_range, grid, snap


def click(plot, *points):
    """What the browser sends when the user clicks ``points`` ({"trace", "index", "x", "y"})."""
    plot._on_message(None, {"type": "event", "kind": "click", "points": list(points)}, [])


RR, BOOST = "Intermediate.reduction_ratio", "Intermediate.skill_boost"
N = 21


@pytest.fixture(scope="module")
def reference(pu200):
    """The sweep the default explorer (21 x 21) should show."""
    return twidgets.sweep(
        pu200,
        {RR: np.linspace(450, 40, N), BOOST: np.linspace(0, 1, N)},
        metrics=["f1", "scaled_power", "power", "productivity"],
        progress=False,
    )


@pytest.fixture()
def explorer(pu200):
    return SweepExplorer(pu200, num=N, debounce=0)


def test_builds_with_the_shared_classes(explorer):
    assert "twidgets-explorer" in explorer._dom_classes
    assert "tw-contour" in explorer.contour_plot._dom_classes
    assert "tw-pareto" in explorer.pareto_plot._dom_classes
    assert "tw-metric" in explorer.metric_picker._dom_classes
    assert "tw-status" in explorer.status_html._dom_classes
    assert "tw-selected" in explorer.selected_html._dom_classes
    trace = explorer.contour.data[0]
    assert trace.type == "contour" and trace.contours.showlabels is True


def test_map_equals_the_sweep(explorer, reference):
    trace = explorer.contour.data[0]
    np.testing.assert_array_equal(trace.x, reference.params[RR])
    np.testing.assert_array_equal(trace.y, reference.params[BOOST])
    # plotly's z is indexed [y][x]; the sweep's arrays [x][y]
    np.testing.assert_array_equal(np.asarray(trace.z), reference.metric("f1").T)
    assert explorer.result.shape == (N, N)


def test_smoothing_shows_the_smoothed_sweep(explorer, reference):
    explorer.sigma_input.value = 3.0
    assert explorer.sigma == 3.0
    np.testing.assert_allclose(
        np.asarray(explorer.contour.data[0].z), reference.smoothed("f1", 3.0).T, rtol=0, atol=1e-12
    )
    assert not np.allclose(np.asarray(explorer.contour.data[0].z), reference.metric("f1").T)


def test_metric_picker_switches_the_map_with_units(explorer, reference):
    explorer.metric_picker.value = "scaled_power"
    assert explorer.metric == "scaled_power"
    np.testing.assert_allclose(np.asarray(explorer.contour.data[0].z), reference.metric("scaled_power").T / 1e6)
    explorer.metric_picker.value = "productivity"
    np.testing.assert_allclose(np.asarray(explorer.contour.data[0].z), reference.metric("productivity").T * 1e3)
    assert "kJ" in explorer.contour.data[0].colorbar.title.text


def test_reduction_ratio_axis_is_reversed(explorer):
    assert explorer.contour.layout.xaxis.autorange == "reversed"
    assert explorer.contour.layout.yaxis.autorange is True


def test_pareto_front_trace_matches_the_sweep(explorer, reference):
    front = reference.pareto(x="scaled_power", y="f1")
    trace = explorer.pareto.data[1]
    np.testing.assert_allclose(trace.x, front["scaled_power"].to_numpy() / 1e6)
    np.testing.assert_allclose(trace.y, front["f1"].to_numpy())
    assert len(explorer.pareto.data[0].x) == N * N


def test_scenarios_are_marked_where_they_fall_inside_the_map(explorer, pu200):
    marks = {t.name: (tuple(t.x), tuple(t.y)) for t in explorer.contour.data[1:-2]}
    assert marks["Phase-1"] == ((400.0,), (0.0,))
    assert marks["L1 Tracks"] == ((400.0,), (0.4,))
    assert marks["Phase-2 (L1 Tracks + GPU)"] == ((53.3,), (0.4,))
    symbols = {t.name: t.marker.symbol for t in explorer.contour.data[1:-2]}
    assert symbols["Phase-1"] == "circle" and symbols["Phase-2 (L1 Tracks + GPU)"] == "star"
    explorer.x_range = (300.0, 40.0, N)  # RR 400 is now off the map
    marks = {t.name: (tuple(t.x), tuple(t.y)) for t in explorer.contour.data[1:-2]}
    assert marks["Phase-1"] == ((), ())
    assert marks["Increased L1T accept (GPU)"] == ((53.3,), (0.0,))


def test_select_snaps_to_the_nearest_grid_point(explorer):
    xs, ys = np.linspace(450, 40, N), np.linspace(0, 1, N)
    sel = explorer.select(101.0, 0.52)
    assert sel == {RR: xs[snap(xs, 101.0)], BOOST: ys[snap(ys, 0.52)]}
    assert sel == {RR: 101.5, BOOST: 0.5}  # grid steps: 20.5 in RR, 0.05 in boost
    marker = explorer.contour.data[-1]
    assert tuple(marker.x) == (sel[RR],) and tuple(marker.y) == (sel[BOOST],)
    m = re.search(r'class="tw-selected-value" data-value="([^"]+)"', explorer.selected_html.value)
    ix, iy = snap(xs, 101.0), snap(ys, 0.52)
    assert float(m.group(1)) == explorer.result.metric("f1")[ix, iy]


def test_click_callback_selects_a_point(explorer):
    click(explorer.contour_plot, {"trace": 0, "index": [7, 4], "x": 300.2, "y": 0.21})
    assert explorer.selected == {RR: pytest.approx(306.5), BOOST: pytest.approx(0.2)}


def test_front_end_click_message_selects_a_point(explorer):
    # the message static/plot.js sends on a click on trace 0
    explorer.contour_plot._on_message(
        None, {"type": "event", "kind": "click", "points": [{"trace": 0, "index": [19, 18], "x": 60.0, "y": 0.9}]}, []
    )
    assert explorer.selected == {RR: pytest.approx(60.5), BOOST: pytest.approx(0.9)}
    # the selected point is drawn on the Pareto view at its (scaled power, F1)
    xs, ys = np.linspace(450, 40, N), np.linspace(0, 1, N)
    ix, iy = snap(xs, 60.0), snap(ys, 0.9)
    p = explorer.pareto.data[3]
    assert p.x[0] == pytest.approx(explorer.result.metric("scaled_power")[ix, iy] / 1e6)
    assert p.y[0] == pytest.approx(explorer.result.metric("f1")[ix, iy])


def test_clicking_the_pareto_front_selects_that_point(explorer, reference):
    front = reference.pareto(x="scaled_power", y="f1")
    click(explorer.pareto_plot, {"trace": 1, "index": 3, "x": 0, "y": 0})
    assert explorer.selected == {RR: front.loc[3, RR], BOOST: front.loc[3, BOOST]}


def test_clicking_a_grid_point_on_the_pareto_view_selects_it(explorer):
    xs, ys = np.linspace(450, 40, N), np.linspace(0, 1, N)
    click(explorer.pareto_plot, {"trace": 0, "index": 2 * N + 5, "x": 0, "y": 0})
    assert explorer.selected == {RR: xs[2], BOOST: ys[5]}


def test_empty_click_changes_nothing(explorer):
    explorer.select(200.0, 0.5)
    before = dict(explorer.selected)
    click(explorer.contour_plot)  # a click that hit no point
    click(explorer.contour_plot, {"trace": 0, "index": None, "x": None, "y": None})
    assert explorer.selected == before


def test_x_picker_takes_any_numeric_parameter_with_a_default_range(explorer, pu200):
    explorer.x_picker.value = "Inner Tracker.data_bytes"
    assert explorer.x == "Inner Tracker.data_bytes"
    assert explorer.x_range == (720_000.0, 2_160_000.0, N)
    assert (explorer.x_start.value, explorer.x_stop.value) == (720_000.0, 2_160_000.0)
    assert explorer.contour.layout.xaxis.autorange is True
    assert all(len(t.x) == 0 for t in explorer.contour.data[1:-2])  # no scenario markers
    ref = twidgets.sweep(
        pu200,
        {"Inner Tracker.data_bytes": np.linspace(720_000, 2_160_000, N), BOOST: np.linspace(0, 1, N)},
        metrics=["f1"],
        progress=False,
    )
    np.testing.assert_array_equal(np.asarray(explorer.contour.data[0].z), ref.metric("f1").T)


def test_range_inputs_recompute_the_map(explorer, pu200):
    explorer.y_num.value = 5
    explorer.y_stop.value = 0.5
    assert explorer.y_range == (0.0, 0.5, 5)
    np.testing.assert_array_equal(explorer.contour.data[0].y, np.linspace(0, 0.5, 5))
    assert np.asarray(explorer.contour.data[0].z).shape == (5, N)


def test_default_ranges():
    s = twidgets.load_system("cms-hllhc-pu200")
    assert default_range(s, RR) == (450.0, 40.0)
    assert default_range(s, BOOST) == (0.0, 1.0)
    assert default_range(s, "Global.op_efficiency") == (8.0, 24.0)
    assert default_range(s, "Global.reduction_ratio") == (450.0, 40.0)
    assert default_range(s, "year") == (2022.0, 2042.0)
    lo, hi = default_range(s, "Global.skill_scale")  # 1.0 +/- 50 %
    assert (lo, hi) == (0.5, 1.5)
    lo, hi = default_range(s, "Inner Tracker.compression")  # compression must stay < 1
    assert 0.0 <= lo < hi < 1.0
    np.testing.assert_array_equal(grid(450, 40, 3), [450.0, 245.0, 40.0])


def test_progress_and_status(explorer):
    assert explorer.progress.value == explorer.progress.max == N * N
    assert f"{N} x {N}" in explorer.status


def test_csv_download_holds_the_sweep(explorer, reference):
    # the page holds only the file name; a click asks the kernel for the file (a command)
    assert explorer.download.filename == f"sweep_{RR}_{BOOST}.csv" and not explorer.download.disabled
    assert "reduction_ratio,0" not in json.dumps(explorer.download.get_state(), default=str)
    answer, buffers = explorer.download._on_fetch({}, [])
    assert answer["ok"] and answer["mime"] == "text/csv" and answer["filename"] == explorer.download.filename
    table = pd.read_csv(io.StringIO(buffers[0].decode()), comment="#")
    assert len(table) == N * N
    np.testing.assert_allclose(table["f1"].to_numpy(), reference.metric("f1").ravel())
    np.testing.assert_allclose(table[RR].to_numpy(), reference.grid()[RR].ravel())


def test_bad_choices_are_reported_not_raised(explorer):
    explorer.y_picker.value = RR
    assert "same parameter" in explorer.status_html.value and "tw-error" in explorer.status_html.value
    with pytest.raises(traitlets.TraitError, match="at least 2 points"):
        explorer.x_range = (450.0, 40.0, 1)
    with pytest.raises(traitlets.TraitError, match="not a numeric parameter"):
        explorer.x = "Nowhere.reduction_ratio"


def test_invalid_range_values_show_the_model_error(explorer):
    result = explorer.result
    explorer.x_range = (10.0, 0.5, N)  # RR below 1
    assert "is not a reduction ratio &gt;= 1" in explorer.status_html.value
    assert "Intermediate.reduction_ratio" in explorer.status_html.value
    assert explorer.result is result  # the last map stays


def test_new_system_recomputes_and_keeps_the_selection(explorer, pu200):
    explorer.select(101.5, 0.5)
    smart = twidgets.load_system("cms-hllhc-pu200-smartpx")
    explorer.system = smart
    ref = twidgets.sweep(
        smart, {RR: np.linspace(450, 40, N), BOOST: np.linspace(0, 1, N)}, metrics=["f1"], progress=False
    )
    np.testing.assert_array_equal(np.asarray(explorer.contour.data[0].z), ref.metric("f1").T)
    assert explorer.selected == {RR: pytest.approx(101.5), BOOST: pytest.approx(0.5)}


def test_changes_are_debounced_while_a_loop_runs(pu200, monkeypatch):
    import twidgets.model.sweep as sweep_module

    explorer = SweepExplorer(pu200, num=5, debounce=0.05)  # no loop yet: computes at once
    calls = []
    real = sweep_module.sweep
    monkeypatch.setattr(sweep_module, "sweep", lambda *a, **k: calls.append(a[1]) or real(*a, **k))

    async def user_types():
        explorer.x_stop.value = 100.0
        explorer.x_stop.value = 60.0
        explorer.x_num.value = 7
        assert calls == []  # still waiting for more changes
        assert "waiting" in explorer.status
        for _ in range(100):
            await asyncio.sleep(0.02)
            if calls:
                break
        await asyncio.sleep(0.1)

    asyncio.run(user_types())
    assert len(calls) == 1  # one sweep for three changes
    np.testing.assert_array_equal(calls[0][RR], np.linspace(450, 60, 7))
    np.testing.assert_array_equal(explorer.contour.data[0].x, np.linspace(450, 60, 7))


def test_repeats_average_seeds_and_show_the_spread(pu200):
    explorer = SweepExplorer(pu200, num=5, repeats=3, debounce=0)
    ref = twidgets.sweep(
        pu200, {RR: np.linspace(450, 40, 5), BOOST: np.linspace(0, 1, 5)}, metrics=["f1"], repeats=3, progress=False
    )
    np.testing.assert_allclose(np.asarray(explorer.contour.data[0].z), ref.metric("f1").T, rtol=0, atol=1e-15)
    explorer.select(245.0, 0.5)
    m = re.search(r'class="tw-selected-spread" data-value="([^"]+)"', explorer.selected_html.value)
    assert float(m.group(1)) == pytest.approx(ref.spread("f1")[2, 2]) and float(m.group(1)) > 0
    assert "mean of 3 seeds" in explorer.status
    explorer.repeats_input.value = 1
    assert explorer.result.repeats == 1 and "tw-selected-spread" not in explorer.selected_html.value


def test_axes_fall_back_when_their_stage_is_renamed(pu200):
    explorer = SweepExplorer(pu200, num=5, debounce=0)
    explorer.system = pu200.rename("Intermediate", "L1")
    assert (explorer.x, explorer.y) == ("L1.reduction_ratio", "L1.skill_boost")
    assert explorer.x_range[:2] == (450.0, 40.0)
    assert explorer.x_picker.value == "L1.reduction_ratio"
    assert list(explorer.result.params) == ["L1.reduction_ratio", "L1.skill_boost"]


def test_large_grids_report_progress_in_several_steps(pu200):
    from twidgets.widgets.explorer import progress_chunk

    assert progress_chunk(21 * 21) >= 21 * 21  # small grids: one vectorised call
    assert 101 * 101 / progress_chunk(101 * 101) >= 3
    seen = []
    explorer = SweepExplorer(pu200, num=5, debounce=0)
    explorer.progress.observe(lambda c: seen.append(c["new"]), names="value")
    explorer.x_range = (450.0, 40.0, 60)
    explorer.y_range = (0.0, 1.0, 60)  # 3600 points: two blocks
    assert seen[-1] == explorer.progress.max == 3600 and len(set(seen)) >= 3


def test_new_views_draw_the_current_map(explorer, reference):
    explorer.select(101.5, 0.5)
    data = explorer.contour_plot.figure_data
    np.testing.assert_array_equal(np.asarray(data[0]["z"]), reference.metric("f1").T)
    assert list(data[-1]["x"]) == [101.5] and list(data[-1]["y"]) == [0.5]
    assert len(explorer.pareto_plot.figure_data[1]["x"]) == len(reference.pareto())
