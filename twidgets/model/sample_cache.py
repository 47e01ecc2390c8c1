"""Memory bounds of the Monte-Carlo classifiers: a per-system sample budget and a byte-bounded cache.

* :data:`MAX_SYSTEM_SAMPLES` -- Monte-Carlo events (irrelevant + relevant, all stages)
  one System may ask for; :func:`check_sample_budget` names the stage that goes over it.
* :class:`SampleCache` -- least-recently-used cache of built classifiers, bounded by the
  bytes of their sample arrays (not by a number of entries). One shared instance,
  :data:`SAMPLE_CACHE` (:data:`CACHE_BYTES`, 512 MiB), backs the classifier builders.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import numpy as np

from .errors import ParameterError

__all__ = [
    "MAX_SYSTEM_SAMPLES",
    "CACHE_BYTES",
    "SampleCache",
    "SAMPLE_CACHE",
    "check_sample_budget",
    "SampleBudgetError",
    "sample_bytes",
]

#: Monte-Carlo samples (both classes, every stage) one System may draw: 2e7 float64 scores
#: are 160 MB, sorted and kept.
MAX_SYSTEM_SAMPLES = 20_000_000
#: Bytes of sample arrays the shared cache keeps (least recently used dropped first).
CACHE_BYTES = 512 * 2**20


class SampleBudgetError(ParameterError):
    """A system asks for more Monte-Carlo samples than :data:`MAX_SYSTEM_SAMPLES`; ``stage`` names where."""

    def __init__(self, message: str, stage: str):
        super().__init__(message)
        self.stage = stage


def check_sample_budget(stages: Iterable[tuple[str, int]], budget: int = MAX_SYSTEM_SAMPLES) -> int:
    """Total Monte-Carlo samples of ``(stage name, samples per class)`` pairs; error past ``budget``.

    Each stage draws its samples for two classes (irrelevant and relevant). Returns the
    total; raises :class:`SampleBudgetError` (a :class:`ParameterError`) naming the stage that takes the total past the
    budget, the total and the budget.
    """
    total = 0
    for name, n in stages:
        total += 2 * int(n)
        if total > budget:
            raise SampleBudgetError(
                f"stage {name!r}: {int(n):,} samples per class bring this system's Monte-Carlo samples "
                f"to {total:,} (irrelevant + relevant, all stages so far), over the budget of {budget:,}; "
                f"lower the Samples of this or other stages",
                name,
            )
    return total


def sample_bytes(obj: Any) -> int:
    """Bytes of a numpy array, or of the arrays an object holds as attributes (its samples)."""
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    seen: set[int] = set()
    total = 0
    for value in getattr(obj, "__dict__", {}).values():
        if isinstance(value, np.ndarray) and id(value) not in seen:
            seen.add(id(value))
            total += value.nbytes
    return total


class SampleCache:
    """Least-recently-used cache bounded by the bytes of what it holds.

    ``get(key, build)`` returns the cached value for ``key`` or calls ``build()``, stores
    the result and drops the least recently used entries until the total is within
    ``max_bytes``. A value larger than the whole budget is returned but not kept.
    Thread-safe; ``build`` runs outside the lock.
    """

    def __init__(self, max_bytes: int = CACHE_BYTES, size: Callable[[Any], int] = sample_bytes):
        if max_bytes < 0:
            raise ParameterError(f"cache size must be >= 0 bytes, got {max_bytes}")
        self.max_bytes = int(max_bytes)
        self._size = size
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        """Bytes held now."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit[0]
        value = build()
        size = int(self._size(value))
        if size > self.max_bytes:
            return value
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:  # built meanwhile by another thread: share that one
                self._items.move_to_end(key)
                return hit[0]
            self._items[key] = (value, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped
        return value

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self._items.clear()
            self._bytes = 0


#: The cache shared by every classifier builder.
SAMPLE_CACHE = SampleCache()
