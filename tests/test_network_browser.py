"""The network page in headless Chromium: Train streams and ends Done with the fit, the loss and
one trace per hidden unit; Cancel; bad input is Invalid and runs nothing; deep links both ways
between the gallery and the network page; compared runs overlay the fit; a killed job is Failed;
the navigation bar follows a run; the page in Korean; Celery mode."""

from __future__ import annotations

import signal

import numpy as np
import pytest

from conftest import graph_traces, job_children, wait_job_children, wait_no_job_children
from test_i18n_browser import english_left, korean_page  # noqa: F401 - the fixture
from test_training_browser import no_leftover_jobs  # noqa: F401 - the fixture applies here too

pytestmark = pytest.mark.browser

QUICK = "?fn=relu&target=sin&hidden=8&epochs=300&samples=60&noise=0.1&seed=3"


def open_network(page, server, query: str = QUICK) -> None:
    page.goto(f"{server.url}/network{query}")
    page.wait_for_selector("#fit-graph .js-plotly-plot", timeout=30_000)
    wait_network(page, "Ready", timeout=15)
    # check_controls runs once on load and rewrites the address bar: wait for it
    page.wait_for_function("() => window.location.search.includes('fn=')", timeout=15_000)


def wait_network(page, word: str, timeout: float = 30) -> str:
    page.wait_for_function("(word) => document.querySelector('#network-status').dataset.status === word",
                           arg=word, timeout=timeout * 1000)
    return page.inner_text("#network-status")


def by_meta(page, graph: str, meta: str) -> list[dict]:
    return [t for t in graph_traces(page, graph) if t.get("meta") == meta]


def test_train_streams_and_ends_done_with_the_fit_the_loss_and_one_trace_per_unit(page, live_app):
    open_network(page, live_app, QUICK.replace("epochs=300", "epochs=3000"))
    page.click("#network-train-button")
    page.wait_for_function("() => document.querySelector('#network-status').dataset.status === 'Running'"
                           " || document.querySelector('#network-status').dataset.status === 'Done'", timeout=10_000)
    line = wait_network(page, "Done", timeout=60)
    assert line.startswith("Done") and "seed 3" in line
    page.wait_for_function("() => document.querySelectorAll('#units-graph .scatterlayer .trace').length >= 8",
                           timeout=10_000)
    assert [len(by_meta(page, "#fit-graph", m)) for m in ("data", "target", "network")] == [1, 1, 1]
    assert len(by_meta(page, "#fit-graph", "data")[0]["x"]) == 60
    network = by_meta(page, "#fit-graph", "network")[0]
    assert len(network["x"]) == 200
    assert len(by_meta(page, "#units-graph", "unit")) == 8
    assert {t["meta"] for t in graph_traces(page, "#units-graph")} == {"unit", "sum", "bias"}
    total = by_meta(page, "#units-graph", "sum")[0]
    np.testing.assert_allclose(total["y"], network["y"], atol=1e-5)
    loss = graph_traces(page, "#network-loss-graph")[0]
    assert loss["x"][0] == 0 and loss["x"][-1] == 2999
    assert f"{loss['y'][-1]:.4g}" in line
    assert "best straight line" in page.inner_text("#network-result")
    assert "nn.ReLU()" in page.inner_text("#network-code-view")


def test_cancel_stops_the_run(page, live_app):
    open_network(page, live_app, "?fn=tanh&hidden=64&epochs=100000&samples=300&seed=2")
    page.click("#network-train-button")
    wait_network(page, "Running", timeout=10)
    page.wait_for_function("() => document.querySelector('#network-loss-graph .js-plotly-plot').data[0].x.length > 3",
                           timeout=15_000)
    page.click("#network-cancel-button")
    assert wait_network(page, "Cancelled", timeout=15).startswith("Cancelled")
    assert page.locator("#status").count() == 0  # the training page's panel is not here


def test_bad_input_is_invalid_and_runs_nothing(page, live_app):
    open_network(page, live_app)
    page.fill("#network-hidden", "999")
    page.wait_for_function("() => document.querySelector('#network-hidden-error').textContent.length > 0",
                           timeout=10_000)
    page.click("#network-train-button")
    line = wait_network(page, "Invalid", timeout=10)
    assert "Hidden units" in line
    page.wait_for_timeout(300)
    assert not job_children(live_app)
    assert len(by_meta(page, "#units-graph", "unit")) == 0


