"""Load tests: ten pages opened together against ``twidgets app`` on localhost.

* Cap 10 (issue 12): all ten pages draw every figure, with no page error, no anywidget
  "Failed to initialize" and no reload; the server's memory is printed.
* Cap 3 (issue 13): every page either draws every figure or gets the "full" page at once;
  none hangs; no page error; the server's kernels stay within the cap (plus the preheat
  pool) and each within the per-kernel memory figure below.
"""

from __future__ import annotations

import time

import psutil
import pytest
from app_server import FIGURES_DRAWN, served_app

PAGES = 10
CAP = 3
PREHEAT = 1
#: Resident memory one app kernel may take (the dashboard with its figures, plus headroom).
PER_KERNEL_MIB = 450
#: How long any one page may take to settle (draw, or show the full page) on a loaded 2-core machine.
SETTLE_S = 420

SETTLED = "() => document.body !== null && (document.body.classList.contains('tw-full') || (" + FIGURES_DRAWN + ")())"


@pytest.fixture()
def server():
    with served_app(preheat=PREHEAT, max_sessions=CAP) as app:
        yield app


@pytest.fixture()
def roomy_server():
    with served_app(preheat=PREHEAT, max_sessions=PAGES) as app:
        yield app


def _tree_rss_mib(server) -> float:
    total = 0
    for p in [psutil.Process(server.proc.pid), *psutil.Process(server.proc.pid).children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def _kernel_processes(server):
    out = []
    for p in psutil.Process(server.proc.pid).children(recursive=True):
        try:
            if any(w.endswith("ipykernel_launcher") for w in p.cmdline()):
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


@pytest.mark.slow
def test_ten_pages_together_render_or_get_the_full_page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pages, errors = [], []
    try:
        for _ in range(PAGES):
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            pages.append(page)
        for page in pages:  # all requests out before any page is waited for
            page.goto(server.url, wait_until="commit", timeout=SETTLE_S * 1000)
        peak_kernels, peak = 0, []
        outcome = []
        deadline = time.monotonic() + SETTLE_S
        for page in pages:
            left_ms = max(1000, int((deadline - time.monotonic()) * 1000))
            page.wait_for_function(SETTLED, timeout=left_ms, polling=500)
            outcome.append("full" if page.evaluate("() => document.body.classList.contains('tw-full')") else "app")
            kernels = _kernel_processes(server)
            if len(kernels) >= peak_kernels:
                peak_kernels = len(kernels)
                peak = [k.memory_info().rss / 2**20 for k in kernels]
        rendered = outcome.count("app")
        assert rendered >= 1 and rendered <= CAP, outcome
        assert outcome.count("full") == PAGES - rendered
        assert not errors, errors
        # within the cap (visitors + the preheat pool), each kernel within the per-kernel figure
        assert peak_kernels <= CAP + PREHEAT
        assert max(peak) <= PER_KERNEL_MIB, f"kernel RSS (MiB): {peak}"
        print(f"load test: {rendered} rendered, {PAGES - rendered} full; kernel RSS MiB {[round(m) for m in peak]}")
    finally:
        context.close()


@pytest.mark.slow
def test_ten_pages_together_with_cap_ten_all_draw_every_figure(browser, roomy_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    pages, errors, failed_init = [], [], []

    def console(msg):
        if "Failed to initialize" in msg.text or (msg.type == "error" and msg.text.startswith("twidgets:")):
            failed_init.append(msg.text)

    try:
        for _ in range(PAGES):
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", console)
            pages.append(page)
        for page in pages:  # all requests out before any page is waited for
            page.goto(roomy_server.url, wait_until="commit", timeout=SETTLE_S * 1000)
        deadline = time.monotonic() + SETTLE_S
        for page in pages:
            left_ms = max(1000, int((deadline - time.monotonic()) * 1000))
            page.wait_for_function(SETTLED, timeout=left_ms, polling=500)
            assert not page.evaluate("() => document.body.classList.contains('tw-full')"), "a page got 'full'"
        drawn = [page.evaluate("() => document.querySelectorAll('.tw-plot[data-tw-rev]').length") for page in pages]
        assert min(drawn) >= 3, drawn  # the Explore tab's map, Pareto view and stage histogram
        assert not errors, errors
        assert not failed_init, failed_init
        kernels = _kernel_processes(roomy_server)
        assert len(kernels) >= PAGES  # one per page (plus a refilling pool kernel)
        print(
            f"cap 10: all {PAGES} pages drew; server tree {_tree_rss_mib(roomy_server):.0f} MiB, {len(kernels)} kernels"
        )
    finally:
        context.close()
