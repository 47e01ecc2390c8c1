"""Markers that show: the selected and the current operating point on the map and in the
Pareto view, display names on the axes, a degenerate front said."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import twidgets
from twidgets.widgets import Dashboard, SweepExplorer
from twidgets.widgets.explorer import CURRENT_NAME, SELECTED_NAME, front_note

RR, BOOST = "Intermediate.reduction_ratio", "Intermediate.skill_boost"
N = 9


def trace(fig, name):
    return next(t for t in fig.data if t.name == name)


@pytest.fixture()
def explorer(pu200):
    return SweepExplorer(pu200, RR, BOOST, num=N, debounce=0)


def test_current_point_is_the_systems_own_and_shown_on_both_views(explorer, pu200):
    cur = trace(explorer.contour, CURRENT_NAME)
    assert (list(cur.x), list(cur.y)) == ([pu200.param(RR)], [pu200.param(BOOST)])
    ev = twidgets.evaluate(pu200)
    p = trace(explorer.pareto, CURRENT_NAME)
    assert (p.x[0], p.y[0]) == (pytest.approx(ev.scaled_power / 1e6), ev.f1)
    explorer.current = {RR: 100.0}
    assert list(trace(explorer.contour, CURRENT_NAME).x) == [100.0]
    assert trace(explorer.pareto, CURRENT_NAME).y[0] == twidgets.evaluate(pu200, {RR: 100.0}).f1


def test_selected_marker_is_opaque_and_in_the_legend(explorer):
    explorer.select(100.0, 0.6)
    sel = trace(explorer.contour, SELECTED_NAME)
    assert len(sel.x) == 1 and sel.marker.color == "white" and sel.marker.line.width >= 2
    assert sel.showlegend is not False and trace(explorer.pareto, SELECTED_NAME).x
    cur = trace(explorer.contour, CURRENT_NAME)
    assert cur.marker.color not in ("rgba(0,0,0,0)", None)


def test_a_click_moves_the_current_point_only_when_asked(explorer, pu200):
    explorer.select(100.0, 0.6)
    assert list(trace(explorer.contour, CURRENT_NAME).x) == [pu200.param(RR)]  # standalone: the system's point
    explorer.follow_selection = True
    sel = explorer.select(200.0, 0.3)
    assert explorer.current == sel
    assert list(trace(explorer.contour, CURRENT_NAME).x) == [sel[RR]]


def test_axes_use_display_names(explorer):
    assert explorer.contour.layout.xaxis.title.text == "L1 reduction ratio"
    assert explorer.contour.layout.yaxis.title.text == "L1 skill boost"
    assert explorer.pareto.layout.xaxis.title.text == "Scaled power (MW)"


def test_pareto_front_resolves_ties_and_dims_dominated_points(explorer):
    front = trace(explorer.pareto, "Pareto front")
    pairs = list(zip(front.x, front.y))
    assert len(pairs) == len(set(pairs))
    assert trace(explorer.pareto, "dominated grid points").opacity < 0.5


def test_degenerate_front_is_said():
    one = pd.DataFrame({"scaled_power": [1.0], "f1": [0.5]})
    assert "1 distinct point" in front_note(one, 1.0, 1.0)
    flat = pd.DataFrame({"scaled_power": [10.0, 10.001, 10.002], "f1": [0.1, 0.5, 0.9]})
    assert "power hardly changes" in front_note(flat, 5.0, 0.8)
    good = pd.DataFrame({"scaled_power": [1.0, 3.0, 5.0], "f1": [0.1, 0.5, 0.9]})
    assert front_note(good, 4.0, 0.8) == ""


def test_dashboard_moves_the_current_point_with_the_sliders(pu200):
    d = Dashboard(pu200, num=N, debounce=0)
    d.inspector.rr_slider.value = 150.0
    assert list(trace(d.explorer.contour, CURRENT_NAME).x) == [150.0]
    assert trace(d.explorer.pareto, CURRENT_NAME).y[0] == twidgets.evaluate(pu200, {RR: 150.0}).f1
    d.explorer.select(200.0, 0.5)
    cur = trace(d.explorer.contour, CURRENT_NAME)
    sel = trace(d.explorer.contour, SELECTED_NAME)
    assert (cur.x[0], cur.y[0]) == (sel.x[0], sel.y[0])  # a click moves the operating point there
    assert np.isclose(sel.x[0], d.overrides[RR])
