"""The published scenarios and the nine-variant comparison table.

The seed analysis compares five CMS scenarios at pile-up 200 (power scaled to 2032):

======================================  ========  =====  ===========  ================
scenario                                HLT       L1 RR  skill boost  configuration
======================================  ========  =====  ===========  ================
Phase-1                                 CPU       400    0.0          pile-up 200
L1 Tracks                               CPU       400    0.4          pile-up 200
Increased L1T accept (GPU)              GPU       53.3   0.0          pile-up 200
Phase-2 (L1 Tracks + GPU)               GPU       53.3   0.4          pile-up 200
Phase-2 + smart sensing                 GPU       53.3   0.4          smart pixels
======================================  ========  =====  ===========  ================

:func:`paper_table` evaluates the nine published variants: Run 3 at pile-up 60 with L1
RR 400, then all eight combinations at pile-up 200 / L1 RR 53.3 of {GPU HLT, L1
tracking (L1T skill boost 0.4), smart sensors}.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pandas as pd

from ..model.evaluate import evaluate
from ..model.io import load_system

__all__ = [
    "Scenario",
    "SCENARIOS",
    "scenario",
    "paper_table",
    "scenario_table",
    "PUBLISHED",
    "L1_TRACKING_BOOST",
    "PAPER_YEAR",
]

#: L1T skill boost that models L1 tracking.
L1_TRACKING_BOOST = 0.4
#: Year whose technology every row of the paper's table is scaled to.
PAPER_YEAR = 2032
#: The paper's headline figures (power in MW at 2032 technology, productivity per kJ).
PUBLISHED = {
    "baseline_power_MW": 51.61,
    "improved_power_MW": 20.46,
    "power_change": -0.60,
    "baseline_productivity_per_kJ": 0.065,
    "improved_productivity_per_kJ": 0.31,
}


@dataclass(frozen=True)
class Scenario:
    """A named point of the design space: a bundled system plus parameter overrides."""

    name: str
    system: str
    l1_rr: float
    skill_boost: float
    gpu_hlt: bool
    marker: str = "circle"
    description: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def overrides(self) -> dict:
        """``"Stage.param"`` overrides that turn the bundled system into this scenario."""
        ov = {
            "Intermediate.reduction_ratio": self.l1_rr,
            "Intermediate.skill_boost": self.skill_boost,
            "Global.complexity": "hlt-gpu" if self.gpu_hlt else "hlt-cpu",
        }
        ov.update(self.extra)
        return ov

    def load(self):
        """The scenario as a System (structural overrides applied, numbers set)."""
        return load_system(self.system).with_params(self.overrides)

    def evaluate(self, seed: int = 0, **kw):
        return evaluate(load_system(self.system), self.overrides, seed=seed, **kw)


SCENARIOS = (
    Scenario("Phase-1", "cms-hllhc-pu200", 400.0, 0.0, False, "circle", "today's L1 accept rate and skill, CPU HLT"),
    Scenario(
        "L1 Tracks",
        "cms-hllhc-pu200",
        400.0,
        L1_TRACKING_BOOST,
        False,
        "square",
        "L1 tracking improves the L1 trigger's skill",
    ),
    Scenario(
        "Increased L1T accept (GPU)",
        "cms-hllhc-pu200",
        53.3,
        0.0,
        True,
        "cross",
        "the Phase-2 L1 accept rate with a GPU HLT",
    ),
    Scenario(
        "Phase-2 (L1 Tracks + GPU)",
        "cms-hllhc-pu200",
        53.3,
        L1_TRACKING_BOOST,
        True,
        "star",
        "L1 tracking, Phase-2 accept rate, GPU HLT",
    ),
    Scenario(
        "Phase-2 + smart sensing",
        "cms-hllhc-pu200-smartpx",
        53.3,
        L1_TRACKING_BOOST,
        True,
        "diamond",
        "Phase-2 with on-detector data reduction in the Inner Tracker",
    ),
)


def scenario(name: str) -> Scenario:
    """Look a scenario up by name (case-insensitive)."""
    for s in SCENARIOS:
        if s.name.lower() == name.lower():
            return s
    raise KeyError(f"no scenario {name!r}; scenarios: {', '.join(s.name for s in SCENARIOS)}")


def _row(ev, **cols):
    return dict(
        cols,
        power_MW=ev.scaled_power / 1e6,
        precision=ev.precision,
        recall=ev.recall,
        f1=ev.f1,
        productivity_per_kJ=ev.productivity_per_kJ,
    )


def scenario_table(seed: int = 0) -> pd.DataFrame:
    """The five scenarios: power (MW at 2032), precision, recall, F1, productivity per kJ."""
    rows = []
    for s in SCENARIOS:
        ev = evaluate(load_system(s.system), dict(s.overrides, year=PAPER_YEAR), seed=seed)
        rows.append(_row(ev, scenario=s.name, l1_rr=s.l1_rr, skill_boost=s.skill_boost, gpu_hlt=s.gpu_hlt))
    return pd.DataFrame(rows).set_index("scenario")


def paper_table(seed: int = 0) -> pd.DataFrame:
    """The nine published variants; power and productivity at 2032 technology for every row.

    Columns: ``pileup, l1_rr, gpu_hlt, l1_tracking, smart_sensors, power_MW, precision,
    recall, f1, productivity_per_kJ``.
    """
    rows = []
    run3 = load_system("cms-run3-pu60")
    ev = evaluate(run3, {"Intermediate.reduction_ratio": 400.0, "year": PAPER_YEAR}, seed=seed)
    rows.append(_row(ev, pileup=60, l1_rr=400.0, gpu_hlt=False, l1_tracking=False, smart_sensors=False))
    base = load_system("cms-hllhc-pu200")
    smart = load_system("cms-hllhc-pu200-smartpx")
    for smart_sensors, l1_tracking, gpu in itertools.product((False, True), repeat=3):
        system = smart if smart_sensors else base
        ov = {
            "Intermediate.reduction_ratio": 53.3,
            "Intermediate.skill_boost": L1_TRACKING_BOOST if l1_tracking else 0.0,
            "Global.complexity": "hlt-gpu" if gpu else "hlt-cpu",
            "year": PAPER_YEAR,
        }
        ev = evaluate(system, ov, seed=seed)
        rows.append(_row(ev, pileup=200, l1_rr=53.3, gpu_hlt=gpu, l1_tracking=l1_tracking, smart_sensors=smart_sensors))
    cols = [
        "pileup",
        "l1_rr",
        "gpu_hlt",
        "l1_tracking",
        "smart_sensors",
        "power_MW",
        "precision",
        "recall",
        "f1",
        "productivity_per_kJ",
    ]
    return pd.DataFrame(rows, columns=cols)
