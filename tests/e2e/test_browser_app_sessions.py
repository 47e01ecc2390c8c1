"""The served app's sessions in a real browser: a dead kernel is announced, a closed tab frees its kernel.

One ``twidgets app --preheat 1`` server for the module. Each test opens its own page.
"""

from __future__ import annotations

import signal
import time

import psutil
import pytest
from app_server import FIGURES_DRAWN, served_app

PAGE_READY = FIGURES_DRAWN


@pytest.fixture(scope="module")
def server():
    with served_app(preheat=1, max_sessions=4) as app:
        yield app


def _kernels(server):
    """The kernel processes of the server, by kernel id (from their connection file name)."""
    out = {}
    for p in psutil.Process(server.proc.pid).children(recursive=True):
        try:
            cmd = p.cmdline()
        except psutil.NoSuchProcess:
            continue
        for word in cmd:
            if "kernel-" in word and word.endswith(".json"):
                out[word.rsplit("kernel-", 1)[1][: -len(".json")]] = p
    return out


def _open(browser, server):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(server.url, wait_until="commit", timeout=180_000)
    page.wait_for_function(PAGE_READY, timeout=180_000, polling=200)
    kernel_id = page.evaluate("() => JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId")
    assert kernel_id in _kernels(server), "the page's kernel is not a process of the server"
    return page, kernel_id


def _wait_gone(server, kernel_id, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if kernel_id not in _kernels(server):
            return True
        time.sleep(1)
    return False


def test_a_killed_kernel_is_announced_and_the_page_stops_taking_edits(browser, server):
    page, kernel_id = _open(browser, server)
    try:
        assert page.locator(".tw-session-ended").count() == 0
        _kernels(server)[kernel_id].send_signal(signal.SIGKILL)
        banner = page.locator(".tw-session-ended")
        banner.wait_for(state="visible", timeout=60_000)
        text = banner.inner_text()
        assert "This session has ended" in text and "Reload" in text
        assert "kernel" in text  # says why
        # nothing on the page takes an edit any more: the cells are inert
        assert page.evaluate("() => document.getElementById('rendered_cells').inert") is True
        # Reload starts a fresh session that renders
        page.locator(".tw-session-ended button.tw-reload").click()
        page.wait_for_function(PAGE_READY, timeout=180_000, polling=200)
        assert page.locator(".tw-session-ended").count() == 0
    finally:
        page.close()


def test_closing_the_tab_releases_its_kernel(browser, server):
    page, kernel_id = _open(browser, server)
    page.close(run_before_unload=True)
    # Voila's beacon shuts it down at once; the server's own check (no page connected for a
    # minute) is the fallback: both well within two minutes
    assert _wait_gone(server, kernel_id, timeout=120), f"kernel {kernel_id} still running after its tab closed"


def test_a_deep_link_opens_its_system_in_a_preheated_kernel(browser, server):
    """The pool's kernel ran the notebook before the visit; the link's system is still the one shown."""
    assert server.wait_for_stderr(r"Kernel pool of app\.ipynb is filled", timeout=300)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(server.url + "?system=cms-run3-pu60", wait_until="commit", timeout=180_000)
        page.wait_for_function(PAGE_READY, timeout=180_000, polling=200)
        picked = page.evaluate("() => document.querySelector('.tw-system-picker select').value")
        assert picked == "System: cms-run3-pu60"  # the option's label
        assert "cms-run3-pu60" in page.locator(".tw-headline-box").inner_text()
    finally:
        page.close()
    assert any("Using pre-heated kernel" in line for line in server.stderr)
