"""Stepping through training in headless Chromium: k steps show the losses and weights of a run of
k epochs (manual, and Adam with its state); the gradient shown is the one worked out here; the
fitted plane is the learned weights'; Play and Pause; a changed setting or Train starts afresh;
bad input steps nothing."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from harness.tutorial import tutorial_data

from conftest import graph_trace, graph_traces, status_text, wait_status
from test_training_browser import no_leftover_jobs, open_page  # noqa: F401 - the fixture applies here too

pytestmark = pytest.mark.browser

RUN = "seed=4&samples=60&noise=0.5&lr=0.05"
ADAM = "approach=module&optimizer=adam&beta1=0.85&beta2=0.99&" + RUN


def numbers(page, selector: str) -> np.ndarray:
    return np.array([float(v) for v in page.inner_text(selector).split(",")])


def stepped(page) -> int:
    """How many epochs the loss chart's stepped curve holds."""
    trace = graph_trace(page)
    return len(trace["y"]) if trace else 0


def wait_stepped(page, count: int, timeout: float = 15.0) -> None:
    page.wait_for_function(
        "(n) => { const g = document.querySelector('#loss-graph .js-plotly-plot');"
        " return g && g.data && g.data[0].y && g.data[0].y.length === n"
        " && document.querySelector('#status').dataset.status === 'Stepped'; }",
        arg=count, timeout=timeout * 1000)


def step_ten(page, expected: int) -> None:
    page.click("#step-ten-button")
    wait_stepped(page, expected)


@pytest.mark.parametrize("query", [f"approach=manual&{RUN}", ADAM], ids=["manual", "adam"])
def test_ten_steps_are_a_run_of_ten_epochs(page, live_app, query):
    open_page(page, live_app, f"?{query}&epochs=10")
    step_ten(page, 10)
    assert page.get_attribute("#status", "data-status") == "Stepped"
    steps, weights = graph_trace(page)["y"], numbers(page, "#learned-weights")
    assert graph_trace(page)["x"] == list(range(10))
    page.click("#train-button")
    wait_status(page, "Done", timeout=30)
    run = graph_trace(page)["y"]
    np.testing.assert_allclose(steps, run, rtol=1e-6)
    np.testing.assert_allclose(weights, numbers(page, "#learned-weights"), atol=1e-6)


def test_the_gradient_shown_is_the_epochs_own(page, live_app):
    open_page(page, live_app, f"?approach=manual&{RUN}")
    page.click("#step-button")
    wait_stepped(page, 1)
    # the manual approach's initial weights: the draw after the data's, from the same seed
    X, y = tutorial_data(samples=60, noise=0.5, seed=4)
    w = torch.randn(3)
    X, y, w = X.double().numpy(), y.double().numpy(), w.double().numpy()
    gradient = -2 / len(y) * X.T @ (y - X @ w)
    shown = page.inner_text("#gradient")
    np.testing.assert_allclose(numbers(page, "#gradient"), gradient, rtol=1e-4, atol=1e-4)
    assert all(len(v.strip().split(".")[1]) >= 4 for v in shown.split(","))
    # the update written out lands on the weights shown, and the loop's four lines are marked
    np.testing.assert_allclose(numbers(page, "#learned-weights"), w - 0.05 * gradient, atol=1e-4)
    assert page.locator("#step-code mark.ran").count() == 4
    assert "loss.backward()" in page.inner_text("#step-code mark[data-computes=gradient]")
    assert f"{np.mean((y - X @ w) ** 2):.4f}"[:6] in page.inner_text("#step-forward")
    # Step again: epoch 2 continues from the weights the first left
    page.click("#step-button")
    wait_stepped(page, 2)
    assert "Epoch 2" in page.inner_text("#step-forward")


def plane_matches(page, weights: np.ndarray) -> None:
    plane = next(t for t in graph_traces(page, "#data-graph") if t.get("meta") == "fit-plane")
    a, b, z = np.array(plane["x"]), np.array(plane["y"]), np.array(plane["z"])
    expected = weights[0] + weights[1] * a[None, :] + weights[2] * b[:, None]
    np.testing.assert_allclose(z, expected, atol=2e-3)


