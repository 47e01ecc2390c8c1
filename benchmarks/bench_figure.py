"""Figures in a browser: navigation -> every figure drawn, and websocket bytes to that moment.

One standalone Voila (started with the app's plotly options, :func:`twidgets.app.plotly_arguments`)
serves a temporary directory of notebooks; Chromium (Playwright) opens each page ``--repeat``
times, a fresh page and kernel each time, round-robin so load drifts hit every page alike:

* ``anchor``: a bare ipywidgets page (one slider, one label): Voila's own floor;
* ``plots``: ``--figures`` twidgets ``Plot`` figures (one plotly.js per page);
* ``figurewidgets``: the same figures as ``plotly.graph_objects.FigureWidget`` (each carries its
  own plotly.js; what the widgets used before);
* ``dashboard``: the app notebook (every figure of the Dashboard drawn).

Reported: medians of navigation -> drawn (ms, in the page's clock), websocket bytes received
until then, plotly.js HTTP fetches, and each page's ratio to the anchor.

Run: ``python benchmarks/bench_figure.py [--repeat 5] [--figures 4] [--chromium /usr/bin/chromium]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from twidgets.app import APP_NOTEBOOK, TEMPLATE, TEMPLATE_ROOT, plotly_arguments

TIMEOUT_MS = 240_000
FIGURE = "go.Figure(go.Scatter(x=list(range(50)), y=[(j * 7 + i) % 13 for j in range(50)], mode='markers'))"

SOURCES = {
    "anchor": "import ipywidgets as widgets\nwidgets.VBox([widgets.IntSlider(), widgets.Label('anchor')])",
    "plots": "import ipywidgets as widgets\nimport plotly.graph_objects as go\n"
    "from twidgets.widgets.plot import Plot\n"
    "widgets.VBox([Plot(" + FIGURE + ") for i in range({n})])",
    "figurewidgets": "import ipywidgets as widgets\nimport plotly.graph_objects as go\n"
    "widgets.VBox([go.FigureWidget(" + FIGURE + ") for i in range({n})])",
}

DRAWN = {
    "anchor": "() => document.querySelector('.widget-slider') !== null && document.querySelector('.widget-label') !== null",
    "plots": "() => document.querySelectorAll('.tw-plot[data-tw-rev] .scatterlayer .point').length >= 50 * {n}",
    "figurewidgets": "() => document.querySelectorAll('.js-plotly-plot .scatterlayer .point').length >= 50 * {n}",
    "dashboard": "() => { const p = document.querySelectorAll('.tw-plot');"
    " return p.length >= 4 && [...p].every(e => e.dataset.twRev !== undefined)"
    " && document.querySelectorAll('.tw-contour .contourlayer path').length > 0; }",
}


def notebook(source: str) -> dict:
    cell = {"cell_type": "code", "metadata": {}, "source": source, "outputs": [], "execution_count": None}
    kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return {"cells": [cell], "metadata": {"kernelspec": kernelspec}, "nbformat": 4, "nbformat_minor": 5}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_voila(root: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "voila",
        str(root),
        "--no-browser",
        "--Voila.ip=127.0.0.1",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        f"--VoilaConfiguration.template={TEMPLATE}",
        *plotly_arguments(),
    ]
    env = dict(os.environ, JUPYTER_PATH=os.pathsep.join([str(TEMPLATE_ROOT), os.environ.get("JUPYTER_PATH", "")]))
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, cwd=root
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, f"http://127.0.0.1:{port}/"
        except OSError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    raise RuntimeError("voila did not start within 120 s")


def visit(browser, url: str, drawn: str) -> dict:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    ws_bytes, fetches = [0], []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: ws_bytes.__setitem__(0, ws_bytes[0] + len(f))))
    page.on(
        "request", lambda r: fetches.append(r.url) if r.url.endswith("plotly.min.js") and r.method == "GET" else None
    )
    try:
        page.goto(url, wait_until="commit", timeout=180_000)
        page.wait_for_function(
            f"() => {{ const ok = ({drawn})(); if (ok && window.__drawn === undefined)"
            " window.__drawn = performance.now(); return ok; }",
            timeout=TIMEOUT_MS,
            polling=50,
        )
        return {"ms": page.evaluate("() => window.__drawn"), "ws_bytes": ws_bytes[0], "plotly_fetches": len(fetches)}
    finally:
        page.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--figures", type=int, default=4)
    parser.add_argument("--chromium", default=os.environ.get("TWIDGETS_CHROMIUM", "/usr/bin/chromium"))
    parser.add_argument("--pages", default="anchor,plots,figurewidgets,dashboard")
    args = parser.parse_args()
    pages = args.pages.split(",")
    from playwright.sync_api import sync_playwright

    root = Path(tempfile.mkdtemp(prefix="bench-figure-"))
    for name, source in SOURCES.items():
        (root / f"{name}.ipynb").write_text(json.dumps(notebook(source.replace("{n}", str(args.figures)))))
    shutil.copy(APP_NOTEBOOK, root / "dashboard.ipynb")
    proc, base = start_voila(root)
    results: dict[str, list[dict]] = {name: [] for name in pages}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=["--headless=new", "--no-sandbox"])
            for _ in range(args.repeat):
                for name in pages:
                    drawn = DRAWN[name].replace("{n}", str(args.figures))
                    results[name].append(visit(browser, f"{base}voila/render/{name}.ipynb", drawn))
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)

    medians = {
        name: {key: statistics.median(r[key] for r in runs) for key in ("ms", "ws_bytes", "plotly_fetches")}
        for name, runs in results.items()
    }
    anchor = medians.get("anchor")
    print(f"navigation -> every figure drawn, medians of {args.repeat} visits ({args.figures} figures per test page)")
    print(f"  {'page':<15}{'drawn (ms)':>12}{'x anchor':>10}{'ws bytes':>14}{'plotly.js GETs':>16}")
    for name, m in medians.items():
        ratio = f"{m['ms'] / anchor['ms']:.2f}" if anchor else "-"
        print(f"  {name:<15}{m['ms']:>12.0f}{ratio:>10}{m['ws_bytes']:>14,.0f}{m['plotly_fetches']:>16.0f}")


if __name__ == "__main__":
    main()
