"""Helpers shared by the widgets' control panels."""

from __future__ import annotations

import contextlib

__all__ = ["QuietObservers"]


class QuietObservers:
    """Mixin: ``with self._hold():`` sets several controls without firing the widget's own
    observers (they return early while ``self._quiet`` is non-zero)."""

    _quiet = 0

    @contextlib.contextmanager
    def _hold(self):
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1
