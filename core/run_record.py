"""A finished run as the browser keeps it (strict JSON, bounded size) and its CSV export."""

from __future__ import annotations

import csv
import io
import math
from typing import Any, Mapping

from core.curves import DISPLAY_POINTS, float32_list, thin_indices
from core.regression import TrainingResult


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
    }


def failed_record(
    run_id: str, config: Mapping[str, Any], reason: str, status: str = "Failed"
) -> dict[str, Any]:
    """A run that produced no curve: "Failed", or "Invalid" when its request was refused."""
    return {"run_id": run_id, "config": dict(config), "status": status, "reason": reason}


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
