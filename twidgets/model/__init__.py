"""The pure modeling core of twidgets (numpy, scipy, pandas, networkx; never widgets).

Modules are small and named for what they compute: :mod:`spec` (the immutable System
and its validation), :mod:`io` (workbooks, bundled systems), :mod:`curves`,
:mod:`classifiers`, :mod:`complexity`, :mod:`technology`, :mod:`evaluate`,
:mod:`metrics`, :mod:`sweep`, :mod:`registry` (classifier kinds a study registers).
"""

from .errors import ParameterError, SpecError
from .evaluate import Evaluation, evaluate
from .io import list_systems, load_system
from .spec import System

__all__ = [
    "System",
    "SpecError",
    "ParameterError",
    "load_system",
    "list_systems",
    "evaluate",
    "Evaluation",
    "sweep",
    "sensitivity",
    "SweepResult",
]


def __getattr__(name):  # the sweep module pulls in more; import it on first use
    if name in ("sweep", "sensitivity", "SweepResult"):
        # importlib, not ``from . import sweep``: that re-enters this hook (infinite recursion).
        # Once imported, ``twidgets.model.sweep`` is the submodule; the function is ``twidgets.sweep``.
        import importlib

        _sweep_module = importlib.import_module(".sweep", __name__)
        return _sweep_module if name == "sweep" else getattr(_sweep_module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
