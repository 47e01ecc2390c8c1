"""The Voila app in a real browser: grid, histogram, contour map, slider, edits, clicks.

One page is opened for the module (``twidgets app`` on the bundled pile-up-200 system) and
the tests act on it in order, each reading the values it compares before it acts.
"""

from __future__ import annotations

import re
import time

import pytest
from app_server import SCREENSHOTS  # docs/screenshots only with TWIDGETS_UPDATE_SCREENSHOTS=1
from playwright.sync_api import TimeoutError as PlaywrightTimeout

# ---------------------------------------------------------------------------------- page helpers
RENDERED = """() => {
  const n = (s) => document.querySelectorAll(s).length;
  // the first screen: the Explore tab's map, Pareto view and stage histogram (the other
  // tabs are built when first shown)
  const ok = n('.tw-plot') >= 3 && n('.tw-plot[data-tw-rev]') === n('.tw-plot')
    && n('.tw-histogram .js-plotly-plot .barlayer .point path') > 0
    && n('.tw-contour .js-plotly-plot .contourlayer path') > 0
    && document.querySelector('.twidgets-inspector .tw-f1') !== null;
  if (ok && window.__twRendered === undefined) window.__twRendered = performance.now();
  return ok;
}"""

# records when the inspector's headline last changed and the last pointer/key event before it
WATCH = """() => {
  window.__twEvents = [];
  for (const type of ['pointerdown', 'pointermove', 'pointerup', 'keydown', 'click']) {
    document.addEventListener(type, () => { window.__twLastInput = performance.now(); }, true);
  }
  const target = document.querySelector('.twidgets-inspector .tw-headline');
  new MutationObserver(() => {
    window.__twEvents.push({t: performance.now(), input: window.__twLastInput,
                            f1: document.querySelector('.twidgets-inspector .tw-f1')?.textContent});
  }).observe(target, {subtree: true, childList: true, characterData: true});
}"""


def _is_external(url: str) -> bool:
    return not re.match(r"^(https?://127\.0\.0\.1[:/]|blob:|data:|about:)", url)


def _text(page, selector):
    return page.locator(selector).first.inner_text().strip()


def _settled_text(page, selector, quiet_ms=1000, timeout_ms=20_000):
    """The text of ``selector`` once it has not changed for ``quiet_ms`` (updates still in flight
    from an earlier action land first)."""
    waited, last = 0, _text(page, selector)
    quiet = 0
    while quiet < quiet_ms and waited < timeout_ms:
        page.wait_for_timeout(250)
        waited += 250
        now = _text(page, selector)
        quiet = quiet + 250 if now == last else 0
        last = now
    return last


def _number(page, selector):
    """The full-precision number a span shows (its ``data-value``; the text has a unit prefix)."""
    loc = page.locator(selector).first
    value = loc.get_attribute("data-value")
    return float(value if value is not None else loc.inner_text().strip().replace(",", ""))


def _threshold_x(page):
    """The threshold line's x (data units) as plotly drew it, and the SVG path of the line."""
    return page.evaluate("""() => {
      const gd = document.querySelector('.tw-histogram .js-plotly-plot');
      const shape = gd && gd.layout && gd.layout.shapes && gd.layout.shapes[0];
      const path = document.querySelector('.tw-histogram .shapelayer path');
      return [shape ? shape.x0 : null, path ? path.getAttribute('d') : null];
    }""")


