"""The trainer against the seed's own loops, least squares, and divergence."""

import math
import time

import numpy as np
import pytest
import torch

from core.approaches import APPROACHES
from core.regression import (
    PROGRESS_LOSS_POINTS,
    PROGRESS_WEIGHT_POINTS,
    StopTraining,
    make_dataset,
    train,
)
from core.training_config import TrainingConfig
from harness.tutorial import LOOPS


@pytest.mark.parametrize("approach", ["manual", "module"])
@pytest.mark.parametrize("seed", [0, 3, 2024])
def test_reproduces_the_seed_script_exactly(approach, seed):
    result = train(TrainingConfig(approach=approach, seed=seed, epochs=1000))
    tutorial = LOOPS[approach](seed=seed, epochs=1000)  # the tutorial's loop, with torch.manual_seed
    assert result.status == "Done"
    assert result.losses.tolist() == tutorial.losses  # bit for bit, every epoch
    np.testing.assert_array_equal(result.weights[-1], tutorial.weights)
    np.testing.assert_array_equal(result.learned_weights, tutorial.weights)


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


@pytest.mark.parametrize("approach", list(APPROACHES))
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


def test_one_slow_report_never_makes_the_job_look_silent():
    """A report that took 2 s (a busy machine, a slow store) would put the next one 40 s later at
    a twentieth; every report beats, and a page calls a job silent for SILENCE_LIMIT s dead."""
    from components.jobs.settings import SILENCE_LIMIT
    from core.regression import LONGEST_REPORT_GAP, next_report_delay

    assert next_report_delay(0.1, 10.0, 2.0) == LONGEST_REPORT_GAP <= SILENCE_LIMIT / 4


def test_should_stop_ends_a_run_between_reports():
    """Cancel is asked about every STOP_CHECK_INTERVAL s, far more often than reports are sent."""
    asked = []

    def should_stop():
        asked.append(time.perf_counter())
        return len(asked) >= 3

    reports = []
    result = train(TrainingConfig(seed=1, epochs=1_000_000), on_progress=reports.append,
                   progress_interval=60, should_stop=should_stop)
    assert result.status == "Cancelled" and 0 < len(result.losses) < 1_000_000
    assert len(reports) == 1 and len(asked) == 3  # the first epoch's report, then three questions
