"""The training page in headless Chromium, against the real app (`python app.py`).

Each test checks what a learner would notice: the status line, the loss chart, the learned
weights, the runs list, the address bar; and, where the page cannot show it, the server's
background job processes (a cancelled or failed run must not leave one behind).
"""

from __future__ import annotations

import json
import math
import re
import signal
import time

import pytest

from core.approaches import APPROACHES

from conftest import (
    graph_layout,
    graph_trace,
    graph_traces,
    job_children,
    status_text,
    status_word,
    trace_summary,
    wait_job_children,
    wait_no_job_children,
    wait_status,
)

pytestmark = pytest.mark.browser

TRUE_WEIGHTS = (1.0, 5.0, 7.0)
LONG_RUN = "epochs=300000&seed=1"  # about a minute of work: every test that starts one cancels it

# One read of everything a streaming run changes, so the values belong to the same moment.
SNAPSHOT_JS = """() => {
    const el = document.querySelector('#loss-graph .js-plotly-plot');
    const t = el && el.data && el.data[0];
    const x = (t && t.x) || [];
    const bar = document.querySelector('#progress-bar');
    return {
        status: (document.querySelector('#status').textContent || '').trim(),
        n_x: x.length,
        x_last: x.length ? x[x.length - 1] : null,
        bar: bar ? Number(bar.value) : null,
        bar_max: bar ? Number(bar.max) : null,
    };
}"""


@pytest.fixture(autouse=True)
def no_leftover_jobs(live_app):
    live_server = live_app
    """Start each test with no training job running, and never let one outlive its test."""
    leftover = wait_no_job_children(live_server, timeout=10)
    assert not leftover, f"a job from an earlier test is still running: {leftover}"
    yield
    for child in wait_no_job_children(live_server, timeout=3):
        try:
            child.kill()
        except Exception:  # noqa: BLE001 - it may have ended meanwhile
            pass


def open_page(page, live_server, query: str = "") -> None:
    """Load the training page and wait until Dash has rendered it and settled its first callbacks."""
    page.goto(f"{live_server.url}/{query}")
    page.wait_for_selector("#loss-graph .js-plotly-plot", timeout=15_000)
    wait_status(page, "Ready", timeout=10)
    # check_controls runs once on load and rewrites the address bar: wait for it so a later
    # fill never races with it.
    page.wait_for_function("() => window.location.search.includes('approach=')", timeout=10_000)


def start_long_run(page, live_server) -> list:
    """Open a long run, press Train, wait until it streams; return the job processes."""
    open_page(page, live_server, f"?{LONG_RUN}")
    page.click("#train-button")
    wait_status(page, "Running", timeout=10)
    page.wait_for_function(
        "() => /^Running — epoch [0-9]/.test(document.querySelector('#status').textContent.trim())",
        timeout=10_000,
    )
    children = wait_job_children(live_server, timeout=5)
    assert children, "the run streams but the server has no job child process"
    return children


FINAL_WORDS = ["Done", "Diverged", "Failed", "Cancelled", "Invalid"]


def train_and_wait(page, timeout: float = 30.0) -> str:
    """Press Train, see the run start (status Running), and return the status it ends with."""
    page.click("#train-button")
    wait_status(page, "Running", timeout=10)
    return wait_status(page, FINAL_WORDS, timeout=timeout)


def learned_weights(page, timeout: float = 10.0) -> list[float]:
    """The three numbers of #learned-weights, once it shows them."""
    page.wait_for_function(
        "() => (document.querySelector('#learned-weights').textContent.match(/-?\\d+\\.\\d+/g) || []).length === 3",
        timeout=timeout * 1000,
    )
    text = page.text_content("#learned-weights")
    numbers = re.findall(r"-?\d+(?:\.\d+)?", text)
    assert len(numbers) == 3, f"#learned-weights should hold three decimal numbers: {text!r}"
    return [float(n) for n in numbers]


def wait_trace_length(page, n: int, timeout: float = 10.0) -> dict:
    """Wait until trace 0 of the loss graph has exactly n points; return its summary."""
    page.wait_for_function(
        """(n) => {
            const el = document.querySelector('#loss-graph .js-plotly-plot');
            const t = el && el.data && el.data[0];
            return !!t && (t.x || []).length === n && (t.y || []).length === n;
        }""",
        arg=n,
        timeout=timeout * 1000,
    )
    return trace_summary(page)


def run_options(page) -> list[str]:
    return [t.strip() for t in page.locator("#overlay-runs label").all_text_contents()]


# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("approach", list(APPROACHES))
def test_each_approach_trains_to_the_true_weights(page, live_server, approach):
    open_page(page, live_server, f"?approach={approach}&seed=3")
    assert page.is_checked(f"#approach input[value={approach}]")
    text = train_and_wait(page)
    assert text.startswith("Done"), text
    assert "seed 3" in text

    weights = learned_weights(page)
    for learned, true in zip(weights, TRUE_WEIGHTS):
        assert abs(learned - true) < 0.5, f"learned {weights}, true {TRUE_WEIGHTS}"

    wait_trace_length(page, 1000)  # the finished curve replaces the streamed one
    trace = graph_trace(page)
    assert trace["x"] == list(range(1000)), "x should be every epoch index from 0 to 999"
    assert all(isinstance(y, (int, float)) and math.isfinite(y) and y >= 0 for y in trace["y"])
    assert trace["y"][-1] < trace["y"][0], "the loss should fall"


