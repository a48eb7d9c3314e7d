"""One epoch at a time: the training page's Step, and the real numbers of that epoch.

A step continues a fit where the last one left off: the data are drawn again from the config's
seed (as every run draws them), the model and its optimizer are built again and given the state
the last step ended with (`Fit.state`: the weights and the optimizer's buffers, float32 numbers
kept exactly), and one epoch runs: the very epoch a run would compute next, so k steps give the
losses and weights of a run of k epochs (tests/test_stepping.py checks it bit for bit).

The state travels through the browser between steps. `components/training_step.py` signs it for
that browser; `checked_state` still refuses anything a fit could not have produced (shapes, types,
finiteness), so whatever is sent, a step does one epoch of a config the parser allowed.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import torch

from core.numbers import is_finite_number
from core.optimizers import DEFAULT_OPTIMIZER, OPTIMIZERS, StepNumbers, UpdateLine
from core.regression import no_fork_meanwhile, prepare
from core.training_config import OPTIMIZED_APPROACH, TrainingConfig

SAMPLE_ROWS = 5  # the samples whose prediction and residual a step shows


@dataclass(frozen=True)
class SampleRow:
    a: float
    b: float
    y: float
    prediction: float  # ŷ = w·(1, a, b) with the weights before the update
    residual: float  # y − ŷ


@dataclass(frozen=True)
class Step:
    """What one epoch computed, in the order the loop computes it."""

    epoch: int  # from 0: the epoch a run would record at this index
    loss: float  # the epoch's loss, before its update (what a run records)
    rows: list[SampleRow]
    gradient: tuple[float, ...]  # ∂L/∂w (w0, w1, w2), before the update
    before: tuple[float, ...]  # the weights the epoch started from
    after: tuple[float, ...]  # the weights after its update
    update: list[UpdateLine]  # the update written out with these numbers
    state: dict[str, Any] | None  # what the next step continues from; None when diverged

    @property
    def diverged(self) -> bool:
        return self.state is None


def update_of(config: TrainingConfig):
    """The update an approach writes: the hand-written one of the manual approach is plain
    gradient descent, SGD's."""
    return OPTIMIZERS[config.optimizer if config.approach == OPTIMIZED_APPROACH else DEFAULT_OPTIMIZER]


def _finite(values) -> bool:
    return bool(np.all(np.isfinite(np.asarray(values, dtype=np.float64))))


def step_epoch(config: TrainingConfig, epoch: int, state: Mapping[str, Any] | None) -> Step:
    """Epoch `epoch` of the configured run, from `state` (a `checked_state`; None: the start)."""
    with no_fork_meanwhile():
        X, y, fit = prepare(config)
        if state is not None:
            fit.load_state(dict(state))
        before = fit.weights().copy()
        predictions = torch.mv(X[:SAMPLE_ROWS], torch.from_numpy(before))
        loss = fit.step()
        gradient, after, next_state = fit.gradient().copy(), fit.weights().copy(), fit.state()
    rows = [SampleRow(float(X[i, 1]), float(X[i, 2]), float(y[i]), float(predictions[i]),
                      float(y[i] - predictions[i])) for i in range(len(predictions))]
    diverged = not (math.isfinite(loss) and _finite(gradient) and _finite(after)
                    and all(_finite(v) for v in next_state.get("optimizer", {}).values()))
    numbers = StepNumbers(gradient=gradient, before=before, after=after, state=next_state.get("optimizer", {}))
    return Step(
        epoch=epoch, loss=loss, rows=rows,
        gradient=tuple(float(g) for g in gradient), before=tuple(float(w) for w in before),
        after=tuple(float(w) for w in after),
        update=[] if diverged else update_of(config).update_lines(numbers, config),
        state=None if diverged else next_state,
    )


@functools.lru_cache(maxsize=None)
def _buffer_names(optimizer: str) -> frozenset[str]:
    """The buffers an optimizer keeps for the weight after a step (found by taking one)."""
    config = TrainingConfig(approach=OPTIMIZED_APPROACH, optimizer=optimizer, samples=2, epochs=1, seed=0)
    return frozenset(step_epoch(config, 0, None).state["optimizer"])


def _three_floats(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 3 and all(is_finite_number(v) for v in value)


def checked_state(raw: Any, config: TrainingConfig) -> dict[str, Any] | None:
    """A fit state for this config as `Fit.state` gives it, or None: three finite weights, and
    for the module approach exactly its optimizer's buffers, each three finite numbers (the step
    count a whole number)."""
    if not isinstance(raw, Mapping) or not _three_floats(raw.get("weight")):
        return None
    if config.approach != OPTIMIZED_APPROACH:
        return {"weight": list(raw["weight"])} if set(raw) == {"weight"} else None
    buffers = raw.get("optimizer")
    if set(raw) != {"weight", "optimizer"} or not isinstance(buffers, Mapping):
        return None
    if set(buffers) != _buffer_names(config.optimizer):
        return None
    for name, value in buffers.items():
        whole_step = name == "step" and is_finite_number(value) and value >= 0 and float(value).is_integer()
        if not (whole_step or (name != "step" and _three_floats(value))):
            return None
    return {"weight": list(raw["weight"]), "optimizer": dict(buffers)}
