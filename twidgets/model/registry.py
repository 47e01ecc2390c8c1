"""Registry of classifier kinds: how the generic core learns about a study's classifiers.

The core knows two classifiers of its own (``Dummy`` and ``Gaussian``). A study package
(for example :mod:`twidgets.cms`, loaded by ``import twidgets``) registers its own kinds
-- their name as written in the ``Classifier`` column, how to build one for a stage, the
trigger objects a ``Curves`` sheet may give points for and the calibrations they accept::

    register_classifier(ClassifierKind("L1T", build=my_builder, curve_objects=("jet", "muon"),
                                       calibrations=("published", "per-object")))

A study also describes its bundled systems for the widgets (:class:`Study`: named
scenarios with their markers, the explorer's axes, the stage to inspect first, the
variants to compare), so that no widget names a study's stages::

    register_study(Study("CMS", systems=("cms-hllhc-pu200",), scenarios=SCENARIOS,
                         axes=("Intermediate.reduction_ratio", "Intermediate.skill_boost")))

The core reads the registry (``tables`` to validate workbooks, ``evaluate`` to build the
classifiers, the widgets for their defaults) and never imports a study package.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import ParameterError

__all__ = [
    "default_system",
    "ClassifierKind",
    "register_classifier",
    "classifier_kind",
    "classifier_kinds",
    "calibration_names",
    "DEFAULT_CALIBRATION",
    "Study",
    "register_study",
    "study_for",
    "all_scenarios",
]

#: Calibration a stage uses when its ``Calibration`` cell is empty.
DEFAULT_CALIBRATION = "published"


@dataclass(frozen=True)
class ClassifierKind:
    """One kind of stage classifier.

    Attributes
    ----------
    name : str
        As written in the workbook's ``Classifier`` column (matched case-insensitively).
    build : callable
        ``build(node, seed) -> classifier``: the classifier of one stage (a
        :class:`~twidgets.model.spec.Node`) for one Monte-Carlo seed. The result has
        ``kind``, ``monte_carlo`` and ``solve(neg, pos, rho, boost, mean=None, scale=None)``
        (see :mod:`twidgets.model.classifiers`). Builders should cache their results.
    curve_objects : tuple of str
        Trigger objects whose turn-on curve a ``Curves`` sheet may give as points; empty
        when the kind uses no curves.
    calibrations : tuple of str
        Calibration names the kind understands (``Calibration`` column).
    monte_carlo : bool
        Whether the kind draws ``n_samples`` Monte-Carlo events per class (these count
        against the system's sample budget).
    description : str
        One line for people (editor tooltips, error messages).
    """

    name: str
    build: Callable[[Any, int], Any]
    curve_objects: tuple[str, ...] = ()
    calibrations: tuple[str, ...] = ()
    monte_carlo: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip() or self.name != self.name.strip():
            raise ParameterError(f"a classifier kind needs a name without surrounding spaces, got {self.name!r}")
        if not callable(self.build):
            raise ParameterError(f"classifier kind {self.name!r}: build must be callable")


_KINDS: dict[str, ClassifierKind] = {}
_LOCK = threading.Lock()


def register_classifier(kind: ClassifierKind, *, replace: bool = False) -> ClassifierKind:
    """Make ``kind`` known to the core; returns it.

    Registering a second kind with the same (case-insensitive) name is an error unless
    ``replace=True`` (re-registration of the same object is a no-op, so a package may
    register at every import).
    """
    if not isinstance(kind, ClassifierKind):
        raise ParameterError(f"register_classifier needs a ClassifierKind, got {type(kind).__name__}")
    key = kind.name.lower()
    with _LOCK:
        old = _KINDS.get(key)
        if old is not None and old is not kind and old != kind and not replace:
            raise ParameterError(
                f"a classifier kind {old.name!r} is already registered; pass replace=True to replace it"
            )
        _KINDS[key] = kind
    return kind


def classifier_kind(name: str) -> ClassifierKind:
    """The registered kind called ``name`` (case-insensitive); ParameterError listing the kinds."""
    kind = _KINDS.get(str(name).strip().lower())
    if kind is None:
        raise ParameterError(f"unknown classifier {name!r}: use one of {', '.join(classifier_kinds())}")
    return kind


def classifier_kinds() -> tuple[str, ...]:
    """Names of the registered classifier kinds, in registration order."""
    return tuple(k.name for k in _KINDS.values())


def calibration_names() -> tuple[str, ...]:
    """Every calibration some registered kind understands, the default first."""
    names = [DEFAULT_CALIBRATION]
    for k in _KINDS.values():
        names += [c for c in k.calibrations if c not in names]
    return tuple(names)


# ---------------------------------------------------------------------------- studies


@dataclass(frozen=True)
class Study:
    """What a study package tells the widgets about its bundled systems.

    Attributes
    ----------
    name : str
        The study's name (e.g. ``"CMS"``).
    systems : tuple of str
        Names of the bundled systems it describes.
    scenarios : tuple
        Named points of its design space, each with ``name``, ``system`` (a bundled
        name), ``overrides`` (``"Stage.param" -> value``), ``marker`` (a plotly symbol)
        and ``load()`` (the System of the scenario).
    axes : (str, str), optional
        Default ``"Stage.param"`` axes of the explorer.
    stage : str, optional
        The stage the inspector shows first.
    variants : callable, optional
        ``variants() -> list`` of rows for the Compare view.
    default_system : str, optional
        The bundled system shown when none is named (the first registered study's wins).
    """

    name: str
    systems: tuple[str, ...] = ()
    scenarios: tuple[Any, ...] = ()
    axes: tuple[str, str] | None = None
    stage: str | None = None
    variants: Callable[[], Sequence[Any]] | None = None
    default_system: str | None = None


_STUDIES: dict[str, Study] = {}


def register_study(study: Study) -> Study:
    """Make ``study``'s defaults known to the widgets (replaces a study of the same name)."""
    if not isinstance(study, Study):
        raise ParameterError(f"register_study needs a Study, got {type(study).__name__}")
    with _LOCK:
        _STUDIES[study.name] = study
    return study


def study_for(system_name: str | None) -> Study | None:
    """The registered study describing the bundled system ``system_name``, if any."""
    for study in _STUDIES.values():
        if system_name in study.systems:
            return study
    return None


def default_system() -> str | None:
    """The bundled system a registered study asks to show when none is named, if any."""
    for study in _STUDIES.values():
        if study.default_system:
            return study.default_system
    return None


def all_scenarios() -> tuple[Any, ...]:
    """Every registered study's scenarios, in registration order."""
    return tuple(s for study in _STUDIES.values() for s in study.scenarios)
