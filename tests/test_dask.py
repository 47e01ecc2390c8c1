"""Sweeps on a real Dask cluster (2 worker processes) equal the local sweeps exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import twidgets
from twidgets.cli import main
from twidgets.model.sweep import read_provenance

distributed = pytest.importorskip("distributed")

RR = "Intermediate.reduction_ratio"
BOOST = "Intermediate.skill_boost"


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def test_dask_sweep_equals_local(client, pu200):
    params = {RR: np.linspace(450, 40, 7), BOOST: np.linspace(0, 1, 4), "Global.reduction_ratio": [50.0, 100.0]}
    local = twidgets.sweep(pu200, params, chunk_size=9, repeats=2, seed=1)
    remote = twidgets.sweep(pu200, params, chunk_size=9, repeats=2, seed=1, executor=client)
    assert remote.shape == local.shape == (7, 4, 2)
    for m in local.metrics:
        assert np.array_equal(remote.metric(m), local.metric(m), equal_nan=True), m
        assert np.array_equal(remote.spread(m), local.spread(m), equal_nan=True), m
    assert remote.provenance["executor"] == "Client"
    # the work really ran on the workers: they hold the seeds' L1T samples now
    pids = set(client.run(lambda: __import__("os").getpid()).values())
    assert len(pids) == 2 and __import__("os").getpid() not in pids


def test_cli_sweep_on_a_scheduler(client, pu200, tmp_path, capsys):
    out_csv = tmp_path / "d.csv"
    code = main(
        [
            "sweep",
            "cms-hllhc-pu200",
            "--param",
            f"{RR}=400:50:5",
            "--param",
            "year=2030,2032",
            "--scheduler",
            client.scheduler.address,
            "--out",
            str(out_csv),
            "--quiet",
        ]
    )
    assert code == 0, capsys.readouterr().err
    api = twidgets.sweep(pu200, {RR: np.linspace(400, 50, 5), "year": [2030.0, 2032.0]})
    pd.testing.assert_frame_equal(pd.read_csv(out_csv, comment="#"), api.to_dataframe(), check_exact=True)
    assert read_provenance(out_csv)["executor"] == "Client"


def test_cli_unreachable_scheduler_is_one_line(capsys):
    code = main(
        [
            "sweep",
            "cms-hllhc-pu200",
            "--param",
            f"{RR}=400:50:2",
            "--scheduler",
            "tcp://127.0.0.1:9",
            "--connect-timeout",
            "1",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("twidgets: error: cannot connect") and err.count("\n") == 1, err


def test_sweep_on_a_cluster_without_workers_fails_instead_of_hanging(pu200, monkeypatch):
    from twidgets.model import sweep as sweep_module

    monkeypatch.setattr(sweep_module, "WORKER_CHECK_SECONDS", 0.5)
    with (
        distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster,
        distributed.Client(cluster) as empty,
        pytest.raises(sweep_module.NoWorkersError, match="no workers"),
    ):
        twidgets.sweep(pu200, {RR: [50.0, 100.0]}, executor=empty, progress=False)
