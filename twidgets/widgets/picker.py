"""The dashboard's system picker: its choices and the System each choice stands for.

A choice is a plain string, ``system:<bundled name>`` or ``scenario:<name>``; nothing in
it is evaluated and no file is opened for it (bundled systems are looked up by name).
"""

from __future__ import annotations

from ..model import ParameterError, System, list_systems, load_system
from ..model.registry import all_scenarios

__all__ = ["EDITED", "picker_options", "load_choice", "scenarios_or_registered"]

#: Picker value shown once the system was edited (no bundled system or scenario matches).
EDITED = "edited"


def scenarios_or_registered(scenarios=None) -> tuple:
    """``scenarios`` as a tuple, or every registered study's scenarios when it is None."""
    return all_scenarios() if scenarios is None else tuple(scenarios)


def picker_options(scenarios=None) -> list[tuple[str, str]]:
    """(label, value) of the system picker: ``system:<bundled name>`` then ``scenario:<name>``
    for each of ``scenarios`` (default: every registered study's scenarios)."""
    opts = [(f"System: {name}", f"system:{name}") for name in list_systems()]
    opts += [(f"Scenario: {s.name}", f"scenario:{s.name}") for s in scenarios_or_registered(scenarios)]
    return opts


def load_choice(value: str, scenarios=None) -> System:
    """The System a picker value stands for (a bundled system, or a scenario's ``load()``)."""
    kind, _, name = value.partition(":")
    if kind == "system":
        return load_system(name)
    if kind == "scenario":
        for s in scenarios_or_registered(scenarios):
            if s.name.lower() == name.lower():
                return s.load()
        names = ", ".join(s.name for s in scenarios_or_registered(scenarios))
        raise ParameterError(f"no scenario {name!r}; scenarios: {names}")
    raise ParameterError(f"unknown picker choice {value!r}; use 'system:<name>' or 'scenario:<name>'")
