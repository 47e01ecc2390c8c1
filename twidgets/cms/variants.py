"""The nine published variants of the CMS study as :class:`~twidgets.widgets.compare_data.Variant`
records (the rows of :func:`twidgets.cms.scenarios.paper_table`, in its order)."""

from __future__ import annotations

import itertools

from ..widgets.compare_data import Variant
from .scenarios import L1_TRACKING_BOOST, PAPER_YEAR

__all__ = ["published_variants"]


def published_variants() -> list[Variant]:
    """The nine published variants, in the order of :func:`paper_table`'s rows."""
    out = [
        Variant(
            "Run 3, PU 60",
            "cms-run3-pu60",
            {"Intermediate.reduction_ratio": 400.0, "year": PAPER_YEAR},
            "Run 3 at pile-up 60, L1 reduction ratio 400",
        )
    ]
    for smart, tracking, gpu in itertools.product((False, True), repeat=3):
        extras = [t for t, on in (("L1 tracks", tracking), ("GPU HLT", gpu), ("smart sensors", smart)) if on]
        out.append(
            Variant(
                "PU 200" + (" + " + " + ".join(extras) if extras else ""),
                "cms-hllhc-pu200-smartpx" if smart else "cms-hllhc-pu200",
                {
                    "Intermediate.reduction_ratio": 53.3,
                    "Intermediate.skill_boost": L1_TRACKING_BOOST if tracking else 0.0,
                    "Global.complexity": "hlt-gpu" if gpu else "hlt-cpu",
                    "year": PAPER_YEAR,
                },
                "HL-LHC at pile-up 200, L1 reduction ratio 53.3",
            )
        )
    return out
