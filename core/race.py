"""An optimizer race: several optimizers fit the same data from the same initial weights, side
by side in one job, each lane exactly the run it would be alone.

Every lane is the module approach with its own optimizer (`core.optimizers`), built by the
trainer's own `prepare` from the same seed, so all lanes start from the same data and the same
`nn.Linear` weights. Each epoch steps every lane still running; a lane that diverges ends there
and the others go on. The budget covers the total work: lanes × epochs × samples.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from core.i18n import _
from core.numbers import is_finite_number
from core.optimizers import OPTIMIZERS
from core.regression import Pacer, Progress, prepare, snapshot
from core.run_status import FINISHED
from core.training_config import OPTIMIZED_APPROACH, WORK_BUDGET, ParsedConfig, TrainingConfig, parse_training_config

MIN_LANES, MAX_LANES = 2, len(OPTIMIZERS)
DEFAULT_LANES = ("sgd", "momentum", "adam")
# Per lane and streamed update: with every optimizer racing, the update stays far below 64 KB.
LANE_LOSS_POINTS = 200
LANE_WEIGHT_POINTS = 80


@dataclass(frozen=True)
class RaceConfig:
    """The race's settings: the training settings every lane shares, and the lanes' optimizers."""

    base: TrainingConfig  # the module approach with every lane's settings; its own optimizer is not used
    lanes: tuple[str, ...]

    @property
    def seed(self) -> int:
        return self.base.seed

    @property
    def epochs(self) -> int:
        return self.base.epochs

    def lane(self, optimizer: str) -> TrainingConfig:
        return dataclasses.replace(self.base, optimizer=optimizer)

    def to_dict(self) -> dict[str, Any]:
        return {**self.base.to_dict(), "race": list(self.lanes)}


def parse_race_config(raw: Mapping[str, Any] | Any, *, pick_seed: bool = True) -> ParsedConfig:
    """Validate a race as `parse_training_config` validates a run (it does the work), plus the
    lanes (`race`: two or more distinct optimizers) and the budget over all of them; the
    settings each lane's optimizer uses are checked for that lane. Never raises."""
    raw = dict(raw) if isinstance(raw, Mapping) else {}
    lanes = raw.get("race", list(DEFAULT_LANES))
    errors: dict[str, str] = {}
    if (not isinstance(lanes, (list, tuple)) or not all(isinstance(o, str) and o in OPTIMIZERS for o in lanes)
            or not MIN_LANES <= len(set(lanes)) == len(lanes) <= MAX_LANES):
        errors["race"] = _("Tick two or more optimizers to race (each once).")
        lanes = list(DEFAULT_LANES)
    lanes = [o for o in OPTIMIZERS if o in lanes]  # the registry's order, whatever the client sent
    first = parse_training_config({**raw, "approach": OPTIMIZED_APPROACH, "optimizer": lanes[0]}, pick_seed=pick_seed)
    values = {**first.values, "race": lanes}
    errors = {**first.errors, **errors}
    seed = first.config.seed if first.config is not None else first.values.get("seed")
    for optimizer in lanes[1:]:
        parsed = parse_training_config({**raw, "approach": OPTIMIZED_APPROACH, "optimizer": optimizer,
                                        "seed": seed}, pick_seed=False)
        errors = {**parsed.errors, **errors}
    if not errors:
        work = values["epochs"] * values["samples"] * len(lanes)
        if work > WORK_BUDGET:
            errors["race"] = _("Lanes × epochs × samples must be at most {budget} (here {work}); "
                               "race fewer optimizers or lower the epochs or samples.").format(
                budget=f"{WORK_BUDGET:,}", work=f"{work:,}")
    if errors:
        return ParsedConfig(None, errors, values)
    # the settings any lane uses, as given (each was checked with a lane that uses it); the rest
    # at their defaults, as a single run keeps them
    used = {name for optimizer in lanes for name in OPTIMIZERS[optimizer].uses}
    base = dataclasses.replace(first.config, **{name: values[name] for name in used})
    return ParsedConfig(RaceConfig(base, tuple(lanes)), {}, values)


@dataclass
class LaneResult:
    optimizer: str
    status: str  # "Done", "Diverged" or "Cancelled"
    losses: np.ndarray
    weights: np.ndarray  # (epochs run, 3)
    diverged_at: int | None = None


@dataclass
class RaceResult:
    config: RaceConfig
    status: str  # "Cancelled" when stopped; else "Done" if any lane finished, "Diverged" if none did
    lanes: list[LaneResult]
    elapsed: float


@dataclass
class RaceProgress:
    epochs_done: int
    epochs_total: int
    elapsed: float
    lanes: list[dict]  # per lane: optimizer, status, and its thinned Progress fields


def _lane_view(lane: LaneResult, done: int, epochs_total: int, elapsed: float) -> dict:
    progress: Progress = snapshot(lane.losses[:done], lane.weights[:done], epochs_total, elapsed,
                                  LANE_LOSS_POINTS, LANE_WEIGHT_POINTS)
    return {"optimizer": lane.optimizer, "status": lane.status, "diverged_at": lane.diverged_at,
            **dataclasses.asdict(progress)}


def _snapshot(lanes: list[LaneResult], done: list[int], epochs_total: int, elapsed: float) -> RaceProgress:
    return RaceProgress(max(done), epochs_total, elapsed,
                        [_lane_view(lane, n, epochs_total, elapsed) for lane, n in zip(lanes, done)])


