"""How a run is described to a learner: the status line, the progress line, the run's label.

The status line's first word is the run's state (`STATES`, the UI contract's English words; the
page also puts the English word in the status's `data-status`), in the page's language; the rest
says why, with numbers. Why a run was refused or failed travels as a `Reason` (a code and its
numbers) in the run's record, and becomes words only here, in the language of whoever reads it.
"""

from __future__ import annotations

from typing import Any, Mapping

from core.i18n import N_, _
from core.numbers import decimal_text, is_finite_number
from core.optimizers import DEFAULT_OPTIMIZER
from core.training_config import OPTIMIZED_APPROACH

STATES = ("Ready", "Running", "Stepped", "Done", "Cancelled", "Diverged", "Invalid", "Failed")
FINISHED = ("Done", "Diverged", "Cancelled")  # runs with a curve worth showing and keeping
ENDED = (*FINISHED, "Invalid", "Failed")

READY = N_("Ready — choose an approach and press Train.")

Reason = dict  # {"code": one of REASONS, **its numbers}

REASONS = {
    "busy": N_("the server is busy: {cap} runs are training already. Press Train again in a minute."),
    "worker_lost": N_("the worker running this job was lost (killed, or out of memory); "
                      "the job was not restarted. Press Train to try again."),
    "queue_timeout": N_("the job waited {waited} s for a free worker (the limit is {limit} s) "
                        "and was not run. Press Train to try again."),
    "never_started": N_("the training job stopped responding: no worker started it within {limit} s "
                        "(all busy, or none running). Press Train to try again."),
    "silent": N_("the training job stopped responding (no sign of life for {limit} s). "
                 "Press Train to try again."),
    "no_result": N_("the training job ended without a result (its process stopped). Press Train to try again."),
    "server_gone": N_("the server stopped during the run"),
    "time_limit": N_("the run passed its time limit of {limit} s and was stopped"),
    "raised": N_("training raised {error}"),
    "unwatched": N_("its page stopped checking on it for {limit} s (closed?)"),
    "store": N_("{detail}; training cannot start until it is back (the activation gallery still works). "
                "Press Train to try again."),
    "lost_contact": N_("lost contact with the training job: {detail}. Press Train to try again."),
    "invalid": "{detail}",
}


def reason(code: str, **numbers: Any) -> Reason:
    return {"code": code, **numbers}


def _whole(value: Any) -> Any:
    """Seconds in a reason: whole numbers read best."""
    return f"{value:.0f}" if isinstance(value, float) else value


def reason_text(why: Any) -> str:
    """The words of a Reason; anything else (a record from an older page) reads as unknown."""
    if isinstance(why, Mapping) and why.get("code") in REASONS:
        try:
            template = REASONS[why["code"]]
            return _(template).format(**{k: _whole(v) for k, v in why.items() if k != "code"})
        except (KeyError, ValueError, TypeError):
            pass
    return _("the training job ended without a result")


def format_weights(weights) -> str:
    return ", ".join("—" if w is None else f"{w:.4f}" for w in weights)


def status_line(record: Mapping[str, Any]) -> str:
    """The status line of a run that has ended, from its record."""
    status = record.get("status")
    config = record.get("config") or {}
    seed = config.get("seed")
    lanes = record.get("lanes")
    if isinstance(lanes, list) and all(isinstance(lane, Mapping) for lane in lanes) and status in ("Done", "Diverged"):
        return race_line(record)  # an optimizer race
    if status == "Done":
        return _("Done — {epochs} epochs in {seconds} s, final loss {loss} (seed {seed}).").format(
            epochs=f"{record['epochs_run']:,}", seconds=f"{record['elapsed']:.2f}",
            loss=f"{record['final_loss']:.4g}", seed=seed)
    if status == "Diverged":
        bound, lr = record.get("stable_lr"), config.get("lr")
        if isinstance(bound, (int, float)) and isinstance(lr, (int, float)) and lr > bound:
            return _("Diverged at epoch {epoch} — the loss overflowed to infinity: learning rate {lr} is above "
                     "{bound}, the largest stable rate for this update on this data (from the largest "
                     "eigenvalue of the loss's Hessian); try a smaller one (seed {seed}).").format(
                epoch=record["diverged_at"], lr=lr, bound=decimal_text(bound), seed=seed)
        return _("Diverged at epoch {epoch} — the loss overflowed to infinity with learning rate {lr}; "
                 "try a smaller one (seed {seed}).").format(epoch=record["diverged_at"], lr=lr, seed=seed)
    if status == "Cancelled":
        epochs = f"{record.get('epochs_run', 0):,}"
        if record.get("reason"):
            return _("Cancelled — stopped after {epochs} epochs because {reason}. Press Train to run again.").format(
                epochs=epochs, reason=reason_text(record["reason"]))
        return _("Cancelled — stopped after {epochs} epochs. Press Train to run again.").format(epochs=epochs)
    if status == "Invalid":
        return _("Invalid — {reason}").format(reason=reason_text(record.get("reason")))
    return _("Failed — {reason}").format(reason=reason_text(record.get("reason")))


