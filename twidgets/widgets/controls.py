"""Helpers shared by the widgets' control panels."""

from __future__ import annotations

import contextlib

from ..model import ParameterError, System
from ..model.io import default_system, resolve_system

__all__ = ["QuietObservers", "as_system"]


def as_system(system, widget: str) -> System:
    """A widget's ``system`` argument as a System: ``None`` (the default system), a bundled
    name or workbook path, or a System. Anything else is a :class:`ParameterError`."""
    if system is None:
        system = resolve_system(default_system())
    elif isinstance(system, str):
        system = resolve_system(system)
    if not isinstance(system, System):
        raise ParameterError(f"{widget} needs a System, got {type(system).__name__}")
    return system


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
