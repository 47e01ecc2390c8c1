"""Smoke test: the same dashboard renders in JupyterLab (app.ipynb, run all cells)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from app_server import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    work = tmp_path_factory.mktemp("lab")
    shutil.copy(ROOT / "notebooks" / "app.ipynb", work / "app.ipynb")
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.allow_root=True",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={work}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
    ]
    # keep the server's runtime files and Lab's workspace state out of the user's home
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(work / ".runtime"), JUPYTERLAB_WORKSPACES_DIR=str(work / ".ws"))
    log = open(work / "lab.log", "w")
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"jupyter lab exited: {(work / 'lab.log').read_text()[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("jupyter lab did not start within 120 s") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_dashboard_renders_in_jupyterlab(browser, lab, timings):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors, plotly_requests = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda r: plotly_requests.append(r.url) if r.url.endswith("plotly.min.js") and r.method == "GET" else None,
    )
    try:
        start = time.monotonic()
        page.goto(lab + "lab/tree/app.ipynb", timeout=180_000)
        page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
            " && window.jupyterapp.shell.currentWidget.sessionContext",
            timeout=180_000,
        )
        page.evaluate("""async () => {
          const app = window.jupyterapp;
          await app.shell.currentWidget.sessionContext.ready;
          await app.commands.execute('notebook:run-all-cells');
        }""")
        page.wait_for_selector(".twidgets-dashboard", timeout=180_000)
        # every figure of the first screen drawn with data, from the plotly.js twidgets' server
        # extension serves, fetched once
        page.wait_for_function(
            "() => { const p = document.querySelectorAll('.twidgets-dashboard .tw-plot');"
            " return p.length >= 3 && [...p].every(e => e.dataset.twRev !== undefined)"
            " && document.querySelectorAll('.tw-contour .contourlayer path').length > 0; }",
            timeout=120_000,
        )
        timings.record("jupyterlab_dashboard_s_wall", round(time.monotonic() - start, 2))
        assert plotly_requests == [lab + "twidgets/static/plotly.min.js"], plotly_requests
        assert not errors, errors
        # the grid is in the Design tab, built when the tab is first chosen
        page.locator(".twidgets-dashboard .lm-TabBar-tab", has_text="Design").first.click()
        page.wait_for_selector(".twidgets-dashboard table.tw-detectors tr.tw-row", timeout=120_000)
        assert page.locator(".twidgets-dashboard table.tw-detectors tr.tw-row").count() == 19
        assert page.locator(".twidgets-dashboard .twidgets-inspector").count() == 1
        assert page.locator(".twidgets-dashboard .twidgets-explorer").count() == 1
        # no error output in the notebook
        assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    finally:
        page.close()
