"""Complexity models, technology scaling and metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twidgets import ParameterError
from twidgets.cms.complexity import HLT_CPU_COEFFS, HLT_GPU_COEFFS
from twidgets.model import metrics
from twidgets.model.complexity import (
    CallableComplexity,
    fit_wall_time,
    parse_complexity,
)
from twidgets.model.technology import density_scale, transistor_count_scale


def test_named_complexities():
    assert parse_complexity("")(5.0) == 5.0
    assert parse_complexity(None)(7.0) == 7.0
    assert parse_complexity("l1t-linear")(8.425e6) == pytest.approx(8.425e6 / 2e6)
    # MODEL.md check: an 8.425 MB event takes 27.88 s of CPU wall time, half that on GPUs
    assert parse_complexity("hlt-cpu")(8.425e6) == pytest.approx(27.88, abs=0.005)
    assert parse_complexity("HLT-GPU")(8.425e6) == pytest.approx(27.88 / 2, abs=0.005)
    x = np.array([1e6, 5e6])
    np.testing.assert_allclose(
        parse_complexity("hlt-cpu")(x), HLT_CPU_COEFFS[0] * x + HLT_CPU_COEFFS[1] * x**2 + HLT_CPU_COEFFS[2] * x**3
    )


def test_poly_strings_are_parsed_not_evaluated(tmp_path):
    c = parse_complexity("poly:1, 2.5e-3, -1e-9")
    assert c(10.0) == pytest.approx(10 + 2.5e-3 * 100 - 1e-9 * 1000)
    marker = tmp_path / "x"
    for bad in [
        "poly:",
        "poly:1,,2",
        "poly:1;2",
        "poly:nan",
        "poly:1e999",
        "x**2",
        f"__import__('os').system('touch {marker}')",
        "lambda x: x",
        "poly:1,2,3,4,5,6,7,8,9",
    ]:
        with pytest.raises(ParameterError):
            parse_complexity(bad)
    assert not marker.exists()
    f = parse_complexity(lambda x: 3 * x)
    assert isinstance(f, CallableComplexity) and f(2) == 6


def test_fit_wall_time_recovers_the_published_cubic():
    sizes = np.linspace(2e6, 1.2e7, 12)
    k1, k2, k3 = HLT_GPU_COEFFS
    times = k1 * sizes + k2 * sizes**2 + k3 * sizes**3
    fit = fit_wall_time(sizes, times)
    np.testing.assert_allclose(fit.coeffs, HLT_GPU_COEFFS, rtol=1e-6)
    assert fit.spec.startswith("poly:")
    assert parse_complexity(fit.spec)(8e6) == pytest.approx(fit(8e6), rel=1e-12)
    with pytest.raises(ParameterError):
        fit_wall_time([1, 2], [1, 2])


def test_density_scale():
    assert density_scale(2022) == 1.0
    assert density_scale(2032) == pytest.approx(6.50, abs=0.005)
    assert density_scale(2032) == pytest.approx(math.exp(0.18717361 * 10))
    np.testing.assert_allclose(density_scale(np.array([2022, 2023])), [1, math.exp(0.18717361)])
    assert transistor_count_scale(2022) == pytest.approx(math.exp(-0.19815559))


def test_metrics_on_hand_made_tables():
    c = np.array([[90, 5], [10, 15]])  # tn fn / fp tp
    assert metrics.precision(c) == pytest.approx(15 / 25)
    assert metrics.recall(c) == pytest.approx(15 / 20)
    p, r = 15 / 25, 15 / 20
    assert metrics.f1_score(c) == pytest.approx(2 * p * r / (p + r))
    assert metrics.kept(c) == 25 and metrics.rejected(c) == 95
    assert metrics.productivity(c, 100.0) == pytest.approx(25 * metrics.f1_score(c) / 100)
    stack = np.stack([c, np.zeros((2, 2))])
    np.testing.assert_allclose(metrics.f1_score(stack), [metrics.f1_score(c), 0.0])  # 0/0 -> 0
    assert metrics.productivity(c, 0.0) == 0.0
