"""Both pages in Korean and in English, in headless Chromium: a Korean browser gets Korean without
asking, no English text of the catalog shows in Korean mode (labels, buttons, status lines,
messages, axis titles, legends, table headers, function names and properties), and `?lang=en`
switches back and is remembered."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from conftest import status_text, wait_status
from core.i18n import LOCALE_DIR

pytestmark = pytest.mark.browser

with open(LOCALE_DIR / "ko" / "LC_MESSAGES" / "messages.po", "rb") as _po:
    _CATALOG = [m for m in read_po(_po) if m.id and m.string != m.id]
# English that must not show in Korean mode: each message's longest run of text between its
# placeholders, where it has a word of four letters (short tokens like "lr" or "f(x)" are notation)
ENGLISH = sorted({max(re.split(r"\{[^{}]*\}", m.id), key=len).strip() for m in _CATALOG} - {""})
ENGLISH = [text for text in ENGLISH if re.search(r"[A-Za-z]{4,}", text)]

# Everything a learner reads on the page: visible text, the charts' titles and legend entries,
# hover labels' names, buttons' and inputs' accessible names.
PAGE_TEXT_JS = """() => {
    const body = document.body.cloneNode(true);  // without the code view: code stays as it is
    body.querySelectorAll('pre, code').forEach((el) => el.remove());
    document.body.appendChild(body);  // (innerText needs it rendered)
    body.style.position = 'absolute';
    const parts = [body.innerText];
    body.remove();
    for (const el of document.querySelectorAll('.js-plotly-plot')) {
        const layout = el._fullLayout || {};
        for (const axis of ['xaxis', 'yaxis']) {
            const title = layout[axis] && layout[axis].title;
            if (title && title.text) parts.push(title.text);
        }
        for (const trace of el.data || []) if (trace.name) parts.push(trace.name);
    }
    for (const el of document.querySelectorAll('[aria-label], [title], [placeholder]')) {
        parts.push(el.getAttribute('aria-label') || '', el.getAttribute('title') || '',
                   el.getAttribute('placeholder') || '');
    }
    return parts.join('\\n');
}"""


def english_left(page) -> list[str]:
    """The catalog's English found as words (not inside a name like nn.Linear) on the page."""
    text = page.evaluate(PAGE_TEXT_JS)
    return [english for english in ENGLISH if re.search(rf"(?<![\w.]){re.escape(english)}(?![\w(])", text)]


@pytest.fixture
def korean_page(new_page):
    return new_page(locale="ko-KR")  # Chromium sends Accept-Language: ko-KR


def open_training(page, server, query: str = "") -> None:
    page.goto(f"{server.url}/{query}")
    page.wait_for_selector("#loss-graph .js-plotly-plot", timeout=30_000)
    page.wait_for_function("() => document.querySelector('#status').dataset.status === 'Ready'", timeout=15_000)


def test_a_korean_browser_gets_the_training_page_in_korean_and_can_train(korean_page, live_app):
    page = korean_page
    open_training(page, live_app, "?epochs=500&seed=3")
    assert page.get_attribute("html", "lang") == "ko"
    assert page.text_content("#train-button") == "학습"
    assert status_text(page).startswith("준비 — ")
    assert english_left(page) == []
    # a number input's − and + say what they change, in Korean (Dash names them in English)
    assert page.get_attribute(".dash-stepper-decrement[aria-controls=lr]", "aria-label") == "학습률 줄이기"
    assert page.get_attribute(".dash-stepper-increment[aria-controls=epochs]", "aria-label") == "에포크 수 늘리기"
    page.click("#train-button")
    page.wait_for_function("() => document.querySelector('#status').dataset.status === 'Done'", timeout=30_000)
    assert status_text(page).startswith("완료 — 500 에포크")
    assert english_left(page) == []
    # a bad value: the message at the control and the status are Korean too
    page.fill("#lr", "-1")
    page.click("#train-button")
    page.wait_for_function("() => document.querySelector('#status').dataset.status === 'Invalid'",
                           timeout=10_000)
    assert status_text(page).startswith("잘못된 입력 — 학습률")
    assert english_left(page) == []


def test_the_gallery_in_korean(korean_page, live_app):
    page = korean_page
    page.goto(f"{live_app.url}/gallery?fn=elu&deriv=1")
    page.wait_for_selector("#activation-graph .js-plotly-plot", timeout=30_000)
    page.wait_for_function("() => (document.querySelector('#properties').textContent || '').includes('치역')",
                           timeout=15_000)
    assert page.get_attribute("html", "lang") == "ko"
    assert english_left(page) == []
    # no "Share chart..." in the charts' toolbars: it uploads to Plotly Cloud, and here does nothing
    assert page.locator(".modebar-btn[data-title^='Share'], .modebar-btn[aria-label^='Share']").count() == 0


def test_lang_en_switches_back_and_is_remembered(korean_page, live_app):
    page = korean_page
    open_training(page, live_app, "?epochs=777&seed=3")
    page.click(".languages a[lang=en]")
    page.wait_for_function("() => document.documentElement.lang === 'en'", timeout=15_000)
    wait_status(page, "Ready", timeout=15)
    assert page.text_content("#train-button") == "Train"
    # the same page and settings (the page then writes its settings to the address bar again,
    # without `lang`: the choice is remembered, not shared with whoever gets the link)
    assert page.input_value("#epochs") == "777"
    page.wait_for_function("() => window.location.search.includes('approach=')", timeout=15_000)
    assert "epochs=777" in page.url
    assert page.get_attribute(".dash-stepper-decrement[aria-controls=lr]", "aria-label") == "Decrease Learning rate"
    page.goto(f"{live_app.url}/gallery")  # a later visit, no ?lang: the choice is remembered
    page.wait_for_selector("#activation-graph .js-plotly-plot", timeout=30_000)
    assert page.get_attribute("html", "lang") == "en"
    assert "Activation function" in page.inner_text("body")
