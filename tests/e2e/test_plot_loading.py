"""How pages get plotly.js for the Plot widget, in a real browser, behind a URL prefix.

A Jupyter server with Voila as a server extension under ``/user/tw/`` (the way Binder serves
the app): with twidgets' server extension the page fetches the installed plotly's bundle once
from ``/user/tw/twidgets/static/plotly.min.js``; without it the fetch fails and the kernel sends
the bundle once over a comm. Either way every figure draws and a click reaches Python.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from app_server import free_port

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "/user/tw/"
N_PLOTS = 6
EXTENSION = "twidgets.widgets.server"
BUNDLE_MESSAGE = re.compile(rb'"type":\s*"plotly-bundle"')

PLOTS_SOURCE = f"""import ipywidgets as widgets
import plotly.graph_objects as go
from twidgets.widgets.plot import Plot

clicked = widgets.Label("none", _dom_classes=["tw-clicked"])
plots = [Plot(go.Figure(go.Scatter(x=[0, 1, 2], y=[i, i + 1, 2 * i], mode="markers", marker_size=30)))
         for i in range({N_PLOTS})]
for i, plot in enumerate(plots):
    plot.add_class(f"tw-plot-{{i}}")
    plot.on_click(lambda event, i=i: setattr(clicked, "value", f"plot {{i}} point {{event.points[0].index}}"))
widgets.VBox([clicked, *plots])"""

DRAWN = f"""() => {{
  const p = document.querySelectorAll('.tw-plot');
  return p.length === {N_PLOTS} && [...p].every(e => e.dataset.twRev !== undefined
    && e.querySelectorAll('.scatterlayer .point').length === 3);
}}"""


def _notebook(source: str) -> dict:
    return {
        "cells": [{"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _binder_config() -> str:
    """The server config binder/postBuild writes (the JSON between its ``<<'JSON'`` and ``JSON``)."""
    text = (ROOT / "binder" / "postBuild").read_text()
    return text.split("<<'JSON'\n", 1)[1].split("\nJSON\n", 1)[0]


def _start_server(work: Path, extra: dict):
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "server",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.base_url={PREFIX}",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.port_retries=0",
        "--ServerApp.allow_root=True",
        f"--ServerApp.root_dir={work}",
    ]
    # configured as binder/postBuild configures the image, plus ``extra`` server config
    config = work / ".config"
    (config / "jupyter_server_config.d").mkdir(parents=True)
    (config / "voila.json").write_text(_binder_config())
    if extra:
        (config / "jupyter_server_config.d" / "test.json").write_text(json.dumps(extra))
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(work / ".runtime"), JUPYTER_CONFIG_PATH=str(work / ".config"))
    log = open(work / "server.log", "w")
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            log.close()
            raise AssertionError(f"jupyter server exited: {(work / 'server.log').read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("jupyter server did not start within 120 s") from None
            time.sleep(0.2)
    return proc, log, f"http://127.0.0.1:{port}{PREFIX}"


def _stop(proc, log):
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    log.close()


@pytest.fixture(scope="module", params=["server-extension", "kernel"])
def served(request, tmp_path_factory):
    """A prefixed Jupyter server + Voila extension; ``kernel``: twidgets' extension disabled."""
    work = tmp_path_factory.mktemp(request.param)
    shutil.copy(ROOT / "notebooks" / "app.ipynb", work / "app.ipynb")
    (work / "plots.ipynb").write_text(json.dumps(_notebook(PLOTS_SOURCE)))
    extra = {} if request.param == "server-extension" else {"ServerApp": {"jpserver_extensions": {EXTENSION: False}}}
    proc, log, url = _start_server(work, extra)
    try:
        yield request.param, url
    finally:
        _stop(proc, log)


def _open(browser, url):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.errors, page.plotly, page.frames_with_bundle = [], [], []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on(
        "response",
        lambda r: page.plotly.append((r.request.method, r.url, r.status)) if r.url.endswith("plotly.min.js") else None,
    )

    def frame(payload):
        data = payload if isinstance(payload, bytes) else payload.encode()
        if BUNDLE_MESSAGE.search(data):  # the kernel's reply carrying plotly.js
            page.frames_with_bundle.append(len(data))

    page.on("websocket", lambda ws: ws.on("framereceived", frame))
    page.goto(url, wait_until="commit", timeout=180_000)
    return page


def test_many_figures_on_one_page_load_plotly_js_once(browser, served):
    mode, url = served
    page = _open(browser, url + "voila/render/plots.ipynb")
    try:
        page.wait_for_function(DRAWN, timeout=180_000, polling=100)
        route = url + "twidgets/static/plotly.min.js"
        if mode == "server-extension":  # probed, then fetched once
            assert page.plotly == [("HEAD", route, 200), ("GET", route, 200)]
            assert page.frames_with_bundle == []
        else:  # no such route: the kernel sends the bundle once for all figures
            assert page.plotly == [("HEAD", route, 404)]
            assert len(page.frames_with_bundle) == 1 and page.frames_with_bundle[0] > 4_000_000
        # a click on a point of the fourth figure reaches that Plot's Python callback
        point = page.locator(".tw-plot-3 .scatterlayer .point").nth(2)
        point.scroll_into_view_if_needed()
        box = point.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_function(
            "() => document.querySelector('.tw-clicked')?.textContent === 'plot 3 point 2'", timeout=60_000
        )
        assert not page.errors, page.errors
    finally:
        page.close()


def test_the_app_draws_every_figure_behind_a_url_prefix(browser, served):
    mode, url = served
    page = _open(browser, url + "voila/render/app.ipynb")
    try:
        page.wait_for_function(
            "() => { const p = document.querySelectorAll('.tw-plot');"
            " return p.length >= 3 && [...p].every(e => e.dataset.twRev !== undefined)"
            " && document.querySelectorAll('.tw-contour .contourlayer path').length > 0; }",
            timeout=180_000,
            polling=100,
        )
        route = url + "twidgets/static/plotly.min.js"
        if mode == "server-extension":
            assert page.plotly == [("HEAD", route, 200), ("GET", route, 200)]
        else:
            assert page.plotly == [("HEAD", route, 404)] and len(page.frames_with_bundle) == 1
        assert not page.errors, page.errors
    finally:
        page.close()
