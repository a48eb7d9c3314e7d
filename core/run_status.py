"""How a run is described to a learner: the status line, the progress line, the run's label.

The status line's first word is the run's state, one of `STATES` (the UI contract); the rest
says why, with numbers. Why a run was refused or failed travels as a `Reason` (a code and its
numbers) in the run's record, and becomes words only here.
"""

from __future__ import annotations

from typing import Any, Mapping

STATES = ("Ready", "Running", "Done", "Cancelled", "Diverged", "Invalid", "Failed")
FINISHED = ("Done", "Diverged", "Cancelled")  # runs with a curve worth showing and keeping
ENDED = (*FINISHED, "Invalid", "Failed")

READY = "Ready — choose an approach and press Train."

Reason = dict  # {"code": one of REASONS, **its numbers}

REASONS = {
    "busy": "the server is busy: {cap} runs are training already. Press Train again in a minute.",
    "worker_lost": ("the worker running this job was lost (killed, or out of memory); "
                    "the job was not restarted. Press Train to try again."),
    "queue_timeout": ("the job waited {waited:.0f} s for a free worker (the limit is {limit:.0f} s) "
                      "and was not run. Press Train to try again."),
    "never_started": ("the training job stopped responding: no worker started it within {limit:.0f} s "
                      "(all busy, or none running). Press Train to try again."),
    "silent": ("the training job stopped responding (no sign of life for {limit:.0f} s). "
               "Press Train to try again."),
    "no_result": "the training job ended without a result (its process stopped). Press Train to try again.",
    "server_gone": "the server stopped during the run",
    "time_limit": "the run passed its time limit of {limit} s and was stopped",
    "raised": "training raised {error}",
    "unwatched": "its page stopped checking on it for {limit:.0f} s (closed?)",
    "store": "{detail}; training cannot start until it is back (the activation gallery still works). "
             "Press Train to try again.",
    "lost_contact": "lost contact with the training job: {detail}. Press Train to try again.",
    "invalid": "{detail}",
}


def reason(code: str, **numbers: Any) -> Reason:
    return {"code": code, **numbers}


def reason_text(why: Any) -> str:
    """The words of a Reason; anything else (a record from an older page) reads as unknown."""
    if isinstance(why, Mapping) and why.get("code") in REASONS:
        try:
            return REASONS[why["code"]].format(**{k: v for k, v in why.items() if k != "code"})
        except (KeyError, ValueError, TypeError):
            pass
    return "the training job ended without a result"


def format_weights(weights) -> str:
    return ", ".join("—" if w is None else f"{w:.4f}" for w in weights)


def status_line(record: Mapping[str, Any]) -> str:
    """The status line of a run that has ended, from its record."""
    status = record.get("status")
    config = record.get("config") or {}
    seed = config.get("seed")
    if status == "Done":
        return (
            f"Done — {record['epochs_run']:,} epochs in {record['elapsed']:.2f} s, "
            f"final loss {record['final_loss']:.4g} (seed {seed})."
        )
    if status == "Diverged":
        return (
            f"Diverged at epoch {record['diverged_at']} — the loss overflowed to infinity with "
            f"learning rate {config.get('lr')}; try a smaller one (seed {seed})."
        )
    if status == "Cancelled":
        why = f" because {reason_text(record['reason'])}" if record.get("reason") else ""
        return f"Cancelled — stopped after {record.get('epochs_run', 0):,} epochs{why}. Press Train to run again."
    if status == "Invalid":
        return f"Invalid — {reason_text(record.get('reason'))}"
    return f"Failed — {reason_text(record.get('reason'))}"


def starting_line(config: Mapping[str, Any]) -> str:
    if "epochs" not in config:
        return "Running — starting"
    return f"Running — starting {config['epochs']:,} epochs (seed {config.get('seed')})"


def running_line(progress: Mapping[str, Any]) -> str:
    seed = (progress.get("config") or {}).get("seed")
    return (f"Running — epoch {progress['epochs_done']:,} of {progress['epochs_total']:,}"
            + ("" if seed is None else f" (seed {seed})"))


def queued_line(waited: float, limit: float) -> str:
    """While a run waits for a free worker (Celery)."""
    return f"Running — waiting for a free worker ({waited:.0f} s so far; gives up after {limit:.0f} s)"


def progress_text(progress: Mapping[str, Any]) -> str:
    return (
        f"Epoch {progress['epochs_done']:,} of {progress['epochs_total']:,} · "
        f"{progress['elapsed']:.1f} s · weights {format_weights(progress['current_weights'])}"
    )


def run_label(record: Mapping[str, Any]) -> str:
    """How the run is listed among finished runs."""
    config = record["config"]
    if record["status"] == "Done":
        ending = f"loss {record['final_loss']:.4g}"
    else:
        ending = f"{record['status'].lower()} after {record['epochs_run']:,} epochs"
    return f"{config['approach']} · lr {config['lr']:g} · seed {config['seed']} · {ending}"
