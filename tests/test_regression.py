"""The trainer against the seed's own loops, least squares, and divergence."""

import math

import numpy as np
import pytest
import torch
from torch import nn, optim

from core.regression import (
    PROGRESS_LOSS_POINTS,
    PROGRESS_WEIGHT_POINTS,
    StopTraining,
    make_dataset,
    train,
)
from core.training_config import TrainingConfig


def seed_manual(seed, epochs, lr=0.01):
    """The tutorial's first approach, transcribed (plus torch.manual_seed for repeatability)."""
    torch.manual_seed(seed)
    weight_true = torch.Tensor([1, 5, 7])  # y = 1 + 5a + 7b
    X = torch.cat([torch.ones(100, 1), torch.randn(100, 2)], 1)
    y = torch.mv(X, weight_true) + torch.randn(100)
    weight = torch.randn(3, requires_grad=True)
    losses = []
    for epoch in range(epochs):
        weight.grad = None
        y_pred = torch.mv(X, weight)
        loss = torch.mean((y - y_pred) ** 2)
        loss.backward()
        weight.data = weight.data - lr * weight.grad.data
        losses.append(loss.item())
    return losses, weight.detach().numpy()


def seed_module(seed, epochs, lr=0.01):
    """The tutorial's second approach, transcribed."""
    torch.manual_seed(seed)
    weight_true = torch.Tensor([1, 5, 7])
    X = torch.cat([torch.ones(100, 1), torch.randn(100, 2)], 1)
    y = torch.mv(X, weight_true) + torch.randn(100)
    net = nn.Linear(in_features=3, out_features=1, bias=False)
    optimizer = optim.SGD(net.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    losses = []
    for epoch in range(epochs):
        optimizer.zero_grad()
        y_pred = net(X)
        loss = loss_fn(y_pred.view_as(y), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, net.weight.detach().numpy()[0]


@pytest.mark.parametrize("approach, transcription", [("manual", seed_manual), ("module", seed_module)])
@pytest.mark.parametrize("seed", [0, 3, 2024])
def test_reproduces_the_seed_script_exactly(approach, transcription, seed):
    result = train(TrainingConfig(approach=approach, seed=seed, epochs=1000))
    losses, weights = transcription(seed, 1000)
    assert result.status == "Done"
    assert result.losses.tolist() == losses  # bit for bit, every epoch
    np.testing.assert_array_equal(result.weights[-1], weights)
    np.testing.assert_array_equal(result.learned_weights, weights)


def test_both_approaches_start_from_the_same_data_but_their_own_initial_weights():
    manual = train(TrainingConfig(approach="manual", seed=7, epochs=1))
    module = train(TrainingConfig(approach="module", seed=7, epochs=1))
    # the same data gives the same optimum (to LAPACK's rounding, which varies with threads)
    np.testing.assert_allclose(manual.optimum_weights, module.optimum_weights, rtol=1e-9)
    assert manual.losses[0] != module.losses[0]


def test_converges_to_the_least_squares_optimum():
    result = train(TrainingConfig(seed=1, epochs=3000, lr=0.05))
    np.testing.assert_allclose(result.learned_weights, result.optimum_weights, atol=1e-4)
    assert result.final_loss == pytest.approx(result.optimum_loss, rel=1e-5)
    # and the optimum is near the truth for noise 1 on 100 samples
    np.testing.assert_allclose(result.optimum_weights, [1, 5, 7], atol=0.35)


def test_least_squares_matches_numpy():
    torch.manual_seed(5)
    X, y = make_dataset(50, 0.5, (2.0, -1.0, 3.0))
    result = train(TrainingConfig(seed=5, samples=50, noise=0.5, true_weights=(2.0, -1.0, 3.0), epochs=1))
    expected, *_ = np.linalg.lstsq(X.double().numpy(), y.double().numpy(), rcond=None)
    np.testing.assert_allclose(result.optimum_weights, expected, atol=1e-4)


def test_noise_zero_recovers_the_true_weights():
    result = train(TrainingConfig(seed=2, noise=0.0, epochs=4000, lr=0.1, true_weights=(1.5, -2.0, 0.25)))
    np.testing.assert_allclose(result.learned_weights, [1.5, -2.0, 0.25], atol=1e-4)


@pytest.mark.parametrize("approach", ["manual", "module"])
def test_divergence_stops_at_the_first_non_finite_loss(approach):
    result = train(TrainingConfig(approach=approach, seed=1, lr=2.0, epochs=5000))
    assert result.status == "Diverged"
    k = result.diverged_at
    assert 0 < k < 5000
    assert len(result.losses) == k  # the finite part only
    assert np.isfinite(result.losses).all()
    assert result.losses[-1] > 1e30  # it really blew up
    assert result.learned_weights is None


def test_progress_is_reported_at_once_then_throttled_with_bounded_size():
    reports = []
    train(TrainingConfig(seed=1, epochs=20000), on_progress=reports.append, progress_interval=0.05)
    first = reports[0]
    assert first.epochs_done == 1 and first.loss_epochs == [0]
    assert len(reports) >= 2
    assert all(a.epochs_done < b.epochs_done for a, b in zip(reports, reports[1:]))
    for report in reports:
        assert len(report.losses) <= PROGRESS_LOSS_POINTS
        assert len(report.weight_epochs) <= PROGRESS_WEIGHT_POINTS
        assert report.loss_epochs[0] == 0 and report.loss_epochs[-1] == report.epochs_done - 1
        assert len(report.current_weights) == 3


def test_progress_never_carries_non_finite_numbers():
    reports = []
    train(TrainingConfig(seed=1, lr=2.0, epochs=5000), on_progress=reports.append, progress_interval=0)
    for report in reports:
        values = report.losses + [w for series in report.weights for w in series] + report.current_weights
        assert all(v is None or math.isfinite(v) for v in values)


def test_a_progress_callback_can_stop_the_run_keeping_what_was_done():
    stopped_at = []

    def stop_after_a_while(progress):
        if progress.epochs_done >= 50:
            stopped_at.append(progress.epochs_done)
            raise StopTraining

    result = train(TrainingConfig(seed=1, epochs=100_000), on_progress=stop_after_a_while, progress_interval=0)
    assert result.status == "Cancelled" and len(result.losses) == stopped_at[0] < 100_000
    assert result.learned_weights is None


def test_reports_slow_down_in_long_runs_and_never_cost_more_than_a_twentieth():
    from core.regression import next_report_delay

    assert next_report_delay(0.1, 0.0, 0.001) == 0.1  # live from the start
    assert next_report_delay(0.1, 3.0, 0.001) == pytest.approx(0.3)
    assert next_report_delay(0.1, 300.0, 0.001) == 0.5
    assert next_report_delay(0.1, 1.0, 0.02) == pytest.approx(0.4)  # 20 ms to thin: 5 %
