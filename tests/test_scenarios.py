"""The published scenarios and the nine-variant table against the paper's headline figures.

The paper (Olin-Ammentorp, Wu, Chien 2024) reports 51.61 MW for the pile-up-200 baseline
and 20.46 MW (-60 %) with GPU HLT + L1 tracking + smart sensors, and productivities of
0.065 and 0.31 relevant samples per kJ. The published code drew unseeded Monte-Carlo
samples and solved thresholds with a general minimiser: its figures moved by 1-5 % from
run to run, so productivity is compared at 5 %. twidgets' exact threshold solve makes every
stage keep exactly input/RR, so the powers match to well under 0.5 %; with the measured L1
turn-on curves (the default ``published`` calibration) the baseline F1 averaged over a few
seeds lands inside the published code's run-to-run spread around its 0.448.
"""

from __future__ import annotations

import numpy as np
import pytest

from twidgets import evaluate, load_system
from twidgets.cms.scenarios import PUBLISHED, SCENARIOS, paper_table, scenario, scenario_table


@pytest.fixture(scope="module")
def table():
    return paper_table(seed=0)


def test_table_layout(table):
    assert list(table.columns) == [
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
    assert len(table) == 9
    assert table.iloc[0][["pileup", "l1_rr"]].tolist() == [60, 400.0]
    combos = {tuple(r) for r in table.iloc[1:][["gpu_hlt", "l1_tracking", "smart_sensors"]].itertuples(index=False)}
    assert len(combos) == 8 and (table.iloc[1:]["l1_rr"] == 53.3).all()


def test_headline_power(table):
    base = table[(table.pileup == 200) & ~table.gpu_hlt & ~table.l1_tracking & ~table.smart_sensors].iloc[0]
    best = table[table.gpu_hlt & table.l1_tracking & table.smart_sensors].iloc[0]
    assert base.power_MW == pytest.approx(PUBLISHED["baseline_power_MW"], rel=0.003)
    assert best.power_MW == pytest.approx(PUBLISHED["improved_power_MW"], rel=0.003)
    assert best.power_MW / base.power_MW - 1 == pytest.approx(PUBLISHED["power_change"], abs=0.01)


def test_headline_productivity(table):
    base = table[(table.pileup == 200) & ~table.gpu_hlt & ~table.l1_tracking & ~table.smart_sensors].iloc[0]
    best = table[table.gpu_hlt & table.l1_tracking & table.smart_sensors].iloc[0]
    assert base.productivity_per_kJ == pytest.approx(PUBLISHED["baseline_productivity_per_kJ"], rel=0.05)
    assert best.productivity_per_kJ == pytest.approx(PUBLISHED["improved_productivity_per_kJ"], rel=0.05)


#: F1 of the pile-up-200 baseline (L1 RR 53.3, CPU HLT, no L1 tracking) in the published code,
#: and the half-width of its run-to-run spread (unseeded Monte Carlo, minimiser landing).
PUBLISHED_BASELINE_F1 = 0.448
PUBLISHED_F1_SPREAD = 0.006


def test_baseline_f1_mean_over_seeds_is_inside_the_published_spread(table):
    f1 = [table.f1.iloc[1]] + [paper_table(seed=s).f1.iloc[1] for s in range(1, 5)]
    assert np.mean(f1) == pytest.approx(PUBLISHED_BASELINE_F1, abs=PUBLISHED_F1_SPREAD)


def test_stage_rates_are_exactly_input_over_rr():
    """Each selecting stage keeps input/RR (to the event: the two kept cells are whole events)."""
    system = load_system("cms-hllhc-pu200")
    for rr in (400.0, 53.3):
        ev = evaluate(system, {"Intermediate.reduction_ratio": rr})
        for stage, ratio in (("Intermediate", rr), ("Global", 100.0)):
            inp, out = ev.value(stage, "input_rate"), ev.value(stage, "output_rate")
            assert inp / ratio - 2 <= out <= inp / ratio, (stage, rr)
        assert ev.value("Intermediate", "input_rate") == 40e6


def test_each_improvement_helps(table):
    t = table.iloc[1:]
    for flag, col in (("gpu_hlt", "power_MW"), ("smart_sensors", "power_MW")):
        on, off = t[t[flag]].reset_index(drop=True), t[~t[flag]].reset_index(drop=True)
        assert (on[col] < off[col]).all()
    on, off = t[t.l1_tracking], t[~t.l1_tracking]
    assert on.f1.min() > off.f1.max()


def test_five_scenarios():
    assert [s.name for s in SCENARIOS] == [
        "Phase-1",
        "L1 Tracks",
        "Increased L1T accept (GPU)",
        "Phase-2 (L1 Tracks + GPU)",
        "Phase-2 + smart sensing",
    ]
    st = scenario_table()
    assert st.loc["Phase-2 + smart sensing", "productivity_per_kJ"] == st.productivity_per_kJ.max()
    assert scenario("phase-1").l1_rr == 400
    s = scenario("Phase-2 (L1 Tracks + GPU)").load()
    assert s.param("Global.complexity") == "hlt-gpu" and s.param("Intermediate.skill_boost") == 0.4
    with pytest.raises(KeyError):
        scenario("Phase-3")
