"""Training a run of the tutorial's regression, made observable.

`train` runs exactly the tutorial's loop for the chosen approach (same tensors, same order of
random draws, same update; the approaches live in `core.approaches`),
recording the loss and the weights of every epoch and reporting progress to a callback that a
Dash background job turns into streamed chart updates.
"""

from __future__ import annotations

import functools
import math
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np
import torch

from core.approaches import APPROACHES, Fit
from core.curves import float32_list, thin_indices
from core.landscape import Bowl, stability, stable_lr_bound
from core.training_config import TrainingConfig

PROGRESS_LOSS_POINTS = 1000  # per streamed update: small enough to stay far below 64 KB
PROGRESS_WEIGHT_POINTS = 300


def make_dataset(samples: int, noise: float, true_weights) -> tuple[torch.Tensor, torch.Tensor]:
    """X = [1, a, b] and y = X·w + noise, drawn in the tutorial's order from torch's global RNG."""
    weight_true = torch.tensor(true_weights, dtype=torch.float32)
    X = torch.cat([torch.ones(samples, 1), torch.randn(samples, 2)], 1)
    y = torch.mv(X, weight_true) + noise * torch.randn(samples)
    return X, y


# The tutorial draws from torch's global RNG, whose generator holds a mutex while it draws. The
# server draws too (a run's first epoch, shown at once), in request threads: they take turns and
# leave the global state as they found it; and a fork (a job) waits for the thread drawing, or
# the job would inherit a mutex held by a thread it does not have and hang at its first draw.
_global_rng = threading.RLock()


def _fresh_rng_lock() -> None:
    global _global_rng
    _global_rng = threading.RLock()


os.register_at_fork(before=lambda: _global_rng.acquire(), after_in_parent=lambda: _global_rng.release(),
                    after_in_child=_fresh_rng_lock)


@contextmanager
def no_fork_meanwhile() -> Iterator[None]:
    """For torch work in a server thread that draws from the global RNG (a run's first epoch, a
    step): a job forked meanwhile would inherit the held mutex and hang (see `_global_rng`)."""
    with _global_rng:
        yield


@contextmanager
def drawing_from(seed: int) -> Iterator[None]:
    """Draw from torch's global RNG seeded with `seed`, leaving its state as it was."""
    with _global_rng, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def prepare(config: TrainingConfig) -> tuple[torch.Tensor, torch.Tensor, Fit]:
    """The run's data and its model with initial weights, drawn from its seed as the tutorial
    draws them (data first, then the weights)."""
    with drawing_from(config.seed):
        X, y = make_dataset(config.samples, config.noise, config.true_weights)
        fit = APPROACHES[config.approach].build(X, y, config)
    return X, y, fit


DATA_PREVIEW_POINTS = 300  # the samples the page's 3-D view of the data shows


@dataclass(frozen=True)
class DataPreview:
    """The first samples of a run's data, as the page plots them, and the span of all of them."""

    a: np.ndarray
    b: np.ndarray
    y: np.ndarray
    a_span: tuple[float, float]
    b_span: tuple[float, float]


@functools.lru_cache(maxsize=16)
def _data_facts(seed: int, samples: int, noise: float, true_weights: tuple) -> tuple[Bowl, DataPreview]:
    with drawing_from(seed):
        X, y = make_dataset(samples, noise, true_weights)
    X, y = X.numpy(), y.numpy()
    shown = slice(0, DATA_PREVIEW_POINTS)
    preview = DataPreview(X[shown, 1].copy(), X[shown, 2].copy(), y[shown].copy(),
                          (float(X[:, 1].min()), float(X[:, 1].max())), (float(X[:, 2].min()), float(X[:, 2].max())))
    return Bowl.from_data(X, y), preview


def bowl_of(config: TrainingConfig) -> Bowl:
    """The loss bowl of the data a run with this config trains on, drawn as the run draws it
    (kept for the last few data sets: the page asks again as the learner changes other settings)."""
    return _data_facts(config.seed, config.samples, config.noise, tuple(config.true_weights))[0]


def data_preview(config: TrainingConfig) -> DataPreview:
    """The data a run with this config trains on, as the page shows them (kept like `bowl_of`)."""
    return _data_facts(config.seed, config.samples, config.noise, tuple(config.true_weights))[1]


class StopTraining(Exception):
    """Raised by a progress callback to end the run early (status "Cancelled")."""


@dataclass
class Progress:
    """A snapshot for streaming: the whole curve so far, thinned, plus where the run is."""

    epochs_done: int
    epochs_total: int
    elapsed: float
    loss_epochs: list[int]
    losses: list
    weight_epochs: list[int]
    weights: list[list]  # three series: w0, w1, w2
    current_weights: list


@dataclass
class TrainingResult:
    config: TrainingConfig
    status: str  # "Done", "Diverged" or "Cancelled"
    losses: np.ndarray  # one per finished epoch, all finite
    weights: np.ndarray  # (epochs, 3): the weights after each epoch's update
    diverged_at: int | None
    elapsed: float
    optimum_weights: np.ndarray = field(default_factory=lambda: np.full(3, np.nan))
    optimum_loss: float = math.nan
    stable_lr: float | None = None  # the largest stable learning rate of its update on its data

    @property
    def learned_weights(self) -> np.ndarray | None:
        return self.weights[-1] if self.status == "Done" and len(self.weights) else None

    @property
    def final_loss(self) -> float | None:
        return float(self.losses[-1]) if len(self.losses) else None


