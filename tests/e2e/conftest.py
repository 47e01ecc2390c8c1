"""Real-browser fixtures: Debian's Chromium driven by Playwright (no Playwright browser download).

The browser is ``$TWIDGETS_CHROMIUM`` or ``/usr/bin/chromium``; the tests are skipped only when
neither exists. Timings go to ``test-artifacts/e2e-timings.json``; screenshots to
``test-artifacts/screenshots/``, or to ``docs/screenshots/`` (the README's) when
``TWIDGETS_UPDATE_SCREENSHOTS=1``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/app_server.py

from app_server import ARTIFACTS, ROOT, SCREENSHOTS, AppProcess, free_port  # noqa: F401

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


def chromium_path() -> str | None:
    for candidate in (os.environ.get("TWIDGETS_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def browser():
    # module scope: Playwright's sync API keeps an asyncio loop running while it is open, which
    # would break later tests (outside tests/e2e) that run their own loop
    exe = chromium_path()
    if exe is None:
        pytest.skip("no Chromium: install Debian's chromium or set TWIDGETS_CHROMIUM")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Timings:
    """Collects named timings (ms) and writes them to test-artifacts/e2e-timings.json."""

    def __init__(self):
        self.values = {}

    def record(self, name, value):
        self.values[name] = value
        print(f"e2e timing {name}: {value}")
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / "e2e-timings.json"
        old = json.loads(path.read_text()) if path.exists() else {}
        old.update(self.values)
        path.write_text(json.dumps(old, indent=2, sort_keys=True) + "\n")


@pytest.fixture(scope="session")
def timings():
    return Timings()


@pytest.fixture(scope="module")
def app_server():
    """``twidgets app --no-browser --port <free>`` on the default system, for one test module."""
    server = AppProcess(["--no-browser", "--port", str(free_port())])
    try:
        server.wait_url()
        yield server
    finally:
        server.stop()
