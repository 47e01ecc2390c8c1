"""The served app's sessions (issue 12 §2, issue 13 §5): cap and "full" page, foreign Host and
Origin refused, kernels of closed tabs released, the query string in preheated kernels, and the
Voila child dying with `twidgets app`."""

from __future__ import annotations

import asyncio
import html
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta
from types import SimpleNamespace

import nbformat
import psutil
import pytest
from app_server import AppProcess, free_port, served_app

from twidgets import app, app_page


def _get(url, headers=None, timeout=180):
    """(status, headers, body) of a GET; HTTP errors give their status and body."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), html.unescape(r.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), html.unescape(e.read().decode("utf-8", "replace"))


def _voila(proc):
    kids = psutil.Process(proc.pid).children(recursive=True)
    (voila,) = [k for k in kids if k.cmdline()[1:3] == ["-m", "twidgets.app_voila"]]
    return voila


def _kernel_count(proc):
    return sum(
        1
        for k in psutil.Process(proc.pid).children(recursive=True)
        if any(w.startswith("ipykernel") or w.endswith("ipykernel_launcher") for w in k.cmdline())
    )


# ------------------------------------------------------------------------------ page_query_string
def test_page_query_string_outside_voila_and_in_a_kernel_started_for_the_visitor(monkeypatch):
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.delenv("QUERY_STRING", raising=False)
    assert app_page.page_query_string() == ""  # JupyterLab, nbclient
    monkeypatch.setenv("VOILA_PREHEAT", "False")  # Voila started this kernel for the request
    monkeypatch.setenv("QUERY_STRING", "system=cms-run3-pu60&Level-1.reduction_ratio=400")
    assert app_page.page_query_string() == "system=cms-run3-pu60&Level-1.reduction_ratio=400"
    assert not app_page.is_preheated()


@pytest.mark.slow
@pytest.mark.parametrize("preheat", [1, 0])
def test_the_query_string_reaches_the_notebook_with_and_without_preheat(tmp_path, preheat):
    """A notebook printing page_query_string(), served like the app: the visitor's query comes out."""
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("import twidgets.app_page as p"),
            nbformat.v4.new_code_cell("print('QUERY<' + p.page_query_string() + '>')"),
        ],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    path = tmp_path / "echo.ipynb"
    nbformat.write(nb, path)
    port = free_port()
    cmd = app.voila_command("127.0.0.1", port, notebook=path, preheat=preheat, max_sessions=3)
    env = dict(os.environ, JUPYTER_PATH=str(app.TEMPLATE_ROOT))
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = []
    threading.Thread(target=lambda: log.extend(proc.stderr), daemon=True).start()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                status, _, body = _get(f"http://127.0.0.1:{port}/?system=cms-run3-pu60&x=1%202", timeout=180)
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert status == 200
        assert "QUERY<system=cms-run3-pu60&x=1%202>" in body
        # and a second visitor gets their own query string (the pool refilled, or a new kernel)
        status, _, body = _get(f"http://127.0.0.1:{port}/?second=yes", timeout=180)
        assert status == 200 and "QUERY<second=yes>" in body
        used_pool = any("Using pre-heated kernel" in line for line in log)
        assert used_pool == bool(preheat), "".join(log[-20:])
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# ------------------------------------------------------------------------- the kernel manager alone
def _manager(**kw):
    from twidgets.app_voila import SessionKernelManager

    km = SessionKernelManager(**kw)
    shut = []

    async def shutdown_kernel(kernel_id, *a, **k):
        shut.append(kernel_id)
        km._kernels.pop(kernel_id, None)

    km.shutdown_kernel = shutdown_kernel
    return km, shut


def _fake_kernel(km, kid, idle_s, state="idle", connections=0):
    from jupyter_server._tz import utcnow

    km._kernels[kid] = SimpleNamespace(
        last_activity=utcnow() - timedelta(seconds=idle_s),
        execution_state=state,
        kernel_name="python3",
        kernel_spec=SimpleNamespace(metadata={}),
    )
    km._kernel_connections[kid] = 0
    for _ in range(connections):  # pages connecting, as Jupyter's websocket handler reports them
        km.notify_connect(kid)


