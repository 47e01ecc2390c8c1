"""The bundled CMS systems, described as data (written to ``data/`` by ``scripts/make_data.py``).

Payloads per event (bytes) of the 19 CMS detectors for Run 3 at pile-up 60 and the
HL-LHC at pile-up 140 and 200, the trigger stages (four category stages feeding the L1
``Intermediate`` stage, then the ``Global`` HLT stage and ``Disk``), link and op
efficiencies and years: the published model's configurations (MODEL.md section 6).
"""

from __future__ import annotations

import pandas as pd

__all__ = ["DETECTORS", "SYSTEMS", "DESCRIPTIONS", "tables"]

# (detector, category, Run 3 PU60, HL-LHC PU140, HL-LHC PU200) payloads in bytes per event
DETECTORS = [
    ("Inner Tracker", "Tracking", 436_667, 1_010_000, 1_440_000),
    ("Outer Tracker PS", "Tracking", 206_667, 500_000, 720_000),
    ("Outer Tracker 2S", "Tracking", 126_667, 300_000, 430_000),
    ("Track Finder TPG", "Tracking", 10_000, 10_000, 10_000),
    ("MIP Timing BTL", "Timing", 76_667, 170_000, 240_000),
    ("MIP Timing ETL", "Timing", 136_667, 310_000, 440_000),
    ("ECAL Barrel", "Calorimetry", 180_000, 420_000, 600_000),
    ("HCAL Barrel", "Calorimetry", 240_000, 240_000, 240_000),
    ("HCAL HO", "Calorimetry", 30_000, 30_000, 30_000),
    ("HCAL HF", "Calorimetry", 60_000, 60_000, 60_000),
    ("HGCAL", "Calorimetry", 0, 2_100_000, 3_000_000),
    ("HGCAL TPG Stage1", "Calorimetry", 0, 110_000, 150_000),
    ("HGCAL TPG Stage2", "Calorimetry", 0, 40_000, 50_000),
    ("Muon DT", "Muon", 56_667, 110_000, 150_000),
    ("Muon CSC", "Muon", 143_333, 330_000, 470_000),
    ("Muon GEM GE1", "Muon", 667, 2_000, 3_000),
    ("Muon GEM GE2", "Muon", 0, 1_000, 2_000),
    ("Muon GEM ME0", "Muon", 26_667, 80_000, 120_000),
    ("Muon RPC", "Muon", 10_000, 10_000, 10_000),
]
BUNCH_CROSSING_RATE = 40.0e6  # Hz
DETECTOR_LINK = 2.22e-11  # J/bit
TRIGGER_LINK = 2.5e-11  # J/bit
LOW_POWER_LINK = 2.0e-12  # J/bit
SMART_PIXEL_INNER_TRACKER = 662_400  # bytes
L1_PAYLOAD = 260_000  # bytes
L1_OP_EFFICIENCY = 0.003  # J/op
HLT_OP_EFFICIENCY = 16.0  # J/op (one core-second at 16 W)
HLT_RR = 100.0
CATEGORIES = ["Tracking", "Timing", "Calorimetry", "Muon"]

#: name: (payload column, L1 RR, year, smart pixels, low-power links)
SYSTEMS = {
    "cms-run3-pu60": (0, 400.0, 2024, False, False),
    "cms-hllhc-pu140": (1, 80.0, 2028, False, False),
    "cms-hllhc-pu200": (2, 53.3, 2032, False, False),
    "cms-hllhc-pu200-smartpx": (2, 53.3, 2032, True, False),
    "cms-hllhc-pu200-smartpx-lowpower": (2, 53.3, 2032, True, True),
}

#: One line per bundled system, for people.
DESCRIPTIONS = {
    "cms-run3-pu60": "CMS Run 3, pile-up 60, L1 RR 400, year 2024",
    "cms-hllhc-pu140": "CMS HL-LHC, pile-up 140, L1 RR 80, year 2028",
    "cms-hllhc-pu200": "CMS HL-LHC, pile-up 200, L1 RR 53.3, year 2032",
    "cms-hllhc-pu200-smartpx": "pile-up 200 with smart pixels (Inner Tracker 662,400 bytes)",
    "cms-hllhc-pu200-smartpx-lowpower": "smart pixels + low-energy links (2.0e-12 J/bit)",
}

DETECTOR_HEADER = [
    "Category",
    "Detector",
    "Data (bytes)",
    "Sample Rate",
    "Compression",
    "Link Efficiency (J/bit)",
    "Op Efficiency (J/op)",
]
TRIGGER_HEADER = [
    "Name",
    "Output",
    "Data (bytes)",
    "Reduction Ratio",
    "Classifier",
    "Skill mean",
    "Skill variance",
    "Link Efficiency (J/bit)",
    "Op Efficiency (J/op)",
    "Compression",
    "Skill boost",
    "Complexity",
]


def tables(column: int, l1_rr: float, year: int, smart: bool, low_power: bool):
    """The three tables of one configuration as DataFrames."""
    det_link = LOW_POWER_LINK if low_power else DETECTOR_LINK
    cat_link = LOW_POWER_LINK if low_power else TRIGGER_LINK
    det = []
    for name, cat, *payloads in DETECTORS:
        size = payloads[column]
        if smart and name == "Inner Tracker":
            size = SMART_PIXEL_INNER_TRACKER
        det.append([cat, name, float(size), BUNCH_CROSSING_RATE, 0.0, det_link, 0.0])
    trig = [[c, "Intermediate", 0.0, 1.0, "Dummy", None, None, cat_link, 0.0, 0.0, 0.0, None] for c in CATEGORIES]
    trig += [
        [
            "Intermediate",
            "Global",
            float(L1_PAYLOAD),
            l1_rr,
            "L1T",
            None,
            None,
            TRIGGER_LINK,
            L1_OP_EFFICIENCY,
            0.0,
            0.0,
            "l1t-linear",
        ],
        ["Global", "Disk", 0.0, HLT_RR, "Gaussian", 4.0, 1.0, TRIGGER_LINK, HLT_OP_EFFICIENCY, 0.0, 0.0, "hlt-cpu"],
        ["Disk", None, 0.0, 1.0, "Dummy", None, None, TRIGGER_LINK, 0.0, 0.0, 0.0, None],
    ]
    return (pd.DataFrame(det, columns=DETECTOR_HEADER), pd.DataFrame(trig, columns=TRIGGER_HEADER), {"Year": year})
