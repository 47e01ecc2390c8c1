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
    assert (tmp_path / "l1t_turn_on_points.csv").read_text() == (ROOT / "data" / "l1t_turn_on_points.csv").read_text()


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


def test_curve_table_holds_the_measured_points():
    t = pd.read_csv(ROOT / "data" / "l1t_turn_on_points.csv")
    assert list(t.columns) == ["object", "energy_GeV", "efficiency"]
    assert list(dict.fromkeys(t.object)) == ["jet", "muon", "egamma", "tau"]
    assert t.efficiency.between(0, 1).all()
    for _, g in t.groupby("object"):
        assert g.energy_GeV.is_monotonic_increasing
    # each object's own energy range: the ranges of the published parametric fits (MODEL.md)
    ranges = t.groupby("object").energy_GeV.agg(["min", "max"])
    for obj, lo, hi in (("jet", 54, 692), ("muon", 3.6, 97.7), ("egamma", 1, 798), ("tau", 0.25, 100)):
        assert ranges.loc[obj, "min"] == pytest.approx(lo, abs=0.2) and ranges.loc[obj, "max"] == pytest.approx(
            hi, abs=0.2
        )


_WHERE = (
    "import sys, json; sys.path.insert(0, sys.argv[1]) if sys.argv[1] else None; import twidgets; "
    "from twidgets.model import io; s = twidgets.load_system('cms-hllhc-pu200'); "
    "print(json.dumps([twidgets.__file__, str(io.data_path('cms-hllhc-pu200.xlsx')), io.list_systems(), repr(s)]))"
)


@pytest.mark.parametrize("how", ["source checkout on sys.path", "installed (editable) package"])
def test_checkout_and_editable_install_find_the_top_level_data(how, tmp_path):
    import json
    import subprocess
    import sys

    path = str(ROOT) if how.startswith("source") else ""
    r = subprocess.run([sys.executable, "-c", _WHERE, path], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert r.returncode == 0, r.stderr
    module, data, names, system = json.loads(r.stdout)
    assert Path(module).is_relative_to(ROOT / "twidgets")
    assert Path(data) == ROOT / "data" / "cms-hllhc-pu200.xlsx"
    assert names == twidgets.list_systems() and "cms-hllhc-pu200" in names
    assert system.startswith("<System 'cms-hllhc-pu200'")


def test_data_path_names_what_is_bundled():
    from twidgets import SpecError
    from twidgets.model.io import data_path

    assert data_path("l1t_turn_on_points.csv").is_file()
    for bad in ("nope.xlsx", "../pyproject.toml", "data/cms-hllhc-pu200.xlsx"):
        with pytest.raises(SpecError, match="no bundled data file") as info:
            data_path(bad)
        assert "cms-hllhc-pu200.xlsx" in str(info.value)
