"""A second, non-CMS system: a sensor network with three levels and generic classifiers.

Nothing in twidgets knows it: every widget and the CLI must work on it with no code
change (tests/test_generic_system.py). Two cameras and a microphone (sources at 1 MHz)
feed two category stages, then ``Edge`` (Gaussian, keeps 1 in 20), ``Datacenter``
(Gaussian, 1 in 10) and ``Archive`` (the sink).
"""

from __future__ import annotations

import pandas as pd

from twidgets import System

DETECTORS = pd.DataFrame(
    [
        ["Video", "Camera A", 2.0e4, 1.0e6, 0.5, 1.0e-10, 0.0],
        ["Video", "Camera B", 1.5e4, 1.0e6, 0.5, 1.0e-10, 0.0],
        ["Audio", "Microphone", 4.0e2, 1.0e6, 0.0, 5.0e-11, 0.0],
    ],
    columns=[
        "Category",
        "Detector",
        "Data (bytes)",
        "Sample Rate",
        "Compression",
        "Link Efficiency (J/bit)",
        "Op Efficiency (J/op)",
    ],
)
STAGES = pd.DataFrame(
    [
        ["Video", "Edge", 0.0, 1.0, "Dummy", None, None, 1.0e-10, 0.0, 0.0],
        ["Audio", "Edge", 0.0, 1.0, "Dummy", None, None, 1.0e-10, 0.0, 0.0],
        ["Edge", "Datacenter", 1.0e4, 20.0, "Gaussian", 2.5, 1.0, 3.0e-11, 1.0e-6, 0.2],
        ["Datacenter", "Archive", 5.0e3, 10.0, "Gaussian", 3.0, 1.2, 3.0e-11, 2.0e-3, 0.0],
        ["Archive", None, 0.0, 1.0, "Dummy", None, None, 3.0e-11, 0.0, 0.0],
    ],
    columns=[
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
    ],
)
#: The stages that select events, first to last.
SELECTING = ("Edge", "Datacenter")
#: Two parameters that trade off, for the explorer.
X, Y = "Edge.reduction_ratio", "Edge.skill_boost"


def sensor_network() -> System:
    """The sensor-network System (year 2025)."""
    return System.from_frames(DETECTORS, STAGES, {"Year": 2025}, name="sensor-network")
