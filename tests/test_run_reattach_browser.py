"""A run outlives the page that shows it, in headless Chromium, with the embedded job manager and
with Celery workers behind gunicorn: navigating away and back, reloading while it runs, coming
back after it finished, and another browser that never sees it.
"""

from __future__ import annotations

import re

import pytest

from conftest import status_text, trace_summary, wait_status

pytestmark = pytest.mark.browser

LONG_RUN = "?epochs=1000000&seed=3"  # minutes of work: every test that starts one cancels it
FINAL_WORDS = ["Done", "Diverged", "Failed", "Cancelled", "Invalid"]


@pytest.fixture(params=["embedded", pytest.param("celery", marks=pytest.mark.slow)])
def server(request):
    """The app with either job manager (for Celery: a running worker, gunicorn -w 2, so a poll may
    land on either web process); `.embedded` says which."""
    if request.param == "embedded":
        app = request.getfixturevalue("live_app")
    else:
        request.getfixturevalue("celery_worker")
        app = request.getfixturevalue("celery_gunicorn")
    app.embedded = request.param == "embedded"
    return app


def open_training(page, server, query: str = "") -> None:
    page.goto(f"{server.url}/{query}")
    page.wait_for_selector("#loss-graph .js-plotly-plot", timeout=30_000)
    wait_status(page, "Ready", timeout=15)
    page.wait_for_function("() => window.location.search.includes('approach=')", timeout=15_000)


def wait_epoch_past(page, epoch: int, timeout: float = 30) -> int:
    """Wait until the status says the job reached past `epoch`; return the epoch it says."""
    page.wait_for_function(
        """(n) => { const m = /^Running — epoch ([0-9,]+) of/.exec(document.querySelector('#status').textContent.trim());
                    return m && Number(m[1].replace(/,/g, '')) > n; }""",
        arg=epoch, timeout=timeout * 1000,
    )
    return int(re.search(r"epoch ([0-9,]+)", status_text(page)).group(1).replace(",", ""))


def cancel(page) -> str:
    page.click("#cancel-button")
    return wait_status(page, FINAL_WORDS, timeout=15)


def test_navigating_away_and_back_finds_the_run_streaming(page, server):
    open_training(page, server, LONG_RUN)
    page.click("#train-button")
    before = wait_epoch_past(page, 1)
    page.click("nav >> text=Activation gallery")
    page.wait_for_selector("#activation-graph .js-plotly-plot", timeout=15_000)
    # the navigation bar says a run trains, with a link back
    page.wait_for_function("() => document.querySelector('#active-runs a') !== null", timeout=10_000)
    assert "Training" in page.text_content("#active-runs") and "Running" in page.text_content("#active-runs")
    page.click("#active-runs a")
    page.wait_for_selector("#loss-graph .js-plotly-plot", timeout=15_000)
    after = wait_epoch_past(page, before)  # the same run, further on, still streaming
    assert after > before
    assert (trace_summary(page) or {}).get("n_x", 0) > 1, "the curve so far is back"
    assert page.is_disabled("#train-button") and page.is_enabled("#cancel-button")
    assert cancel(page).startswith("Cancelled")
    assert page.is_enabled("#train-button")


def test_a_reload_while_running_finds_the_run_and_starts_no_second_job(page, server):
    open_training(page, server, LONG_RUN)
    page.click("#train-button")
    before = wait_epoch_past(page, 1)
    page.reload()
    page.wait_for_selector("#loss-graph .js-plotly-plot", timeout=15_000)
    after = wait_epoch_past(page, before)
    assert after > before and (trace_summary(page) or {}).get("n_x", 0) > 1
    if server.embedded:  # the jobs are the server's children
        assert len(server.job_processes()) == 1, "a reload started a second job"
    assert cancel(page).startswith("Cancelled")


def test_a_run_that_ends_while_the_page_is_away_shows_its_result_on_return(page, server):
    open_training(page, server, "?epochs=20000&seed=4")
    page.click("#train-button")
    wait_status(page, "Running", timeout=15)
    page.click("nav >> text=Activation gallery")
    page.wait_for_selector("#activation-graph .js-plotly-plot", timeout=15_000)
    # the bar follows the run to its end while the learner is elsewhere
    page.wait_for_function("() => /Done/.test(document.querySelector('#active-runs').textContent)",
                           timeout=60_000)
    page.click("#active-runs a")
    text = wait_status(page, FINAL_WORDS, timeout=15)
    assert text.startswith("Done — 20,000 epochs") and "seed 4" in text, text
    assert len(re.findall(r"-?\d+\.\d+", page.text_content("#learned-weights"))) == 3
    # it is in the run history as if watched throughout
    page.wait_for_function("() => document.querySelectorAll('#overlay-runs label').length === 1", timeout=10_000)
    assert "seed 4" in page.text_content("#overlay-runs")
    assert (trace_summary(page) or {}).get("x_last") == 19_999


def test_another_browser_never_sees_the_run(page, new_page, server):
    open_training(page, server, LONG_RUN)
    page.click("#train-button")
    wait_epoch_past(page, 1)
    handle = page.evaluate("() => window.sessionStorage.getItem('run-handle')")
    assert handle, "the run's handle is kept in the tab's session storage"
    other = new_page()  # another browser: its own cookies and storage
    open_training(other, server)
    # even with the first browser's handle planted in its storage, it sees no run
    other.evaluate("(h) => window.sessionStorage.setItem('run-handle', h)", handle)
    other.reload()
    other.wait_for_selector("#loss-graph .js-plotly-plot", timeout=15_000)
    other.wait_for_timeout(1500)
    assert status_text(other).startswith("Ready"), status_text(other)
    assert other.is_disabled("#cancel-button")
    assert (other.text_content("#active-runs") or "").strip() == ""
    assert status_text(page).startswith("Running")  # untouched
    assert cancel(page).startswith("Cancelled")


def test_an_optimizer_race_runs_and_reports_every_lane_under_either_manager(page, server):
    """The race is a second run panel: its job goes through the same manager as Train's."""
    open_training(page, server, "?approach=module&seed=3&lr=1.2&epochs=1500")
    page.click("#race-train-button")
    page.wait_for_function("() => document.querySelector('#race-status').dataset.status === 'Done'", timeout=60_000)
    line = page.inner_text("#race-status")
    assert "sgd: diverged at epoch" in line and "momentum: final loss" in line and "adam: final loss" in line
    assert page.get_attribute("#status", "data-status") == "Ready"  # Train's panel untouched
