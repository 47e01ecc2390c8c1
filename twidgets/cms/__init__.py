"""The CMS study: the L1T and HLT classifier models, registered with the generic core.

``import twidgets`` loads this package, which registers the ``L1T`` and ``HLT``
classifier kinds (:mod:`twidgets.model.registry`). The core (:mod:`twidgets.model`)
imports nothing from here.
"""

from __future__ import annotations

from ..model.registry import register_classifier
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