def first_race_epoch(config: RaceConfig) -> RaceProgress:
    """Every lane's first epoch, as the job computes it: the race's first points at once."""
    started = time.perf_counter()
    lanes, done = [], []
    for optimizer in config.lanes:
        _, _, fit = prepare(config.lane(optimizer))
        loss = fit.step()
        ok = math.isfinite(loss)
        lanes.append(LaneResult(optimizer, "Running", np.array([loss]), fit.weights()[None, :].copy()))
        done.append(1 if ok else 0)
    return _snapshot(lanes, done, config.epochs, time.perf_counter() - started)


def race(
    config: RaceConfig,
    on_progress: Callable[[RaceProgress], None] | None = None,
    progress_interval: float = 0.1,
    should_stop: Callable[[], bool] | None = None,
) -> RaceResult:
    """Run every lane epoch by epoch; progress and cancelling paced as `regression.train` (`Pacer`)."""
    pacer = Pacer(on_progress, progress_interval, should_stop)
    fits = [prepare(config.lane(optimizer))[2] for optimizer in config.lanes]
    lanes = [LaneResult(o, "Running", np.empty(config.epochs), np.empty((config.epochs, 3), dtype=np.float32))
             for o in config.lanes]
    done = [0] * len(lanes)
    cancelled = False
    for epoch in range(config.epochs):
        running = [k for k, lane in enumerate(lanes) if lane.status == "Running"]
        if not running:
            break
        for k in running:
            loss = fits[k].step()
            if not math.isfinite(loss):
                lanes[k].status, lanes[k].diverged_at = "Diverged", epoch
                continue
            lanes[k].losses[epoch] = loss
            lanes[k].weights[epoch] = fits[k].weights()
            done[k] = epoch + 1
        if pacer.stop_now(lambda elapsed: _snapshot(lanes, done, config.epochs, elapsed)):
            cancelled = True
            break
    for lane, n in zip(lanes, done):
        lane.losses, lane.weights = lane.losses[:n], lane.weights[:n]
        if lane.status == "Running":
            lane.status = "Cancelled" if cancelled else "Done"
    status = "Cancelled" if cancelled else ("Done" if any(lane.status == "Done" for lane in lanes) else "Diverged")
    return RaceResult(config, status, lanes, time.perf_counter() - pacer.started)


def make_race_record(result: RaceResult, run_id: str) -> dict[str, Any]:
    """The finished race as the browser keeps it: each lane thinned as while streaming."""
    lanes = []
    for lane in result.lanes:
        view = _lane_view(lane, len(lane.losses), result.config.epochs, result.elapsed)
        final = float(lane.losses[-1]) if len(lane.losses) and lane.status == "Done" else None
        lanes.append({**{k: view[k] for k in ("optimizer", "status", "diverged_at", "epochs_done", "loss_epochs",
                                              "losses", "weight_epochs", "weights", "current_weights")},
                      "final_loss": final})
    return {"run_id": run_id, "config": result.config.to_dict(), "status": result.status,
            "elapsed": round(result.elapsed, 3), "epochs_run": max((len(lane.losses) for lane in result.lanes),
                                                                   default=0),
            "lanes": lanes}


def _numbers(values: Any, length: int | None = None) -> bool:
    return (isinstance(values, list) and all(v is None or is_finite_number(v) for v in values)
            and (length is None or len(values) == length))


def checked_race_record(record: Any) -> dict[str, Any] | None:
    """`record` if it has the shape `make_race_record` gives, else None (it comes back from the
    browser: nothing in it is used before this check)."""
    if not isinstance(record, dict) or record.get("status") not in FINISHED:
        return None
    config = record.get("config")
    if not isinstance(config, dict) or not isinstance(config.get("seed"), int) or \
            parse_race_config(config, pick_seed=False).config is None:
        return None
    lanes = record.get("lanes")
    if not isinstance(lanes, list) or not lanes or not isinstance(record.get("epochs_run"), int) \
            or not is_finite_number(record.get("elapsed")):
        return None
    for lane in lanes:
        if not isinstance(lane, dict) or lane.get("optimizer") not in OPTIMIZERS or lane.get("status") not in FINISHED:
            return None
        n_loss, weights = lane.get("loss_epochs"), lane.get("weights")
        if not (_numbers(n_loss) and _numbers(lane.get("losses"), len(n_loss)) and _numbers(lane.get("weight_epochs"))
                and isinstance(weights, list) and len(weights) == 3
                and all(_numbers(w, len(lane["weight_epochs"])) for w in weights)
                and _numbers(lane.get("current_weights"))
                and (lane.get("final_loss") is None or is_finite_number(lane.get("final_loss")))
                and (lane.get("diverged_at") is None or isinstance(lane.get("diverged_at"), int))):
            return None
    return record


def race_progress_text(progress: Mapping[str, Any]) -> str:
    lanes = progress.get("lanes") or []
    ended = sum(1 for lane in lanes if lane.get("status") == "Diverged")
    return _("Epoch {done} of {total} · {seconds} s · {lanes} optimizers, {diverged} diverged").format(
        done=f"{progress['epochs_done']:,}", total=f"{progress['epochs_total']:,}",
        seconds=f"{progress['elapsed']:.1f}", lanes=len(lanes), diverged=ended)


def race_record_text(record: Mapping[str, Any]) -> str:
    return _("{lanes} optimizers, {epochs} epochs in {seconds} s").format(
        lanes=len(record["lanes"]), epochs=f"{record['epochs_run']:,}", seconds=f"{record['elapsed']:.2f}")
