"""What the stage inspector's controls offer: stage choices, slider bounds, and which
what-if overrides survive an edit of the system (plain Python, no widgets)."""

from __future__ import annotations

import math

from ..model import ParameterError, System
from ..model.display import stage_label

__all__ = ["stage_choices", "clean_overrides", "log_bounds"]


def stage_choices(system: System) -> list[tuple[str, str]]:
    """(label, stage name) for a picker: selecting stages first, pass-through (Dummy) ones after."""
    stages = [system.node(n) for n in system.stage_names]
    ordered = [n for n in stages if n.classifier != "Dummy"] + [n for n in stages if n.classifier == "Dummy"]
    return [
        (
            f"{stage_label(n.name)} ({n.classifier})"
            if stage_label(n.name) == n.name
            else f"{stage_label(n.name)}: {n.name} ({n.classifier})",
            n.name,
        )
        for n in ordered
    ]


def clean_overrides(old: System | None, new: System, overrides: dict) -> dict:
    """The overrides that still make sense after the system changed from ``old`` to ``new``.

    An override is dropped when its node no longer exists, or when the edit changed the
    very parameter it overrides (the edit wins: the user just typed that value).
    """
    kept = {}
    for key, value in overrides.items():
        try:
            now = new.param(key)
        except (ParameterError, ValueError):
            continue
        if old is not None:
            try:
                before = old.param(key)
            except (ParameterError, ValueError):
                before = None
            if before != now and not (
                isinstance(before, float) and isinstance(now, float) and math.isnan(before) and math.isnan(now)
            ):
                continue
        kept[key] = value
    return kept


def log_bounds(value: float, low_exp: float = 0.0) -> tuple[float, float]:
    """Exponent range (base 10) of a reduction-ratio slider that holds ``value`` comfortably."""
    top = max(3.0, math.ceil(math.log10(max(value, 1.0)) + 1.0))
    return low_exp, top
