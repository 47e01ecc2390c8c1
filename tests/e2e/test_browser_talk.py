"""Giving a talk: the app on a projector (1280 x 720, 1920 x 1080, 2560 wide), deep links,
"Copy link", markers visible in the pixels, figure and view exports that work offline.

Expected numbers come from :func:`twidgets.evaluate` in this process; what the page shows
is read from ``data-value`` attributes (full precision) and from screenshots.
"""

from __future__ import annotations

import io
import math
from urllib.parse import urlencode

import numpy as np
import pytest
from app_server import SCREENSHOTS

import twidgets

RR, BOOST = "Intermediate.reduction_ratio", "Intermediate.skill_boost"

DRAWN = """() => {
  const q = (s) => document.querySelector(s);
  return q('.tw-headline-bar .tw-h-f1') !== null
    && q('.tw-contour.tw-plot[data-tw-rev] .contourlayer path') !== null
    && q('.tw-pareto.tw-plot[data-tw-rev] .scatterlayer path') !== null;
}"""


def open_app(browser, url, width=1280, height=720, **context):
    page = browser.new_page(viewport={"width": width, "height": height}, **context)
    page.page_errors = []
    page.on("pageerror", lambda e: page.page_errors.append(str(e)))
    page.goto(url, wait_until="commit", timeout=180_000)
    page.wait_for_function(DRAWN, timeout=180_000, polling=200)
    page.wait_for_timeout(800)  # the last Plotly.react of the first render
    return page


def headline(page, key):
    return float(page.locator(f".tw-headline-bar .tw-h-{key}").first.get_attribute("data-value"))


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def inside(b, width, height):
    return (
        b is not None
        and b["x"] >= 0
        and b["y"] >= 0
        and b["x"] + b["width"] <= width + 0.5
        and (b["y"] + b["height"] <= height + 0.5)
    )


def no_horizontal_scroll(page):
    return page.evaluate(
        "() => [document.documentElement.scrollWidth <= window.innerWidth,"
        " document.body.scrollWidth <= window.innerWidth]"
    ) == [True, True]


@pytest.fixture(scope="module")
def link_page(browser, app_server):
    query = urlencode({"system": "cms-run3-pu60", RR: 100, BOOST: 0.3, "tab": "explore"})
    page = open_app(browser, f"{app_server.url}?{query}", 1280, 720)
    yield page
    page.close()


def test_first_screen_at_projector_sizes(browser, app_server):
    page = open_app(browser, app_server.url, 1280, 720)
    widths = {}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1280, 720), (1920, 1080), (2560, 1440)):
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(1500)  # the figures follow the page's width (ResizeObserver)
        if width < 2560:
            page.screenshot(path=str(SCREENSHOTS / f"dashboard-{width}x{height}.png"))
        head = box(page, ".tw-headline-bar")
        contour = box(page, ".tw-contour .js-plotly-plot")
        assert inside(head, width, height), f"headline not in the first screen at {width}x{height}: {head}"
        assert inside(contour, width, height), f"map not in the first screen at {width}x{height}: {contour}"
        assert no_horizontal_scroll(page), f"horizontal scroll at {width}x{height}"
        widths[width] = contour["width"]
    assert widths[2560] > widths[1280] * 1.3, widths
    # the headline stays on screen while the page scrolls
    page.set_viewport_size({"width": 1280, "height": 720})
    page.wait_for_timeout(800)
    page.mouse.move(640, 600)
    page.mouse.wheel(0, 700)
    page.wait_for_timeout(800)
    assert box(page, ".tw-contour .js-plotly-plot")["y"] < 0, "the page did not scroll"
    assert inside(box(page, ".tw-headline-bar"), 1280, 720), "the headline scrolled away"
    page.mouse.wheel(0, -2000)
    # the Compare tab: nine variants as bars
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.locator(".tw-tabs .lm-TabBar-tab", has_text="Compare").first.click()
    page.wait_for_function(
        "() => document.querySelectorAll('.tw-compare-figure .barlayer .point path').length >= 9", timeout=60_000
    )
    page.wait_for_timeout(1000)
    assert page.locator(".tw-compare-table tr").count() == 10
    page.screenshot(path=str(SCREENSHOTS / "compare.png"))
    assert not page.page_errors, page.page_errors
    page.close()


def test_link_opens_the_system_at_that_point(link_page):
    ev = twidgets.evaluate(twidgets.load_system("cms-run3-pu60"), {RR: 100.0, BOOST: 0.3})
    assert headline(link_page, "f1") == ev.f1
    assert headline(link_page, "scaled-power") == ev.scaled_power
    assert headline(link_page, "precision") == ev.precision
    assert "cms-run3-pu60" in link_page.locator(".tw-h-system").inner_text()
    assert "L1 reduction ratio" in link_page.locator(".tw-whatif").inner_text()


