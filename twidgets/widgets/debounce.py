"""A debouncer: run a callback once, some seconds after the last of a burst of calls.

Plain Python over asyncio: when an event loop is running (a kernel, Voila) the call is
deferred with ``loop.call_later`` and every new call restarts the wait; without a running
loop, or with a delay of 0, the callback runs right away.

>>> debounced = Debouncer(recompute)
>>> debounced(0.3)        # True: deferred (in a kernel); False: ran now
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["Debouncer", "running_loop"]


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The asyncio loop running in this thread, or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Debouncer:
    """Calls ``callback()`` once ``delay`` seconds (wall clock) after the last :meth:`__call__`."""

    def __init__(self, callback: Callable[[], object]):
        self._callback = callback
        self._handle: asyncio.TimerHandle | None = None

    @property
    def pending(self) -> bool:
        """Whether a deferred call waits to run."""
        return self._handle is not None

    def cancel(self) -> None:
        """Forget a deferred call (if any)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def __call__(self, delay: float) -> bool:
        """Run the callback after ``delay`` seconds, restarting any wait; run it now when
        ``delay <= 0`` or no asyncio loop runs. Returns whether the call was deferred."""
        loop = running_loop()
        self.cancel()
        if delay <= 0 or loop is None:
            self._callback()
            return False
        self._handle = loop.call_later(delay, self._fire)
        return True

    def _fire(self) -> None:
        self._handle = None
        self._callback()
