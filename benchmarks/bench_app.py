"""The served app in a real browser, beside a bare-ipywidgets anchor page served by the same Voila.

Starts ``twidgets app`` (cold: ``--preheat 0``; preheated: ``--preheat 1``) and, with the same
Voila server code and options (less the plotly.js the app's figures need), an anchor notebook
holding one slider and one label. Drives
Debian's Chromium with Playwright and reports medians of ``--repeat`` visits:

* navigation -> every figure drawn (``.tw-plot[data-tw-rev]`` on every Plot and the headline;
  for the anchor: its slider and label on screen), cold and preheated, and the ratio to the
  anchor measured in the same run;
* bytes to that first draw: websocket frames received, and HTTP (encoded, over the network);
* slider -> redrawn histogram and headline (a key press on the inspector's reduction-ratio
  slider, to the histogram's new ``data-tw-rev`` and the new F1 text), in the page's clock;
* server memory (RSS of the whole process tree: Voila and its kernels) with 1, 3 and 10
  sessions open, and per session.

Run: ``python benchmarks/bench_app.py [--repeat N] [--sessions 1,3,10]``. Needs the app extra,
Playwright and Chromium (``/usr/bin/chromium`` or ``$TWIDGETS_CHROMIUM``). Nothing here
asserts: the numbers go to stdout (and ``--json FILE``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import psutil

from twidgets import app
from twidgets.app_page import READY_LINE

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

APP_DRAWN = """() => {
  const plots = document.querySelectorAll('.tw-plot');
  return plots.length > 0
    && document.querySelectorAll('.tw-plot[data-tw-rev]').length === plots.length
    && document.querySelector('.twidgets-inspector .tw-f1') !== null;
}"""
ANCHOR_DRAWN = (
    "() => document.querySelector('.widget-slider') !== null && document.querySelector('.tw-anchor-label') !== null"
)

ANCHOR_CELLS = [
    "import ipywidgets as w",
    "slider = w.IntSlider(description='x')\n"
    "label = w.Label('x = 0')\n"
    "label.add_class('tw-anchor-label')\n"
    "slider.observe(lambda c: setattr(label, 'value', f'x = {c.new}'), names='value')\n"
    "w.VBox([slider, label])",
]

# arm: note when the key goes down, and when the histogram's revision and the F1 text change
SLIDER_ARM = """() => {
  const plot = document.querySelector('.tw-plot.tw-histogram');
  const inspector = document.querySelector('.twidgets-inspector');
  const f1 = () => inspector.querySelector('.tw-f1')?.textContent;
  const s = {rev: plot.dataset.twRev, f1: f1(), t0: null, plot: null, text: null};
  window.__twBench = s;
  document.addEventListener('keydown', () => { if (s.t0 === null) s.t0 = performance.now(); }, {capture: true, once: true});
  new MutationObserver((m, obs) => {
    if (plot.dataset.twRev !== s.rev) { s.plot = performance.now(); obs.disconnect(); }
  }).observe(plot, {attributes: true, attributeFilter: ['data-tw-rev']});
  // the headline is re-rendered as a whole: watch the inspector, compare the F1 text
  new MutationObserver((m, obs) => {
    if (f1() !== s.f1) { s.text = performance.now(); obs.disconnect(); }
  }).observe(inspector, {subtree: true, childList: true, characterData: true});
}"""
SLIDER_DONE = "() => { const s = window.__twBench; return s.t0 !== null && s.plot !== null && s.text !== null; }"


def chromium() -> str:
    for c in (os.environ.get("TWIDGETS_CHROMIUM"), "/usr/bin/chromium"):
        if c and Path(c).exists():
            return c
    sys.exit("bench_app: no Chromium (install Debian's chromium or set TWIDGETS_CHROMIUM)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A Voila server as ``twidgets app`` starts it, on ``notebook`` (the app's or the anchor's)."""

    def __init__(self, notebook: Path, *, preheat: int, max_sessions: int, figures: bool = True):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        cmd = app.voila_command(
            "127.0.0.1", self.port, notebook, preheat=preheat, max_sessions=max_sessions, figures=figures
        )
        env = dict(os.environ, JUPYTER_PATH=str(app.TEMPLATE_ROOT), **{app.SYSTEM_ENV: app.default_system()})
        self.log: list[str] = []
        self.proc = subprocess.Popen(
            cmd, cwd=notebook.parent, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        threading.Thread(target=lambda: self.log.extend(self.proc.stderr), daemon=True).start()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)

    def filled(self) -> int:
        """How many preheated kernels have run the notebook up to the visitor's query string.

        (Voila's own "pool is filled" line comes when the kernel has *started*, before it has
        run anything: a visit then would wait for the whole notebook, as a cold one does.)"""
        return sum(READY_LINE in line for line in self.log)

    def pool_ready(self, after: int, timeout: float = 300) -> None:
        """Wait until more than ``after`` kernels have been reported ready (a fresh executed kernel)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.filled() <= after:
            time.sleep(0.2)
        time.sleep(0.5)  # Voila's renderer takes in the cell outputs already sent

    def kernels(self) -> int:
        n = 0
        for p in psutil.Process(self.proc.pid).children(recursive=True):
            try:
                n += "ipykernel_launcher" in " ".join(p.cmdline())
            except psutil.NoSuchProcess:  # exited meanwhile (or a zombie)
                pass
        return n

    def tree_rss_mib(self) -> float:
        procs = [psutil.Process(self.proc.pid), *psutil.Process(self.proc.pid).children(recursive=True)]
        total = 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total / 2**20

    def wait_kernels(self, n: int, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.kernels() > n:
            time.sleep(0.5)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def visit(browser, url: str, drawn: str) -> dict:
    """Open ``url`` in a fresh page; time to ``drawn`` (in the page's clock) and bytes received."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    counts = {"ws": 0, "http": 0, "plotly_js": 0}
    done = {"flag": False}

    def frame(event):
        if not done["flag"]:
            counts["ws"] += len(event["response"]["payloadData"])

    def finished(event):
        if not done["flag"]:
            counts["http"] += event.get("encodedDataLength", 0)

    def response(event):
        if "plotly" in event["response"]["url"] and event["response"]["url"].endswith(".js"):
            counts["plotly_js"] += 1

    cdp.on("Network.webSocketFrameReceived", frame)
    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.responseReceived", response)
    page.goto(url, wait_until="commit", timeout=600_000)
    page.wait_for_function(drawn, timeout=600_000, polling=50)
    done["flag"] = True
    t = page.evaluate("() => performance.now()")  # navigation start is 0 in the page's clock
    return {
        "page": page,
        "drawn_ms": t,
        "ws_bytes": counts["ws"],
        "http_bytes": counts["http"],
        "plotly_js": counts["plotly_js"],
    }


def slider_ms(page, key: str = "ArrowRight") -> float:
    """One key press on the inspector's reduction-ratio slider -> histogram and F1 redrawn (ms)."""
    page.evaluate(SLIDER_ARM)
    page.locator(".tw-rr-slider .noUi-handle").first.press(key)
    page.wait_for_function(SLIDER_DONE, timeout=60_000, polling=20)
    s = page.evaluate("() => window.__twBench")
    page.wait_for_timeout(1000)  # let the update settle before the next press
    return max(s["plot"], s["text"]) - s["t0"]


def med(values):
    return round(statistics.median(values), 1) if values else None


def navigation(browser, server: Server, drawn: str, repeat: int, preheated: bool) -> dict:
    rows = []
    filled = 0
    for _ in range(repeat):
        if preheated:
            server.pool_ready(after=filled)
            filled = server.filled()  # counted before the visit: the refill after it is the next one
        r = visit(browser, server.url, drawn)
        r["page"].close()  # its kernel is released by the server within ~80 s; others start meanwhile
        rows.append(r)
    return {
        "drawn_ms": med([r["drawn_ms"] for r in rows]),
        "ws_bytes": med([r["ws_bytes"] for r in rows]),
        "http_bytes": med([r["http_bytes"] for r in rows]),
        "plotly_js_fetches": max(r["plotly_js"] for r in rows),
        "runs": [round(r["drawn_ms"]) for r in rows],
    }


def memory(browser, server: Server, sessions: list[int]) -> dict:
    out = {}
    server.wait_kernels(0)
    base = server.tree_rss_mib()
    out["server_alone_mib"] = round(base, 1)
    for n in sessions:
        pages = [browser.new_page() for _ in range(n)]
        for p in pages:
            p.goto(server.url, wait_until="commit", timeout=600_000)
        for p in pages:
            p.wait_for_function(APP_DRAWN, timeout=900_000, polling=250)
        total = server.tree_rss_mib()
        out[f"{n}_sessions_tree_mib"] = round(total, 1)
        out[f"{n}_sessions_per_session_mib"] = round((total - base) / n, 1)
        for p in pages:
            p.close()
        server.wait_kernels(0)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5, help="visits per measurement (medians reported)")
    ap.add_argument("--sessions", default="1,3,10", help="session counts for the memory measurement ('' skips it)")
    ap.add_argument("--json", type=Path, help="also write the results to this file")
    args = ap.parse_args(argv)
    sessions = [int(s) for s in args.sessions.split(",") if s]

    from playwright.sync_api import sync_playwright

    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        anchor = Path(tmp) / "anchor.ipynb"
        nb = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(c) for c in ANCHOR_CELLS],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        )
        nbformat.write(nb, anchor)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
            try:
                for label, preheat in (("cold", 0), ("preheated", 1)):
                    for name, notebook, drawn in (
                        ("anchor", anchor, ANCHOR_DRAWN),
                        ("app", app.APP_NOTEBOOK, APP_DRAWN),
                    ):
                        cap = max(sessions, default=0) + 2 * args.repeat + 2  # closed pages' kernels linger up to ~80 s
                        # the anchor page gets no plotly.js: Voila's floor, not the app's figures
                        server = Server(notebook, preheat=preheat, max_sessions=cap, figures=name == "app")
                        try:
                            results[f"{name}_{label}"] = navigation(browser, server, drawn, args.repeat, preheat > 0)
                            print(f"{name} {label}: {results[f'{name}_{label}']}", flush=True)
                            if name == "app" and label == "cold":
                                r = visit(browser, server.url, APP_DRAWN)
                                results["slider_to_redraw_ms"] = med(
                                    [
                                        slider_ms(r["page"], ("ArrowRight", "ArrowLeft")[i % 2])
                                        for i in range(args.repeat)
                                    ]
                                )
                                r["page"].close()
                                print(f"slider -> redraw: {results['slider_to_redraw_ms']} ms", flush=True)
                        finally:
                            server.stop()
                # memory last: the longest part (ten pages drawing at once on a small machine)
                if sessions:  # --sessions '' skips it
                    server = Server(app.APP_NOTEBOOK, preheat=0, max_sessions=max(sessions) + 2)
                    try:
                        results["memory"] = memory(browser, server, sessions)
                        print(f"memory: {results['memory']}", flush=True)
                    finally:
                        server.stop()
            finally:
                browser.close()
    for label in ("cold", "preheated"):
        a, b = results[f"anchor_{label}"]["drawn_ms"], results[f"app_{label}"]["drawn_ms"]
        results[f"ratio_{label}"] = round(b / a, 2) if a else None
    print(json.dumps({k: v for k, v in results.items()}, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
