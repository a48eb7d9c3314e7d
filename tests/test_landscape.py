"""The loss landscape and the stability numbers, against independent computations: torch's own
MSE and autograd on the run's data, numpy's least squares and eigenvalues, and training itself
(just above the bound diverges, just below does not)."""

import dataclasses

import numpy as np
import pytest
import torch

from core.landscape import Bowl, descent_arrow, loss_slice, stability, stable_lr_bound
from core.numbers import decimal_text
from core.regression import bowl_of, train
from core.run_record import make_record
from core.run_status import status_line
from core.training_config import TrainingConfig
from harness.tutorial import tutorial_data

CONFIG = TrainingConfig(seed=3, samples=80, noise=0.7, true_weights=(1.0, 5.0, 7.0))


def data():
    X, y = tutorial_data(samples=80, noise=0.7, seed=3)
    return X.double(), y.double()


def test_the_bowl_is_the_runs_mse_everywhere():
    X, y = data()
    bowl = bowl_of(CONFIG)
    rng = np.random.default_rng(0)
    for w in rng.normal(0, 5, size=(20, 3)):
        weight = torch.tensor(w, requires_grad=True)
        loss = torch.mean((y - torch.mv(X, weight)) ** 2)
        loss.backward()
        assert bowl.loss(w) == pytest.approx(loss.item(), rel=1e-9)
        np.testing.assert_allclose(bowl.gradient(w), weight.grad.numpy(), rtol=1e-8, atol=1e-9)


def test_the_optimum_is_least_squares_and_the_slices_minimum():
    X, y = data()
    bowl = bowl_of(CONFIG)
    expected = np.linalg.lstsq(X.numpy(), y.numpy(), rcond=None)[0]
    np.testing.assert_allclose(bowl.optimum, expected, rtol=1e-9)
    view = loss_slice(bowl)
    assert view.w0 == pytest.approx(expected[0])
    row, col = np.unravel_index(np.argmin(view.loss), view.loss.shape)
    cell = view.w1[1] - view.w1[0]
    assert abs(view.w1[col] - expected[1]) <= cell and abs(view.w2[row] - expected[2]) <= cell
    # every grid value is the loss at (w0*, w1, w2)
    assert view.loss[7, 11] == pytest.approx(bowl.loss([expected[0], view.w1[11], view.w2[7]]), rel=1e-12)
    # the view holds the optimum and the origin, where initial weights are drawn
    for value in (0.0, expected[1], expected[2]):
        assert view.w1[0] < value < view.w1[-1]


def test_stability_numbers_against_numpy():
    X, _ = data()
    hessian = 2 / len(X) * (X.T @ X).numpy()
    expected = np.linalg.eigvalsh(hessian)
    facts = stability(bowl_of(CONFIG))
    np.testing.assert_allclose(facts.eigenvalues, expected, rtol=1e-9)
    assert facts.max_stable_lr == pytest.approx(2 / expected[-1], rel=1e-9)
    assert facts.condition == pytest.approx(expected[-1] / expected[0], rel=1e-9)
    assert not facts.singular


@pytest.mark.parametrize("approach, optimizer", [("manual", "sgd"), ("module", "sgd"), ("module", "momentum"),
                                                 ("module", "nesterov")])
def test_just_above_the_bound_diverges_and_just_below_does_not(approach, optimizer):
    config = dataclasses.replace(CONFIG, approach=approach, optimizer=optimizer, epochs=3000, momentum=0.6)
    bound = stable_lr_bound(config, stability(bowl_of(config)).eigenvalues[-1])
    above = train(dataclasses.replace(config, lr=1.05 * bound))
    below = train(dataclasses.replace(config, lr=0.95 * bound))
    assert above.status == "Diverged" and below.status == "Done"
    # the divergence message cites the bound, in the contract's number format
    assert f"{bound:.4f}" in status_line(make_record(above, "r"))


def test_the_plain_bound_is_2_over_lambda_max_and_momentum_raises_it():
    lam = stability(bowl_of(CONFIG)).eigenvalues[-1]
    assert stable_lr_bound(CONFIG, lam) == pytest.approx(2 / lam)
    momentum = dataclasses.replace(CONFIG, approach="module", optimizer="momentum", momentum=0.9)
    assert stable_lr_bound(momentum, lam) == pytest.approx(2 * 1.9 / lam)
    for adaptive in ("adagrad", "rmsprop", "adam", "adamw"):
        assert stable_lr_bound(dataclasses.replace(CONFIG, approach="module", optimizer=adaptive), lam) is None
    # the manual approach is plain gradient descent whatever optimizer the controls hold
    assert stable_lr_bound(dataclasses.replace(CONFIG, optimizer="adam"), lam) == pytest.approx(2 / lam)


def test_two_samples_make_a_singular_hessian_and_finite_numbers():
    facts = stability(bowl_of(dataclasses.replace(CONFIG, samples=2)))
    assert facts.singular and facts.condition is None and facts.eigenvalues[0] == 0.0
    assert np.isfinite(facts.max_stable_lr)


def test_samples_on_one_line_make_it_singular_too():
    X = np.array([[1.0, t, 2 * t] for t in np.linspace(-1, 1, 50)])
    facts = stability(Bowl.from_data(X, X @ np.array([1.0, 5.0, 7.0])))
    assert facts.singular and facts.condition is None


def test_the_descent_arrow_points_down_the_gradient():
    bowl = bowl_of(CONFIG)
    view = loss_slice(bowl)
    w = np.array([0.5, -1.0, 2.0])
    start, end = descent_arrow(bowl, view, w)
    g = bowl.gradient(w)[1:]
    step = np.subtract(end, start)
    assert start == (-1.0, 2.0)
    assert np.dot(step, g) < 0 and abs(step[0] * g[1] - step[1] * g[0]) < 1e-9  # parallel, opposite
    assert np.hypot(*step) == pytest.approx(0.12 * (view.w1[-1] - view.w1[0]))
    assert descent_arrow(bowl, view, [np.nan, 0, 0]) is None


@pytest.mark.parametrize("value, text", [(0.86812, "0.8681"), (-1.5, "-1.5000"), (0.00012346, "0.0001235"),
                                         (12345.678, "12345.6780"), (0.0, "0.0000")])
def test_rates_are_written_with_four_decimals_an_ascii_minus_and_no_grouping(value, text):
    assert decimal_text(value) == text
