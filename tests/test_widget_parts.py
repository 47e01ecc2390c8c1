"""The plain-Python pieces the widgets are built from (debouncer, picker choices, the
explorer's grid points and read-outs, the inspector's histogram figure), tested alone,
and the public names that stay importable from the widget modules."""

from __future__ import annotations

import asyncio
import html
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import twidgets
from twidgets.model import ParameterError
from twidgets.widgets import dashboard, explorer, explorer_figures, inspector, inspector_choices, picker
from twidgets.widgets.debounce import Debouncer
from twidgets.widgets.download import DownloadButton
from twidgets.widgets.explorer_figures import check_input
from twidgets.widgets.explorer_points import grid_point, inside, marker_xy, pareto_pick, scenario_point
from twidgets.widgets.explorer_text import csv_filename, selected_html, sweep_status
from twidgets.widgets.inspector_figures import histogram_figure, histogram_title, threshold_line

RR, BOOST = "Intermediate.reduction_ratio", "Intermediate.skill_boost"


def test_public_names_stay_importable_where_they_were():
    for name in explorer.__all__:
        assert hasattr(explorer, name), name
    for name in ("METRIC_CHOICES", "DEFAULT_NUM", "default_range", "fallback_axes", "front_note", "grid", "snap"):
        assert getattr(explorer, name) is getattr(explorer_figures, name)
    assert inspector.stage_choices is inspector_choices.stage_choices
    assert inspector.clean_overrides is inspector_choices.clean_overrides
    for name in ("picker_options", "load_choice", "EDITED"):
        assert getattr(dashboard, name) is getattr(picker, name)


# ------------------------------------------------------------------------------- debouncer
def test_debouncer_runs_at_once_without_a_loop_or_delay():
    calls = []
    debounced = Debouncer(lambda: calls.append(1))
    assert debounced(0.3) is False  # no asyncio loop runs here
    assert calls == [1] and not debounced.pending

    async def in_loop():
        assert debounced(0) is False  # no delay: now, even in a loop
        assert calls == [1, 1]

    asyncio.run(in_loop())


def test_debouncer_runs_once_after_a_burst_and_cancel_forgets():
    calls = []
    debounced = Debouncer(lambda: calls.append(1))

    async def burst():
        assert debounced(0.05) is True
        debounced(0.05)
        debounced(0.05)
        assert calls == [] and debounced.pending
        # the loop runs timers in deadline order: the callback's comes before this sleep's end
        await asyncio.sleep(0.5)
        assert calls == [1] and not debounced.pending
        debounced(0.05)
        debounced.cancel()
        await asyncio.sleep(0.3)

    asyncio.run(burst())
    assert calls == [1]


# ------------------------------------------------------------------------------- picker
def test_picker_choices_load_and_bad_choices_are_named(pu200):
    scen = SimpleNamespace(name="Half rate", load=lambda: pu200)
    opts = picker.picker_options([scen])
    assert ("System: cms-hllhc-pu200", "system:cms-hllhc-pu200") in opts
    assert opts[-1] == ("Scenario: Half rate", "scenario:Half rate")
    assert picker.load_choice("scenario:half RATE", [scen]) is pu200
    assert picker.load_choice("system:cms-run3-pu60").name == "cms-run3-pu60"
    with pytest.raises(ParameterError, match="no scenario 'Nope'; scenarios: Half rate"):
        picker.load_choice("scenario:Nope", [scen])
    with pytest.raises(ParameterError, match="unknown picker choice 'x:y'"):
        picker.load_choice("x:y", [scen])


def test_rr_slider_bounds_hold_the_value():
    assert inspector_choices.log_bounds(53.3) == (0.0, 3.0)
    lo, hi = inspector_choices.log_bounds(25_000.0)
    assert 10**lo <= 25_000.0 <= 10**hi and hi == 6.0


# ------------------------------------------------------------------------------- explorer pieces
def test_explorer_inputs_are_checked_with_their_name(pu200):
    assert check_input("x_range", (450, 40, 5), pu200) == (450.0, 40.0, 5)
    assert check_input("x", RR, pu200) == RR
    with pytest.raises(ValueError, match="'Nope.x' is not a numeric parameter"):
        check_input("y", "Nope.x", pu200)
    with pytest.raises(ValueError, match="y_range: start and stop must be finite"):
        check_input("y_range", (0.0, float("inf"), 5), pu200)
    with pytest.raises(ValueError, match="x_range: at least 2 points, got 1"):
        check_input("x_range", (0.0, 1.0, 1), pu200)
    with pytest.raises(ValueError, match="sigma must be >= 0"):
        check_input("sigma", -1.0, pu200)
    with pytest.raises(ValueError, match="repeats must be >= 1"):
        check_input("repeats", 0, pu200)


