"""A finished run as the browser keeps it (strict JSON, bounded size) and its CSV export."""

from __future__ import annotations

import csv
import io
import math
from typing import Any, Mapping

from core.curves import DISPLAY_POINTS, float32_list, thin_indices
from core.numbers import is_finite_number
from core.regression import TrainingResult
from core.run_status import FINISHED, Reason
from core.training_config import parse_training_config


def _finite_or_none(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


def make_record(result: TrainingResult, run_id: str) -> dict[str, Any]:
    """Every epoch when there are at most DISPLAY_POINTS of them, else a min/max thinning."""
    idx = thin_indices(result.losses, DISPLAY_POINTS)
    learned = result.learned_weights
    return {
        "run_id": run_id,
        "config": result.config.to_dict(),
        "status": result.status,
        "diverged_at": result.diverged_at,
        "elapsed": round(result.elapsed, 3),
        "epochs_run": len(result.losses),
        "epochs": idx.tolist(),
        "losses": float32_list(result.losses[idx]),
        "weights": [float32_list(result.weights[idx, k]) for k in range(3)],
        "learned_weights": float32_list(learned) if learned is not None else None,
        "final_loss": _finite_or_none(result.final_loss),
        "optimum_weights": float32_list(result.optimum_weights),
        "optimum_loss": _finite_or_none(result.optimum_loss),
        "stable_lr": _finite_or_none(result.stable_lr),
    }


def failed_record(
    run_id: str, config: Mapping[str, Any], why: Reason, status: str = "Failed"
) -> dict[str, Any]:
    """A run that produced no curve: "Failed", or "Invalid" when its request was refused."""
    return {"run_id": run_id, "config": dict(config), "status": status, "reason": why}


_number = is_finite_number


def _series(values, length: int | None = None) -> bool:
    return (isinstance(values, list) and all(v is None or _number(v) for v in values)
            and (length is None or len(values) == length))


def checked_record(record: Any) -> dict[str, Any] | None:
    """`record` if it has the shape `make_record` gives a finished run, else None.

    Records come back from the browser (a store any client can post), so nothing in one is
    used before this check.
    """
    if not isinstance(record, dict) or record.get("status") not in FINISHED:
        return None
    config = record.get("config")
    if not isinstance(config, dict) or parse_training_config(config, pick_seed=False).config is None:
        return None
    if not isinstance(config.get("seed"), int) or isinstance(config.get("seed"), bool):
        return None
    epochs = record.get("epochs")
    weights = record.get("weights")
    learned = record.get("learned_weights")
    optimum = record.get("optimum_weights")
    shaped = (
        isinstance(record.get("epochs_run"), int) and record["epochs_run"] >= 0
        and _number(record.get("elapsed"))
        and _series(epochs) and _series(record.get("losses"), len(epochs))
        and isinstance(weights, list) and len(weights) == 3
        and all(_series(w, len(epochs)) for w in weights)
        and (learned is None or (_series(learned, 3) and None not in learned))
        and (optimum is None or _series(optimum, 3))
        and all(record.get(k) is None or _number(record.get(k)) for k in ("final_loss", "optimum_loss", "stable_lr"))
        and (record.get("diverged_at") is None or isinstance(record.get("diverged_at"), int))
    )
    return record if shaped else None


CSV_COLUMNS = ("epoch", "loss", "w0", "w1", "w2")


def record_csv(record: Mapping[str, Any]) -> str:
    """The run's curve as CSV: one row per epoch kept in the record.

    The record comes back from the browser, so anything malformed is skipped, not trusted.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    weights = record.get("weights")
    if not isinstance(weights, list) or len(weights) != 3:
        weights = [[], [], []]
    columns = [record.get("epochs"), record.get("losses"), *weights]
    if all(isinstance(c, list) for c in columns):
        for row in zip(*columns):
            writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()