def test_a_deep_link_sets_the_controls_and_the_links_go_both_ways(page, live_app):
    open_network(page, live_app, "?fn=elu&alpha=0.5&target=abs&hidden=12&epochs=200&lr=0.02&noise=0.3"
                                 "&samples=40&seed=7")
    for control, value in (("hidden", "12"), ("epochs", "200"), ("lr", "0.02"), ("noise", "0.3"),
                           ("samples", "40"), ("seed", "7")):
        assert page.input_value(f"#network-{control}") == value
    assert page.input_value("#network-target input:checked") == "abs"
    assert "ELU" in page.inner_text("#network-activation")
    assert page.input_value('[id=\'{"name":"alpha","type":"network-param-box"}\']') == "0.5"
    assert page.get_attribute("#gallery-link", "href") == "/gallery?fn=elu&alpha=0.5"
    assert by_meta(page, "#fit-graph", "target")[0]["y"][0] == pytest.approx(3)  # |−3|
    page.check("#network-target input[value='sin']")  # the new data show before Train
    page.wait_for_function("() => document.querySelector('#fit-graph .js-plotly-plot').data[1].y[0] < 0",
                           timeout=10_000)
    assert by_meta(page, "#fit-graph", "target")[0]["y"][0] == pytest.approx(np.sin(-3), abs=1e-6)
    assert len(by_meta(page, "#fit-graph", "data")[0]["x"]) == 40
    page.goto(f"{live_app.url}/gallery?fn=leaky_relu&alpha=0.3")
    page.wait_for_selector("#activation-graph .js-plotly-plot", timeout=15_000)
    assert page.get_attribute("#network-link", "href") == "/network?fn=leaky_relu&alpha=0.3"
    page.click("#network-link")
    page.wait_for_selector("#fit-graph .js-plotly-plot", timeout=15_000)
    page.wait_for_function("() => window.location.search.includes('alpha=0.3')", timeout=10_000)
    assert page.input_value('[id=\'{"name":"alpha","type":"network-param-box"}\']') == "0.3"


def test_the_binary_step_says_why_it_cannot_learn(page, live_app):
    open_network(page, live_app, "?fn=binary_step&hidden=4&epochs=50&seed=1")
    assert "gradient" in page.inner_text("#network-note")
    page.click("#network-train-button")
    wait_network(page, "Done", timeout=30)
    assert "gradient" in page.inner_text("#network-result")


@pytest.mark.slow
def test_the_page_in_korean(korean_page, live_app):
    page = korean_page
    open_network(page, live_app, "?fn=tanh&hidden=4&epochs=50&seed=1")
    assert page.get_attribute("html", "lang") == "ko"
    assert page.text_content("#network-train-button") == "학습"
    assert english_left(page) == []
    page.click("#network-train-button")
    assert wait_network(page, "Done", timeout=30).startswith("완료 — 50 에포크")
    page.wait_for_function("() => document.querySelectorAll('#network-compare-table tr').length >= 3", timeout=10_000)
    assert english_left(page) == []


@pytest.mark.slow
def test_finished_runs_on_the_same_data_overlay_the_fit_with_a_table(page, live_app):
    open_network(page, live_app, QUICK)
    page.click("#network-train-button")
    wait_network(page, "Done", timeout=30)
    page.goto(f"{live_app.url}/network{QUICK.replace('fn=relu', 'fn=tanh')}")
    page.wait_for_selector("#fit-graph .js-plotly-plot", timeout=15_000)
    page.click("#network-train-button")
    page.wait_for_function("() => document.querySelector('#network-status').dataset.status === 'Done'"
                           " && document.querySelectorAll('#network-compare-table tr').length >= 4", timeout=30_000)
    table = page.inner_text("#network-compare-table")
    assert "ReLU" in table and "TanH" in table and "straight line" in table
    page.wait_for_function("() => document.querySelector('#fit-graph .js-plotly-plot').data"
                           ".some(t => t.meta === 'compared')", timeout=10_000)
    compared = by_meta(page, "#fit-graph", "compared")
    assert len(compared) == 1 and "ReLU" in compared[0]["name"]


@pytest.mark.slow
def test_the_navigation_bar_follows_a_network_run_elsewhere(page, live_app):
    open_network(page, live_app, "?fn=tanh&hidden=64&epochs=100000&samples=300&seed=2")
    page.click("#network-train-button")
    wait_network(page, "Running", timeout=10)
    page.click("#navbar a[href='/gallery']")
    page.wait_for_function("() => (document.querySelector('#active-runs').textContent || '').includes('Network')",
                           timeout=10_000)
    page.click("#active-runs a")
    page.wait_for_selector("#network-status", timeout=15_000)
    wait_network(page, "Running", timeout=15)
    page.click("#network-cancel-button")
    wait_network(page, "Cancelled", timeout=15)


@pytest.mark.slow
def test_a_killed_job_shows_failed_and_train_works_again(page, live_app):
    open_network(page, live_app, "?fn=tanh&hidden=64&epochs=100000&samples=300&seed=2")
    page.click("#network-train-button")
    wait_network(page, "Running", timeout=10)
    # the job streams (it has claimed the run: killed before that, it would be presumed queued)
    page.wait_for_function("() => document.querySelector('#network-loss-graph .js-plotly-plot').data[0].x.length > 3",
                           timeout=15_000)
    for child in wait_job_children(live_app, timeout=10):
        child.send_signal(signal.SIGKILL)
    assert wait_network(page, "Failed", timeout=15).startswith("Failed")
    assert not wait_no_job_children(live_app, timeout=2)
    assert page.is_enabled("#network-train-button")
    page.fill("#network-epochs", "100")
    page.click("#network-train-button")
    assert wait_network(page, "Done", timeout=30).startswith("Done")


@pytest.mark.slow
def test_a_network_run_goes_through_celery_too(page, celery_worker, celery_gunicorn):
    open_network(page, celery_gunicorn)
    page.click("#network-train-button")
    assert wait_network(page, "Done", timeout=90).startswith("Done")
    assert len(by_meta(page, "#units-graph", "unit")) == 8
