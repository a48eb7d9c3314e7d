"""The optimizer lab in headless Chromium: each optimizer run from the page reproduces its plain
script; the landscape's path, optimum and the page's largest stable learning rate match
independent computations; a setting out of range stops the run before it starts."""

from __future__ import annotations

import numpy as np
import pytest

from core.optimizers import OPTIMIZERS
from harness.tutorial import optimizer_loop, tutorial_data

from conftest import graph_traces, status_text, wait_status
from test_training_browser import no_leftover_jobs, open_page  # noqa: F401 - the fixture applies here too

pytestmark = pytest.mark.browser

RUN = dict(seed=5, samples=50, noise=0.5, lr=0.05, epochs=200)
SETTINGS = {"momentum": 0.8, "beta1": 0.85, "beta2": 0.99, "weight_decay": 0.02}


def query(**extra) -> str:
    return "?" + "&".join(f"{k}={v}" for k, v in {"approach": "module", **RUN, **SETTINGS, **extra}.items())


def learned(page) -> np.ndarray:
    return np.array([float(v) for v in page.inner_text("#learned-weights").split(",")])


def by_meta(page, meta: str) -> dict:
    return next(t for t in graph_traces(page, "#landscape-graph") if t.get("meta") == meta)


# the quick tier runs one optimizer with state (Adam); the full run every one
@pytest.mark.parametrize("name", [pytest.param(n, marks=() if n == "adam" else pytest.mark.slow) for n in OPTIMIZERS])
def test_each_optimizer_reproduces_its_plain_script(page, live_app, name):
    open_page(page, live_app, query(optimizer=name))
    page.click("#train-button")
    wait_status(page, "Done", timeout=30)
    plain = optimizer_loop(name, SETTINGS, **RUN)
    np.testing.assert_allclose(learned(page), plain.weights, atol=6e-5)
    assert f"final loss {plain.losses[-1]:.4g}" in status_text(page)
    # the path ends at the learned weights, and the code shown is the optimizer's
    path = by_meta(page, "path")
    np.testing.assert_allclose([path["x"][-1], path["y"][-1]], plain.weights[1:], rtol=1e-6)
    assert f"optim.{OPTIMIZERS[name].torch_class.__name__}(" in page.inner_text("#code-view")


def test_the_landscape_and_stability_numbers_match_an_independent_computation(page, live_app):
    open_page(page, live_app, query(optimizer="sgd"))
    X, y = (t.double().numpy() for t in tutorial_data(samples=50, noise=0.5, seed=5))
    optimum = np.linalg.lstsq(X, y, rcond=None)[0]
    lambda_max = np.linalg.eigvalsh(2 / len(X) * X.T @ X)[-1]
    shown = page.inner_text("#max-stable-lr")
    assert float(shown) == pytest.approx(2 / lambda_max, abs=1e-4) and len(shown.split(".")[1]) >= 4
    page.wait_for_function("() => { const g = document.querySelector('#landscape-graph .js-plotly-plot');"
                           " return g && g.data && g.data[0].z; }", timeout=10_000)
    star = by_meta(page, "optimum")
    np.testing.assert_allclose([star["x"][0], star["y"][0]], optimum[1:], rtol=1e-6)
    contour = by_meta(page, "landscape")
    z = np.array(contour["z"], dtype=float)
    row, col = np.unravel_index(np.argmin(z), z.shape)
    assert abs(contour["x"][col] - optimum[1]) < 0.3 and abs(contour["y"][row] - optimum[2]) < 0.3
    # a value of the grid is the MSE at (w0*, w1, w2) on the run's data
    w = np.array([optimum[0], contour["x"][5], contour["y"][9]])
    assert z[9][5] == pytest.approx(np.mean((y - X @ w) ** 2), rel=1e-5)


def test_a_rate_above_the_bound_is_flagged_and_diverges_citing_it(page, live_app):
    open_page(page, live_app, query(optimizer="sgd", epochs=3000, lr=1.5))
    assert "will diverge" in page.inner_text("#stability")
    bound = page.inner_text("#max-stable-lr")
    page.click("#train-button")
    wait_status(page, "Diverged", timeout=30)
    assert bound in status_text(page)


def test_an_empty_seed_gets_its_numbers_once_a_run_picks_one(page, live_app):
    open_page(page, live_app, "?approach=manual&epochs=50")
    assert page.inner_text("#max-stable-lr").strip() == "—"
    page.click("#train-button")
    wait_status(page, "Done", timeout=30)
    page.wait_for_function("() => /^\\d/.test(document.querySelector('#max-stable-lr').textContent)",
                           timeout=10_000)
    assert len(by_meta(page, "path")["x"]) == 50


