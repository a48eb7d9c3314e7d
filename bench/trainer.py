"""How the trainer's cost grows, measured in this process with one torch thread.

- time per epoch of `core.regression.train` against the seed's loop (`harness.tutorial`) on the
  same data (so the ratio is the app's overhead per epoch, whatever the machine's speed);
- peak memory of a training job, in a forked child as the app's jobs are forked from the server;
- the cost of one streamed update (snapshot in the job; the page's drawing of it and Dash's JSON
  in the server's poll) as epochs grow.
"""

from __future__ import annotations

import multiprocessing
import resource
import statistics
import time
from dataclasses import dataclass

import numpy as np
from plotly.io.json import to_json_plotly  # what Dash serialises callback responses with

from components import runs
from components.training import draw_run
from core.regression import snapshot, train
from core.run_status import running_line
from core.training_config import TRUE_WEIGHTS, WORK_BUDGET, TrainingConfig
from harness.tutorial import manual_loop

SEED = 1


def seed_manual_loop_seconds(samples: int, epochs: int, seed: int = SEED) -> float:
    """The seed's first approach (harness.tutorial's reference copy, no plotting), data included,
    timed."""
    started = time.perf_counter()
    manual_loop(samples=samples, noise=1.0, seed=seed, lr=0.01, epochs=epochs)
    return time.perf_counter() - started


def trainer_config(samples: int, epochs: int) -> TrainingConfig:
    return TrainingConfig(approach="manual", epochs=epochs, samples=samples, seed=SEED)


def trainer_seconds(samples: int, epochs: int) -> float:
    """`train` as a job runs it: progress snapshots at the app's pace, to a receiver that drops them."""
    started = time.perf_counter()
    train(trainer_config(samples, epochs), on_progress=lambda _progress: None,
          progress_interval=runs.REPORT_INTERVAL)
    return time.perf_counter() - started


@dataclass
class GridCell:
    samples: int
    epochs: int
    seed_us_per_epoch: list[float]
    trainer_us_per_epoch: list[float]
    ratios: list[float]  # trainer / seed loop, per interleaved pair
    job_peak_mb: float
    idle_fork_mb: float


def over_budget(samples: int, epochs: int) -> bool:
    return samples * epochs > WORK_BUDGET


def measure_cell(samples: int, epochs: int, reps: int, idle_fork_mb: float) -> GridCell:
    seed_us, trainer_us, ratios = [], [], []
    for rep in range(reps):
        # Alternate which runs first so a drift in the machine's load hits both alike.
        if rep % 2 == 0:
            seed_s, trainer_s = seed_manual_loop_seconds(samples, epochs), trainer_seconds(samples, epochs)
        else:
            trainer_s, seed_s = trainer_seconds(samples, epochs), seed_manual_loop_seconds(samples, epochs)
        seed_us.append(seed_s / epochs * 1e6)
        trainer_us.append(trainer_s / epochs * 1e6)
        ratios.append(trainer_s / seed_s)
    return GridCell(samples, epochs, seed_us, trainer_us, ratios,
                    job_peak_mb=forked_peak_rss_mb(samples, epochs), idle_fork_mb=idle_fork_mb)


# --- memory of a job --------------------------------------------------------------------------


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _job_child(connection, samples: int, epochs: int) -> None:
    if epochs:
        train(trainer_config(samples, epochs), on_progress=lambda _progress: None,
              progress_interval=runs.REPORT_INTERVAL)
    connection.send(_peak_rss_mb())
    connection.close()


def forked_peak_rss_mb(samples: int, epochs: int) -> float:
    """Peak RSS of a forked child that runs one training job (epochs=0: a child that idles).

    A forked child starts out sharing this process's pages, as a job shares the server's, so
    the idle child's figure is the baseline and the difference is what the job itself adds.
    """
    fork = multiprocessing.get_context("fork")
    receiver, sender = fork.Pipe(duplex=False)
    child = fork.Process(target=_job_child, args=(sender, samples, epochs))
    child.start()
    sender.close()
    try:
        peak = receiver.recv()
    except EOFError:
        raise RuntimeError(f"the job child died (exit code {child.exitcode})") from None
    finally:
        child.join()
    return peak


# --- one streamed update ----------------------------------------------------------------------


def synthetic_history(epochs: int) -> tuple[np.ndarray, np.ndarray]:
    """A loss curve and weights shaped like a real run's (decay plus noise), float64/float32."""
    rng = np.random.default_rng(0)
    t = np.arange(epochs)
    losses = 1.0 + 60.0 * np.exp(-t / 300.0) + 0.05 * rng.standard_normal(epochs)
    weights = (np.array(TRUE_WEIGHTS) * (1 - np.exp(-t / 300.0))[:, None]
               + 0.01 * rng.standard_normal((epochs, 3))).astype(np.float32)
    return losses, weights


@dataclass
class UpdateCost:
    epochs: int
    snapshot_ms: float  # median: thinning the curve so far (in the job)
    serialise_ms: float  # median: the page's drawing of it (draw_run) + Dash's JSON
    json_bytes: int


def update_cost(epochs: int, reps: int) -> UpdateCost:
    losses, weights = synthetic_history(epochs)
    snapshot_s, serialise_s = [], []
    body = ""
    for _ in range(reps):
        t0 = time.perf_counter()
        progress = snapshot(losses, weights, epochs, 1.0)
        t1 = time.perf_counter()
        shown = {**progress.__dict__, "config": {"true_weights": list(TRUE_WEIGHTS), "seed": SEED}}
        view = runs.RunView("bench", "Running", running_line(shown), progress=shown)
        body = to_json_plotly(draw_run(view, fresh=False))
        t2 = time.perf_counter()
        snapshot_s.append(t1 - t0)
        serialise_s.append(t2 - t1)
    return UpdateCost(epochs, statistics.median(snapshot_s) * 1e3,
                      statistics.median(serialise_s) * 1e3, len(body.encode()))
