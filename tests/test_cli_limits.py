"""The command line never hangs and never lies: bounded waits on fake schedulers, a
validated --connect-timeout, capped --workers, atomic --out, neutralised CSV text.

The fake schedulers are real servers started here on localhost: a TCP listener that
accepts and never says a word, an HTTP server, and a Dask scheduler with no workers.
"""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading

import numpy as np
import pandas as pd
import pytest

import twidgets
from twidgets.cli import main
from twidgets.executors import SchedulerError, cap_workers, check_handshake, usable_cpus
from twidgets.model.sweep_result import SweepResult

RR = "Intermediate.reduction_ratio"
BOOST = "Intermediate.skill_boost"


def _sweep_args(address, timeout="1"):
    return ["sweep", "cms-hllhc-pu200", "--param", f"{RR}=400:50:2", "--scheduler", address] + (
        ["--connect-timeout", timeout] if timeout is not None else []
    )


def _one_line_error(capsys, code):
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("twidgets: error: ") and err.count("\n") == 1, err
    return err


@pytest.fixture
def silent_listener():
    """A TCP server that accepts connections and never sends a byte."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    accepted = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                accepted.append(conn)  # held open, silent
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        yield f"tcp://127.0.0.1:{srv.getsockname()[1]}", accepted
    finally:
        stop.set()
        t.join()
        for c in accepted:
            c.close()
        srv.close()


@pytest.fixture
def http_server():
    """A real HTTP server (what the Dask dashboard port or a web proxy would be)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"tcp://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()
        t.join()


# ------------------------------------------------------------------ fake schedulers
def test_silent_listener_is_a_one_line_error_not_a_hang(silent_listener, capsys):
    address, accepted = silent_listener
    err = _one_line_error(capsys, main(_sweep_args(address)))
    assert "sent no Dask handshake within 1 s" in err and address in err
    assert accepted  # the connection really was made: the wait was for the first answer


def test_http_server_is_named_not_a_memory_error(http_server, capsys):
    err = _one_line_error(capsys, main(_sweep_args(http_server)))
    assert "speaks HTTP, not the Dask protocol" in err
    assert "MemoryError" not in err


def test_nobody_listening_is_a_one_line_error(capsys):
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    err = _one_line_error(capsys, main(_sweep_args(f"tcp://127.0.0.1:{port}")))
    assert "cannot connect to the Dask scheduler" in err


def test_handshake_check_reads_a_real_schedulers_first_frame():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp", dashboard_address=None) as cluster:
        check_handshake(cluster.scheduler_address, 5.0)  # a real scheduler passes


def test_scheduler_without_workers_is_a_one_line_error(capsys):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp", dashboard_address=None) as cluster:
        err = _one_line_error(capsys, main(_sweep_args(cluster.scheduler_address, "1")))
    assert "has no workers (waited 1 s)" in err and "dask worker" in err


@pytest.mark.parametrize("address", ["tcp://127.0.0.1", "tcp://127.0.0.1:notaport", "127.0.0.1:99999"])
def test_malformed_addresses_are_named(address):
    with pytest.raises(SchedulerError, match="port"):
        check_handshake(address, 1.0)


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "0", "-1", "abc", "1e400"])
def test_connect_timeout_must_be_finite_and_positive(value, capsys):
    err = _one_line_error(capsys, main(_sweep_args("tcp://127.0.0.1:9", value)))
    assert "--connect-timeout" in err
    assert "KeyError" not in err


# ------------------------------------------------------------------ --workers
def test_workers_are_capped_at_the_machine_and_the_work(pu200, tmp_path, capsys, monkeypatch):
    import concurrent.futures

    made = []
    real = concurrent.futures.ProcessPoolExecutor

    def recording(max_workers=None, **kw):
        made.append(max_workers)
        return real(max_workers=max_workers, **kw)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", recording)
    out = tmp_path / "w.csv"
    code = main(["sweep", "cms-hllhc-pu200", "--param", f"{RR}=400:50:5", "--workers", "1000", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert made == [1]  # a 5-point sweep is one block: one process, not 1000
    assert "--workers 1000 capped at 1 (1 block(s) of work)" in err
    api = twidgets.sweep(pu200, {RR: np.linspace(400, 50, 5)})
    pd.testing.assert_frame_equal(pd.read_csv(out, comment="#"), api.to_dataframe(), check_exact=True)


def test_cap_workers_rules():
    cpus = usable_cpus()
    assert cpus >= 1
    assert cap_workers(1, (5,), 1) == (1, "")
    big = (200, 200)  # 40,000 points: 3 blocks of 16,384
    assert cap_workers(1000, big, 4)[0] == min(cpus, 12)
    assert cap_workers(1000, big, 4)[1].startswith("--workers 1000 capped at")


# ------------------------------------------------------------------ --out
def test_out_directory_is_checked_before_sweeping(capsys, tmp_path):
    code = main(["sweep", "cms-hllhc-pu200", "--param", f"{RR}=400:50:2", "--out", str(tmp_path)])
    err = _one_line_error(capsys, code)
    assert "it is a directory" in err


def test_two_processes_writing_one_out_leave_one_complete_file(tmp_path):
    out = tmp_path / "same.csv"
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    grids = [f"{RR}=450:40:120", f"{RR}=400:50:90"]  # different sizes: a mix shows
    for _trial in range(2):
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "twidgets", "sweep", "cms-hllhc-pu200", "--param", g]
                + ["--param", f"{BOOST}=0:1:40", "--out", str(out), "--quiet"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
            )
            for g in grids
        ]
        for p in procs:
            _, err = p.communicate(timeout=300)
            assert p.returncode == 0, err.decode()
        back = SweepResult.from_csv(out)  # parses, and rows match its own provenance
        assert back.shape in ((120, 40), (90, 40))
        df = pd.read_csv(out, comment="#")
        assert len(df) == np.prod(back.shape) and not df.isna().any().any()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["same.csv"]  # no temporary left


def test_stage_names_that_look_like_formulas_are_neutralised_in_cli_csv(pu200, tmp_path, capsys):
    name = "+cmd|' /C calc'!A0"
    book = tmp_path / "evil.xlsx"
    pu200.rename("Global", name).to_xlsx(book)
    code = main(["sweep", str(book), "--param", f"{name}.reduction_ratio=50,100", "--metric", "f1", "--quiet"])
    out, err = capsys.readouterr()
    assert code == 0, err
    header = [line for line in out.splitlines() if not line.startswith("#")][0]
    assert header == f"'{name}.reduction_ratio,f1"


# ------------------------------------------------------------------ warnings
def test_year_outside_the_calibrated_range_is_one_warning_line(capsys):
    code = main(["evaluate", "cms-hllhc-pu200", "--set", "year=2300"])
    out, err = capsys.readouterr()
    assert code == 0 and "scaled_power_W" in out
    assert err.startswith("twidgets: warning: 'year' = 2300 lies outside") and err.count("\n") == 1, err