def test_a_bad_setting_of_the_chosen_optimizer_is_invalid_and_an_unused_one_is_ignored(page, live_app):
    open_page(page, live_app, query(optimizer="adam", momentum=5))  # momentum: not Adam's
    assert page.inner_text("#momentum-error") == ""
    assert not page.is_visible("#momentum") and page.is_visible("#beta1")
    page.fill("#beta2", "1")
    page.wait_for_function("() => document.querySelector('#beta2-error').textContent.length > 0", timeout=10_000)
    page.click("#train-button")
    wait_status(page, "Invalid", timeout=10)
    assert "β2" in status_text(page)
    page.check("#approach input[value='manual']")
    page.wait_for_function("() => document.querySelector('#optimizer-fieldset').disabled", timeout=10_000)
    assert page.is_visible("#optimizer-note")


def race_lanes(page) -> list[dict]:
    return graph_traces(page, "#race-loss-graph")


def test_a_race_streams_every_lane_survives_a_reload_and_cancel_stops_them_all(page, live_app):
    open_page(page, live_app, query(epochs=300_000, lr=0.01))
    page.click("#race-train-button")
    page.wait_for_function("() => { const g = document.querySelector('#race-loss-graph .js-plotly-plot');"
                           " return g && g.data.length === 3 && g.data.every(t => t.x.length > 5); }",
                           timeout=20_000)
    assert page.get_attribute("#race-status", "data-status") == "Running"
    assert [t["name"] for t in race_lanes(page)] == ["SGD (the tutorial's)", "SGD with momentum", "Adam"]
    paths = [t for t in graph_traces(page, "#race-landscape-graph") if t["meta"] == "race-path"]
    assert len(paths) == 3 and all(len(t["x"]) > 1 for t in paths)
    page.reload()  # the race outlives its page like a run: the reloaded page follows it again
    page.wait_for_selector("#race-loss-graph .js-plotly-plot", timeout=15_000)
    page.wait_for_function("() => document.querySelector('#race-status').dataset.status === 'Running'"
                           " && document.querySelector('#race-loss-graph .js-plotly-plot').data.length === 3",
                           timeout=20_000)
    page.click("#race-cancel-button")
    page.wait_for_function("() => document.querySelector('#race-status').dataset.status === 'Cancelled'",
                           timeout=15_000)
    # the training run's own panel was never involved
    assert page.get_attribute("#status", "data-status") == "Ready"


def test_in_a_race_one_lane_diverges_and_the_others_finish_as_alone(page, live_app):
    open_page(page, live_app, query(epochs=2000, lr=1.2))
    page.click("#race-train-button")
    page.wait_for_function("() => document.querySelector('#race-status').dataset.status === 'Done'", timeout=60_000)
    status = page.inner_text("#race-status")
    assert "sgd: diverged at epoch" in status
    run = {**RUN, "epochs": 2000, "lr": 1.2}
    for optimizer in ("momentum", "adam"):
        final = optimizer_loop(optimizer, SETTINGS, **run).losses[-1]
        assert f"{optimizer}: final loss {final:.4g}" in status
    adam = race_lanes(page)[2]
    assert adam["x"][-1] == 1999 and adam["y"][-1] == pytest.approx(optimizer_loop("adam", SETTINGS, **run).losses[-1],
                                                                     rel=1e-6)


def test_the_path_streams_while_the_landscape_is_out_of_sight_and_ends_on_the_learned_weights(page, live_app):
    """A chart out of sight draws a running run's updates less often (assets/runs.js), but it
    still follows the run, and the run's end is drawn at once."""
    open_page(page, live_app, query(optimizer="sgd", epochs=30_000, lr=0.01))
    page.evaluate("() => window.scrollTo(0, 0)")
    assert page.evaluate("() => document.querySelector('#landscape-graph').getBoundingClientRect().top"
                         " > window.innerHeight")
    page.click("#train-button")
    seen = set()
    for _ in range(2):  # two different paths drawn while the run goes on
        page.wait_for_function("(seen) => { const g = document.querySelector('#landscape-graph .js-plotly-plot');"
                               " const p = g && g.data.find(t => t.meta === 'path');"
                               " return p && p.x.length > 1 && !seen.includes(p.x.length); }",
                               arg=sorted(seen), timeout=15_000)
        seen.add(len(by_meta(page, "path")["x"]))
        assert page.get_attribute("#status", "data-status") == "Running"
    wait_status(page, "Done", timeout=60)
    path = by_meta(page, "path")
    np.testing.assert_allclose([path["x"][-1], path["y"][-1]], learned(page)[1:], atol=6e-5)  # shown to 4 places
