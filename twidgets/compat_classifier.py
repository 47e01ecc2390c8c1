"""The seed workflow's classifier object (:class:`Classifier`) for :mod:`twidgets.compat`.

It wraps a classifier of the model core (whose Monte-Carlo scores are immutable and
shared) with the small mutable state the seed's code sets and reads.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Classifier"]


class Classifier:
    """A stage's classifier as the seed exposed it: settable ``skill_boost``, scores, threshold.

    The score samples belong to the (immutable, cached) classifier of the model core
    and are shared by every copy: ``copy.deepcopy`` copies only the small mutable state
    (``skill_boost``, ``skill_mean``, ``skill_scale``, ``threshold``, ``error_matrix``).

    Attributes
    ----------
    kind : str
        ``"Dummy"``, ``"Gaussian"``, ``"L1T"`` or ``"HLT"``.
    skill_boost : float
        Shift added to every relevant score (score units). Set it, then call
        :func:`update_throughput`.
    skill_mean, skill_scale : float or None
        Gaussian stages only: mean and standard deviation of relevant scores (the
        threshold solve uses the current values; the display samples ``pos_scores``
        are drawn with the table's).
    threshold : float
        Solved threshold of the last update (events scoring at or below are rejected).
    error_matrix : ndarray (2, 2)
        ``[[F0(t), F1(t)], [1 - F0(t), 1 - F1(t)]]``: rejected / kept fractions of
        irrelevant (column 0) and relevant (column 1) events.
    """

    __slots__ = ("kind", "skill_boost", "skill_mean", "skill_scale", "threshold", "error_matrix", "_model")

    def __init__(self, kind, model, skill_boost=0.0, skill_mean=None, skill_scale=None):
        self.kind = kind
        self._model = model
        self.skill_boost = skill_boost
        self.skill_mean = skill_mean
        self.skill_scale = skill_scale
        self.threshold = float("nan")
        self.error_matrix = np.array([[0.0, 0.0], [1.0, 1.0]])

    @property
    def null_scores(self) -> np.ndarray:
        """Scores of irrelevant events (read-only, shared; empty for ``Dummy``)."""
        return np.empty(0) if self._model is None else self._model.null_scores

    @property
    def pos_scores(self) -> np.ndarray:
        """Scores of relevant events, shifted by ``skill_boost`` (shared array when the boost is 0)."""
        if self._model is None:
            return np.empty(0)
        scores = self._model.pos_scores
        return scores + self.skill_boost if self.skill_boost else scores

    def __copy__(self):
        new = object.__new__(Classifier)
        for name in self.__slots__:
            setattr(new, name, getattr(self, name))
        return new

    def __deepcopy__(self, memo):
        new = self.__copy__()
        new.error_matrix = self.error_matrix.copy()
        memo[id(self)] = new
        return new

    def __repr__(self):
        return f"<compat Classifier {self.kind} skill_boost={self.skill_boost!r} threshold={self.threshold!r}>"
