"""Take the READMEs' screenshots from the running app: `python -m scripts.screenshots [URL]`
(from the repository root).

Needs the app running (python app.py), Debian's chromium and a font with Korean glyphs
(`apt-get install fonts-noto-cjk`); writes docs/screenshots/*.png, the English pages for
README.md and the Korean ones (`-ko`) for README.ko.md.
"""

import sys

from playwright.sync_api import sync_playwright

from harness.browser import launch
from harness.process import REPO_ROOT

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8050"
OUT = REPO_ROOT / "docs" / "screenshots"
DONE = "document.querySelector('#status').dataset.status === 'Done'"


def pages(browser, language: str, suffix: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ko-KR" if language == "ko" else "en-US")
    page.goto(f"{BASE}/?approach=manual&seed=3&epochs=1000&lang={language}")
    page.click("#train-button")
    page.wait_for_function(DONE)
    page.goto(f"{BASE}/?approach=module&seed=3&epochs=1000")
    page.click("#train-button")
    page.wait_for_function(DONE)
    page.click("#overlay-runs label >> nth=1")  # overlay the manual run
    page.wait_for_timeout(800)
    page.evaluate("window.scrollTo(0, 0)")
    page.set_viewport_size({"width": 1280, "height": 1250})
    page.wait_for_timeout(300)
    page.screenshot(path=str(OUT / f"training{suffix}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    landscape(page, language, suffix)
    stepping(page, language, suffix)
    page.goto(f"{BASE}/gallery?fn=elu&alpha=0.9&deriv=1")
    page.wait_for_selector("#activation-graph .js-plotly-plot")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(OUT / f"gallery{suffix}.png"), full_page=True)
    network(page, language, suffix)
    page.close()


def landscape(page, language: str, suffix: str) -> None:
    """Two optimizers on the same data: SGD with momentum (overlaid, dotted) and Adam (current)."""
    for optimizer in ("momentum", "adam"):
        page.goto(f"{BASE}/?approach=module&optimizer={optimizer}&lr=0.05&seed=3&epochs=300&lang={language}")
        page.click("#train-button")
        page.wait_for_function(DONE)
    page.click("#overlay-runs label >> nth=1")  # the momentum run
    page.wait_for_function("document.querySelectorAll('#landscape-graph .scatterlayer .trace').length >= 4")
    page.wait_for_timeout(800)
    page.locator("#landscape-graph").scroll_into_view_if_needed()
    page.locator("#landscape-graph").screenshot(path=str(OUT / f"landscape{suffix}.png"))


def stepping(page, language: str, suffix: str) -> None:
    """Adam, ten epochs stepped: the last one's numbers beside the loop's lines that computed them."""
    page.goto(f"{BASE}/?approach=module&optimizer=adam&lr=0.1&seed=3&lang={language}")
    page.wait_for_selector("#loss-graph .js-plotly-plot")
    page.click("#step-ten-button")
    page.wait_for_function("document.querySelector('#loss-graph .js-plotly-plot').data[0].y.length === 10")
    page.wait_for_timeout(800)
    page.locator("#step-view").scroll_into_view_if_needed()
    page.locator("#step-view").screenshot(path=str(OUT / f"stepping{suffix}.png"))


def network(page, language: str, suffix: str) -> None:
    """ReLU on sin x, with an earlier tanh run on the same data compared."""
    for fn in ("tanh", "relu"):
        page.goto(f"{BASE}/network?fn={fn}&target=sin&hidden=16&seed=3&lang={language}")
        page.click("#network-train-button")
        page.wait_for_function("document.querySelector('#network-status').dataset.status === 'Done'")
    page.wait_for_function("document.querySelector('#fit-graph .js-plotly-plot').data.some(t => t.meta === 'compared')")
    page.set_viewport_size({"width": 1280, "height": 1500})
    page.wait_for_timeout(1000)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(OUT / f"network{suffix}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        pages(browser, "en", "")
        pages(browser, "ko", "-ko")
        browser.close()


if __name__ == "__main__":
    main()
