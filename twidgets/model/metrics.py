"""Selection-quality metrics of 2x2 contingency tables (array-aware).

A contingency table ``C`` has shape ``(..., 2, 2)``::

    [[true negatives (rejected irrelevant), false negatives (rejected relevant)],
     [false positives (kept irrelevant),     true positives (kept relevant)]]

Undefined ratios (0 / 0) are returned as 0.0 rather than NaN so that contour maps and
sweeps stay finite; a pipeline that keeps nothing has precision, recall and F1 of 0.
"""

from __future__ import annotations

import numpy as np

__all__ = ["precision", "recall", "f1_score", "kept", "rejected", "productivity"]


def _ratio(num, den):
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    return out[()]


def kept(confusion):
    """Row 1 (events kept) summed: events per second passed on, shape ``(...)``."""
    c = np.asarray(confusion)
    return (c[..., 1, 0] + c[..., 1, 1])[()]


def rejected(confusion):
    """Row 0 (events rejected) summed, shape ``(...)``."""
    c = np.asarray(confusion)
    return (c[..., 0, 0] + c[..., 0, 1])[()]


def precision(confusion):
    """tp / (tp + fp): the fraction of kept events that are relevant."""
    c = np.asarray(confusion, dtype=float)
    return _ratio(c[..., 1, 1], c[..., 1, 1] + c[..., 1, 0])


def recall(confusion):
    """tp / (tp + fn): the fraction of relevant events that are kept."""
    c = np.asarray(confusion, dtype=float)
    return _ratio(c[..., 1, 1], c[..., 1, 1] + c[..., 0, 1])


def f1_score(confusion):
    """Harmonic mean of precision and recall: 2 tp / (2 tp + fp + fn)."""
    c = np.asarray(confusion, dtype=float)
    return _ratio(2.0 * c[..., 1, 1], 2.0 * c[..., 1, 1] + c[..., 1, 0] + c[..., 0, 1])


def productivity(confusion, power):
    """Relevant samples per joule: ``kept events/s * F1 / power`` (power in W)."""
    return _ratio(kept(confusion) * f1_score(confusion), power)
