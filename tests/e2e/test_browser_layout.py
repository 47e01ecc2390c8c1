"""The app at a projector's 1280 x 720: nothing on screen covers or cuts off anything else.

* the score histogram's legend overlaps neither its title nor the plot area (the bars);
* every name in the editor's name columns is shown whole, and the detectors grid needs no
  horizontal scrolling.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

DRAWN = """() => {
  const n = (s) => document.querySelectorAll(s).length;
  return n('.tw-plot') >= 3 && n('.tw-plot[data-tw-rev]') === n('.tw-plot')
    && n('.tw-histogram .js-plotly-plot .barlayer .point path') > 0
    && n('.tw-histogram .legend .traces') >= 2 && n('.tw-histogram .gtitle') === 1;
}"""

BOXES = """() => {
  const box = (sel) => { const r = document.querySelector(sel).getBoundingClientRect();
                         return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; };
  return {legend: box('.tw-histogram .legend'), title: box('.tw-histogram .gtitle'),
          plot: box('.tw-histogram .bglayer .bg')};
}"""


def _overlap(a, b) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


@pytest.fixture(scope="module")
def page(browser, app_server):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(app_server.url, wait_until="commit", timeout=180_000)
    try:
        page.wait_for_function(DRAWN, timeout=180_000, polling=200)
    except PlaywrightTimeout:
        page.close()
        raise AssertionError(f"the dashboard did not render; page errors: {errors}") from None
    yield page
    page.close()


def test_histogram_legend_clears_title_and_bars(page):
    boxes = page.evaluate(BOXES)
    legend, title, plot = boxes["legend"], boxes["title"], boxes["plot"]
    assert legend["bottom"] - legend["top"] > 5 and title["right"] - title["left"] > 50  # both drawn
    assert not _overlap(legend, title), boxes
    assert legend["bottom"] <= plot["top"] + 0.5, boxes  # above the plot area, not over the bars
    assert title["bottom"] <= plot["top"] + 0.5, boxes
    assert legend["right"] <= plot["right"] + 0.5 and legend["left"] > title["left"], boxes  # right-aligned


def test_editor_names_are_shown_whole_without_horizontal_scroll(page):
    page.locator(".tw-tabs .lm-TabBar-tab", has_text="Design").first.click()
    page.wait_for_function(  # the tab is built when first chosen
        "() => { const t = document.querySelector('table.tw-detectors');"
        " return t !== null && t.getBoundingClientRect().width > 0; }",
        timeout=60_000,
    )
    names = page.evaluate(
        """() => [...document.querySelectorAll('table.tw-detectors td[data-column="Detector"] input,'
                  + ' table.tw-stages td[data-column="Name"] input')]
              .map((i) => [i.value, i.scrollWidth, i.clientWidth])"""
    )
    assert len(names) == 19 + 7
    assert "HGCAL TPG Stage1" in [n[0] for n in names]
    cut = [n for n in names if n[1] > n[2]]
    assert not cut, f"names cut off (value, text width, box width): {cut}"
    scroll = page.evaluate(
        """() => { const s = document.querySelector('table.tw-detectors').closest('.tw-scroll');
                   return [s.scrollWidth, s.clientWidth]; }"""
    )
    assert scroll[0] <= scroll[1], f"the detectors grid scrolls sideways: {scroll}"
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 1280