def test_scenario_points_inside_the_grid_only():
    xs, ys = np.linspace(450, 40, 5), np.linspace(0, 1, 5)
    on = SimpleNamespace(overrides={RR: 100, BOOST: 0.5, "Global.year": 2030})
    assert scenario_point(on, RR, BOOST, xs, ys) == (100.0, 0.5)
    assert scenario_point(SimpleNamespace(overrides={RR: 1000, BOOST: 0.5}), RR, BOOST, xs, ys) is None
    assert scenario_point(SimpleNamespace(overrides={RR: True, BOOST: 0.5}), RR, BOOST, xs, ys) is None
    assert scenario_point(SimpleNamespace(overrides={RR: 100}), RR, BOOST, xs, ys) is None
    assert inside(40, xs) and inside(450, xs) and not inside(450.1, xs)
    assert marker_xy(None) == {"x": [], "y": []} and marker_xy((1.0, 2.0)) == {"x": [1.0], "y": [2.0]}


def test_grid_point_and_pareto_pick_read_the_sweep(pu200):
    xs, ys = np.linspace(450, 40, 5), np.linspace(0, 1, 4)
    result = twidgets.sweep(pu200, {RR: xs, BOOST: ys}, metrics=["f1", "scaled_power", "power"], progress=False)
    p = grid_point(result, "power", 0.0, xs, ys, 140.0, 0.7)  # nearest: xs[3] = 142.5, ys[2] = 2/3
    assert (p.x, p.y) == (142.5, pytest.approx(2 / 3))
    assert p.value == pytest.approx(float(np.asarray(result.metric("power"))[3, 2]) * 1e-6)  # shown in MW
    assert p.f1 == pytest.approx(float(np.asarray(result.metric("f1"))[3, 2])) and p.spread is None
    assert p.power == pytest.approx(float(np.asarray(result.metric("scaled_power"))[3, 2]))
    # the Pareto view's grid trace is the flattened (x, y) grid; its front trace is a table
    assert pareto_pick(0, 3 * len(ys) + 2, None, xs, ys, RR, BOOST) == (142.5, pytest.approx(2 / 3))
    front = pd.DataFrame({RR: [450.0, 40.0], BOOST: [0.0, 1.0]})
    assert pareto_pick(1, 1, front, xs, ys, RR, BOOST) == (40.0, 1.0)


def test_explorer_texts_escape_and_carry_full_precision():
    p = SimpleNamespace(x=142.5, y=2 / 3, value=0.123456789, spread=0.0123, power=51.6e6, f1=0.46)
    text = selected_html("A<b>.reduction_ratio", BOOST, "f1", p)
    assert "<b>" not in text and html.escape("A<b>") in text
    assert f'data-value="{2 / 3!r}"' in text and 'data-value="0.123456789">0.1235<' in text
    assert "&plusmn;" in text and "F1 0.460" in text
    assert "&plusmn;" not in selected_html(RR, BOOST, "f1", SimpleNamespace(**{**vars(p), "spread": None}))
    assert sweep_status(51, 21, 1, 0.021) == "51 x 21 points in 21 ms"
    assert sweep_status(5, 5, 3, 2.5) == "5 x 5 points, mean of 3 seeds in 2.50 s"
    assert csv_filename("A x", "B/c") == "sweep_A_x_B_c.csv"


def test_download_button_makes_its_file_only_when_asked():
    calls = []
    button = DownloadButton(lambda: calls.append(1) or "a,b\n1,2\n", filename="t.csv", mime="text/csv")
    assert calls == [] and "a,b" not in str(button.get_state())
    answer, buffers = button._on_fetch({}, [])
    assert answer == {"ok": True, "filename": "t.csv", "mime": "text/csv"} and buffers == [b"a,b\n1,2\n"]
    assert calls == [1]
    failing = DownloadButton(lambda: 1 / 0, filename="x.csv")
    answer, buffers = failing._on_fetch({}, [])
    assert not answer["ok"] and "x.csv" in answer["error"] and "division by zero" in failing.error and buffers == []
    assert not DownloadButton()._on_fetch({}, [])[0]["ok"]


# ------------------------------------------------------------------------------- inspector figure
def test_histogram_figure_keeps_legend_out_of_title_and_bars():
    fig = histogram_figure()
    assert [t.name for t in fig.data] == ["irrelevant", "relevant"]
    legend, title = fig.layout.legend, fig.layout.title
    # the legend's bottom edge sits on the plot area's top edge, at its right end
    assert (legend.orientation, legend.yanchor, legend.y, legend.xanchor, legend.x) == (
        "h",
        "bottom",
        1.0,
        "right",
        1.0,
    )
    # the title hangs from the figure's top; the top margin holds it and one legend row
    assert (title.yref, title.yanchor, title.xanchor) == ("container", "top", "left")
    assert fig.layout.margin.t >= title.pad.t + 17 + 20 + 10  # plotly's default title/legend font sizes
    # a title set later keeps this placement (only its text changes)
    fig.layout.title.text = histogram_title("Intermediate", "L1T", True, 1.149)
    assert fig.layout.title.yref == "container" and fig.layout.title.text.endswith("threshold 1.1490")
    assert histogram_title("Tracking", "Dummy", False, None).endswith("pass-through (keeps every event)")
    assert threshold_line(1.5)["x0"] == threshold_line(1.5)["x1"] == 1.5