def snapshot(losses: np.ndarray, weights: np.ndarray, epochs_total: int, elapsed: float,
             loss_points: int = PROGRESS_LOSS_POINTS, weight_points: int = PROGRESS_WEIGHT_POINTS) -> Progress:
    """Thin the curve so far so every streamed update has a bounded size."""
    loss_idx = thin_indices(losses, loss_points)
    weight_idx = thin_indices(losses, weight_points)
    return Progress(
        epochs_done=len(losses),
        epochs_total=epochs_total,
        elapsed=elapsed,
        loss_epochs=loss_idx.tolist(),
        losses=float32_list(losses[loss_idx]),
        weight_epochs=weight_idx.tolist(),
        weights=[float32_list(weights[weight_idx, k]) for k in range(3)],
        current_weights=float32_list(weights[-1]) if len(weights) else [],
    )


def first_epoch(config: TrainingConfig) -> Progress:
    """The run's first epoch, exactly as its job will compute it: the first point of its curve,
    shown the moment Train is pressed (one epoch is microseconds to milliseconds)."""
    started = time.perf_counter()
    with no_fork_meanwhile():
        _, _, fit = prepare(config)
        loss = fit.step()
    done = 1 if math.isfinite(loss) else 0
    return snapshot(np.array([loss])[:done], fit.weights()[None, :][:done], config.epochs,
                    time.perf_counter() - started)


REPORT_COST_SHARE = 0.05  # at most this share of a job's time goes to progress reports
SLOWEST_REPORT_PACE = 0.5  # seconds between reports late in a long run
# Every report is the job's sign of life, and a page calls a job silent for 15 s dead
# (components/jobs/settings.SILENCE_LIMIT): one slow report (a busy machine, a slow store) must
# not push the next one anywhere near that.
LONGEST_REPORT_GAP = 1.0


def next_report_delay(base: float, elapsed: float, report_cost: float) -> float:
    """Seconds until the next progress report.

    `base` at first, so the curve is live from the start; then slower as the run goes on
    (every redraw of the charts costs the browser CPU that, on a small machine, the job
    needs), and never so often that reporting (thinning the ever longer history, storing it)
    costs more than REPORT_COST_SHARE of the run; but never later than LONGEST_REPORT_GAP.
    """
    pace = min(SLOWEST_REPORT_PACE, max(base, elapsed / 10))
    return min(LONGEST_REPORT_GAP, max(pace, report_cost / REPORT_COST_SHARE))


STOP_CHECK_INTERVAL = 0.05  # seconds between two looks at `should_stop` (reports come slower)


class Pacer:
    """When a training loop reports progress and when it looks for a cancel (`train` and the
    optimizer race share it): the first report at once, then paced by `next_report_delay`, and
    `should_stop()` asked every STOP_CHECK_INTERVAL s between reports, so a Cancel takes effect
    at once."""

    def __init__(self, on_progress: Callable[[Any], None] | None, interval: float,
                 should_stop: Callable[[], bool] | None):
        self.on_progress, self.interval, self.should_stop = on_progress, interval, should_stop
        self.started = self.next_report = self.next_stop_check = time.perf_counter()

    def stop_now(self, progress: Callable[[float], Any]) -> bool:
        """Report (`progress(elapsed)` makes the snapshot) or look for a cancel, if either is
        due; True when the run must stop: `on_progress` raised StopTraining or `should_stop()`."""
        now = time.perf_counter()
        if self.on_progress is not None and now >= self.next_report:
            try:
                self.on_progress(progress(now - self.started))
            except StopTraining:
                return True
            reported = time.perf_counter()
            self.next_report = reported + next_report_delay(self.interval, reported - self.started, reported - now)
        elif self.should_stop is not None and now >= self.next_stop_check:
            self.next_stop_check = now + STOP_CHECK_INTERVAL
            return self.should_stop()
        return False


def train(
    config: TrainingConfig,
    on_progress: Callable[[Progress], None] | None = None,
    progress_interval: float = 0.1,
    should_stop: Callable[[], bool] | None = None,
) -> TrainingResult:
    """Run the configured approach, reporting progress at most every `progress_interval` s.

    The first epoch is reported at once so the curve appears without waiting an interval (see
    `Pacer` for the pace). Training stops at the first non-finite loss: the status is then
    "Diverged"; or when `on_progress` raises StopTraining, or `should_stop()` says so: "Cancelled".
    """
    pacer = Pacer(on_progress, progress_interval, should_stop)
    X, y, fit = prepare(config)
    step, current_weights = fit.step, fit.weights

    losses = np.empty(config.epochs)
    weights = np.empty((config.epochs, 3), dtype=np.float32)
    status, diverged_at = "Done", None
    done = 0
    for epoch in range(config.epochs):
        loss = step()
        if not math.isfinite(loss):
            status, diverged_at = "Diverged", epoch
            break
        losses[epoch] = loss
        weights[epoch] = current_weights()
        done = epoch + 1
        if pacer.stop_now(lambda elapsed: snapshot(losses[:done], weights[:done], config.epochs, elapsed)):
            status = "Cancelled"
            break

    result = TrainingResult(
        config=config,
        status=status,
        losses=losses[:done],
        weights=weights[:done],
        diverged_at=diverged_at,
        elapsed=time.perf_counter() - pacer.started,
    )
    bowl = Bowl.from_data(X.numpy(), y.numpy())
    result.optimum_weights, result.optimum_loss = bowl.optimum, bowl.optimum_loss
    result.stable_lr = stable_lr_bound(config, stability(bowl).eigenvalues[-1])
    return result
