"""Cutting an N-D grid into blocks that are sub-grids and contiguous runs of its C order.

:func:`twidgets.sweep` evaluates one block per vectorised :func:`twidgets.evaluate` call.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

__all__ = ["plan_blocks", "count_blocks"]


def plan_blocks(shape: tuple, chunk_size: int) -> Iterator[tuple[int, int, tuple[slice, ...]]]:
    """Yield ``(start, stop, slices)``: the grid cut into sub-grid blocks of <= chunk_size points.

    Each block fixes the indices of the axes before a *split axis*, takes a run of
    indices along it and everything along the later axes, so it covers the contiguous
    C-order range ``[start, stop)`` of the flattened grid. (A block holds at least one
    run of the last axis, so chunk_size is a target when the last axis is longer.)
    """
    shape = tuple(int(s) for s in shape)
    total = math.prod(shape)
    if total <= chunk_size:
        yield 0, total, tuple(slice(0, s) for s in shape)
        return
    tails = [math.prod(shape[i + 1 :]) for i in range(len(shape))]
    k = next(i for i, t in enumerate(tails) if t <= chunk_size)
    run = max(1, chunk_size // tails[k])
    for prefix in np.ndindex(*shape[:k]):
        base = int(np.ravel_multi_index(prefix, shape[:k])) * shape[k] if k else 0
        for a in range(0, shape[k], run):
            b = min(a + run, shape[k])
            slices = (
                tuple(slice(i, i + 1) for i in prefix) + (slice(a, b),) + tuple(slice(0, s) for s in shape[k + 1 :])
            )
            yield (base + a) * tails[k], (base + b) * tails[k], slices


def count_blocks(shape: tuple, chunk_size: int) -> int:
    """How many blocks :func:`plan_blocks` yields (without generating them)."""
    shape = tuple(int(s) for s in shape)
    if math.prod(shape) <= chunk_size:
        return 1
    tails = [math.prod(shape[i + 1 :]) for i in range(len(shape))]
    k = next(i for i, t in enumerate(tails) if t <= chunk_size)
    run = max(1, chunk_size // tails[k])
    return math.prod(shape[:k]) * math.ceil(shape[k] / run)
