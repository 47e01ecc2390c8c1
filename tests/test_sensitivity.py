"""twidgets.sensitivity: one-at-a-time +/- steps around the current point."""

from __future__ import annotations

import numpy as np
import pytest

import twidgets
from twidgets.model.sensitivity import default_sensitivity_params

COLUMNS = ["param", "base_value", "low_value", "high_value", "metric_low", "metric_base", "metric_high", "effect"]


@pytest.fixture(scope="module")
def table(pu200):
    return twidgets.sensitivity(pu200)


def test_columns_and_sorting(table):
    assert list(table.columns) == COLUMNS
    effects = np.abs(table["effect"].to_numpy())
    assert (np.diff(effects) <= 0).all()
    np.testing.assert_array_equal(table["effect"], table["metric_high"] - table["metric_low"])


def test_default_params_are_the_selecting_stages_and_largest_detectors(pu200, table):
    params = default_sensitivity_params(pu200)
    assert set(table["param"]) == set(params) and len(params) == len(set(params))
    assert {
        "Intermediate.reduction_ratio",
        "Intermediate.skill_boost",
        "Global.reduction_ratio",
        "Global.skill_mean",
        "Global.op_efficiency",
    } <= set(params)
    assert "Intermediate.skill_mean" not in params  # the L1T menu model has no skill mean
    assert not any(p.startswith(("Tracking.", "Disk.", "Muon.")) for p in params)  # pass-through stages
    detectors = [p for p in params if p.endswith(".data_bytes") and pu200.node(p.rsplit(".", 1)[0]).kind == "detector"]
    assert detectors == ["HGCAL.data_bytes", "Inner Tracker.data_bytes", "Outer Tracker PS.data_bytes"]


def test_values_match_single_evaluations(pu200, table):
    base = twidgets.evaluate(pu200).productivity
    np.testing.assert_allclose(table["metric_base"], base, rtol=1e-12)
    for _, row in table.iterrows():
        low = twidgets.evaluate(pu200, {row["param"]: row["low_value"]}).productivity
        high = twidgets.evaluate(pu200, {row["param"]: row["high_value"]}).productivity
        np.testing.assert_allclose(
            [row["metric_low"], row["metric_high"]], [low, high], rtol=1e-12, err_msg=row["param"]
        )


def test_relative_absolute_and_clipped_steps(pu200):
    system = pu200.with_params({"Global.reduction_ratio": 1.05, "Intermediate.compression": 0.95})
    t = twidgets.sensitivity(
        system,
        [
            "Global.op_efficiency",
            "Intermediate.skill_boost",
            "Global.compression",
            "Global.reduction_ratio",
            "Intermediate.compression",
            "year",
        ],
        metric="power",
        rel_step=0.2,
    ).set_index("param")
    assert tuple(t.loc["Global.op_efficiency", ["low_value", "high_value"]]) == pytest.approx((12.8, 19.2))
    # value 0: absolute step rel_step x typical scale (1 score unit / a fraction of 1)
    assert tuple(t.loc["Intermediate.skill_boost", ["low_value", "high_value"]]) == pytest.approx((-0.2, 0.2))
    assert tuple(t.loc["Global.compression", ["low_value", "high_value"]]) == pytest.approx((0.0, 0.2))
    # clipped into the valid ranges
    assert t.loc["Global.reduction_ratio", "low_value"] == 1.0
    assert 0.95 < t.loc["Intermediate.compression", "high_value"] < 1.0
    assert tuple(t.loc["year", ["low_value", "high_value"]]) == (2030.0, 2034.0)


def test_effect_signs_follow_the_model(pu200):
    t = twidgets.sensitivity(pu200, ["Global.op_efficiency", "HGCAL.data_bytes"], metric="power").set_index("param")
    assert (t["effect"] > 0).all()  # more J/op or more bytes cost power
    t = twidgets.sensitivity(pu200, ["Global.op_efficiency"]).set_index("param")
    assert t.loc["Global.op_efficiency", "effect"] < 0  # ... and so lower the productivity
    t = twidgets.sensitivity(pu200, ["year"], metric="scaled_power").set_index("param")
    assert t.loc["year", "effect"] < 0  # newer technology, less scaled power


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"params": ["Nowhere.data_bytes"]}, r"no detector or stage named 'Nowhere'"),
        ({"params": ["Global.classifier"]}, r"not a numeric parameter"),
        ({"params": ["year", "Global.year"]}, r"listed twice"),
        ({"params": []}, r"params is empty"),
        ({"params": "Global.op_efficiency"}, r"list of 'Stage.param' names"),
        ({"metric": "speed"}, r"unknown metric 'speed'"),
        ({"rel_step": 0}, r"rel_step must be a fraction"),
        ({"rel_step": 1.5}, r"rel_step must be a fraction"),
        ({"seed": -2}, r"seed must be"),
    ],
)
def test_bad_arguments(pu200, kwargs, match):
    with pytest.raises(twidgets.ParameterError, match=match):
        twidgets.sensitivity(pu200, **kwargs)
