"""Our PCHIP against scipy's PchipInterpolator (an independent implementation of the same
interpolant) and against the properties that define it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.interpolate import PchipInterpolator

from twidgets.model.pchip import Pchip


def _points(draw_x, draw_y):
    x = np.cumsum(np.asarray(draw_x, dtype=float))
    return x, np.asarray(draw_y[: x.size], dtype=float)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0.05, 50.0), min_size=2, max_size=12),
    st.lists(st.floats(0.0, 1.0), min_size=12, max_size=12),
)
def test_matches_scipy_pchip(steps, values):
    x, y = _points(steps, values)
    ours, ref = Pchip(x, y), PchipInterpolator(x, y, extrapolate=False)
    grid = np.linspace(x[0], x[-1], 257)
    np.testing.assert_allclose(ours(grid), ref(grid), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(ours.c, ref.c, rtol=1e-10, atol=1e-12)


def test_goes_through_the_points_keeps_their_range_and_is_nan_outside():
    x = np.array([10.0, 20.0, 25.0, 40.0, 80.0])
    y = np.array([0.0, 0.1, 0.6, 0.95, 0.97])
    p = Pchip(x, y)
    np.testing.assert_allclose(p(x), y, atol=1e-15)
    grid = np.linspace(10, 80, 1001)
    v = p(grid)
    assert np.all(np.diff(v) >= -1e-15)  # monotone data give a monotone curve
    assert v.min() >= 0.0 and v.max() <= 0.97
    assert np.isnan(p(9.99)) and np.isnan(p(80.01))


def test_two_points_are_joined_by_a_straight_line():
    p = Pchip([0.0, 2.0], [1.0, 0.0])
    np.testing.assert_allclose(p([0.5, 1.0, 1.5]), [0.75, 0.5, 0.25])


@pytest.mark.parametrize("x", [[1.0, 1.0, 2.0], [2.0, 1.0], [1.0]])
def test_refuses_points_that_do_not_increase(x):
    with pytest.raises(ValueError, match="PCHIP"):
        Pchip(x, np.zeros(len(x)))
