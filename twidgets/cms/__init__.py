"""The CMS study: data about the CMS trigger system that the generic core is told about.

Importing this package (``import twidgets`` does it) registers the ``L1T`` and ``HLT``
classifier kinds (:mod:`twidgets.model.registry`) and the stage names people use
(:mod:`twidgets.model.display`). The core (:mod:`twidgets.model`) imports nothing from here.
"""

from __future__ import annotations

from ..model.registry import register_classifier
from . import labels  # noqa: F401  (registers the stage names people use)
from .hlt import HLT, HLT_PATHS, HLTPath, build_hlt
from .l1t import L1T, L1T_FITS, L1T_OUTCOMES, L1TObject, build_l1t, l1t_objects, l1t_slopes

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
]

register_classifier(L1T)
register_classifier(HLT)
