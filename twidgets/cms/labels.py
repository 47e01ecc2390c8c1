"""Names CMS physicists use for the stages of the bundled CMS systems (data, registered
with :mod:`twidgets.model.display`): ``"Intermediate.reduction_ratio"`` reads
``"L1 reduction ratio"``, ``"Global.skill_boost"`` reads ``"HLT skill boost"``."""

from __future__ import annotations

from ..model.display import register_stage_labels

#: Stage name in the bundled workbooks -> the name used in CMS talks.
STAGE_LABELS = {
    "Intermediate": "L1",
    "Global": "HLT",
    "Disk": "Storage",
    "Tracking": "Tracking readout",
    "Timing": "Timing readout",
    "Calorimetry": "Calorimeter readout",
    "Muon": "Muon readout",
}

register_stage_labels(STAGE_LABELS)