def test_the_fitted_plane_is_the_learned_weights_plane(page, live_app):
    open_page(page, live_app, f"?approach=manual&{RUN}&epochs=300")
    page.click("#step-button")
    wait_stepped(page, 1)
    plane_matches(page, numbers(page, "#learned-weights"))
    page.click("#train-button")
    wait_status(page, "Done", timeout=30)
    plane_matches(page, numbers(page, "#learned-weights"))
    samples = next(t for t in graph_traces(page, "#data-graph") if t.get("meta") == "samples")
    X, y = tutorial_data(samples=60, noise=0.5, seed=4)
    np.testing.assert_allclose(samples["x"], X[:, 1].numpy(), rtol=1e-6)
    page.check("#true-plane-toggle input")
    page.wait_for_function("() => { const g = document.querySelector('#data-graph .js-plotly-plot');"
                           " return g && g.data[2].visible === true; }")


# Records when the 3-D chart finished drawing a new fitted plane (Plotly's afterplot event, not
# a frame loop, which a busy machine can delay), and whether the run was Running then.
RECORD_PLANE_DRAWS_JS = """
() => { const draws = window.__planeDraws = []; let last = null;
  const g = document.querySelector('#data-graph .js-plotly-plot');
  g.on('plotly_afterplot', () => {
    const plane = g.data.find(t => t.meta === 'fit-plane');
    if (plane && plane.z !== last) {
      last = plane.z;
      draws.push({at: performance.now(), running: document.querySelector('#status').dataset.status === 'Running'});
    }
  }); }
"""


def test_the_plane_moves_about_once_a_second_while_a_run_streams_and_ends_on_the_learned_weights(page, live_app):
    """The 3-D chart is the dearest to redraw (WebGL, drawn in software without a GPU): while a
    run streams it takes an update at most once a second (assets/runs.js), and the run's end at once."""
    open_page(page, live_app, f"?approach=manual&{RUN}&epochs=60000&lr=0.01")  # 3-6 s here
    page.evaluate(RECORD_PLANE_DRAWS_JS)
    page.click("#train-button")
    wait_status(page, "Done", timeout=60)
    plane_matches(page, numbers(page, "#learned-weights"))
    running = [d["at"] for d in page.evaluate("() => window.__planeDraws") if d["running"]]
    assert len(running) >= 3, "the plane did not move while the run streamed"
    gaps = np.diff(running) / 1000  # 1 s apart, less one draw's time (more on a busy machine)
    assert gaps.min() > 0.6, f"the 3-D chart redrew {gaps.min():.2f} s after its last draw"


def test_play_steps_until_paused_and_a_changed_setting_starts_afresh(page, live_app):
    open_page(page, live_app, f"?approach=manual&{RUN}")
    page.click("#step-play-button")
    page.wait_for_function("() => document.querySelector('#loss-graph .js-plotly-plot').data[0].y.length >= 3",
                           timeout=10_000)
    assert page.inner_text("#step-play-button") == "Pause"
    page.click("#step-play-button")
    page.wait_for_timeout(600)  # a step already asked for may still land
    count = stepped(page)
    page.wait_for_timeout(800)
    assert stepped(page) == count and page.inner_text("#step-play-button") == "Play"
    page.fill("#lr", "0.02")
    page.click("#step-button")
    wait_stepped(page, 1)
    assert "Epoch 1," in page.inner_text("#step-forward")


def test_train_starts_afresh_and_an_empty_seed_is_picked_at_the_first_step(page, live_app):
    open_page(page, live_app, "?approach=manual&epochs=20")
    page.click("#step-button")
    wait_stepped(page, 1)
    seed = page.input_value("#seed")
    assert seed.isdigit() and f"seed {seed}" in status_text(page)
    page.click("#step-button")
    wait_stepped(page, 2)
    page.click("#train-button")
    wait_status(page, "Done", timeout=30)
    page.click("#step-button")
    wait_stepped(page, 1)  # not the run's 20 epochs plus one


def test_bad_input_steps_nothing(page, live_app):
    open_page(page, live_app, f"?approach=manual&{RUN}")
    page.fill("#lr", "-1")
    page.click("#step-button")
    wait_status(page, "Invalid")
    assert "Learning rate" in status_text(page)
    assert page.inner_text("#gradient") == "—"