@pytest.fixture(scope="module")
def dashboard(browser, app_server, timings):
    """The app's page, rendered: opened once, never reloaded. Records the websocket bytes
    received until every figure was drawn and every request for plotly.js."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors, external, plotly_requests, ws_bytes = [], [], [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: external.append(r.url) if _is_external(r.url) else None)
    page.on("request", lambda r: plotly_requests.append(r.url) if "plotly" in r.url else None)
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: ws_bytes.append(len(f))))
    start = time.monotonic()
    page.goto(app_server.url, wait_until="commit", timeout=180_000)
    try:
        page.wait_for_function(RENDERED, timeout=180_000, polling=100)
    except PlaywrightTimeout:
        page.close()
        raise AssertionError(f"the dashboard did not render; page errors: {errors}") from None
    wall = time.monotonic() - start
    page.ws_bytes_to_first_draw = sum(ws_bytes)
    in_page = page.evaluate("() => window.__twRendered")
    html_done = page.evaluate("() => performance.getEntriesByType('navigation')[0].responseEnd")
    timings.record("first_render_ms_in_page", round(in_page, 1))
    # of which: the server running the notebook and sending the page, then the widgets drawing
    timings.record("page_html_received_ms_in_page", round(html_done, 1))
    timings.record("widgets_drawn_after_html_ms", round(in_page - html_done, 1))
    timings.record("first_render_s_wall", round(wall, 2))
    timings.record("websocket_bytes_to_first_draw", page.ws_bytes_to_first_draw)
    page.evaluate(WATCH)
    page.external_requests = external
    page.page_errors = errors
    page.plotly_requests = plotly_requests
    yield page
    page.close()


# ------------------------------------------------------------------------------------------ tests
def test_grid_histogram_and_contour_render_with_data(dashboard):
    page = dashboard
    rows = page.locator("table.tw-detectors tr.tw-row")
    # the first screen is the Explore tab: Design, Flow and Compare are built when first shown
    assert rows.count() == 0 and page.locator(".tw-flow, .tw-compare-figure").count() == 0
    _tab(page, "Design")
    rows.first.wait_for(timeout=60_000)
    _tab(page, "Explore")
    assert rows.count() == 19
    names = [rows.nth(i).get_attribute("data-name") for i in range(rows.count())]
    assert names[0] == "Inner Tracker" and "Muon RPC" in names
    cell = page.locator('table.tw-detectors tr.tw-row[data-name="Inner Tracker"] td[data-column="Data (bytes)"] input')
    assert float(cell.input_value()) == 1_440_000
    assert page.locator("table.tw-stages tr.tw-row").count() == 7
    # the score histogram: two bar traces with many bars, and the threshold line
    assert page.locator(".tw-histogram .barlayer .trace").count() >= 2
    assert page.locator(".tw-histogram .barlayer .point path").count() > 20
    x0, path = _threshold_x(page)
    assert x0 is not None and path
    # the contour map: filled levels drawn from the sweep
    assert page.locator(".tw-contour .contourlayer path").count() > 5
    assert 0 < _number(page, ".twidgets-inspector .tw-f1") < 1
    assert _number(page, ".twidgets-inspector .tw-power") > 0
    assert page.locator(".twidgets-dashboard .tw-flow, .twidgets-dashboard .tw-system-picker").count() >= 1


def test_screenshots(dashboard):
    page = dashboard
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(500)  # let plotly finish its transitions
    # the whole dashboard: a viewport tall enough that nothing is scrolled out (and left unpainted)
    height = int(page.evaluate("() => document.querySelector('.twidgets-dashboard').getBoundingClientRect().bottom"))
    page.set_viewport_size({"width": 1400, "height": min(max(height + 40, 1000), 4000)})
    page.wait_for_timeout(1500)  # plotly relayouts on resize
    page.locator(".twidgets-dashboard").screenshot(path=str(SCREENSHOTS / "dashboard.png"))
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.wait_for_timeout(1000)
    page.locator(".twidgets-inspector").screenshot(path=str(SCREENSHOTS / "inspector.png"))
    page.locator(".twidgets-explorer").screenshot(path=str(SCREENSHOTS / "explorer.png"))
    for name in ("dashboard", "inspector", "explorer"):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000


def _scroll_to_top(page):
    """Back to the top of the page (the dashboard's headline sticks to the top edge and would
    cover a control scrolled under it)."""
    page.mouse.move(700, 700)
    page.mouse.wheel(0, -20_000)
    page.wait_for_timeout(500)


def test_slider_changes_f1_and_moves_threshold(dashboard, timings):
    page = dashboard
    _scroll_to_top(page)
    f1_before = _text(page, ".twidgets-inspector .tw-f1")
    x_before, path_before = _threshold_x(page)
    handle = page.locator(".tw-rr-slider .noUi-handle")
    # the screenshots scrolled the page: bring the slider to mid-viewport, clear of the sticky headline
    handle.evaluate("(e) => e.scrollIntoView({block: 'center'})")
    track = page.locator(".tw-rr-slider .noUi-base").bounding_box()
    box = handle.bounding_box()
    n_events = page.evaluate("() => window.__twEvents.length")
    # drag the handle to the right (log scale: a higher reduction ratio keeps fewer events)
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] * 0.85, box["y"] + box["height"] / 2, steps=4)
    page.mouse.up()
    page.wait_for_function(
        "([sel, old]) => { const e = document.querySelector(sel); return e && e.textContent.trim() !== old; }",
        arg=[".twidgets-inspector .tw-f1", f1_before],
        timeout=60_000,
    )
    page.wait_for_function(
        "([old]) => { const p = document.querySelector('.tw-histogram .shapelayer path');"
        " return p && p.getAttribute('d') !== old; }",
        arg=[path_before],
        timeout=60_000,
    )
    rr = float(_text(page, ".tw-rr-slider .widget-readout"))
    assert rr > 100, f"the slider should now be at a high reduction ratio, reads {rr}"
    page.wait_for_timeout(1500)  # let the last continuous update land
    f1_after = _number(page, ".twidgets-inspector .tw-f1")
    x_after, path_after = _threshold_x(page)
    assert f1_after != float(f1_before)
    assert x_after > x_before, "keeping fewer events must raise the threshold"
    assert path_after != path_before
    events = page.evaluate("(n) => window.__twEvents.slice(n)", n_events)
    first = next(e for e in events if e["input"] is not None)
    timings.record("slider_to_update_ms_in_page", round(first["t"] - first["input"], 1))


def test_clicking_the_contour_map_updates_the_inspector(dashboard):
    page = dashboard
    _scroll_to_top(page)
    rr_before = float(_text(page, ".tw-rr-slider .widget-readout"))
    boost_before = float(_text(page, ".tw-boost-slider .widget-readout"))
    f1_before = _text(page, ".twidgets-inspector .tw-f1")
    drag = page.locator(".tw-contour .nsewdrag").first.bounding_box()
    # lower right of the map: a low reduction ratio (axis reversed) and a high skill boost
    page.mouse.click(drag["x"] + drag["width"] * 0.8, drag["y"] + drag["height"] * 0.25)
    page.wait_for_function(
        "() => /selected:/.test(document.querySelector('.tw-selected')?.textContent || '')", timeout=60_000
    )
    page.wait_for_function(
        "([sel, old]) => { const e = document.querySelector(sel); return e && e.textContent.trim() !== old; }",
        arg=[".twidgets-inspector .tw-f1", f1_before],
        timeout=60_000,
    )
    selected_rr = float(page.locator(".tw-selected .tw-selected-x").get_attribute("data-value"))
    selected_boost = float(page.locator(".tw-selected .tw-selected-y").get_attribute("data-value"))
    assert selected_rr < 200 and selected_boost > 0.5
    page.wait_for_function(
        "([v]) => Math.abs(parseFloat(document.querySelector('.tw-boost-slider .widget-readout')"
        ".textContent) - v) < 0.01",
        arg=[selected_boost],
        timeout=30_000,
    )
    rr_now = float(_text(page, ".tw-rr-slider .widget-readout"))
    assert rr_now == pytest.approx(selected_rr, rel=0.01) and rr_now != pytest.approx(rr_before, rel=0.01)
    assert float(_text(page, ".tw-boost-slider .widget-readout")) != boost_before


def _tab(page, title):
    """Show the dashboard's tab ``title`` (Explore, Design, Flow, Compare)."""
    page.locator(".tw-tabs .lm-TabBar-tab", has_text=title).first.click()
    page.wait_for_timeout(300)


