"""Overrides of ``evaluate`` checked like workbook cells, structural ones patched, typed results.

Expected values come from the slow, table-rebuilding path (``System.with_params``) that
the patched path must reproduce exactly, or from the rules stated in the issue (booleans
are not numbers, a year outside the calibrated range warns, shapes that do not broadcast
are named).
"""

from __future__ import annotations

import dataclasses
import importlib
import warnings

import numpy as np
import pytest

from twidgets import ParameterError, System, evaluate
from twidgets.model.evaluation import LinkResult, NodeResult
from twidgets.model.overrides import CALIBRATED_YEARS, GRID_BUDGET_BYTES, ExtrapolationWarning, max_grid_points

# the module (``twidgets.model.evaluate`` the attribute is the function)
evaluate_module = importlib.import_module("twidgets.model.evaluate")
RR = "Intermediate.reduction_ratio"
BOOST = "Intermediate.skill_boost"


def _all_quantities(ev):
    out = {}
    for name, r in ev.results.items():
        for f in dataclasses.fields(r):
            if f.name not in ("name", "kind", "classifier"):
                out[(name, f.name)] = np.asarray(getattr(r, f.name), dtype=float)
    for m in ("power", "scaled_power", "f1", "precision", "recall", "productivity"):
        out[m] = np.asarray(getattr(ev, m))
    return out


def _assert_same(a, b):
    qa, qb = _all_quantities(a), _all_quantities(b)
    assert qa.keys() == qb.keys()
    for k in qa:
        np.testing.assert_array_equal(qa[k], qb[k], err_msg=str(k))


# ------------------------------------------------------------------ typed results
def test_results_are_frozen_dataclasses_with_named_fractions(pu200):
    ev = evaluate(pu200, {RR: 80.0})
    r = ev.node("Intermediate")
    assert isinstance(r, NodeResult) and list(ev.results) == [n.name for n in pu200.nodes]
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.tp = 0.0
    names = {f.name for f in dataclasses.fields(NodeResult)}
    assert {"rejected_irrelevant_fraction", "rejected_relevant_fraction"} <= names
    assert not names & {"f0", "f1", "neg_in", "pos_in"}
    # the fractions are what the contingency table says they are (floored counts)
    assert r.tn == np.floor(r.irrelevant_in * r.rejected_irrelevant_fraction + 1e-6)
    assert r.fn == np.floor(r.relevant_in * r.rejected_relevant_fraction + 1e-6)
    # an L1 at RR 80 rejects about 1 - 1/80 of its input
    assert r.output_rate == pytest.approx(r.input_rate / 80, rel=1e-3)
    assert all(isinstance(lk, LinkResult) for lk in ev.link_results)
    assert [(lk.source, lk.target) for lk in ev.link_results] == [(n.name, n.output) for n in pu200.nodes if n.output]
    with pytest.raises(ParameterError, match="no quantity 'f0'"):
        ev.value("Intermediate", "f0")


# ------------------------------------------------------------------ structural overrides patched
@pytest.mark.parametrize(
    "key, value",
    [
        ("Global.complexity", "hlt-gpu"),
        ("Global.complexity", "poly:1e-7,2e-13"),
        ("Inner Tracker.complexity", "l1t-linear"),
        ("Intermediate.n_samples", 2000),
        ("Global.n_samples", 3000.0),
    ],
)
def test_patched_structural_override_equals_rebuilt_system(pu200, key, value):
    fast = evaluate(pu200, {key: value, BOOST: np.array([0.0, 0.5])})
    slow = evaluate(pu200.with_params({key: value}), {BOOST: np.array([0.0, 0.5])})
    _assert_same(fast, slow)
    assert fast.system == pu200.with_params({key: value})  # the evaluated System
    assert pu200.param(key) != fast.system.param(key) or key.endswith("n_samples")