def test_long_run_streams_a_growing_curve(page, live_server):
    start_long_run(page, live_server)
    samples = []
    deadline = time.monotonic() + 10
    while len(samples) < 6 and time.monotonic() < deadline:
        snap = page.evaluate(SNAPSHOT_JS)
        if snap["status"].startswith("Running") and snap["n_x"] > 0:
            if not samples or snap["x_last"] != samples[-1]["x_last"]:
                samples.append(snap)
        page.wait_for_timeout(250)
    page.click("#cancel-button")
    wait_status(page, "Cancelled", timeout=5)

    assert len(samples) >= 4, f"the curve did not keep moving while Running: {samples}"
    x_lasts = [s["x_last"] for s in samples]
    bars = [s["bar"] for s in samples]
    assert x_lasts == sorted(x_lasts) and len(set(x_lasts)) == len(x_lasts), x_lasts
    assert bars == sorted(bars) and bars[-1] > bars[0], bars
    assert all(s["bar_max"] == 300000 for s in samples), samples
    # Each update carries the whole curve so far, thinned to a bounded number of points, so the
    # point count grows at first and then stays bounded while the epoch range keeps growing.
    # (The first update comes right after epoch 0, with one point.)
    counts = [s["n_x"] for s in samples]
    assert all(1 <= n <= 2000 for n in counts) and max(counts) > 100, counts
    assert samples[-1]["x_last"] > samples[0]["x_last"] + 100
    # The bar and the curve say the same thing: the last point drawn is a finished epoch.
    assert all(s["x_last"] < s["bar"] + 1 for s in samples), samples


def test_cancel_stops_the_job_and_a_new_run_works(page, live_server):
    start_long_run(page, live_server)
    page.click("#cancel-button")
    text = wait_status(page, ["Cancelled", "Failed", "Done"], timeout=5)
    assert text.startswith("Cancelled"), text
    left = wait_no_job_children(live_server, timeout=5)
    assert not left, f"the cancelled job's process is still alive: {left}"
    page.wait_for_timeout(500)
    assert status_word(page) == "Cancelled", status_text(page)

    page.fill("#epochs", "1000")
    text = train_and_wait(page)
    assert text.startswith("Done"), text
    assert len(learned_weights(page)) == 3


def _assert_rejected(page, live_server, field: str) -> str:
    """Press Train and check the run is refused: Invalid, a message at the field, no job."""
    page.click("#train-button")
    seen = set()
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        seen.add(status_word(page))
        assert not job_children(live_server), "an invalid run started a training job"
        page.wait_for_timeout(50)
    text = wait_status(page, ["Invalid", "Done", "Running", "Failed"], timeout=5)
    assert text.startswith("Invalid"), text
    assert "Running" not in seen, f"status went through Running: {seen}"
    error = page.locator(f"#{field}-error")
    assert error.is_visible(), f"#{field}-error is not visible"
    assert error.text_content().strip(), f"#{field}-error is empty"
    assert trace_summary(page)["n_x"] == 0, "an invalid run drew a curve"
    return text


def test_invalid_learning_rate_is_refused(page, live_server):
    open_page(page, live_server, "?seed=1")
    page.fill("#lr", "0")
    text = _assert_rejected(page, live_server, "lr")
    assert "Learning rate" in text


def test_fractional_epochs_are_refused(page, live_server):
    open_page(page, live_server, "?seed=1")
    page.fill("#epochs", "1.5")
    _assert_rejected(page, live_server, "epochs")


def test_work_over_budget_is_refused(page, live_server):
    open_page(page, live_server, "?seed=1")
    page.fill("#epochs", "1000000")
    page.fill("#samples", "1000")
    text = _assert_rejected(page, live_server, "epochs")
    assert "100,000,000" in text


def test_divergence_is_reported_with_finite_curve(page, live_server):
    open_page(page, live_server, "?lr=2&seed=1")
    text = train_and_wait(page)
    match = re.match(r"Diverged at epoch (\d+)\b", text)
    assert match, text
    diverged_at = int(match.group(1))
    assert diverged_at > 0
    page.wait_for_function(
        "() => /diverged/i.test(document.querySelector('#learned-weights').textContent)", timeout=10_000
    )

    # The final figure shows every epoch before the overflow, all finite.
    summary = wait_trace_length(page, min(diverged_at, 2000))
    trace = graph_trace(page)
    assert trace["x"][0] == 0 and summary["x_last"] == diverged_at - 1
    assert trace["y"], "no loss drawn"
    assert all(isinstance(y, (int, float)) and math.isfinite(y) for y in trace["y"]), trace["y"][-5:]