def _detector_cell(page, name, column):
    return page.locator(f'table.tw-detectors tr.tw-row[data-name="{name}"] td[data-column="{column}"]')


def test_editing_detector_bytes_changes_the_power(dashboard):
    page = dashboard
    power_before = _text(page, ".twidgets-inspector .tw-power")
    power_before_value = _number(page, ".twidgets-inspector .tw-power")
    _tab(page, "Design")
    cell = _detector_cell(page, "Inner Tracker", "Data (bytes)").locator("input")
    cell.fill("4000000")
    cell.press("Enter")
    page.wait_for_function(
        "([sel, old]) => { const e = document.querySelector(sel); return e && e.textContent.trim() !== old; }",
        arg=[".twidgets-inspector .tw-power", power_before],
        timeout=60_000,
    )
    assert _number(page, ".twidgets-inspector .tw-power") > float(power_before_value)
    assert _detector_cell(page, "Inner Tracker", "Data (bytes)").locator("input").input_value() == "4000000"
    assert page.locator("table.tw-detectors td.tw-invalid").count() == 0


def test_invalid_value_shows_an_error_and_changes_nothing(dashboard):
    page = dashboard
    power_before = _settled_text(page, ".twidgets-inspector .tw-power")
    f1_before = _settled_text(page, ".twidgets-inspector .tw-f1")
    _tab(page, "Design")
    cell = _detector_cell(page, "Outer Tracker PS", "Data (bytes)")
    cell.locator("input").fill("-5")
    cell.locator("input").press("Enter")
    try:
        page.wait_for_selector(
            'table.tw-detectors tr.tw-row[data-name="Outer Tracker PS"] td[data-column="Data (bytes)"].tw-invalid',
            timeout=30_000,
        )
    except PlaywrightTimeout:  # say what the page shows instead
        pytest.fail(
            "the invalid cell was not marked; cell: "
            f"{_detector_cell(page, 'Outer Tracker PS', 'Data (bytes)').inner_html()!r}; errors: "
            f"{page.locator('.tw-errors').first.inner_text()!r}; status: "
            f"{page.locator('.tw-editor-status').first.inner_text()!r}"
        )
    message = cell.locator(".tw-error").inner_text()
    assert message.strip(), "the invalid cell has no message"
    assert "Event size (B)" in page.locator(".tw-errors").inner_text()  # the column's display name
    page.wait_for_timeout(1500)  # any (wrong) recomputation would have landed by now
    assert _text(page, ".twidgets-inspector .tw-power") == power_before, "power changed after an invalid edit"
    assert _text(page, ".twidgets-inspector .tw-f1") == f1_before, "F1 changed after an invalid edit"
    # the typed text stays visible for fixing
    assert _detector_cell(page, "Outer Tracker PS", "Data (bytes)").locator("input").input_value() == "-5"
    _tab(page, "Explore")


