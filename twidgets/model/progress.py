"""Progress reporting for long computations (sweeps): a bar, a callback, or nothing.

:func:`progress_reporter` turns the ``progress=`` argument of :func:`twidgets.sweep`
into an object with ``update(n)`` and ``close()``:

* ``None`` (default): a ``tqdm.auto`` bar (text in a terminal, an ipywidgets bar in a
  notebook) only when the work is expected to take more than ``min_seconds`` and tqdm
  is installed;
* ``True``: always a bar; ``False``: never;
* a callable ``f(done, total)``: called with ``(0, total)`` first and after every step
  (the widgets pass one to drive their own progress display).
"""

from __future__ import annotations

__all__ = ["progress_reporter", "Reporter"]


class Reporter:
    """Counts finished work and forwards it to a bar and/or a callback."""

    def __init__(self, total: int, *, bar=None, callback=None):
        self.total = int(total)
        self.done = 0
        self._bar = bar
        self._callback = callback
        if callback is not None:
            callback(0, self.total)

    def update(self, n: int) -> None:
        """Record ``n`` more finished units."""
        self.done += int(n)
        if self._bar is not None:
            self._bar.update(int(n))
        if self._callback is not None:
            self._callback(self.done, self.total)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def progress_reporter(
    progress, total: int, expected_seconds: float, *, desc: str = "sweep", unit: str = "point", min_seconds: float = 1.0
) -> Reporter:
    """Build the :class:`Reporter` for a ``progress=`` argument (see the module docstring).

    ``total`` is the number of units (points x repeats for a sweep) and
    ``expected_seconds`` a rough estimate of the wall time, used when ``progress`` is None.
    """
    if progress is None:
        show = expected_seconds > min_seconds
    elif isinstance(progress, bool):
        show = progress
    elif callable(progress):
        return Reporter(total, callback=progress)
    else:
        raise TypeError(f"progress must be None, True, False or a callable(done, total), got {progress!r}")
    if not show:
        return Reporter(total)
    try:
        from tqdm.auto import tqdm  # text bar in a terminal, ipywidgets bar in a notebook
    except ImportError:
        if progress is None:  # tqdm is optional (the "app" extra): no bar then
            return Reporter(total)
        raise ImportError("progress=True needs tqdm: pip install tqdm (or twidgets[app])") from None
    return Reporter(total, bar=tqdm(total=total, desc=desc, unit=unit, unit_scale=True, leave=False))
