"""Propagation, power and pipeline confusion of ``twidgets.evaluate``.

Expected values are computed here from the model's definition (MODEL.md section 2),
independently of the implementation: by hand for a small system, and from published
figures for the CMS system.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq
from scipy.stats import norm

import twidgets
from twidgets import ParameterError, System, evaluate
from twidgets.cms.complexity import HLT_CPU_COEFFS
from twidgets.model.technology import density_scale

DET_COLS = [
    "Category",
    "Detector",
    "Data (bytes)",
    "Sample Rate",
    "Compression",
    "Link Efficiency (J/bit)",
    "Op Efficiency (J/op)",
]
STG_COLS = [
    "Name",
    "Output",
    "Data (bytes)",
    "Reduction Ratio",
    "Classifier",
    "Skill mean",
    "Skill variance",
    "Link Efficiency (J/bit)",
    "Op Efficiency (J/op)",
    "Compression",
    "Complexity",
]


def small_system(l1_rr=10.0, l1_kind="Gaussian", op_eff=1e-3):
    det = pd.DataFrame(
        [
            ["S1", "D1", 100.0, 1000.0, 0.2, 1e-9, 0.0],
            ["S1", "D2", 50.0, 1000.0, 0.0, 2e-9, 0.0],
        ],
        columns=DET_COLS,
    )
    stg = pd.DataFrame(
        [
            ["S1", "L1", 10.0, 1.0, "Dummy", None, None, 3e-9, 0.0, 0.0, None],
            ["L1", "Sink", 20.0, l1_rr, l1_kind, 2.0, 1.0, 4e-9, op_eff, 0.0, "poly:1,0.01"],
            ["Sink", None, 0.0, 1.0, "Dummy", None, None, 0.0, 0.0, 0.0, None],
        ],
        columns=STG_COLS,
    )
    return System.from_frames(det, stg, {"Year": 2027}, name="small")


def test_small_system_by_hand():
    ev = evaluate(small_system())
    # relevant fraction: global ratio of each detector = 1 * 1 * 10 * 1
    pos, neg = 100.0, 900.0
    # L1 Gaussian threshold: 0.9 * Phi(t) + 0.1 * Phi(t - 2) = 0.9
    t = brentq(lambda x: 0.9 * norm.cdf(x) + 0.1 * norm.cdf(x - 2.0) - 0.9, -10, 10, xtol=1e-14)
    tn, fn = math.floor(neg * norm.cdf(t)), math.floor(pos * norm.cdf(t - 2.0))
    fp, tp = math.floor(neg * norm.sf(t)), math.floor(pos * norm.sf(t - 2.0))
    assert ev.value("L1", "threshold") == pytest.approx(t, abs=1e-9)
    assert ev.confusion.tolist() == [[tn, fn], [fp, tp]]
    # message sizes: D1 compressed by 0.2 on the way out; S1 adds 10 bytes, L1 adds 20
    s1_msg = 100 * 0.8 + 50 + 10
    l1_msg = s1_msg + 20
    assert ev.value("S1", "message_bytes") == s1_msg
    assert ev.value("L1", "message_bytes") == l1_msg
    # ops = poly:1,0.01 -> x + 0.01 x^2 ; op power = 1e-3 J/op * ops * 1000 events/s
    ops = l1_msg + 0.01 * l1_msg**2
    assert ev.value("L1", "ops") == pytest.approx(ops)
    assert ev.op_power == pytest.approx(1e-3 * ops * 1000.0)
    # links: efficiency of the source row x bytes/s x 8
    link = (1e-9 * 100 * 1000 + 2e-9 * 50 * 1000 + 3e-9 * s1_msg * 1000 + 4e-9 * l1_msg * (fp + tp)) * 8
    assert ev.link_power == pytest.approx(link)
    assert ev.power == pytest.approx(link + 1e-3 * ops * 1000.0)
    assert ev.scaled_power == pytest.approx(ev.power / math.exp(0.18717361 * 5))
    prec, rec = tp / (tp + fp), tp / (tp + fn)
    assert ev.precision == pytest.approx(prec)
    assert ev.recall == pytest.approx(rec)
    assert ev.f1 == pytest.approx(2 * prec * rec / (prec + rec))
    assert ev.productivity == pytest.approx((fp + tp) * ev.f1 / ev.scaled_power)
    assert ev.output_rate == fp + tp
    links = ev.links.set_index(["source", "target"])
    assert links.loc[("D1", "S1"), "throughput"] == 100 * 1000


def test_cms_pileup200_against_published_figures(pu200):
    ev = evaluate(pu200)
    # MODEL.md: an 8.425 MB event takes 27.88 s of CPU wall time on the HLT
    assert ev.value("Global", "message_bytes") == pytest.approx(8.425e6)
    assert ev.value("Global", "ops") == pytest.approx(27.88, abs=0.005)
    # L1 keeps 1 / 53.3 of 40 MHz, exactly up to one Monte-Carlo sample's weight (40 MHz / 50,000):
    # the threshold is the smallest sample score that reaches the target rejection
    l1_out = ev.value("Global", "input_rate")
    assert 40e6 / 53.3 - 40e6 / 50_000 - 1 <= l1_out <= 40e6 / 53.3
    # the Gaussian HLT keeps 1 / 100 of that (analytic CDFs, integer truncation only)
    assert ev.output_rate == pytest.approx(l1_out / 100, abs=2)
    # power is dominated by the HLT: 16 J/op * 27.88 s * 750 kHz
    assert ev.value("Global", "op_power") == pytest.approx(16 * 27.88 * l1_out, rel=1e-3)
    assert ev.scaled_power / 1e6 == pytest.approx(51.61, rel=0.003)
    assert ev.power == pytest.approx(ev.link_power + ev.op_power)
    assert ev.stages.loc["Disk", "input_rate"] == ev.output_rate


def test_relevant_fraction_uses_downstream_ratios(pu200):
    ev = evaluate(pu200)
    det = ev.node("Inner Tracker")
    assert det.global_ratio == pytest.approx(53.3 * 100)
    assert det.relevant_in == math.floor(40e6 / 5330)
    assert det.relevant_in + det.irrelevant_in == 40e6


def test_pipeline_confusion_rows(pu200):
    ev = evaluate(pu200)
    l1 = ev.value("Intermediate", "contingency")
    hlt = ev.value("Global", "contingency")
    expected = np.array([l1[0] + hlt[0], hlt[1]])
    np.testing.assert_array_equal(ev.confusion, expected)
    # the L1 sees exactly the detectors' events (pass-through category stages)
    assert l1.sum() == pytest.approx(40e6, abs=4)


def test_vectorised_grid_equals_scalar_loop(pu200):
    rr = np.linspace(450, 40, 7)
    boost = np.linspace(0, 1, 5)
    grid = evaluate(pu200, {"Intermediate.reduction_ratio": rr[None, :], "Intermediate.skill_boost": boost[:, None]})
    assert grid.shape == (5, 7)
    assert grid.confusion.shape == (5, 7, 2, 2)
    for i, b in enumerate(boost):
        for j, r in enumerate(rr):
            one = evaluate(pu200, {"Intermediate.reduction_ratio": r, "Intermediate.skill_boost": b})
            np.testing.assert_array_equal(grid.confusion[i, j], one.confusion)
            assert grid.power[i, j] == pytest.approx(one.power, rel=1e-12)
            assert grid.f1[i, j] == pytest.approx(one.f1, rel=1e-12)
            assert grid.value("Intermediate", "threshold")[i, j] == one.value("Intermediate", "threshold")


def test_skill_boost_improves_f1_and_rr_trades_power(pu200):
    ev = evaluate(pu200, {"Intermediate.skill_boost": np.array([0.0, 0.4, 0.8])})
    assert np.all(np.diff(ev.f1) > 0)
    ev = evaluate(pu200, {"Intermediate.reduction_ratio": np.array([40.0, 53.3, 100.0, 400.0])})
    assert np.all(np.diff(ev.power) < 0)  # fewer events to the HLT, less power


def test_year_override_and_scaled_power_at(pu200):
    ev = evaluate(pu200, {"year": np.array([2022, 2032])})
    np.testing.assert_allclose(ev.scaled_power, ev.power / density_scale(np.array([2022, 2032])))
    assert ev.scaled_power[0] == pytest.approx(ev.power[0])
    one = evaluate(pu200)
    assert one.scaled_power_at(2022) == pytest.approx(one.power)
    assert one.scaled_power_at(2032) == pytest.approx(one.scaled_power)


def test_structural_override_gpu_halves_hlt_time(pu200):
    cpu = evaluate(pu200)
    gpu = evaluate(pu200, {"Global.complexity": "hlt-gpu"})
    assert gpu.value("Global", "ops") == pytest.approx(cpu.value("Global", "ops") / 2, rel=1e-6)
    # the structural override did not change the shared system
    assert pu200.param("Global.complexity") == "hlt-cpu"


def test_callable_complexity_through_the_api(pu200):
    k1, k2, k3 = HLT_CPU_COEFFS
    s = pu200.with_stage("Global", complexity=lambda x: k1 * x + k2 * x**2 + k3 * x**3)
    assert evaluate(s).power == pytest.approx(evaluate(pu200).power, rel=1e-12)


def test_classifier_view_exposes_scores_and_threshold(pu200):
    ev = evaluate(pu200, {"Intermediate.skill_boost": 0.4})
    c = ev.classifier("Intermediate")
    assert c.kind == "L1T" and c.monte_carlo
    assert c.null_scores.size == 50_000 and c.pos_scores.size == 50_000
    base = evaluate(pu200).classifier("Intermediate")
    np.testing.assert_allclose(c.pos_scores, base.pos_scores + 0.4)
    # the stage keeps exactly input / RR (up to the whole-event flooring of its two kept cells) ...
    inp, out = ev.value("Intermediate", "input_rate"), ev.value("Intermediate", "output_rate")
    assert inp / 53.3 - 2 <= out <= inp / 53.3
    # ... with the threshold between the last sample below the target and the first reaching it
    neg, pos = ev.node("Intermediate").irrelevant_in, ev.node("Intermediate").relevant_in

    def rejected(t, side):
        f0 = np.searchsorted(c.null_scores, t, side) / c.null_scores.size
        f1 = np.searchsorted(c.pos_scores, t, side) / c.pos_scores.size
        return (neg * f0 + pos * f1) / (neg + pos)

    pooled = np.union1d(c.null_scores, c.pos_scores)
    above = pooled[np.searchsorted(pooled, c.threshold, "left")]
    assert rejected(c.threshold, "left") <= 1 - 1 / 53.3 <= rejected(above, "right")


def test_stages_table_columns_and_cumulative_energy(pu200):
    st = evaluate(pu200).stages
    for col in (
        "input_rate",
        "output_rate",
        "message_bytes",
        "ops",
        "op_power",
        "threshold",
        "contingency",
        "cumulative_energy_per_event",
    ):
        assert col in st.columns
    assert len(st) == 19 + 7
    # an event rejected at the HLT has cost at least its own HLT compute (27.88 s * 16 J/op)
    assert st.loc["Global", "cumulative_energy_per_event"] > 16 * 27.8
    assert st.loc["Global", "cumulative_energy_per_event"] > st.loc["Intermediate", "cumulative_energy_per_event"]


def test_bad_overrides_are_clear(pu200):
    with pytest.raises(ParameterError, match="Nowhere"):
        evaluate(pu200, {"Nowhere.reduction_ratio": 2})
    with pytest.raises(ParameterError, match="reduction ratio >= 1"):
        evaluate(pu200, {"Intermediate.reduction_ratio": np.array([10, 0.5])})
    with pytest.raises(ParameterError, match="no parameter"):
        evaluate(pu200, {"Intermediate.colour": 1})
    with pytest.raises(ParameterError, match="Stage.param"):
        evaluate(pu200, {"reduction_ratio": 1})
    with pytest.raises(ParameterError, match="seed"):
        evaluate(pu200, seed=-1)
    with pytest.raises(ValueError):
        evaluate(pu200, {"Intermediate.reduction_ratio": np.ones(3), "Intermediate.skill_boost": np.ones(4)})


def test_deterministic_and_seed_dependent(pu200):
    a = evaluate(pu200, seed=3)
    b = evaluate(pu200, seed=3)
    c = evaluate(pu200, seed=4)
    np.testing.assert_array_equal(a.confusion, b.confusion)
    assert not np.array_equal(a.confusion, c.confusion)
    assert a.classifier("Intermediate").null_scores is b.classifier("Intermediate").null_scores  # cached, shared


def test_top_level_api_names():
    for name in ("load_system", "list_systems", "evaluate", "System", "SpecError", "Evaluation"):
        assert hasattr(twidgets, name)
    assert issubclass(twidgets.SpecError, ValueError)