def test_link_with_an_unknown_parameter_says_so(browser, app_server):
    page = open_app(browser, f"{app_server.url}?system=cms-run3-pu60&Intermediate.reduction_rate=100")
    message = page.locator(".tw-dashboard-message").inner_text()
    assert "Intermediate.reduction_rate" in message and "ignored" in message
    assert headline(page, "f1") == twidgets.evaluate(twidgets.load_system("cms-run3-pu60")).f1
    page.close()


def test_copied_link_reproduces_the_state(browser, link_page):
    link = link_page.locator(".tw-link-text").input_value()
    assert link.startswith("http://127.0.0.1") and "Intermediate.reduction_ratio=100.0" in link
    again = open_app(browser, link)
    for key in ("f1", "scaled-power", "recall", "throughput"):
        assert headline(again, key) == headline(link_page, key)
    again.close()


def _pixels(page):
    import matplotlib.image

    png = page.screenshot()
    return (matplotlib.image.imread(io.BytesIO(png), format="png")[..., :3] * 255).astype(int)


def _marker_xy(page, name):
    """Viewport pixel position of the map trace ``name``'s single point."""
    return page.evaluate(
        """(name) => {
          const gd = document.querySelector('.tw-contour .js-plotly-plot');
          const t = gd.data.find((d) => d.name === name);
          if (!t || !t.x || !t.x.length) return null;
          const fl = gd._fullLayout, r = gd.getBoundingClientRect();
          return [r.left + fl.xaxis._offset + fl.xaxis.l2p(t.x[0]), r.top + fl.yaxis._offset + fl.yaxis.l2p(t.y[0])];
        }""",
        name,
    )


def _near(img, xy, radius=11):
    x, y = int(round(xy[0])), int(round(xy[1]))
    return img[max(y - radius, 0) : y + radius + 1, max(x - radius, 0) : x + radius + 1].reshape(-1, 3)


def test_current_and_selected_points_show_in_the_pixels(link_page):
    page = link_page
    current = _marker_xy(page, "current operating point")
    assert current is not None
    img = _pixels(page)
    cyan = lambda px: (px[:, 0] < 90) & (px[:, 1] > 170) & (px[:, 2] > 200)
    assert cyan(_near(img, current)).sum() >= 20, "the current operating point is not visible"
    # click elsewhere on the map: the selected point appears there (black ring, white disc)
    drag = box(page, ".tw-contour .nsewdrag")
    target = (drag["x"] + drag["width"] * 0.25, drag["y"] + drag["height"] * 0.7)
    before = _near(_pixels(page), target, 14)
    page.mouse.click(*target)
    page.wait_for_function(
        "() => /selected:/.test(document.querySelector('.tw-selected')?.textContent || '')", timeout=60_000
    )
    page.wait_for_timeout(1200)
    selected = _marker_xy(page, "selected grid point")
    assert selected is not None and math.dist(selected, target) < 40
    after = _pixels(page)
    ring = _near(after, selected, 10)
    dark = ((ring < 60).all(axis=1)).sum()
    white = ((ring > 235).all(axis=1)).sum()
    assert dark >= 20 and white >= 20, f"selected marker not visible: {dark} dark, {white} white pixels"
    assert ((before < 60).all(axis=1)).sum() < dark  # the ring is new, not part of the map
    # and the legend shows both symbols
    legend = page.locator(".tw-contour .legend").first.text_content()
    assert "current operating point" in legend and "selected grid point" in legend
    # the current point moved to the click (the click is now the what-if point)
    current = _marker_xy(page, "current operating point")
    assert math.dist(current, selected) < 2


def test_figure_exports_png_and_svg_in_the_browser(link_page):
    page = link_page
    page.hover(".tw-pareto .js-plotly-plot")
    with page.expect_download(timeout=30_000) as svg:
        page.locator('.tw-pareto .modebar-btn[data-title="Download plot as SVG"]').click()
    assert svg.value.suggested_filename.endswith(".svg")
    assert "<svg" in open(svg.value.path(), encoding="utf-8").read(2000)
    with page.expect_download(timeout=30_000) as png:
        page.hover(".tw-pareto .js-plotly-plot")
        titles = page.eval_on_selector_all(
            ".tw-pareto .modebar-btn", "(bs) => bs.map((b) => b.getAttribute('data-title'))"
        )
        png_title = next(t for t in titles if t and t.startswith("Download plot") and not t.endswith("SVG"))
        page.locator(f'.tw-pareto .modebar-btn[data-title="{png_title}"]').click()
    assert png.value.suggested_filename.endswith(".png")
    assert open(png.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_exported_view_opens_offline(browser, link_page, tmp_path):
    with link_page.expect_download(timeout=120_000) as download:
        link_page.locator(".tw-export-view").click()
    path = tmp_path / "view.html"
    download.value.save_as(path)
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    requests = []
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_function("() => document.querySelectorAll('.tw-fig .main-svg').length >= 5", timeout=60_000)
    assert page.locator(".tw-fig .contourlayer path").count() > 5
    assert np.isclose(float(page.locator(".tw-h-f1").first.get_attribute("data-value")), headline(link_page, "f1"))
    assert all(u.startswith(("file:", "data:", "blob:", "about:")) for u in requests), requests
    context.close()
