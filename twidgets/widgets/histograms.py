"""Pre-binned score histograms for the stage inspector (numpy only).

Binning 2 x 50,000 scores costs a few milliseconds, far more than moving a slider should,
so the scores of a stage's classifier are binned **once** and later slider steps only
move the bins: a skill boost shifts the relevant scores' bin centres by the change of
boost, and for a Gaussian stage a new mean / scale maps the standardised bins linearly.
Counts never change, so they always sum to the number of samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BinnedScores", "bin_scores", "DEFAULT_BINS"]

#: Bins per histogram.
DEFAULT_BINS = 80


@dataclass(frozen=True)
class BinnedScores:
    """Histogram counts of one class of scores on regular bins.

    Attributes
    ----------
    centres : ndarray
        Bin centres (score units) at the reference shift/scale used for binning.
    width : float
        Bin width (score units).
    counts : ndarray of int64
        Samples per bin; ``counts.sum()`` is the number of samples.
    """

    centres: np.ndarray
    width: float
    counts: np.ndarray

    def placed(self, shift: float = 0.0, scale: float = 1.0) -> tuple[np.ndarray, float]:
        """Bin centres and width after the scores ``s`` become ``shift + scale * s``."""
        return shift + scale * self.centres, scale * self.width

    @property
    def total(self) -> int:
        return int(self.counts.sum())


def bin_scores(scores, bins: int = DEFAULT_BINS, lo: float | None = None, hi: float | None = None) -> BinnedScores:
    """Histogram ``scores`` on ``bins`` regular bins over ``[lo, hi]`` (default: their range).

    Every finite sample is counted (the last bin includes its right edge), so the counts
    sum to the number of finite samples.
    """
    s = np.asarray(scores, dtype=float)
    s = s[np.isfinite(s)]
    if s.size == 0:
        return BinnedScores(np.empty(0), 1.0, np.empty(0, dtype=np.int64))
    lo = float(s.min()) if lo is None else float(min(lo, s.min()))
    hi = float(s.max()) if hi is None else float(max(hi, s.max()))
    if hi <= lo:  # all samples equal: one bin around them
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(s, bins=int(bins), range=(lo, hi))
    return BinnedScores(0.5 * (edges[:-1] + edges[1:]), float(edges[1] - edges[0]), counts.astype(np.int64))
