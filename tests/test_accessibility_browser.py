"""Every learner, in headless Chromium: zero axe-core violations (WCAG 2.0/2.1 A and AA) on every
page, in both languages, light and dark, before and after a run, a step and a race; the keyboard
alone trains and moves a slider, with a visible focus ring; a 390-px phone never scrolls sideways;
each chart is summarised for screen readers; the dark theme reaches the charts."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from conftest import wait_status
from test_training_browser import no_leftover_jobs, open_page  # noqa: F401 - the fixture applies here too

pytestmark = pytest.mark.browser

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
GALLERY = "/gallery?fn=elu&alpha=0.5&deriv=1&compare=relu,tanh"


def violations(page) -> list[str]:
    """axe's violations on the page as it is now, one line each (rule, impact, where)."""
    page.wait_for_timeout(400)  # what is still streaming in settles
    found = Axe().run(page, options=WCAG).response["violations"]
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}" for v in found]


def open_gallery(page, live_app, query: str = GALLERY) -> None:
    page.goto(live_app.url + query)
    page.wait_for_selector("#activation-graph .js-plotly-plot", timeout=15_000)


def test_no_axe_violations_on_the_training_page_as_it_opens(page, live_app):
    open_page(page, live_app, "?approach=module&optimizer=adam")
    assert violations(page) == []


@pytest.mark.slow
@pytest.mark.parametrize("lang,scheme", [("en", "light"), ("ko", "dark")])
def test_no_axe_violations_before_and_after_a_run_a_step_and_a_race(new_page, live_app, lang, scheme):
    page = new_page(color_scheme=scheme)
    page.goto(f"{live_app.url}/?approach=module&optimizer=adam&seed=3&epochs=200&lang={lang}")
    page.wait_for_function("document.querySelector('#status') && document.querySelector('#status').dataset.status"
                           " === 'Ready' && document.querySelector('#landscape-graph .js-plotly-plot')",
                           timeout=15_000)
    assert violations(page) == []
    page.click("#train-button")
    page.wait_for_function("document.querySelector('#status').dataset.status === 'Done'", timeout=30_000)
    assert violations(page) == []
    page.click("#step-ten-button")
    page.wait_for_function("document.querySelector('#status').dataset.status === 'Stepped'"
                           " && document.querySelector('#loss-graph .js-plotly-plot').data[0].y.length === 10")
    assert violations(page) == []
    page.click("#race-train-button")
    page.wait_for_function("document.querySelector('#race-status').dataset.status === 'Done'", timeout=60_000)
    assert violations(page) == []


@pytest.mark.parametrize("lang,scheme", [("en", "light"), pytest.param("ko", "dark", marks=pytest.mark.slow)])
def test_no_axe_violations_in_the_gallery_with_derivative_and_comparisons(new_page, live_app, lang, scheme):
    page = new_page(color_scheme=scheme)
    open_gallery(page, live_app, f"{GALLERY}&lang={lang}")
    assert violations(page) == []


def test_the_keyboard_alone_trains_with_a_visible_focus_ring(page, live_app):
    open_page(page, live_app, "?approach=manual&seed=3&epochs=200")
    order = []
    for _ in range(80):  # Tab through the page until Train has the focus
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id || document.activeElement.name || ''")
        order.append(focused)
        if focused == "train-button":
            break
    assert order[-1] == "train-button", order
    # the settings come before Train, in the order the page shows them
    assert order.index("lr") < order.index("epochs") < order.index("seed") < len(order) - 1
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert ring not in ("", "none")
    page.keyboard.press("Enter")
    wait_status(page, "Done", timeout=30)
    assert page.get_attribute("#status", "aria-live") == "polite"


def test_a_slider_moves_with_the_arrow_keys(page, live_app):
    open_gallery(page, live_app, "/gallery?fn=elu&alpha=0.5")
    thumb = page.locator(".dash-slider-thumb").first
    thumb.focus()
    assert page.evaluate("document.activeElement.getAttribute('aria-label')").startswith("alpha")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('.dash-slider-thumb').getAttribute('aria-valuenow') === '0.51'")
    page.wait_for_function("() => window.location.search.includes('alpha=0.51')", timeout=10_000)


@pytest.mark.parametrize("path", ["/?approach=manual&seed=3&epochs=100", GALLERY])
def test_a_phone_never_scrolls_sideways_and_stacks_the_controls_above_the_charts(new_page, live_app, path):
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto(live_app.url + path)
    page.wait_for_selector(".js-plotly-plot", timeout=15_000)
    if path.startswith("/?"):
        page.tap("#train-button")
        wait_status(page, "Done", timeout=30)
    page.wait_for_timeout(500)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    controls, charts = (page.locator(selector).first.bounding_box() for selector in (".controls", ".panel:not(.controls)"))
    assert controls["y"] + controls["height"] <= charts["y"] + 1
    widths = page.evaluate("[...document.querySelectorAll('.js-plotly-plot')].map(g => g.getBoundingClientRect().right)")
    assert widths and max(widths) <= 390


def test_each_chart_is_summarised_for_screen_readers(page, live_app):
    open_page(page, live_app, "?approach=manual&seed=3&epochs=200")
    page.click("#train-button")
    wait_status(page, "Done", timeout=30)
    page.wait_for_timeout(500)
    summary_id = page.get_attribute("#loss-graph", "aria-describedby")
    summary = page.inner_text(f"#{summary_id}")
    assert "200 points" in summary and "last value" in summary
    for graph in ("#weights-graph", "#landscape-graph", "#data-graph"):
        assert page.get_attribute(graph, "aria-describedby")


def test_the_dark_theme_follows_the_system_charts_included(new_page, live_app):
    page = new_page(color_scheme="dark")
    open_page(page, live_app, "?approach=manual&seed=3")
    background = page.evaluate("getComputedStyle(document.querySelector('.panel')).backgroundColor")
    page.wait_for_selector("#loss-graph .xtick text")
    # the chart's white paper gives way to the panel's dark one; its words take the page's ink
    paper = page.evaluate("getComputedStyle(document.querySelector('#loss-graph .main-svg')).backgroundColor")
    text = page.evaluate("getComputedStyle(document.querySelector('#loss-graph .xtick text')).fill")
    assert background == "rgb(17, 24, 39)" and paper == "rgba(0, 0, 0, 0)"
    assert text == "rgb(229, 231, 235)"


@pytest.mark.parametrize("lang,scheme", [("en", "light"), pytest.param("ko", "dark", marks=pytest.mark.slow)])
def test_no_axe_violations_on_the_network_page_before_and_after_a_run(new_page, live_app, lang, scheme):
    page = new_page(color_scheme=scheme)
    page.goto(f"{live_app.url}/network?fn=relu&hidden=8&epochs=200&seed=1&lang={lang}")
    page.wait_for_selector("#fit-graph .js-plotly-plot", timeout=15_000)
    assert violations(page) == []
    page.click("#network-train-button")
    page.wait_for_function("document.querySelector('#network-status').dataset.status === 'Done'", timeout=60_000)
    assert violations(page) == []


def test_a_phone_never_scrolls_sideways_on_the_network_page(new_page, live_app):
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto(f"{live_app.url}/network?fn=tanh&hidden=8&epochs=100&seed=1")
    page.wait_for_selector("#fit-graph .js-plotly-plot", timeout=15_000)
    page.tap("#network-train-button")
    page.wait_for_function("document.querySelector('#network-status').dataset.status === 'Done'", timeout=60_000)
    page.wait_for_timeout(500)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
