"""The CMS study: data about the CMS trigger system that the generic core is told about.

Importing this package (``import twidgets`` does it) registers the ``L1T`` and ``HLT``
classifier kinds and the study's defaults for the widgets (:mod:`twidgets.model.registry`)
and the stage names people use (:mod:`twidgets.model.display`). The core (:mod:`twidgets.model`) imports nothing from here.
"""

from __future__ import annotations

from ..model.io import list_systems
from ..model.registry import Study, register_classifier, register_study
from . import complexity, labels  # noqa: F401  (register the named complexity fits and the stage names people use)
from .hlt import HLT, HLT_PATHS, HLTPath, build_hlt
from .l1t import L1T, L1T_FITS, L1T_OUTCOMES, L1TObject, build_l1t, l1t_objects, l1t_slopes
from .scenarios import SCENARIOS

__all__ = [
    "HLT_PATHS",
    "HLTPath",
    "build_hlt",
    "L1T_FITS",
    "L1T_OUTCOMES",
    "L1TObject",
    "build_l1t",
    "l1t_objects",
    "l1t_slopes",
    "SCENARIOS",
    "STUDY",
]

register_classifier(L1T)
register_classifier(HLT)


def _variants():
    from .variants import published_variants  # the Compare view's rows (imports the widgets' Variant)

    return published_variants()


#: The CMS study's defaults for the widgets: its scenarios (with their markers), the L1
#: reduction ratio x L1 skill boost map of the seed analysis, the L1 stage, the nine variants.
STUDY = register_study(
    Study(
        "CMS",
        systems=tuple(n for n in list_systems() if n.startswith("cms-")),
        scenarios=SCENARIOS,
        axes=("Intermediate.reduction_ratio", "Intermediate.skill_boost"),
        stage="Intermediate",
        variants=_variants,
        default_system="cms-hllhc-pu200",
    )
)