def race_line(record: Mapping[str, Any]) -> str:
    """A finished race: how each lane ended."""
    def ending(lane: Mapping[str, Any]) -> str:
        optimizer = str(lane.get("optimizer"))
        if lane.get("status") == "Done" and is_finite_number(lane.get("final_loss")):
            return _("{optimizer}: final loss {loss}").format(optimizer=optimizer, loss=f"{lane['final_loss']:.4g}")
        return _("{optimizer}: diverged at epoch {epoch}").format(optimizer=optimizer, epoch=lane.get("diverged_at"))

    numbers = {k: record.get(k) if is_finite_number(record.get(k)) else 0 for k in ("epochs_run", "elapsed")}
    return _("{state} — {count} optimizers, {epochs} epochs in {seconds} s (seed {seed}). {lanes}.").format(
        state=state_word(str(record.get("status"))), count=len(record["lanes"]), epochs=f"{numbers['epochs_run']:,}",
        seconds=f"{numbers['elapsed']:.2f}", seed=(record.get("config") or {}).get("seed"),
        lanes="; ".join(ending(lane) for lane in record["lanes"]))


def stepped_line(epochs_done: int, loss: float, seed: Any) -> str:
    """After a Step: the epochs stepped so far and the last one's loss."""
    return _("Stepped — epoch {epoch} done, its loss {loss} (seed {seed}). Step on, or press Train for a whole "
             "run.").format(epoch=f"{epochs_done:,}", loss=f"{loss:.4g}", seed=seed)


def starting_line(config: Mapping[str, Any]) -> str:
    if "epochs" not in config:
        return _("Running — starting")
    return _("Running — starting {epochs} epochs (seed {seed})").format(epochs=f"{config['epochs']:,}",
                                                                        seed=config.get("seed"))


def running_line(progress: Mapping[str, Any]) -> str:
    seed = (progress.get("config") or {}).get("seed")
    done, total = f"{progress['epochs_done']:,}", f"{progress['epochs_total']:,}"
    if seed is None:
        return _("Running — epoch {done} of {total}").format(done=done, total=total)
    return _("Running — epoch {done} of {total} (seed {seed})").format(done=done, total=total, seed=seed)


def queued_line(waited: float, limit: float) -> str:
    """While a run waits for a free worker (Celery)."""
    return _("Running — waiting for a free worker ({waited} s so far; gives up after {limit} s)").format(
        waited=f"{waited:.0f}", limit=f"{limit:.0f}")


def progress_text(progress: Mapping[str, Any]) -> str:
    return _("Epoch {done} of {total} · {seconds} s · weights {weights}").format(
        done=f"{progress['epochs_done']:,}", total=f"{progress['epochs_total']:,}",
        seconds=f"{progress['elapsed']:.1f}", weights=format_weights(progress["current_weights"]))


def run_label(record: Mapping[str, Any]) -> str:
    """How the run is listed among finished runs."""
    config = record["config"]
    if isinstance(record.get("lanes"), list):  # an optimizer race
        lanes = ", ".join(lane["optimizer"] for lane in record["lanes"])
        return _("Race") + f" · {lanes} · lr {config['lr']:g} · seed {config['seed']}"
    if record["status"] == "Done":
        ending = _("loss {loss}").format(loss=f"{record['final_loss']:.4g}")
    else:
        ending = _("{state} after {epochs} epochs").format(state=state_word(record["status"]).lower(),
                                                          epochs=f"{record['epochs_run']:,}")
    return f"{run_name(config, ' · ')} · lr {config['lr']:g} · seed {config['seed']} · {ending}"


def run_name(config: Mapping[str, Any], separator: str = "-") -> str:
    """The approach, and the optimizer when the approach has one: `manual`, `module-adam`; a
    network run's activation and hidden units: `relu-16`."""
    if "activation" in config:
        return f"{config['activation']}{separator}{config.get('hidden')}"
    if config.get("approach") == OPTIMIZED_APPROACH:
        return f"{config['approach']}{separator}{config.get('optimizer', DEFAULT_OPTIMIZER)}"
    return str(config.get("approach"))


STATE_WORDS = {"Ready": N_("Ready"), "Running": N_("Running"), "Stepped": N_("Stepped"), "Done": N_("Done"),
               "Cancelled": N_("Cancelled"), "Diverged": N_("Diverged"), "Invalid": N_("Invalid"),
               "Failed": N_("Failed")}


def state_word(state: str) -> str:
    """A state's word in the page's language (the English word is the UI contract's)."""
    word = STATE_WORDS.get(state)
    return _(word) if word else state
