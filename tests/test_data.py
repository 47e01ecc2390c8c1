"""The bundled workbooks are what scripts/make_data.py writes from the published numbers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

import twidgets

ROOT = Path(__file__).resolve().parents[1]


def _make_data():
    spec = importlib.util.spec_from_file_location("make_data", ROOT / "scripts" / "make_data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_workbooks_equal_the_generator(tmp_path):
    _make_data().main(["--out", str(tmp_path)])
    for name in twidgets.list_systems():
        assert twidgets.System.from_xlsx(tmp_path / f"{name}.xlsx") == twidgets.load_system(name), name
    assert (tmp_path / "l1t_turn_on_curves.csv").read_text() == (ROOT / "data" / "l1t_turn_on_curves.csv").read_text()


@pytest.mark.parametrize(
    "name, total, rr, year",
    [
        ("cms-run3-pu60", 1_740_669, 400.0, 2024),  # sums of the published per-detector payloads
        ("cms-hllhc-pu140", 5_833_000, 80.0, 2028),
        ("cms-hllhc-pu200", 8_165_000, 53.3, 2032),
        ("cms-hllhc-pu200-smartpx", 8_165_000 - 1_440_000 + 662_400, 53.3, 2032),
    ],
)
def test_published_configurations(name, total, rr, year):
    s = twidgets.load_system(name)
    assert s.detectors["Data (bytes)"].sum() == total
    assert (s.detectors["Sample Rate"] == 40e6).all()
    assert s.param("Intermediate.reduction_ratio") == rr and s.year == year
    assert s.param("Intermediate.data_bytes") == 260_000
    assert s.param("Intermediate.classifier") == "L1T" and s.param("Intermediate.complexity") == "l1t-linear"
    assert s.param("Global.classifier") == "Gaussian" and s.param("Global.skill_mean") == 4
    assert s.param("Global.reduction_ratio") == 100 and s.param("Global.op_efficiency") == 16
    assert s.param("Global.complexity") == "hlt-cpu"


def test_low_power_links():
    s = twidgets.load_system("cms-hllhc-pu200-smartpx-lowpower")
    assert (s.detectors["Link Efficiency (J/bit)"] == 2.0e-12).all()
    st = s.stages.set_index("Name")
    assert (st.loc[["Tracking", "Timing", "Calorimetry", "Muon"], "Link Efficiency (J/bit)"] == 2.0e-12).all()
    assert st.loc["Intermediate", "Link Efficiency (J/bit)"] == 2.5e-11
    lp = twidgets.evaluate(s).link_power
    assert lp < twidgets.evaluate(twidgets.load_system("cms-hllhc-pu200-smartpx")).link_power


def test_curve_table_matches_the_published_fits():
    t = pd.read_csv(ROOT / "data" / "l1t_turn_on_curves.csv")
    assert set(t.object) == {"jet", "muon", "egamma", "tau"}
    mu = t[t.object == "muon"]
    assert mu.energy_GeV.min() == pytest.approx(3.6) and mu.energy_GeV.max() == pytest.approx(97.7)
    assert mu.efficiency.max() == pytest.approx(0.9411, abs=1e-3)
