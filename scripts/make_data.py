"""Write the bundled configuration workbooks and curve tables into the top-level ``data/`` folder.

Every number comes from the published model (see the package documentation): detector
payloads per pile-up scenario, trigger stages, link and op efficiencies, years, the L1
turn-on points. Run ``python scripts/make_data.py`` after changing any of them; the test
suite checks that the committed files equal what this script writes.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"

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

# name: (payload column, L1 RR, year, smart pixels, low-power links)
SYSTEMS = {
    "cms-run3-pu60": (0, 400.0, 2024, False, False),
    "cms-hllhc-pu140": (1, 80.0, 2028, False, False),
    "cms-hllhc-pu200": (2, 53.3, 2032, False, False),
    "cms-hllhc-pu200-smartpx": (2, 53.3, 2032, True, False),
    "cms-hllhc-pu200-smartpx-lowpower": (2, 53.3, 2032, True, True),
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


# Digitised CMS L1 turn-on points (object: (energy GeV, efficiency) ...), the points the
# published model interpolates; each object's rows in increasing energy.
TURN_ON_POINTS = {
    "jet": (
        (53.96039604, 0.0),
        (101.4851485, 0.0),
        (131.1881188, 0.0),
        (165.3465347, 0.001236094),
        (186.8811881, 0.012360939),
        (203.960396, 0.028430161),
        (215.0990099, 0.043263288),
        (224.7524752, 0.065512979),
        (235.1485149, 0.09394314),
        (245.5445545, 0.131025958),
        (255.1980198, 0.182941904),
        (264.8514851, 0.25710754),
        (275.2475248, 0.337453646),
        (285.6435644, 0.453646477),
        (295.2970297, 0.592088999),
        (305.6930693, 0.718170581),
        (316.0891089, 0.81829419),
        (325.0, 0.882571075),
        (335.3960396, 0.923362176),
        (345.7920792, 0.948084054),
        (355.4455446, 0.966625464),
        (365.8415842, 0.976514215),
        (375.4950495, 0.981458591),
        (385.1485149, 0.986402967),
        (396.2871287, 0.988875155),
        (407.4257426, 0.990111248),
        (436.3861386, 0.992583436),
        (476.4851485, 0.99381953),
        (526.2376238, 0.99381953),
        (581.1881188, 0.992583436),
        (642.0792079, 0.99381953),
        (691.8316832, 0.99381953),
    ),
    "muon": (
        (3.56347438752784, 0.0),
        (8.017817371937639, 0.012330456226880395),
        (10.690423162583519, 0.03822441430332922),
        (11.469933184855234, 0.07521578298397041),
        (12.47216035634744, 0.12330456226880394),
        (13.474387527839644, 0.17385943279901356),
        (14.476614699331849, 0.2441430332922318),
        (15.590200445434299, 0.311960542540074),
        (16.592427616926503, 0.37731196054254007),
        (17.59465478841871, 0.45129469790382243),
        (18.48552338530067, 0.5388409371146733),
        (19.487750556792875, 0.6300863131935882),
        (20.601336302895323, 0.7139334155363749),
        (21.603563474387528, 0.7891491985203453),
        (22.605790645879733, 0.8372379778051788),
        (23.608017817371937, 0.87422934648582),
        (24.4988864142539, 0.8939580764488286),
        (25.389755011135858, 0.9075215782983971),
        (26.28062360801782, 0.9149198520345253),
        (27.060133630289535, 0.9235511713933415),
        (28.28507795100223, 0.9272503082614056),
        (29.287305122494434, 0.9309494451294698),
        (30.957683741648108, 0.9346485819975339),
        (33.073496659242764, 0.93711467324291),
        (34.85523385300668, 0.9395807644882861),
        (37.08240534521158, 0.9408138101109741),
        (38.97550111358575, 0.9420468557336622),
        (40.86859688195992, 0.9420468557336622),
        (42.98440979955457, 0.9432799013563502),
        (44.98886414253898, 0.9432799013563502),
        (46.99331848552339, 0.9445129469790382),
        (49.10913140311804, 0.9420468557336622),
        (52.67260579064588, 0.9408138101109741),
        (57.57238307349666, 0.9432799013563502),
        (62.472160356347445, 0.9420468557336622),
        (67.59465478841871, 0.9420468557336622),
        (72.49443207126949, 0.9432799013563502),
        (77.61692650334076, 0.9408138101109741),
        (82.62806236080179, 0.9420468557336622),
        (87.52783964365257, 0.9408138101109741),
        (92.65033407572383, 0.9408138101109741),
        (97.66146993318486, 0.9383477188655981),
    ),
    "egamma": (
        (1.0, 0.0),
        (5.0, 0.0),
        (9.579221636, 0.007425743),
        (11.07492321, 0.011138614),
        (13.58382789, 0.016089109),
        (16.57180808, 0.018564356),
        (18.95452704, 0.01980198),
        (20.99199313, 0.021039604),
        (22.87669237, 0.022277228),
        (25.06493087, 0.030940594),
        (26.8784921, 0.064356436),
        (28.51516218, 0.14480198),
        (29.60819293, 0.306930693),
        (30.74312126, 0.543316832),
        (31.58032313, 0.719059406),
        (32.61511417, 0.813118812),
        (33.50329448, 0.86509901),
        (34.60109543, 0.892326733),
        (35.54335832, 0.909653465),
        (36.51128106, 0.920792079),
        (37.70764458, 0.928217822),
        (39.15303755, 0.933168317),
        (40.43596339, 0.938118812),
        (41.98593708, 0.941831683),
        (44.06637757, 0.946782178),
        (47.50939098, 0.952970297),
        (54.92751672, 0.964108911),
        (64.8836624, 0.972772277),
        (84.88314657, 0.978960396),
        (150.0361919, 0.986386139),
        (251.323658, 0.992574257),
        (350.6906234, 0.995049505),
        (502.6706719, 0.995049505),
        (797.9646711, 0.997524752),
    ),
    "tau": (
        (0.25157232704402516, 0.0),
        (20.37735849056604, 0.022249690976514212),
        (21.257861635220127, 0.025957973),
        (22.38993710691824, 0.030902348578491962),
        (23.144654088050313, 0.037082818294190356),
        (24.654088050314467, 0.04697157),
        (26.79245283018868, 0.070457355),
        (28.80503144654088, 0.09394314),
        (31.069182389937108, 0.13473423980222496),
        (33.459119496855344, 0.23362175525339923),
        (37.35849056603774, 0.4697156983930778),
        (42.515723270440255, 0.7082818294190358),
        (47.54716981132076, 0.8529048207663782),
        (55.094339622641506, 0.9443757725587144),
        (65.15723270440252, 0.9826946847960444),
        (80.0, 0.9913473423980221),
        (100.0, 0.9938195302843015),
    ),
}


def write_curve_tables(directory: Path) -> None:
    """The measured L1 turn-on points (object, energy GeV, efficiency): the default curves."""
    with open(directory / "l1t_turn_on_points.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["object", "energy_GeV", "efficiency"])
        for obj, points in TURN_ON_POINTS.items():
            for e, eff in points:
                w.writerow([obj, repr(e), repr(eff)])


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=DATA)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    import sys

    sys.path.insert(0, str(ROOT))
    from twidgets.model.spec import System

    for name, spec in SYSTEMS.items():
        det, trig, glob = tables(*spec)
        System.from_frames(det, trig, glob, name=name).to_xlsx(args.out / f"{name}.xlsx")
    write_curve_tables(args.out)
    print(f"wrote {len(SYSTEMS)} workbooks and the curve table to {args.out}")


if __name__ == "__main__":
    main()