def test_no_page_errors_and_nothing_fetched_from_the_network(dashboard):
    page = dashboard
    assert not page.page_errors, page.page_errors  # e.g. anywidget's "Failed to initialize model."
    assert not page.external_requests, page.external_requests


def test_every_figure_is_drawn_from_one_plotly_js(dashboard):
    page = dashboard
    plots = page.locator(".tw-plot")
    for title in ("Flow", "Compare", "Explore"):  # the Flow and Compare figures exist once shown
        _tab(page, title)
    page.wait_for_function("() => document.querySelectorAll('.tw-plot[data-tw-rev]').length === 5", timeout=60_000)
    assert plots.count() == 5  # histogram, map, Pareto front, flow, compare
    for i in range(plots.count()):
        assert plots.nth(i).get_attribute("data-tw-rev") is not None
        assert plots.nth(i).locator(".js-plotly-plot .main-svg").count() > 0
    # the installed plotly's bundle, fetched once from the app's server, never sent over the websocket
    assert len(page.plotly_requests) == 1, page.plotly_requests
    assert page.plotly_requests[0].endswith("/voila/labextensions/plotly.min.js")
    assert page.ws_bytes_to_first_draw < 1_500_000, page.ws_bytes_to_first_draw
    # the plotly lab extension's own bundle is not loaded (denylisted)
    assert (
        page.evaluate(
            "() => performance.getEntriesByType('resource').filter(r => /jupyterlab-plotly/.test(r.name)).length"
        )
        == 0
    )


def test_figures_export_as_png_and_svg(dashboard):
    page = dashboard
    for fmt, prefix in (("png", "data:image/png;base64,"), ("svg", "data:image/svg+xml,")):
        url = page.evaluate(
            "(fmt) => window.Plotly.toImage(document.querySelector('.tw-contour .js-plotly-plot'),"
            " {format: fmt, width: 400, height: 300})",
            fmt,
        )
        assert url.startswith(prefix) and len(url) > 1000, url[:80]
    # the modebar's "download plot as a png" button is there
    page.locator(".tw-histogram .js-plotly-plot").hover()
    assert page.locator('.tw-histogram .modebar-btn[data-title="Download plot as a PNG"]').count() == 1


def test_the_sweep_csv_is_made_when_clicked_and_saved_by_the_browser(dashboard):
    page = dashboard
    _tab(page, "Explore")
    _scroll_to_top(page)
    button = page.locator(".tw-download-csv button")
    assert "data:text/csv" not in page.content()  # the file is not in the page until asked for
    with page.expect_download(timeout=30_000) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "sweep_Intermediate.reduction_ratio_Intermediate.skill_boost.csv"
    lines = [ln for ln in open(download.path(), encoding="utf-8").read().splitlines() if not ln.startswith("#")]
    header = lines[0].split(",")
    assert header[:2] == ["Intermediate.reduction_ratio", "Intermediate.skill_boost"] and "f1" in header
    assert len(lines) - 1 == 51 * 51  # one row per point of the default 51 x 51 map
    assert page.locator(".tw-download-csv .tw-download-error").inner_text().strip() == ""


def test_a_tab_built_when_first_shown_draws_its_figure_at_full_width(dashboard):
    page = dashboard
    width = "(sel) => { const e = document.querySelector(sel); return [e.offsetWidth, Number(e.querySelector('.main-svg').getAttribute('width'))]; }"
    try:
        page.locator(".lm-TabBar-tab", has_text="Flow").click()
        page.wait_for_function(
            "(sel) => { const e = document.querySelector(sel); const svg = e && e.querySelector('.main-svg');"
            " return svg !== null && e.offsetWidth > 0 && Number(svg.getAttribute('width')) === e.offsetWidth; }",
            arg=".tw-flow",
            timeout=30_000,
        )
        shown, drawn = page.evaluate(width, ".tw-flow")
        assert shown == drawn > 700
    finally:
        page.locator(".lm-TabBar-tab", has_text="Explore").click()
