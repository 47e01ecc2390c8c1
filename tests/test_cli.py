"""The command line: `twidgets evaluate`, `twidgets sweep`, errors (one line, exit 2)."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import twidgets
from twidgets.cli import build_parser, main
from twidgets.model.sweep import read_provenance

RR = "Intermediate.reduction_ratio"
BOOST = "Intermediate.skill_boost"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ evaluate
def test_evaluate_json_equals_the_api(capsys, pu200):
    code, out, err = run(
        capsys,
        "evaluate",
        "cms-hllhc-pu200",
        "--set",
        f"{BOOST}=0.4",
        "--set",
        "Global.complexity=hlt-gpu",
        "--seed",
        "3",
        "--json",
    )
    assert code == 0 and err == ""
    doc = json.loads(out)
    ev = twidgets.evaluate(pu200, {BOOST: 0.4, "Global.complexity": "hlt-gpu"}, seed=3)
    assert doc["overrides"] == {BOOST: 0.4, "Global.complexity": "hlt-gpu"}
    assert doc["seed"] == 3 and doc["year"] == 2032
    for key in ("power_W", "scaled_power_W", "f1", "precision", "recall", "productivity_per_kJ", "output_rate_Hz"):
        assert doc["headline"][key] == ev.headline()[key], key
    assert list(doc["stages"]) == list(ev.stages.index)
    assert doc["stages"]["Global"]["input_rate"] == ev.value("Global", "input_rate")
    assert doc["stages"]["Intermediate"]["contingency"] == ev.node("Intermediate").contingency.tolist()
    assert doc["stages"]["Inner Tracker"]["threshold"] is None  # NaN -> null: strict JSON


def test_evaluate_text_table_and_headline(capsys, pu200):
    code, out, err = run(capsys, "evaluate", "cms-hllhc-pu200")
    assert code == 0 and err == ""
    ev = twidgets.evaluate(pu200)
    for name in pu200.stage_names + pu200.detector_names:
        assert name in out
    lines = {
        line.split()[0]: line.split()[1]
        for line in out.splitlines()
        if line.split() and line.split()[0] in ("f1", "power_W", "scaled_power_W")
    }
    assert float(lines["f1"]) == pytest.approx(ev.f1, rel=1e-5)
    assert float(lines["scaled_power_W"]) == pytest.approx(ev.scaled_power, rel=1e-5)


def test_evaluate_a_workbook_path(capsys, pu200, tmp_path):
    path = tmp_path / "mine.xlsx"
    pu200.with_stage("Intermediate", reduction_ratio=80).to_xlsx(path)
    code, out, _ = run(capsys, "evaluate", str(path), "--json")
    assert code == 0
    assert json.loads(out)["headline"]["f1"] == twidgets.evaluate(pu200, {RR: 80.0}).f1


# ------------------------------------------------------------------ sweep
def test_sweep_csv_equals_the_api(capsys, pu200, tmp_path):
    out_csv = tmp_path / "s.csv"
    code, out, err = run(
        capsys,
        "sweep",
        "cms-hllhc-pu200",
        "--param",
        f"{RR}=450:40:5",
        "--param",
        f"{BOOST}=0,0.5,1",
        "--metric",
        "f1",
        "--metric",
        "scaled_power",
        "--repeats",
        "2",
        "--seed",
        "4",
        "--out",
        str(out_csv),
    )
    assert code == 0 and "wrote" in out and err == ""
    api = twidgets.sweep(
        pu200, {RR: np.linspace(450, 40, 5), BOOST: [0.0, 0.5, 1.0]}, metrics=["f1", "scaled_power"], repeats=2, seed=4
    )
    df = pd.read_csv(out_csv, comment="#")
    pd.testing.assert_frame_equal(df, api.to_dataframe(), check_exact=True)
    prov = read_provenance(out_csv)
    assert prov["params"] == {k: list(v) for k, v in api.provenance["params"].items()}
    assert (prov["seed"], prov["repeats"], prov["system"]) == (4, 2, "cms-hllhc-pu200")


def test_sweep_to_stdout(capsys, pu200):
    code, out, _ = run(
        capsys, "sweep", "cms-hllhc-pu200", "--param", "year=2030:2034:3", "--metric", "scaled_power", "--quiet"
    )
    assert code == 0 and out.startswith("# twidgets sweep result")
    df = pd.read_csv(io.StringIO(out), comment="#")
    np.testing.assert_array_equal(
        df["scaled_power"], twidgets.sweep(pu200, {"year": [2030, 2032, 2034]}).metric("scaled_power")
    )


def test_sweep_on_local_worker_processes(capsys, pu200, tmp_path):
    out_csv = tmp_path / "w.csv"
    code, _, err = run(
        capsys,
        "sweep",
        "cms-hllhc-pu200",
        "--param",
        f"{RR}=400:50:4",
        "--param",
        f"{BOOST}=0:1:3",
        "--workers",
        "2",
        "--out",
        str(out_csv),
    )
    assert code == 0, err
    api = twidgets.sweep(pu200, {RR: np.linspace(400, 50, 4), BOOST: np.linspace(0, 1, 3)})
    pd.testing.assert_frame_equal(pd.read_csv(out_csv, comment="#"), api.to_dataframe(), check_exact=True)
    assert read_provenance(out_csv)["executor"] == "ProcessPoolExecutor"


def test_python_dash_m_twidgets_sweep(pu200, tmp_path):
    out_csv = tmp_path / "m.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "twidgets",
            "sweep",
            "cms-hllhc-pu200",
            "--param",
            f"{RR}=450:40:4",
            "--param",
            f"{BOOST}=0:1:3",
            "--out",
            str(out_csv),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    api = twidgets.sweep(pu200, {RR: np.linspace(450, 40, 4), BOOST: np.linspace(0, 1, 3)})
    pd.testing.assert_frame_equal(pd.read_csv(out_csv, comment="#"), api.to_dataframe(), check_exact=True)


# ------------------------------------------------------------------ errors
BAD = [
    (["evaluate", "no-such-system"], "neither a bundled system"),
    (["evaluate", "missing/dir/x.xlsx"], "no workbook at"),
    (["evaluate", "cms-hllhc-pu200", "--set", "Nowhere.reduction_ratio=2"], "no detector or stage named 'Nowhere'"),
    (["evaluate", "cms-hllhc-pu200", "--set", f"{RR}=0.5"], "not a reduction ratio >= 1"),
    (["evaluate", "cms-hllhc-pu200", "--set", f"{RR}"], "expected Stage.param=VALUE"),
    (["evaluate", "cms-hllhc-pu200", "--set", "Intermediate.classifier=Magic"], "Magic"),
    (["evaluate", "cms-hllhc-pu200", "--seed", "x"], "invalid int value"),
    (["evaluate", "cms-hllhc-pu200", "--seed", "-1"], "seed"),
    (["sweep", "cms-hllhc-pu200"], "--param"),
    (["sweep", "cms-hllhc-pu200", "--param", f"{RR}=450:40"], "START:STOP:NUM"),
    (["sweep", "cms-hllhc-pu200", "--param", f"{RR}=450:40:0"], "NUM must be a whole number >= 1"),
    (["sweep", "cms-hllhc-pu200", "--param", f"{RR}=a,b"], "START:STOP:NUM"),
    (["sweep", "cms-hllhc-pu200", "--param", f"{RR}=0.5:40:3"], "'Intermediate.reduction_ratio': 0.5 is not"),
    (["sweep", "cms-hllhc-pu200", "--param", "Intermediate.speed=1:2:2"], "'speed' is not a numeric parameter"),
    (["sweep", "cms-hllhc-pu200", "--param", f"{RR}=2:3:2", "--param", f"{RR}=4:5:2"], "given twice"),
    (["sweep", "cms-hllhc-pu200", "--param", f"{RR}=2:3:2", "--metric", "speed"], "invalid choice: 'speed'"),
    (["sweep", "cms-hllhc-pu200", "--param", f"{RR}=2:3:2", "--repeats", "0"], "repeats must be"),
    (["sweep", "cms-hllhc-pu200", "--param", f"{RR}=2:3:2", "--workers", "0"], "--workers must be >= 1"),
    (
        ["sweep", "cms-hllhc-pu200", "--param", f"{RR}=2:3:2", "--workers", "2", "--scheduler", "tcp://x:1"],
        "not allowed with argument",
    ),
    (["sweep", "cms-hllhc-pu200", "--param", f"{RR}=2:3:2", "--out", "/no/such/dir/out.csv"], "cannot write"),
    ([], "required: COMMAND"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
]


@pytest.mark.parametrize("argv, needle", BAD, ids=[" ".join(a)[:60] or "empty" for a, _ in BAD])
def test_bad_arguments_one_line_exit_2(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith("twidgets: error: ") and err.count("\n") == 1, err
    assert needle in err and "Traceback" not in err


def test_bad_arguments_in_a_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "twidgets", "sweep", "cms-hllhc-pu200", "--param", "Global.compression=0:1:3"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("twidgets: error: ") and proc.stderr.count("\n") == 1, proc.stderr
    assert "'Global.compression': 1.0 is not a fraction in [0, 1)" in proc.stderr


def test_help_and_version(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "evaluate" in out and "sweep" in out
    code, out, _ = run(capsys, "sweep", "--help")
    assert code == 0 and "START:STOP:NUM" in out
    code, out, _ = run(capsys, "--version")
    assert code == 0 and twidgets.__version__ in out


@pytest.mark.skipif(importlib.util.find_spec("twidgets.app") is None, reason="twidgets/app.py not written yet")
def test_app_subcommand_is_registered():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert {"app", "evaluate", "sweep"} <= set(sub.choices)
    assert callable(sub.choices["app"].get_default("func"))


def test_values_are_never_evaluated(capsys, tmp_path):
    marker = tmp_path / "pwned"
    code, _, err = run(
        capsys, "evaluate", "cms-hllhc-pu200", "--set", f"Global.complexity=__import__('os').system('touch {marker}')"
    )
    assert code == 2 and not marker.exists()
    assert err.count("\n") == 1 and not os.path.exists(marker)
