"""The system editor in a real browser against a real kernel (Voila), one page, no reload.

A notebook holding only the editor and a label that shows ``evaluate(editor.system).power``
is served by Voila; Chromium opens it once and every test acts on that page in order: a
valid edit reaches Python and comes back, an invalid one is marked and changes nothing,
download and upload round-trip, and when the kernel dies an edit stays in its cell with a
message instead of being dropped. Nothing here reloads or reopens the page.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
from app_server import ARTIFACTS, free_port
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

import twidgets
from twidgets.model.io import bundled_path

ANSWER_TIMEOUT_S = 5.0
INVALID = re.compile(r"\btw-invalid\b")  # the editor's wait for the kernel before it says "not applied"

NOTEBOOK_CODE = f"""
import os
import ipywidgets as w
import twidgets
from twidgets.widgets import SystemEditor

editor = SystemEditor("cms-hllhc-pu200", answer_timeout={ANSWER_TIMEOUT_S})
power = w.Label()
power.add_class("tw-test-power")
pid = w.Label(str(os.getpid()))
pid.add_class("tw-test-pid")

def show_power(change=None):
    power.value = repr(twidgets.evaluate(editor.system).power)

editor.observe(show_power, "system")
show_power()
w.VBox([editor, power, pid])
"""


def _notebook(path):
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": NOTEBOOK_CODE}
    nb = {
        "cells": [cell],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")


def _wait_port(port, proc, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"voila exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.25)
    raise AssertionError(f"voila did not listen on port {port} within {timeout} s")


@pytest.fixture(scope="module")
def voila_editor(tmp_path_factory):
    """``voila editor.ipynb`` on a free localhost port; the whole process group is stopped after."""
    root = tmp_path_factory.mktemp("voila-editor")
    _notebook(root / "editor.ipynb")
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "voila-editor.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "voila",
            "editor.ipynb",
            "--no-browser",
            "--Voila.ip=127.0.0.1",
            f"--Voila.port={port}",
            "--Voila.port_retries=0",
            "--VoilaConfiguration.show_tracebacks=True",
        ],
        cwd=root,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_port(port, proc)
        yield f"http://127.0.0.1:{port}/"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        log.close()


@pytest.fixture(scope="module")
def page(browser, voila_editor):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.page_errors = []
    page.on("pageerror", lambda e: page.page_errors.append(str(e)))
    page.goto(voila_editor, wait_until="commit", timeout=180_000)
    try:
        page.wait_for_function(
            """() => document.querySelectorAll('table.tw-detectors tr.tw-row').length > 0
                 && (document.querySelector('.tw-test-power')?.textContent || '').trim() !== ''""",
            timeout=180_000,
            polling=200,
        )
    except PlaywrightTimeout:
        raise AssertionError(f"the editor page did not render; page errors: {page.page_errors}") from None
    yield page
    page.close()


def _power(page):
    return float(page.locator(".tw-test-power").inner_text().strip())


def _cell(page, table, name, column):
    return page.locator(f'table.tw-{table} tr.tw-row[data-name="{name}"] td[data-column="{column}"]')


def _wait_power_change(page, old):
    page.wait_for_function(
        "old => { const t = document.querySelector('.tw-test-power')?.textContent.trim(); return t && t !== old; }",
        arg=old,
        timeout=60_000,
    )


# ------------------------------------------------------------------------------------------ tests
def test_the_grid_shows_display_names_and_row_numbers(page):
    assert page.locator("table.tw-detectors tr.tw-row").count() == 19
    assert page.locator("table.tw-stages tr.tw-row").count() == 7
    header = page.locator('table.tw-detectors th[data-column="Data (bytes)"]')
    assert header.inner_text().strip() == "Event size (B)"
    assert page.locator('table.tw-detectors tr.tw-row[data-name="Inner Tracker"] td.tw-rownum').inner_text() == "1"


def test_a_valid_edit_reaches_the_kernel_and_comes_back(page, pu200):
    before = page.locator(".tw-test-power").inner_text().strip()
    assert float(before) == pytest.approx(twidgets.evaluate(pu200).power, rel=1e-12)
    cell = _cell(page, "detectors", "Inner Tracker", "Data (bytes)").locator("input")
    cell.fill("4000000")
    cell.press("Enter")
    _wait_power_change(page, before)
    expected = twidgets.evaluate(pu200.with_detector("Inner Tracker", data_bytes=4e6)).power
    assert _power(page) == pytest.approx(expected, rel=1e-12)
    assert cell.input_value() == "4000000"
    assert page.locator(".twidgets-editor .tw-invalid, .twidgets-editor .tw-unsent").count() == 0


def test_an_invalid_edit_is_marked_and_changes_nothing(page):
    before = page.locator(".tw-test-power").inner_text().strip()
    cell = _cell(page, "detectors", "Outer Tracker PS", "Data (bytes)")
    cell.locator("input").fill("-5")
    cell.locator("input").press("Enter")
    expect(cell).to_have_class(INVALID, timeout=60_000)
    assert ">= 0" in cell.locator(".tw-error").inner_text()
    summary = page.locator(".twidgets-editor .tw-errors").inner_text()
    assert 'Detectors, row 2 "Outer Tracker PS", Event size (B)' in summary
    assert cell.locator("input").input_value() == "-5"  # kept as typed, for fixing
    assert page.locator(".tw-test-power").inner_text().strip() == before
    page.locator(".twidgets-editor .tw-revert").click()
    expect(cell).not_to_have_class(INVALID, timeout=60_000)
    expect(cell.locator("input")).not_to_have_value("-5")
    assert page.locator(".tw-test-power").inner_text().strip() == before


def test_download_and_upload_round_trip(page, pu200, run3, tmp_path):
    with page.expect_download(timeout=60_000) as info:
        page.locator(".twidgets-editor .tw-download").click()
    saved = twidgets.System.from_xlsx(info.value.path())
    assert saved == pu200.with_detector("Inner Tracker", data_bytes=4e6)
    upload = tmp_path / "run3.xlsx"
    upload.write_bytes(bundled_path("cms-run3-pu60").read_bytes())
    before = page.locator(".tw-test-power").inner_text().strip()
    page.locator(".twidgets-editor input.tw-upload").set_input_files(str(upload))
    expect(page.locator(".twidgets-editor .tw-year")).to_have_value("2024", timeout=60_000)
    _wait_power_change(page, before)
    assert _power(page) == pytest.approx(twidgets.evaluate(run3).power, rel=1e-12)


def test_an_edit_the_dead_kernel_never_took_stays_with_a_message(page):
    pid = int(page.locator(".tw-test-pid").inner_text().strip())
    os.kill(pid, signal.SIGKILL)
    cell = _cell(page, "stages", "Intermediate", "Reduction Ratio")
    cell.locator("input").fill("77")
    cell.locator("input").press("Enter")
    note = page.locator(".twidgets-editor .tw-unsent-note")
    expect(note).to_be_visible(timeout=ANSWER_TIMEOUT_S * 1000 + 30_000)
    assert "1 edit not applied" in note.inner_text()
    assert 'Reduction ratio = "77"' in note.inner_text()  # the column's display name
    expect(cell).to_have_class(re.compile(r"\btw-unsent\b"))
    assert cell.locator("input").input_value() == "77"
    assert note.locator(".tw-retry").is_visible()