def test_two_sessions_with_identical_inputs_both_finish(new_page, live_server):
    query = "?seed=5&epochs=3000"
    first, second = new_page(), new_page()
    open_page(first, live_server, query)
    open_page(second, live_server, query)
    first.click("#train-button")
    second.click("#train-button")
    text1 = wait_status(first, FINAL_WORDS, timeout=40)
    text2 = wait_status(second, FINAL_WORDS, timeout=40)
    assert text1.startswith("Done"), text1
    assert text2.startswith("Done"), text2
    w1, w2 = learned_weights(first), learned_weights(second)
    assert w1 == w2, f"same seed and settings, different results: {w1} vs {w2}"
    assert first.text_content("#learned-weights") == second.text_content("#learned-weights")
    # The finished figure names trace 0 after the run. 3,000 epochs are thinned for display
    # to at most 2,000 points, the first and the last epoch kept.
    for page in (first, second):
        page.wait_for_function(
            """() => { const t = document.querySelector('#loss-graph .js-plotly-plot').data[0];
                       return (t.name || '').includes('seed 5') && t.x.length > 0; }""",
            timeout=10_000,
        )
        summary = trace_summary(page)
        assert summary["x0"] == 0 and summary["x_last"] == 2999, summary
        assert 2 <= summary["n_x"] <= 2000, summary
    assert graph_trace(first) == graph_trace(second)


def test_job_killed_from_outside_shows_failed(page, live_server):
    children = start_long_run(page, live_server)
    for child in children:
        child.send_signal(signal.SIGKILL)
    text = wait_status(page, ["Failed", "Cancelled", "Done"], timeout=5)
    assert text.startswith("Failed"), text
    assert not wait_no_job_children(live_server, timeout=2)
    assert page.is_enabled("#train-button")

    page.fill("#epochs", "1000")
    text = train_and_wait(page)
    assert text.startswith("Done"), text


def test_url_round_trip(page, live_server):
    open_page(page, live_server, "?approach=module&lr=0.05&epochs=2000&samples=100&noise=1&seed=3")
    assert page.is_checked("#approach input[value=module]")
    assert not page.is_checked("#approach input[value=manual]")
    assert float(page.input_value("#lr")) == 0.05
    assert page.input_value("#epochs") == "2000"
    assert page.input_value("#samples") == "100"
    assert float(page.input_value("#noise")) == 1.0
    assert page.input_value("#seed") == "3"
    assert not page.locator("#url-notice .notice").count(), page.text_content("#url-notice")

    page.fill("#epochs", "1500")
    page.wait_for_function("() => window.location.search.includes('epochs=1500')", timeout=5_000)
    search = page.evaluate("() => window.location.search")
    for part in ("approach=module", "lr=0.05", "samples=100", "noise=1", "seed=3"):
        assert part in search, search
    assert page.evaluate("() => window.location.pathname") == "/"


def test_runs_history_overlay_log_scale_and_reload(page, live_server):
    open_page(page, live_server, "?epochs=500&seed=1")
    assert run_options(page) == []
    text = train_and_wait(page)
    assert text.startswith("Done") and "seed 1" in text, text
    page.wait_for_function("() => document.querySelectorAll('#overlay-runs label').length === 1")

    page.fill("#seed", "2")
    text = train_and_wait(page)
    assert text.startswith("Done") and "seed 2" in text, text
    page.wait_for_function("() => document.querySelectorAll('#overlay-runs label').length === 2")
    options = run_options(page)
    assert any("seed 1" in o for o in options) and any("seed 2" in o for o in options), options
    wait_trace_length(page, 500)

    # Tick the earlier run: it is drawn beside the current one.
    page.locator("#overlay-runs label", has_text="seed 1").click()
    page.wait_for_function(
        "() => document.querySelector('#loss-graph .js-plotly-plot').data.length === 2", timeout=5_000
    )
    traces = graph_traces(page)
    assert len(traces[0]["x"]) == 500 and len(traces[1]["x"]) == 500
    assert traces[0]["y"] != traces[1]["y"], "the overlay should be the other run's curve"

    page.locator("#log-scale label", has_text="log").click()
    page.wait_for_function(
        "() => document.querySelector('#loss-graph .js-plotly-plot')._fullLayout.yaxis.type === 'log'",
        timeout=5_000,
    )
    assert graph_layout(page)["yaxis"]["type"] == "log"
    assert len(graph_traces(page)) == 2

    page.reload()
    page.wait_for_selector("#loss-graph .js-plotly-plot")
    page.wait_for_function(
        "() => document.querySelectorAll('#overlay-runs label').length === 2", timeout=10_000
    )
    options = run_options(page)
    assert any("seed 1" in o for o in options) and any("seed 2" in o for o in options), options


def test_the_run_downloads_as_a_notebook(page, live_server):
    open_page(page, live_server, "?approach=module&optimizer=adam&lr=0.1&epochs=300&seed=5")
    assert train_and_wait(page).startswith("Done")
    with page.expect_download() as download:
        page.click("#download-notebook")
    assert download.value.suggested_filename == "run-module-adam-seed5.ipynb"
    with open(download.value.path(), encoding="utf-8") as file:
        notebook = json.load(file)
    assert notebook["nbformat"] == 4
    code = "\n".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code")
    assert "torch.manual_seed(5)" in code and "for epoch in range(300):" in code
