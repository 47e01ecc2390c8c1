"""Classifiers, turn-on curves, calibration and the exact threshold solve."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.special import ndtr

from twidgets import ParameterError
from twidgets.model.classifiers import (
    L1T_OBJECTS,
    L1T_OUTCOMES,
    build_hlt,
    build_l1t,
    l1t_slopes,
    solve_gaussian,
    solve_sampled,
)
from twidgets.model.curves import ParametricCurve, TabulatedCurve, calibrate_slope, efficiency_integral


def brute_force_threshold(null, pos, neg_rate, pos_rate, rho, boost):
    """Smallest candidate threshold reaching the target rejection, by enumeration.

    Candidates are the irrelevant scores t (relevant rejected where pos <= t - boost) and the
    boosted relevant scores pos_j + boost (relevant rejected where pos <= pos_j).
    """
    total = neg_rate + pos_rate
    best = (np.inf, 1.0, 1.0)
    for t in null:
        f0, f1 = np.mean(null <= t), np.mean(pos <= t - boost)
        if (neg_rate * f0 + pos_rate * f1) / total >= rho - 1e-12 and t < best[0]:
            best = (t, f0, f1)
    for p in pos:
        t = p + boost
        f0, f1 = np.mean(null <= t), np.mean(pos <= p)
        if (neg_rate * f0 + pos_rate * f1) / total >= rho - 1e-12 and t < best[0]:
            best = (t, f0, f1)
    return best


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.0, 1e6), st.floats(0.0, 1e6), st.floats(0.0, 0.999), st.floats(-2.0, 2.0))
def test_sampled_threshold_is_exact(seed, neg, pos, rho, boost):
    rng = np.random.default_rng(seed)
    null = np.sort(rng.normal(0, 1, 37))
    pos_s = np.sort(rng.normal(1, 1, 23))
    if neg + pos == 0:
        neg = pos = 1.0
    t, f0, f1 = solve_sampled(null, pos_s, neg, pos, rho, boost)
    if rho <= 0:
        assert t == -np.inf and f0 == 0 and f1 == 0
        return
    bt, bf0, bf1 = brute_force_threshold(null, pos_s, neg, pos, rho, boost)
    assert t == bt
    assert f0 == bf0 and f1 == bf1


def test_sampled_solve_broadcasts():
    rng = np.random.default_rng(1)
    null, pos = np.sort(rng.normal(0, 1, 500)), np.sort(rng.normal(2, 1, 500))
    rho = np.linspace(0.1, 0.95, 6)[:, None]
    boost = np.array([0.0, 0.5, 1.0])[None, :]
    t, f0, f1 = solve_sampled(null, pos, 9e5, 1e5, rho, boost)
    assert t.shape == (6, 3)
    for i in range(6):
        for j in range(3):
            assert t[i, j] == solve_sampled(null, pos, 9e5, 1e5, rho[i, 0], boost[0, j])[0]
    # more rejection -> higher threshold
    assert np.all(np.diff(t, axis=0) > 0)


def test_gaussian_solve_hits_target():
    rho = np.array([0.3, 0.9, 0.99])
    t, f0, f1 = solve_gaussian(4.0, 1.0, 7.4e5, 7.5e3, rho)
    w0 = 7.4e5 / (7.4e5 + 7.5e3)
    np.testing.assert_allclose(w0 * ndtr(t) + (1 - w0) * ndtr(t - 4.0), rho, rtol=1e-12)
    np.testing.assert_allclose(f0, ndtr(t))
    np.testing.assert_allclose(f1, ndtr(t - 4.0))


def test_parametric_curve_and_integral_against_quad():
    c = L1T_OBJECTS[1].curve  # muon
    assert c(c.e50) == pytest.approx(c.plateau / 2)
    for lam in (0.01, 0.05, 0.3):
        ref, _ = quad(lambda e: lam * np.exp(-lam * e) * c(e), c.e_min, c.e_max, limit=200)
        assert efficiency_integral(c, lam) == pytest.approx(ref, rel=1e-6)


def test_calibration_reaches_target_or_the_closest_point():
    for obj in L1T_OBJECTS:
        lam = calibrate_slope(obj.curve, 0.444, obj.slope_bounds)
        lo, hi = obj.slope_bounds
        assert lo < lam <= hi
        grid = np.linspace(lo, hi, 4001)[1:]
        vals = efficiency_integral(obj.curve, grid)
        if vals.max() >= 0.444:
            assert efficiency_integral(obj.curve, lam) == pytest.approx(0.444, abs=1e-9)
            # the largest solution: nothing steeper reaches the target
            assert np.all(vals[grid > lam + 1e-3] < 0.444)
        else:  # unreachable (jet, tau): the peak of the integral
            assert efficiency_integral(obj.curve, lam) >= vals.max() - 1e-6


def test_published_and_per_object_calibrations_differ():
    pub = l1t_slopes(calibration="published")
    per = l1t_slopes(calibration="per-object")
    assert pub[2] == pytest.approx(per[2])  # e/gamma is calibrated on its own rate either way
    assert not np.allclose(pub, per)
    with pytest.raises(ParameterError, match="calibration"):
        l1t_slopes(calibration="magic")


def test_l1t_samples_follow_the_construction():
    c = build_l1t(20_000, "published", 7)
    assert c.null_scores.size == c.pos_scores.size == 20_000
    assert not c.null_scores.flags.writeable
    assert np.all(np.diff(c.null_scores) >= 0)
    # a score is a sum of four efficiencies
    assert c.null_scores.min() >= 0 and c.pos_scores.max() <= sum(o.curve.plateau for o in L1T_OBJECTS)
    # relevant events fired at least one object above threshold: they score higher on average
    assert np.median(c.pos_scores) > np.median(c.null_scores)
    # deterministic and cached; another seed differs
    assert build_l1t(20_000, "published", 7) is c
    assert not np.array_equal(build_l1t(20_000, "published", 8).pos_scores, c.pos_scores)
    assert L1T_OUTCOMES[:, 0].sum() == pytest.approx(1.0)


def test_tabulated_curve_is_monotone_pchip_and_clipped():
    e = [10, 20, 30, 40, 60]
    f = [0.0, 0.1, 0.6, 0.95, 1.0]
    c = TabulatedCurve(e, f)
    x = np.linspace(0, 100, 1001)
    y = c(x)
    assert np.all(np.diff(y) >= -1e-12)  # monotone data stays monotone (PCHIP)
    assert y.min() >= 0 and y.max() <= 1
    np.testing.assert_allclose(c(np.array(e, dtype=float)), f)
    assert c(5.0) == 0.0 and c(1000.0) == 1.0  # held constant outside the points
    with pytest.raises(ParameterError):
        TabulatedCurve([1, 2], [0.5, 1.5])
    with pytest.raises(ParameterError):
        TabulatedCurve([1, 1], [0.1, 0.2])


def test_parametric_curve_validation():
    with pytest.raises(ParameterError, match="width"):
        ParametricCurve(0.9, 10, 0, 1, 100)
    with pytest.raises(ParameterError, match="plateau"):
        ParametricCurve(1.5, 10, 1, 1, 100)


def test_hlt_model_builds_and_separates():
    c = build_hlt(5_000, 0)
    assert c.kind == "HLT" and c.null_scores.size == 5_000
    assert np.mean(c.pos_scores) > np.mean(c.null_scores)
