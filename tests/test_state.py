"""The dashboard's state and its deep links (query strings)."""

from __future__ import annotations

import pytest

import twidgets
from twidgets.cms.scenarios import scenario
from twidgets.widgets.state import MAX_QUERY, DashboardState, View, parse_query

RR, BOOST = "Intermediate.reduction_ratio", "Intermediate.skill_boost"


def test_link_opens_the_system_at_the_point():
    state, messages = DashboardState.from_query("?system=cms-run3-pu60&Intermediate.reduction_ratio=100&tab=explore")
    assert messages == ()
    assert state.system == twidgets.load_system("cms-run3-pu60")
    assert state.overrides == {RR: 100.0}
    assert state.view.tab == "explore"
    ev = twidgets.evaluate(twidgets.load_system("cms-run3-pu60"), {RR: 100.0})
    got = state.evaluation()
    assert (got.f1, got.scaled_power, got.precision) == (ev.f1, ev.scaled_power, ev.precision)


def test_link_with_a_scenario_loads_it():
    state, messages = DashboardState.from_query("scenario=phase-2%20%2B%20smart%20sensing&stage=Global")
    assert messages == ()
    assert state.system == scenario("Phase-2 + smart sensing").load()
    assert state.scenario == "Phase-2 + smart sensing"
    assert state.view.stage == "Global"
    assert "scenario Phase-2 + smart sensing" in state.title


def test_unknown_and_invalid_values_are_named_and_ignored():
    state, messages = DashboardState.from_query(
        "system=cms-run3-pu60&Foo.bar=3&Intermediate.reduction_ratio=0.5&Intermediate.skill_boost=__import__('os')"
        "&tab=slides&metric=f2&stage=Nowhere&x=Intermediate.nope&x_range=1,2&seed=-1&colour=red"
    )
    text = "\n".join(messages)
    for name in (
        "'Foo.bar'",
        "0.5",
        "__import__",
        "'slides'",
        "'f2'",
        "'Nowhere'",
        "Intermediate.nope",
        "x_range",
        "seed",
        "'colour'",
    ):
        assert name in text, name
    assert "L1 reduction ratio" in text  # errors use the display name as well as the key
    assert state.system == twidgets.load_system("cms-run3-pu60")
    assert state.overrides == {} and state.view == View()


def test_a_link_never_opens_a_path():
    state, messages = DashboardState.from_query("system=/etc/passwd")
    assert state.system.name == "cms-hllhc-pu200"
    assert any("/etc/passwd" in m for m in messages)
    state, messages = DashboardState.from_query("system=../data/cms-run3-pu60.xlsx")
    assert state.system.name == "cms-hllhc-pu200" and messages


def test_overlong_link_is_refused_with_a_message():
    q = parse_query("a=" + "x" * MAX_QUERY)
    assert q.system is None and "characters" in q.messages[0]


def test_copied_link_reproduces_the_state(pu200):
    state = DashboardState(pu200, "system:cms-hllhc-pu200", seed=3)
    state.set_override(RR, 120.0)
    state.set_override(BOOST, 0.35)
    state.set_view(
        tab="flow", stage="Global", x=BOOST, y=RR, x_range=(0.0, 1.0, 21), y_range=(400.0, 50.0, 31), metric="recall"
    )
    again, messages = DashboardState.from_query(state.to_query())
    assert messages == ()
    assert again.system == state.system and again.overrides == state.overrides
    assert again.view == state.view and again.seed == 3
    assert again.evaluation().f1 == state.evaluation().f1


def test_overrides_apply_reset_and_load(pu200, run3):
    state = DashboardState(pu200, "system:cms-hllhc-pu200")
    state.set_override(BOOST, 0.56)
    assert state.evaluation().f1 == twidgets.evaluate(pu200, {BOOST: 0.56}).f1
    assert state.shown_system() == pu200.with_stage("Intermediate", skill_boost=0.56)
    state.reset()
    assert state.overrides == {} and state.evaluation().f1 == twidgets.evaluate(pu200).f1
    state.set_override(BOOST, 0.56)
    state.apply()
    assert state.overrides == {} and state.source == "edited"
    assert state.system == pu200.with_stage("Intermediate", skill_boost=0.56)
    state.set_override(RR, 80.0)
    state.load(run3, "upload:run3.xlsx")  # a new system clears every what-if value
    assert state.overrides == {} and state.evaluation().f1 == twidgets.evaluate(run3).f1
    assert state.title == "run3.xlsx (uploaded)"


def test_bad_overrides_are_refused_and_change_nothing(pu200):
    state = DashboardState(pu200, "system:cms-hllhc-pu200")
    state.set_override(RR, 100.0)
    with pytest.raises(twidgets.ParameterError, match="L1 reduction ratio"):
        state.set_override(RR, 0.5)
    with pytest.raises(twidgets.ParameterError, match="not a numeric parameter"):
        state.set_override("Global.classifier", 1.0)
    with pytest.raises(twidgets.ParameterError):
        state.set_overrides({BOOST: 0.2, RR: -3})
    assert state.overrides == {RR: 100.0}


def test_editing_keeps_overrides_of_unchanged_parameters(pu200):
    state = DashboardState(pu200, "system:cms-hllhc-pu200")
    state.set_overrides({RR: 100.0, BOOST: 0.2})
    state.edit(pu200.with_stage("Intermediate", skill_boost=0.7))
    assert state.overrides == {RR: 100.0}  # the edit wins for the parameter it changed
    assert state.source == "edited"


def test_baseline_defaults_to_the_first_system(pu200):
    state = DashboardState(pu200, "system:cms-hllhc-pu200")
    state.set_override(BOOST, 0.4)
    assert state.baseline_evaluation().f1 == twidgets.evaluate(pu200).f1
    state.set_baseline()
    assert state.baseline_evaluation().f1 == twidgets.evaluate(pu200, {BOOST: 0.4}).f1
