"""twidgets: model and explore the power, rates and selection quality of trigger /
data-acquisition pipelines, with Jupyter widgets and a Voila app.

>>> import twidgets
>>> system = twidgets.load_system("cms-hllhc-pu200")
>>> ev = twidgets.evaluate(system, {"Intermediate.skill_boost": 0.4})
"""

__version__ = "0.1.0"

from . import cms  # noqa: F401  (registers the CMS classifier kinds with the core)
from .model import Evaluation, ParameterError, SpecError, System, evaluate, list_systems, load_system

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
    "__version__",
]


def __getattr__(name):
    if name in ("sweep", "sensitivity", "SweepResult"):
        from .model import sweep as _sweep_module

        return getattr(_sweep_module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
