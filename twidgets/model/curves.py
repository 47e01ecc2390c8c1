"""Trigger turn-on curves and the exponential energy spectra calibrated against them.

A turn-on curve ``eff(E)`` is the probability that a trigger object fires at energy
``E`` (GeV). Two kinds:

* :class:`ParametricCurve` -- ``plateau * Phi((E - e50) / width)`` (Phi the standard
  normal CDF), the form fitted to the published CMS curves;
* :class:`TabulatedCurve` -- measured points (energy, efficiency), interpolated
  monotonically (PCHIP) and clipped to [0, 1]; held constant outside the points.

:func:`calibrate_slope` finds the slope ``lambda`` (1/GeV) of an exponential spectrum
``lambda * exp(-lambda E)`` whose efficiency-weighted integral over the curve's valid
range equals a target rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from scipy.special import gammainc, log_ndtr, ndtr

from .errors import ParameterError
from .pchip import Pchip

__all__ = ["ParametricCurve", "TabulatedCurve", "calibrate_slope", "efficiency_integral"]


@dataclass(frozen=True)
class ParametricCurve:
    """``eff(E) = plateau * Phi((E - e50) / width)``.

    Parameters
    ----------
    plateau : float
        Efficiency far above threshold (0-1).
    e50 : float
        Energy (GeV) where the error function is at half height.
    width : float
        Resolution (GeV) of the turn-on.
    e_min, e_max : float
        Energy range (GeV) over which the curve was fitted; used for calibration.
    """

    plateau: float
    e50: float
    width: float
    e_min: float
    e_max: float

    def __post_init__(self):
        for name in ("plateau", "e50", "width", "e_min", "e_max"):
            v = getattr(self, name)
            if not math.isfinite(v):
                raise ParameterError(f"turn-on curve {name} must be finite, got {v}")
        if not 0 < self.plateau <= 1:
            raise ParameterError(f"turn-on plateau must be in (0, 1], got {self.plateau}")
        if self.width <= 0:
            raise ParameterError(f"turn-on width must be > 0 GeV, got {self.width}")
        if not 0 <= self.e_min < self.e_max:
            raise ParameterError(f"turn-on range must satisfy 0 <= e_min < e_max, got {self.e_min}..{self.e_max}")

    def __call__(self, energy):
        return self.plateau * ndtr((np.asarray(energy, dtype=float) - self.e50) / self.width)

    @property
    def half_point(self) -> float:
        """Energy (GeV) where the efficiency reaches half of its plateau."""
        return self.e50


@dataclass(frozen=True)
class TabulatedCurve:
    """A measured turn-on: points (energy GeV, efficiency), PCHIP-interpolated, clipped to [0, 1]."""

    energy: tuple
    efficiency: tuple
    _interp: Any = field(default=None, compare=False, repr=False, hash=False)

    def __post_init__(self):
        e = np.asarray(self.energy, dtype=float)
        f = np.asarray(self.efficiency, dtype=float)
        if e.ndim != 1 or e.shape != f.shape or e.size < 2:
            raise ParameterError("a tabulated turn-on curve needs at least two (energy, efficiency) points")
        if not (np.all(np.isfinite(e)) and np.all(np.isfinite(f))):
            raise ParameterError("turn-on curve points must be finite numbers")
        order = np.argsort(e, kind="stable")
        e, f = e[order], f[order]
        if np.any(np.diff(e) <= 0):
            raise ParameterError("turn-on curve energies must be distinct")
        if np.any(f < 0) or np.any(f > 1):
            raise ParameterError("turn-on efficiencies must lie in [0, 1]")
        object.__setattr__(self, "energy", tuple(e.tolist()))
        object.__setattr__(self, "efficiency", tuple(f.tolist()))
        object.__setattr__(self, "_interp", Pchip(e, f))

    @property
    def e_min(self) -> float:
        return self.energy[0]

    @property
    def e_max(self) -> float:
        return self.energy[-1]

    def __call__(self, energy):
        x = np.asarray(energy, dtype=float)
        inside = np.clip(self._interp(np.clip(x, self.e_min, self.e_max)), 0.0, 1.0)
        # exactly the end points' efficiencies outside the measured range
        return np.where(x <= self.e_min, self.efficiency[0], np.where(x >= self.e_max, self.efficiency[-1], inside))

    @property
    def half_point(self) -> float:
        """Lowest tabulated energy (GeV) at which the curve reaches half its maximum."""
        grid = np.linspace(self.e_min, self.e_max, 4097)
        vals = self(grid)
        idx = int(np.argmax(vals >= 0.5 * vals.max()))
        return float(grid[idx])


def _parametric_integral(curve, lam):
    """Closed form of the efficiency integral for ``plateau * Phi((E - e50) / width)``.

    Integrating by parts, with a, b the range, mu = e50, s = width::

        int_a^b lam e^(-lam E) Phi((E - mu)/s) dE
            = e^(-lam a) Phi((a - mu)/s) - e^(-lam b) Phi((b - mu)/s)
              + e^(-lam mu + lam^2 s^2 / 2) [Phi((b - mu + lam s^2)/s) - Phi((a - mu + lam s^2)/s)]

    The last term is evaluated in log space (``log_ndtr``) so it neither overflows nor
    loses the difference of two nearly equal CDFs.
    """
    a, b, mu, s = curve.e_min, curve.e_max, curve.e50, curve.width
    boundary = np.exp(-lam * a) * ndtr((a - mu) / s) - np.exp(-lam * b) * ndtr((b - mu) / s)
    hb = (b - mu + lam * s * s) / s
    ha = (a - mu + lam * s * s) / s
    lb, la = log_ndtr(hb), log_ndtr(ha)
    with np.errstate(divide="ignore"):
        log_diff = lb + np.log1p(-np.exp(la - lb))
    inner = np.exp(-lam * mu + 0.5 * (lam * s) ** 2 + log_diff)
    return curve.plateau * (boundary + inner)


def _tabulated_integral(curve: TabulatedCurve, lam: np.ndarray) -> np.ndarray:
    """Exact efficiency integral of a PCHIP curve, piece by piece (vectorised over slopes).

    On the piece ``[x_i, x_i + h_i]`` the curve is ``sum_m c_m (E - x_i)^m``, and::

        int_0^h lam exp(-lam (x_i + t)) t^m dt = exp(-lam x_i) m! P(m + 1, lam h) / lam^m

    with ``P`` the regularised lower incomplete gamma function (accurate for small
    ``lam h``). PCHIP keeps each piece between its two measured efficiencies, all in
    [0, 1], so the clip of :meth:`TabulatedCurve.__call__` never acts inside the range.
    """
    pp = curve._interp
    x0 = np.asarray(pp.x[:-1], dtype=float)
    h = np.diff(np.asarray(pp.x, dtype=float))
    lam_col = np.where(lam > 0, lam, 1.0)[:, None]
    total = np.zeros((lam.size, x0.size))
    for m in range(4):  # pp.c[3 - m] multiplies (E - x_i)^m
        total += pp.c[3 - m][None, :] * (math.factorial(m) * gammainc(m + 1, lam_col * h[None, :]) / lam_col**m)
    out = (np.exp(-lam_col * x0[None, :]) * total).sum(axis=1)
    return np.where(lam > 0, out, 0.0)


def efficiency_integral(curve, slopes):
    """``integral_{e_min}^{e_max} lambda exp(-lambda E) eff(E) dE`` for each slope (vectorised).

    Closed forms for both kinds: the error-function form for parametric curves, piece
    by piece for the PCHIP pieces of tabulated ones. Dimensionless.
    """
    lam = np.atleast_1d(np.asarray(slopes, dtype=float))
    if isinstance(curve, ParametricCurve):
        out = _parametric_integral(curve, lam)
        return out if np.ndim(slopes) else float(out[0])
    out = _tabulated_integral(curve, lam)
    return out if np.ndim(slopes) else float(out[0])


@lru_cache(maxsize=256)
def calibrate_slope(curve, rate: float, bounds: tuple[float, float]) -> float:
    """Slope ``lambda`` (1/GeV) in ``bounds`` whose efficiency integral equals ``rate``.

    The integral rises from 0, peaks, and falls back towards 0 as lambda grows, so a
    target can have two solutions or none. This returns the *largest* solution inside
    the bounds (the steeper, falling spectrum), and where the target cannot be reached
    the slope that comes closest (the peak) -- the same point a bounded scalar
    minimisation of ``|integral - rate|`` reaches from the upper bound, as in the
    published model.
    """
    lo, hi = (float(b) for b in bounds)
    if not (0 <= lo < hi and math.isfinite(hi)):
        raise ParameterError(f"slope bounds must satisfy 0 <= low < high, got {bounds}")
    if not 0 < rate < 1:
        raise ParameterError(f"calibration rate must be in (0, 1), got {rate}")
    # scan for the bracket of the largest solution (the integral is smooth and single-peaked in
    # lambda, so a coarser scan of a tabulated curve's piecewise closed form brackets the same root)
    scan = 2001 if isinstance(curve, ParametricCurve) else 257
    grid = np.linspace(lo, hi, scan)[1:]  # exclude lambda = 0 (integral 0)
    vals = efficiency_integral(curve, grid) - rate
    above = np.nonzero(vals >= 0)[0]
    if above.size == 0:
        i = int(np.argmax(vals))
        a, b = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
        # golden-section refinement of the peak
        g = (math.sqrt(5) - 1) / 2
        for _ in range(60):
            c, d = b - g * (b - a), a + g * (b - a)
            if efficiency_integral(curve, c) > efficiency_integral(curve, d):
                b = d
            else:
                a = c
        return 0.5 * (a + b)
    j = int(above[-1])
    if j == grid.size - 1:
        return float(grid[j])
    a, b = grid[j], grid[j + 1]  # f(a) >= rate > f(b): bisect
    for _ in range(80):
        m = 0.5 * (a + b)
        if not a < m < b:  # the bracket is down to neighbouring floats
            break
        if efficiency_integral(curve, m) >= rate:
            a = m
        else:
            b = m
    return 0.5 * (a + b)