def test_kernels_whose_page_left_go_after_a_minute_never_connected_after_five_open_idle_after_ten():
    km, shut = _manager(
        cull_disconnected_timeout=60, cull_unconnected_timeout=300, cull_idle_timeout=600, cull_connected=True
    )
    _fake_kernel(km, "open-tab", idle_s=300, connections=1)
    _fake_kernel(km, "open-tab-idle", idle_s=601, connections=1)
    _fake_kernel(km, "tab-closed", idle_s=61, connections=1)  # connected, then its tab closes
    _fake_kernel(km, "tab-closed-recent", idle_s=30, connections=1)
    _fake_kernel(km, "never-connected-slow-page", idle_s=200)  # a page still loading on a busy server
    _fake_kernel(km, "never-connected", idle_s=301)
    _fake_kernel(km, "never-connected-but-executing", idle_s=900, state="busy")

    async def cull():
        for kid in list(km._kernels):
            await km.cull_kernel_if_idle(kid)

    asyncio.run(cull())
    assert sorted(shut) == ["never-connected", "open-tab-idle"]
    km.notify_disconnect("tab-closed")  # the tabs close
    km.notify_disconnect("tab-closed-recent")
    asyncio.run(cull())
    assert sorted(shut) == ["never-connected", "open-tab-idle", "tab-closed"]


def test_visitor_sessions_do_not_count_the_pool_and_starts_past_the_cap_are_refused():
    from tornado.web import HTTPError

    km, _ = _manager(max_sessions=2)
    _fake_kernel(km, "a", 0)
    assert km.visitor_sessions() == 1 and not km.is_full()
    _fake_kernel(km, "b", 0)
    assert km.is_full()
    with pytest.raises(HTTPError) as err:
        asyncio.run(km.start_kernel(kernel_name="python3", env={"VOILA_PREHEAT": "False"}))
    assert err.value.status_code == 503 and "2 sessions" in err.value.log_message % err.value.args


# ---------------------------------------------------------------------------------- a live server
@pytest.fixture(scope="module")
def capped():
    """``twidgets app --preheat 0 --max-sessions 1``: no kernel until a visitor comes."""
    with served_app(preheat=0, max_sessions=1) as server:
        yield server


def test_foreign_host_and_origin_are_refused_without_starting_a_kernel(capped):
    before = _kernel_count(capped.proc)
    status, _, _ = _get(capped.url, headers={"Host": "attacker.example:80"}, timeout=30)
    assert status == 403
    status, _, _ = _get(capped.url, headers={"Origin": "http://attacker.example"}, timeout=30)
    assert status == 403
    status, _, _ = _get(capped.url, headers={"Host": "evil.example", "Origin": "http://evil.example"}, timeout=30)
    assert status == 403
    assert _kernel_count(capped.proc) == before == 0


def test_over_the_cap_a_visitor_gets_the_full_page_at_once(capped):
    first = {}
    t = threading.Thread(target=lambda: first.update(r=_get(capped.url + "?first")), daemon=True)
    t.start()
    assert capped.wait_for_stderr(r"Kernel started", timeout=120), "".join(capped.stderr[-20:])
    t0 = time.monotonic()
    status, headers, body = _get(capped.url + "?second", timeout=30)
    assert status == 503
    assert time.monotonic() - t0 < 10  # answered, not queued behind the running session
    assert "The app is full" in body and "at most 1 session at once" in body
    assert headers.get("Retry-After") == "60"
    t.join(timeout=240)
    assert first["r"][0] == 200  # the visitor inside the cap got the app


def _sigterm_proof_wait(proc, timeout):
    try:
        proc.wait(timeout=timeout)
    except psutil.TimeoutExpired:
        return False
    return True


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGHUP])
def test_the_voila_child_dies_with_the_launcher(sig):
    port = free_port()
    server = AppProcess(["--no-browser", "--port", str(port), "--preheat", "0", "--max-sessions", "1"])
    try:
        server.wait_url()
        voila = _voila(server.proc)
        os.kill(server.proc.pid, sig)
        server.proc.wait(timeout=30)
        assert _sigterm_proof_wait(voila, 30), f"Voila still running after {sig.name} to twidgets app"
        # and the port is free again
        assert app._port_free("127.0.0.1", port)
    finally:
        server.stop()


def test_voila_is_not_imported_by_the_page_helper():
    r = subprocess.run(
        [sys.executable, "-c", "import sys, twidgets.app_page; print('voila' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.stdout.strip() == "False", r.stderr