def test_patched_structural_override_builds_no_system(pu200, monkeypatch):
    built = []
    real = System.from_frames.__func__

    def counting(cls, *a, **k):
        built.append(1)
        return real(cls, *a, **k)

    monkeypatch.setattr(System, "from_frames", classmethod(counting))
    ev = evaluate(pu200, {"Global.complexity": "hlt-gpu", "Intermediate.complexity": "identity"})
    assert built == []
    assert ev.value("Global", "ops") == pytest.approx(evaluate(pu200).value("Global", "ops") / 2, rel=1e-6)
    evaluate(pu200, {"Intermediate.n_samples": 5000})  # sample counts rebuild (the System validates them)
    assert built == [1]


@pytest.mark.parametrize(
    "key, value, match",
    [
        ("Global.complexity", "lambda x: x", "unknown complexity"),
        ("Global.complexity", "poly:-1,0,0", "between 0 and"),
        ("Intermediate.n_samples", 5.5, "whole number"),
        ("Intermediate.n_samples", True, "boolean"),
        ("Intermediate.reduction_ratio", np.array([True]), "boolean"),
        ("Global.complexity", np.array(["hlt-gpu"]), "not numeric"),
    ],
)
def test_bad_structural_override_names_the_key(pu200, key, value, match):
    with pytest.raises(ParameterError, match=match) as info:
        evaluate(pu200, {key: value})
    assert key in str(info.value)


# ------------------------------------------------------------------ numeric overrides checked like cells
@pytest.mark.parametrize("value", [True, False, np.array([True, False]), np.bool_(True)])
def test_booleans_are_not_numbers(pu200, value):
    with pytest.raises(ParameterError, match="boolean") as info:
        evaluate(pu200, {RR: value})
    assert RR in str(info.value)


def test_year_outside_the_calibrated_range_warns(pu200):
    lo, hi = CALIBRATED_YEARS
    assert (lo, hi) == (2022, 2032)  # MODEL.md: 2022 efficiencies, published configurations up to 2032
    for year in (1900, 2300, np.array([2030, 2045])):
        with pytest.warns(ExtrapolationWarning, match="outside the years the model is calibrated for"):
            evaluate(pu200, {"year": year})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        evaluate(pu200, {"year": np.array([2022, 2028, 2032])})  # inside: silent


def test_shapes_that_do_not_broadcast_name_parameters_and_shapes(pu200):
    with pytest.raises(ParameterError) as info:
        evaluate(pu200, {RR: np.linspace(40, 400, 3), BOOST: np.linspace(0, 1, 4)})
    msg = str(info.value)
    assert RR in msg and BOOST in msg and "(3,)" in msg and "(4,)" in msg


# ------------------------------------------------------------------ grid budget
def test_grid_past_the_memory_budget_is_refused_up_front(pu200, monkeypatch):
    calls = []
    monkeypatch.setattr(evaluate_module, "_evaluate_node", lambda *a, **k: calls.append(1))
    limit = max_grid_points(len(pu200.nodes))
    assert 101 * 101 < limit < 1000 * 1000
    with pytest.raises(ParameterError) as info:
        evaluate(pu200, {RR: np.linspace(450, 40, 1000)[None, :], BOOST: np.linspace(0, 1, 1000)[:, None]})
    msg = str(info.value)
    assert "(1000, 1000)" in msg and f"{limit:,}" in msg and "twidgets.sweep" in msg
    assert f"{GRID_BUDGET_BYTES / 2**30:g} GiB" in msg
    assert calls == []  # refused before propagating anything


def test_booleans_are_refused_by_every_path_that_takes_numbers(pu200):
    import twidgets

    with pytest.raises(ParameterError, match="boolean"):
        pu200.with_stage("Intermediate", reduction_ratio=True)
    with pytest.raises(ParameterError, match="boolean"):
        twidgets.sweep(pu200, {RR: [True, False]})
    assert evaluate(pu200, {RR: 1}).output_rate == evaluate(pu200, {RR: 1.0}).output_rate  # ints are numbers
