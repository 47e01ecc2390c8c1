"""Stage classifiers: score distributions and the exact, vectorised threshold solve.

Every classifier has a score distribution for irrelevant events (CDF ``F0``) and one for
relevant events (CDF ``F1``). A stage rejects the events whose score is at or below a
threshold ``t``. Given the stage's inputs ``[neg, pos]`` (events/s) and its target
rejected fraction ``rho = 1 - 1/RR``, the threshold is the smallest ``t`` with::

    (neg * F0(t) + pos * F1(t)) / (neg + pos) >= rho

and the error matrix is ``[[F0(t), F1(t)], [1 - F0(t), 1 - F1(t)]]``.

* :class:`PassThrough` (``Dummy``): keeps everything.
* :class:`GaussianClassifier`: irrelevant ~ N(0, 1), relevant ~ N(skill, scale); the
  threshold is solved on the analytic CDFs by vectorised bisection (64 halvings).
* :class:`SampledClassifier`: empirical CDFs of Monte-Carlo samples (the L1T and HLT
  models). The threshold is solved *exactly* on the sorted samples: it is one of the
  samples, found by vectorised binary search over sample indices (``searchsorted``),
  never by a general minimiser.

All solves broadcast over arrays of inputs, rates, and skill boosts, so one call
handles a whole parameter grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.special import ndtr

from .curves import ParametricCurve, calibrate_slope
from .errors import ParameterError

__all__ = [
    "CLASSIFIER_KINDS",
    "PassThrough",
    "GaussianClassifier",
    "SampledClassifier",
    "L1T_OBJECTS",
    "L1T_OUTCOMES",
    "L1TObject",
    "build_l1t",
    "HLT_PATHS",
    "HLTPath",
    "build_hlt",
    "solve_sampled",
    "solve_gaussian",
    "DEFAULT_SAMPLES",
]

#: Canonical classifier names as written in the ``Classifier`` column.
CLASSIFIER_KINDS = ("Dummy", "Gaussian", "L1T", "HLT")
#: Monte-Carlo samples per class (irrelevant and relevant) for L1T / HLT.
DEFAULT_SAMPLES = 50_000


# --------------------------------------------------------------------------- solves


def _flat(*arrays):
    b = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in arrays))
    shape = b[0].shape
    return shape, [x.ravel() for x in b]


def _weights(neg, pos):
    tot = neg + pos
    safe = np.where(tot > 0, tot, 1.0)
    w0 = np.where(tot > 0, neg / safe, 0.5)
    return w0, 1.0 - w0


def solve_sampled(null_sorted, pos_sorted, neg, pos, rho, boost=0.0):
    """Exact threshold on empirical CDFs.

    Parameters
    ----------
    null_sorted, pos_sorted : ndarray
        Sorted scores of irrelevant and relevant Monte-Carlo events (unboosted).
    neg, pos : array_like
        Irrelevant and relevant input rates (events/s); broadcast together.
    rho : array_like
        Target rejected fraction, ``1 - 1/RR``.
    boost : array_like
        Shift added to every relevant score (the stage's skill boost).

    Returns
    -------
    threshold, f0, f1 : ndarray
        The threshold (``-inf`` where ``rho <= 0``: everything passes) and the rejected
        fractions of irrelevant and relevant events, in the broadcast shape.
    """
    shape, (neg, pos, rho, boost) = _flat(neg, pos, rho, boost)
    n0, n1 = null_sorted.size, pos_sorted.size
    w0, w1 = _weights(neg, pos)
    target = rho - 1e-12

    # Candidate thresholds are the irrelevant scores and the boosted relevant scores. A relevant
    # candidate is counted by index (pos_sorted[j] itself), so rounding of (score + boost) - boost
    # can never drop the candidate from its own count.
    def counts(values, idx, relevant):
        v = values[idx]
        if relevant:
            t = v + boost
            return t, np.searchsorted(null_sorted, t, side="right"), np.searchsorted(pos_sorted, v, side="right")
        return v, np.searchsorted(null_sorted, v, side="right"), np.searchsorted(pos_sorted, v - boost, side="right")

    def first_reaching(values, relevant):
        n = values.size
        lo = np.zeros(neg.size, dtype=np.int64)
        hi = np.full(neg.size, n, dtype=np.int64)
        for _ in range(int(math.ceil(math.log2(n + 1))) + 1):
            active = lo < hi
            if not active.any():
                break
            mid = (lo + hi) // 2
            _, c0, c1 = counts(values, np.minimum(mid, n - 1), relevant)
            ok = w0 * (c0 / n0) + w1 * (c1 / n1) >= target
            hi = np.where(active & ok, mid, hi)
            lo = np.where(active & ~ok, mid + 1, lo)
        t, c0, c1 = counts(values, np.minimum(lo, n - 1), relevant)
        found = lo < n
        return np.where(found, t, np.inf), np.where(found, c0, n0), np.where(found, c1, n1)

    ta, a0, a1 = first_reaching(null_sorted, False)
    tb, b0, b1 = first_reaching(pos_sorted, True)
    use_b = tb < ta
    tie = tb == ta
    t = np.where(use_b, tb, ta)
    c0 = np.where(use_b, b0, a0)
    c1 = np.where(use_b, b1, np.where(tie, np.maximum(a1, b1), a1))
    everything = rho <= 0
    t = np.where(everything, -np.inf, t)
    f0 = np.where(everything, 0.0, c0 / n0)
    f1 = np.where(everything, 0.0, c1 / n1)
    return t.reshape(shape), f0.reshape(shape), f1.reshape(shape)


def solve_gaussian(mean, scale, neg, pos, rho):
    """Threshold for N(0, 1) irrelevant vs N(mean, scale) relevant scores (vectorised bisection).

    Returns ``threshold, f0, f1`` like :func:`solve_sampled`.
    """
    shape, (mean, scale, neg, pos, rho) = _flat(mean, scale, neg, pos, rho)
    scale = np.where(rho <= 0, 1.0, scale)  # nothing rejected: the scale is unused (params.field_in_use)
    w0, w1 = _weights(neg, pos)

    def g(t):
        return w0 * ndtr(t) + w1 * ndtr((t - mean) / scale)

    lo = np.minimum(-40.0, mean - 40.0 * scale)
    hi = np.maximum(40.0, mean + 40.0 * scale)
    for _ in range(64):
        mid = 0.5 * (lo + hi)
        ok = g(mid) >= rho
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
    t = np.where(rho <= 0, -np.inf, hi)
    f0 = ndtr(t)
    f1 = ndtr((t - mean) / scale)
    return t.reshape(shape), f0.reshape(shape), f1.reshape(shape)


# --------------------------------------------------------------------- classifiers


class PassThrough:
    """``Dummy``: keeps every event whatever the reduction ratio."""

    kind = "Dummy"
    monte_carlo = False


@dataclass(frozen=True)
class GaussianClassifier:
    """Irrelevant scores ~ N(0, 1); relevant scores ~ N(skill_mean + boost, skill_scale)."""

    skill_mean: float
    skill_scale: float
    n_samples: int = DEFAULT_SAMPLES
    seed: int = 0
    kind = "Gaussian"
    monte_carlo = False

    def solve(self, neg, pos, rho, boost=0.0, mean=None, scale=None):
        mean = self.skill_mean if mean is None else mean
        scale = self.skill_scale if scale is None else scale
        return solve_gaussian(np.asarray(mean) + np.asarray(boost), scale, neg, pos, rho)

    @property
    def null_scores(self) -> np.ndarray:
        """Seeded draws of irrelevant scores (for histograms; the solve is analytic)."""
        return _gaussian_draws(0.0, 1.0, self.n_samples, self.seed, 0)

    @property
    def pos_scores(self) -> np.ndarray:
        """Seeded draws of relevant scores, unboosted."""
        return _gaussian_draws(self.skill_mean, self.skill_scale, self.n_samples, self.seed, 1)


@lru_cache(maxsize=64)
def _gaussian_draws(mean, scale, n, seed, stream):
    rng = np.random.default_rng([seed, stream])
    out = np.sort(rng.normal(mean, scale, n))
    out.setflags(write=False)
    return out


class SampledClassifier:
    """Empirical score distributions (sorted, read-only sample arrays shared by everyone).

    Attributes
    ----------
    null_scores, pos_scores : ndarray
        Sorted scores of irrelevant and relevant Monte-Carlo events (relevant unboosted).
    """

    monte_carlo = True

    def __init__(self, kind: str, null_scores, pos_scores, info=None):
        self.kind = kind
        null = np.sort(np.asarray(null_scores, dtype=float))
        pos = np.sort(np.asarray(pos_scores, dtype=float))
        null.setflags(write=False)
        pos.setflags(write=False)
        self.null_scores = null
        self.pos_scores = pos
        self.info = dict(info or {})

    def solve(self, neg, pos, rho, boost=0.0, mean=None, scale=None):
        return solve_sampled(self.null_scores, self.pos_scores, neg, pos, rho, boost)

    def __deepcopy__(self, memo):  # immutable: share the arrays
        return self

    def __repr__(self):
        return (
            f"SampledClassifier({self.kind!r}, {self.null_scores.size} irrelevant / "
            f"{self.pos_scores.size} relevant samples)"
        )


# ------------------------------------------------------------------------------ L1T


@dataclass(frozen=True)
class L1TObject:
    """One Level-1 trigger object: its turn-on curve, L1 threshold (GeV), rate and slope bounds."""

    name: str
    curve: object
    threshold: float
    rate: float
    slope_bounds: tuple


#: The four L1 objects with the parametric fits of the published CMS turn-on curves.
L1T_OBJECTS = (
    L1TObject("jet", ParametricCurve(0.9932, 286.6, 34.47, 54.0, 692.0), 320.0, 0.282, (0.0, 0.4)),
    L1TObject("muon", ParametricCurve(0.9411, 17.56, 4.343, 3.6, 97.7), 22.0, 0.364, (0.0, 0.6)),
    L1TObject("egamma", ParametricCurve(0.9576, 30.45, 2.079, 1.0, 798.0), 30.0, 0.444, (0.0, 0.4)),
    L1TObject("tau", ParametricCurve(0.9803, 38.33, 7.549, 0.25, 100.0), 38.0, 0.18, (0.0, 0.4)),
)
#: Rate the published model calibrates *every* object against (the e/gamma rate).
PUBLISHED_RATE = 0.444

#: L1 outcomes of relevant events: probability, then which of (jet, muon, egamma, tau) fired.
L1T_OUTCOMES = np.array(
    [
        [0.010, 1, 0, 0, 0],
        [0.026, 1, 0, 0, 0],
        [0.032, 1, 1, 0, 0],
        [0.033, 0, 1, 1, 0],
        [0.046, 1, 0, 1, 0],
        [0.053, 1, 1, 1, 1],
        [0.064, 0, 0, 1, 0],
        [0.098, 0, 1, 0, 0],
        [0.115, 1, 0, 0, 0],
        [0.127, 0, 0, 0, 1],
        [0.148, 0, 1, 0, 0],
        [0.248, 0, 0, 1, 0],
    ]
)
L1T_OUTCOMES.setflags(write=False)

CALIBRATIONS = ("published", "per-object")


def l1t_slopes(objects=L1T_OBJECTS, calibration: str = "published") -> np.ndarray:
    """Calibrated exponential slopes (1/GeV) of the L1 objects.

    ``"published"`` calibrates every object against the e/gamma rate 0.444, as the
    published model does; ``"per-object"`` uses each object's own rate.
    """
    if calibration not in CALIBRATIONS:
        raise ParameterError(f"unknown calibration {calibration!r}: use 'published' or 'per-object'")
    return np.array(
        [
            calibrate_slope(o.curve, PUBLISHED_RATE if calibration == "published" else o.rate, o.slope_bounds)
            for o in objects
        ]
    )


def _scores_from_uniform(u, slopes, curves):
    """Energy ``E = -ln(1 - u) / lambda`` per object (columns) and summed turn-on score."""
    energy = -np.log1p(-u) / slopes[None, :]
    score = np.zeros(u.shape[0])
    for k, curve in enumerate(curves):
        score += curve(energy[:, k])
    return score


@lru_cache(maxsize=32)
def build_l1t(
    n_samples: int = DEFAULT_SAMPLES, calibration: str = "published", seed: int = 0, objects: tuple = L1T_OBJECTS
) -> SampledClassifier:
    """Monte-Carlo L1T menu model (cached: same arguments, same shared object).

    Irrelevant events draw, per object, ``u ~ U(0, q_k)`` (energy below the object's L1
    threshold); relevant events draw an outcome from :data:`L1T_OUTCOMES` and, for the
    objects that fired, ``u ~ U(q_k, 1)``. Score = sum of turn-on efficiencies.
    All draws come from ``numpy.random.default_rng(seed)``, vectorised.
    """
    n = int(n_samples)
    if n < 10:
        raise ParameterError(f"L1T needs at least 10 samples per class, got {n_samples}")
    slopes = l1t_slopes(objects, calibration)
    q = 1.0 - np.exp(-slopes * np.array([o.threshold for o in objects]))
    curves = [o.curve for o in objects]
    rng = np.random.default_rng(seed)
    u_null = rng.random((n, len(objects))) * q[None, :]
    p = L1T_OUTCOMES[:, 0] / L1T_OUTCOMES[:, 0].sum()
    outcome = rng.choice(len(p), size=n, p=p)
    fired = L1T_OUTCOMES[outcome, 1:].astype(bool)
    r = rng.random((n, len(objects)))
    u_pos = np.where(fired, q[None, :] + r * (1.0 - q[None, :]), r * q[None, :])
    return SampledClassifier(
        "L1T",
        _scores_from_uniform(u_null, slopes, curves),
        _scores_from_uniform(u_pos, slopes, curves),
        info={
            "slopes": dict(zip([o.name for o in objects], slopes.tolist())),
            "threshold_quantiles": dict(zip([o.name for o in objects], q.tolist())),
            "calibration": calibration,
            "seed": seed,
            "n_samples": n,
        },
    )


# ------------------------------------------------------------------------------ HLT


@dataclass(frozen=True)
class HLTPath:
    """One High-Level Trigger path: relative rate (Hz), turn-on curve, calibration rate."""

    name: str
    rate: float
    curve: object
    target: float = 0.3
    slope_bounds: tuple = (0.0, 0.4)


#: Project default HLT paths. Rates are the published ones (Hz); the turn-on curves are
#: this project's own parametric defaults (not published fits): replace them with
#: measured points through :class:`~twidgets.model.curves.TabulatedCurve`.
HLT_PATHS = (
    HLTPath("B2G", 96.0, ParametricCurve(0.98, 550.0, 45.0, 200.0, 1500.0), slope_bounds=(0.0, 0.05)),
    HLTPath("Higgs", 235.0, ParametricCurve(0.95, 32.0, 3.0, 10.0, 200.0)),
    HLTPath("Muon", 202.0 / 3, ParametricCurve(0.93, 27.0, 2.5, 5.0, 200.0)),
    HLTPath("SUSY", 189.0, ParametricCurve(0.97, 1100.0, 80.0, 300.0, 3000.0), slope_bounds=(0.0, 0.02)),
    HLTPath("Tracking", 202.0 / 3, ParametricCurve(0.90, 12.0, 3.0, 1.0, 100.0), slope_bounds=(0.0, 0.6)),
    HLTPath("Tau", 202.0 / 3, ParametricCurve(0.92, 45.0, 6.0, 10.0, 250.0)),
)


@lru_cache(maxsize=32)
def build_hlt(n_samples: int = DEFAULT_SAMPLES, seed: int = 0, paths: tuple = HLT_PATHS) -> SampledClassifier:
    """Monte-Carlo HLT paths model (cached).

    Each event picks one path with probability proportional to its rate, draws the
    path object's momentum from the path's calibrated exponential below (irrelevant)
    or above (relevant) the curve's half point, and scores the path efficiency there.
    """
    n = int(n_samples)
    if n < 10:
        raise ParameterError(f"HLT needs at least 10 samples per class, got {n_samples}")
    rates = np.array([p.rate for p in paths], dtype=float)
    prob = rates / rates.sum()
    slopes = np.array([calibrate_slope(p.curve, p.target, p.slope_bounds) for p in paths])
    q = 1.0 - np.exp(-slopes * np.array([p.curve.half_point for p in paths]))
    rng = np.random.default_rng(seed)

    def draw(relevant: bool):
        path = rng.choice(len(paths), size=n, p=prob)
        r = rng.random(n)
        u = q[path] + r * (1.0 - q[path]) if relevant else r * q[path]
        energy = -np.log1p(-u) / slopes[path]
        score = np.empty(n)
        for i, p in enumerate(paths):
            sel = path == i
            score[sel] = p.curve(energy[sel])
        return score

    null = draw(False)
    pos = draw(True)
    return SampledClassifier(
        "HLT",
        null,
        pos,
        info={"slopes": dict(zip([p.name for p in paths], slopes.tolist())), "seed": seed, "n_samples": n},
    )
