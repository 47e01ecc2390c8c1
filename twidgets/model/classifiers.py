"""Stage classifiers: score distributions and the exact, vectorised threshold solve.

Every classifier has a score distribution for irrelevant events (CDF ``F0``) and one for
relevant events (CDF ``F1``). A stage rejects the events whose score is at or below a
threshold ``t``. Given the stage's inputs ``[neg, pos]`` (events/s) and its target
rejected fraction ``rho = 1 - 1/RR``, the threshold ``t`` solves::

    (neg * F0(t) + pos * F1(t)) / (neg + pos) = rho

and the error matrix is ``[[F0(t), F1(t)], [1 - F0(t), 1 - F1(t)]]``.

* :class:`PassThrough` (``Dummy``): keeps everything.
* :class:`GaussianClassifier`: irrelevant ~ N(0, 1), relevant ~ N(skill, scale); the
  threshold is solved on the analytic CDFs by vectorised bisection (64 halvings).
* :class:`SampledClassifier`: empirical CDFs of Monte-Carlo samples (a study's models,
  e.g. the CMS L1T and HLT ones in :mod:`twidgets.cms`). The threshold is solved
  *exactly* on the sorted samples by vectorised binary search over sample indices
  (``searchsorted``), never by a general minimiser; the sample at the threshold counts
  fractionally so that the stage keeps exactly ``input / RR``.

``Dummy`` and ``Gaussian`` register themselves in :mod:`twidgets.model.registry`.

All solves broadcast over arrays of inputs, rates, and skill boosts, so one call
handles a whole parameter grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr

from .registry import ClassifierKind, register_classifier
from .sample_cache import SAMPLE_CACHE

__all__ = [
    "PassThrough",
    "GaussianClassifier",
    "SampledClassifier",
    "solve_sampled",
    "solve_gaussian",
    "DEFAULT_SAMPLES",
]

#: Monte-Carlo samples per class (irrelevant and relevant) of a sampled classifier.
DEFAULT_SAMPLES = 50_000


# --------------------------------------------------------------------------- solves


def _flat(*arrays):
    b = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in arrays))
    shape = b[0].shape
    return shape, [x.ravel() for x in b]


def _weights(neg, pos):
    tot = neg + pos
    safe = np.where(tot > 0, tot, 1.0)
    # each fraction divided out on its own: 1 - w0 would round a tiny relevant share to 0
    return np.where(tot > 0, neg / safe, 0.5), np.where(tot > 0, pos / safe, 0.5)


def solve_sampled(null_sorted, pos_sorted, neg, pos, rho, boost=0.0):
    """Exact threshold on empirical CDFs, reaching the target rejected fraction exactly.

    The mixture CDF ``G(t) = w0 F0(t) + w1 F1(t)`` (``w0, w1`` the input fractions) is a
    step function of ``t`` on the samples. The threshold sample is the lowest score at
    which ``G`` reaches ``rho``; it is counted *fractionally* -- the fraction of its step
    that brings ``G`` exactly to ``rho`` -- and the threshold is interpolated linearly
    between the previous sample and it by the same fraction. So the stage's output rate
    is exactly ``input / RR`` and ``F0``, ``F1`` carry the same fractional weight.

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
        fractions of irrelevant and relevant events (fractional sample counts over the
        sample sizes), in the broadcast shape.
    """
    shape, (neg, pos, rho, boost) = _flat(neg, pos, rho, boost)
    n0, n1 = null_sorted.size, pos_sorted.size
    w0, w1 = _weights(neg, pos)
    target = rho - 1e-12

    # Candidate thresholds are the irrelevant scores and the boosted relevant scores. A relevant
    # candidate is counted by index (pos_sorted[j] itself), so rounding of (score + boost) - boost
    # can never drop the candidate from its own count. ``side`` "right" counts the samples at or
    # below the candidate, "left" those strictly below it.
    def counts(values, idx, relevant, side):
        v = values[idx]
        if relevant:
            t = v + boost
            return t, np.searchsorted(null_sorted, t, side=side), np.searchsorted(pos_sorted, v, side=side)
        return v, np.searchsorted(null_sorted, v, side=side), np.searchsorted(pos_sorted, v - boost, side=side)

    def first_reaching(values, relevant):
        n = values.size
        lo = np.zeros(neg.size, dtype=np.int64)
        hi = np.full(neg.size, n, dtype=np.int64)
        for _ in range(int(math.ceil(math.log2(n + 1))) + 1):
            active = lo < hi
            if not active.any():
                break
            mid = (lo + hi) // 2
            _, c0, c1 = counts(values, np.minimum(mid, n - 1), relevant, "right")
            ok = w0 * (c0 / n0) + w1 * (c1 / n1) >= target
            hi = np.where(active & ok, mid, hi)
            lo = np.where(active & ~ok, mid + 1, lo)
        idx = np.minimum(lo, n - 1)
        t, c0, c1 = counts(values, idx, relevant, "right")
        _, b0, b1 = counts(values, idx, relevant, "left")
        found = lo < n
        return (
            np.where(found, t, np.inf),
            np.where(found, c0, n0),
            np.where(found, c1, n1),
            np.where(found, b0, n0),
            np.where(found, b1, n1),
        )

    ta, a0, a1, al0, al1 = first_reaching(null_sorted, False)
    tb, b0, b1, bl0, bl1 = first_reaching(pos_sorted, True)
    use_b = tb < ta
    tie = tb == ta
    t = np.where(use_b, tb, ta)
    # counts at or below (c) and strictly below (l) the threshold sample
    c0 = np.where(use_b, b0, a0)
    c1 = np.where(use_b, b1, np.where(tie, np.maximum(a1, b1), a1))
    l0 = np.where(use_b, bl0, al0)
    l1 = np.where(use_b, bl1, np.where(tie, np.minimum(al1, bl1), al1))
    below = w0 * (l0 / n0) + w1 * (l1 / n1)
    step = w0 * ((c0 - l0) / n0) + w1 * ((c1 - l1) / n1)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.clip(np.where(step > 0, (rho - below) / np.where(step > 0, step, 1.0), 1.0), 0.0, 1.0)
    # the previous distinct sample: the larger of the last irrelevant and last boosted relevant below t
    prev0 = np.where(l0 > 0, null_sorted[np.maximum(l0 - 1, 0)], -np.inf)
    prev1 = np.where(l1 > 0, pos_sorted[np.maximum(l1 - 1, 0)] + boost, -np.inf)
    prev = np.maximum(prev0, prev1)
    with np.errstate(invalid="ignore"):
        t = np.where(np.isfinite(prev) & np.isfinite(t), prev + frac * (t - prev), t)
    everything = rho <= 0
    t = np.where(everything, -np.inf, t)
    f0 = np.where(everything, 0.0, (l0 + frac * (c0 - l0)) / n0)
    f1 = np.where(everything, 0.0, (l1 + frac * (c1 - l1)) / n1)
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


def _gaussian_draws(mean: float, scale: float, n: int, seed: int, stream: int) -> np.ndarray:
    def draw() -> np.ndarray:
        rng = np.random.default_rng([seed, stream])
        out = np.sort(rng.normal(mean, scale, n))
        out.setflags(write=False)
        return out

    return SAMPLE_CACHE.get(("Gaussian draws", float(mean), float(scale), int(n), int(seed), int(stream)), draw)


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


# ------------------------------------------------------------------- registration


def _build_dummy(node: Any, seed: int) -> PassThrough:
    return PassThrough()


def _build_gaussian(node: Any, seed: int) -> GaussianClassifier:
    return GaussianClassifier(node.params["skill_mean"], node.params["skill_scale"], node.n_samples, int(seed))


register_classifier(ClassifierKind("Dummy", _build_dummy, description="pass-through: keeps every event"))
register_classifier(
    ClassifierKind(
        "Gaussian",
        _build_gaussian,
        description="irrelevant scores N(0, 1), relevant N(skill mean, skill scale)",
    )
)
