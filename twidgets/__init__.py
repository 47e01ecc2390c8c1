"""twidgets: model and explore the power, rates and selection quality of trigger /
data-acquisition pipelines, with Jupyter widgets and a Voila app.

>>> import twidgets
>>> system = twidgets.load_system("cms-hllhc-pu200")
>>> ev = twidgets.evaluate(system, {"Intermediate.skill_boost": 0.4})
"""

__version__ = "0.1.0"

from . import cms as _cms  # noqa: F401  (the CMS study registers its names with the core)
from .model import (
    Evaluation,
    ParameterError,
    SpecError,
    SweepResult,
    System,
    evaluate,
    list_systems,
    load_system,
    sensitivity,
)
from .model.sweep import sweep

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
