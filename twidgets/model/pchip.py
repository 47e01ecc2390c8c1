"""Monotone piecewise-cubic Hermite interpolation (PCHIP) of measured points, in numpy.

The turn-on curves measured at a handful of energies are joined by cubic pieces whose
slopes at the points follow Fritsch and Carlson's rule (a weighted harmonic mean of the
neighbouring secants, zero at a local extremum), with the one-sided three-point slope of
Moler's *Numerical Computing with MATLAB* (sec. 3.6) at the two ends. Between two points
the curve never leaves the range of their two values, so a measured efficiency in [0, 1]
gives a curve in [0, 1]. This is the interpolant ``scipy.interpolate.PchipInterpolator``
computes; written here so that loading a system does not import ``scipy.interpolate``
(about a quarter of a second, on the path to an app's first screen).

:class:`Pchip` holds the pieces as polynomial coefficients ``c`` of shape ``(4, n - 1)``:
on ``[x[i], x[i + 1]]`` the curve is ``c[0, i] t**3 + c[1, i] t**2 + c[2, i] t + c[3, i]``
with ``t = E - x[i]``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Pchip", "pchip_slopes"]


def _end_slope(h0: float, h1: float, m0: float, m1: float) -> float:
    """Slope at an end point: the three-point one-sided estimate, made shape-preserving."""
    d = ((2.0 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
    if np.sign(d) != np.sign(m0):
        return 0.0
    if np.sign(m0) != np.sign(m1) and abs(d) > 3.0 * abs(m0):
        return 3.0 * m0
    return float(d)


def pchip_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Slopes of the PCHIP interpolant at the points ``x`` (strictly increasing) of ``y``."""
    h = np.diff(x)
    m = np.diff(y) / h  # secant slopes
    if x.size == 2:
        return np.array([m[0], m[0]])
    d = np.zeros_like(y)
    flat_or_turning = (np.sign(m[1:]) != np.sign(m[:-1])) | (m[1:] == 0) | (m[:-1] == 0)
    w1 = 2.0 * h[1:] + h[:-1]
    w2 = h[1:] + 2.0 * h[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        harmonic = (w1 / m[:-1] + w2 / m[1:]) / (w1 + w2)
        d[1:-1] = np.where(flat_or_turning, 0.0, 1.0 / harmonic)
    d[0] = _end_slope(h[0], h[1], m[0], m[1])
    d[-1] = _end_slope(h[-1], h[-2], m[-1], m[-2])
    return d


class Pchip:
    """The PCHIP interpolant through ``(x, y)``: ``x`` strictly increasing, both finite.

    Calling it evaluates the curve inside ``[x[0], x[-1]]`` and gives NaN outside.
    """

    def __init__(self, x, y):
        self.x = np.asarray(x, dtype=float)
        y = np.asarray(y, dtype=float)
        if self.x.ndim != 1 or self.x.shape != y.shape or self.x.size < 2:
            raise ValueError("PCHIP needs two 1-d arrays of the same length, at least 2")
        if np.any(np.diff(self.x) <= 0):
            raise ValueError("PCHIP needs strictly increasing x")
        d = pchip_slopes(self.x, y)
        h = np.diff(self.x)
        secant = np.diff(y) / h
        bend = (d[:-1] + d[1:] - 2.0 * secant) / h
        self.c = np.stack([bend / h, (secant - d[:-1]) / h - bend, d[:-1], y[:-1]])

    def __call__(self, energy) -> np.ndarray:
        e = np.asarray(energy, dtype=float)
        piece = np.clip(np.searchsorted(self.x, e, side="right") - 1, 0, self.x.size - 2)
        t = e - self.x[piece]
        c = self.c[:, piece]
        value = ((c[0] * t + c[1]) * t + c[2]) * t + c[3]
        return np.where((e >= self.x[0]) & (e <= self.x[-1]), value, np.nan)
