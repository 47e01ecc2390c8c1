"""Classifiers, turn-on curves, calibration and the exact threshold solve."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.special import ndtr

from twidgets import ParameterError
from twidgets.cms import L1T_FITS, L1T_OUTCOMES, build_hlt, build_l1t, l1t_objects, l1t_slopes
from twidgets.model.classifiers import solve_gaussian, solve_sampled
from twidgets.model.curves import ParametricCurve, TabulatedCurve, calibrate_slope, efficiency_integral


def brute_force_threshold(null, pos, neg_rate, pos_rate, rho, boost):
    """The exact solve by enumeration: walk the pooled samples in score order, each irrelevant
    one weighing w0/n0 and each (boosted) relevant one w1/n1, stop at the first score where the
    running sum reaches rho and count that score's samples by the fraction that lands exactly
    on rho; the threshold lies that fraction of the way from the previous score to it."""
    total = neg_rate + pos_rate
    w0, w1 = neg_rate / total, pos_rate / total
    pooled = sorted([(t, w0 / null.size, 0) for t in null] + [(p + boost, w1 / pos.size, 1) for p in pos])
    below, counts, prev = 0.0, [0, 0], -np.inf
    i = 0
    while i < len(pooled):
        t = pooled[i][0]
        at = [0, 0]
        step = 0.0
        while i < len(pooled) and pooled[i][0] == t:
            at[pooled[i][2]] += 1
            step += pooled[i][1]
            i += 1
        if below + step >= rho - 1e-12:
            frac = min(max((rho - below) / step, 0.0), 1.0) if step > 0 else 1.0  # a weightless class
            thr = prev + frac * (t - prev) if np.isfinite(prev) else t
            return thr, (counts[0] + frac * at[0]) / null.size, (counts[1] + frac * at[1]) / pos.size
        below += step
        counts = [counts[0] + at[0], counts[1] + at[1]]
        prev = t
    return np.inf, 1.0, 1.0


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
    assert t == pytest.approx(bt, rel=1e-12, abs=1e-12)
    assert f0 == pytest.approx(bf0, abs=1e-12) and f1 == pytest.approx(bf1, abs=1e-12)
    # the stage rejects exactly the target fraction (fractional sample counts)
    assert (neg * f0 + pos * f1) / (neg + pos) == pytest.approx(rho, abs=1e-9)


def test_sampled_solve_reaches_the_target_rate_at_high_reduction():
    """At RR 400 on 50,000 samples the rejected fraction is rho exactly, not one sample short."""
    rng = np.random.default_rng(3)
    null, pos = np.sort(rng.normal(0, 1, 50_000)), np.sort(rng.normal(1.5, 1, 50_000))
    neg_rate, pos_rate = 39_250_000.0, 750_000.0
    rr = np.array([400.0, 53.3, 1.5])
    t, f0, f1 = solve_sampled(null, pos, neg_rate, pos_rate, 1.0 - 1.0 / rr)
    kept = neg_rate * (1 - f0) + pos_rate * (1 - f1)
    np.testing.assert_allclose(kept, (neg_rate + pos_rate) / rr, rtol=1e-9)
    # the threshold lies between two neighbouring samples
    pooled = np.sort(np.concatenate([null, pos]))
    j = np.searchsorted(pooled, t)
    assert np.all((pooled[j - 1] <= t) & (t <= pooled[j]))


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
    c = L1T_FITS[1].curve  # muon
    assert c(c.e50) == pytest.approx(c.plateau / 2)
    for lam in (0.01, 0.05, 0.3):
        ref, _ = quad(lambda e: lam * np.exp(-lam * e) * c(e), c.e_min, c.e_max, limit=200)
        assert efficiency_integral(c, lam) == pytest.approx(ref, rel=1e-6)


def test_tabulated_integral_is_exact_against_quad():
    """The measured curves' efficiency integral is computed piece by piece in closed form."""
    for obj in l1t_objects("published"):
        c = obj.curve
        for lam in (1e-4, 0.01, 0.05, 0.3):
            ref, _ = quad(lambda e: lam * np.exp(-lam * e) * c(e), c.e_min, c.e_max, limit=500, points=c.energy[1:-1])
            assert efficiency_integral(c, lam) == pytest.approx(ref, rel=1e-10, abs=1e-300)
    np.testing.assert_allclose(
        efficiency_integral(c, np.array([0.01, 0.05])), [efficiency_integral(c, 0.01), efficiency_integral(c, 0.05)]
    )


@pytest.mark.parametrize("calibration", ["published", "parametric"])
def test_calibration_reaches_target_or_the_closest_point(calibration):
    for obj in l1t_objects(calibration):
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
    par = l1t_slopes(calibration="parametric")
    assert pub[2] == pytest.approx(per[2])  # e/gamma is calibrated on its own rate either way
    assert not np.allclose(pub, per)
    assert not np.allclose(pub, par)  # measured points and fits give different spectra
    with pytest.raises(ParameterError, match="calibration"):
        l1t_slopes(calibration="magic")


def test_published_curves_are_the_measured_points():
    """The default curves interpolate the bundled points (PCHIP, clipped) over each object's range."""
    import csv

    from twidgets.model.io import data_path

    rows = list(csv.DictReader(data_path("l1t_turn_on_points.csv").read_text().splitlines()))
    for obj in l1t_objects("published"):
        pts = [(float(r["energy_GeV"]), float(r["efficiency"])) for r in rows if r["object"] == obj.name]
        e, f = np.array(pts).T
        assert isinstance(obj.curve, TabulatedCurve)
        assert (obj.curve.e_min, obj.curve.e_max) == (e.min(), e.max())
        np.testing.assert_allclose(obj.curve(e), f, atol=1e-12)
        mid = 0.5 * (e[1:] + e[:-1])
        y = obj.curve(mid)
        assert np.all((y >= np.minimum(f[1:], f[:-1]) - 1e-12) & (y <= np.maximum(f[1:], f[:-1]) + 1e-12))
    assert all(isinstance(o.curve, ParametricCurve) for o in l1t_objects("parametric"))
    assert [o.name for o in l1t_objects("published")] == ["jet", "muon", "egamma", "tau"]


def test_l1t_samples_follow_the_construction():
    c = build_l1t(20_000, "published", 7)
    assert c.null_scores.size == c.pos_scores.size == 20_000
    assert not c.null_scores.flags.writeable
    assert np.all(np.diff(c.null_scores) >= 0)
    # a score is a sum of four efficiencies
    assert c.null_scores.min() >= 0 and c.pos_scores.max() <= 4.0
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
