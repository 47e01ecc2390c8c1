"""The pure modeling core of twidgets (numpy, scipy, pandas, networkx; never widgets).

Modules are small and named for what they compute: :mod:`spec` (the immutable System
and its validation), :mod:`io` (workbooks, bundled systems), :mod:`curves`,
:mod:`classifiers`, :mod:`complexity`, :mod:`technology`, :mod:`overrides` (checking and
splitting evaluate's overrides), :mod:`evaluate` (propagation) and :mod:`evaluation`
(its typed results), :mod:`metrics`, :mod:`sweep` (the grid runner),
:mod:`sweep_result`, :mod:`sensitivity`, :mod:`registry` (the classifier kinds a study
registers; the CMS study lives in :mod:`twidgets.cms`).

``twidgets.model.sweep`` is the grid-runner module; the function is ``twidgets.sweep``
(or ``twidgets.model.sweep.sweep``).
"""

from . import sweep
from .errors import ParameterError, SpecError
from .evaluate import evaluate
from .evaluation import Evaluation, LinkResult, NodeResult
from .io import list_systems, load_system
from .sensitivity import sensitivity
from .spec import System
from .sweep_result import SweepResult

__all__ = [
    "System",
    "SpecError",
    "ParameterError",
    "load_system",
    "list_systems",
    "evaluate",
    "Evaluation",
    "NodeResult",
    "LinkResult",
    "sweep",
    "sensitivity",
    "SweepResult",
]
