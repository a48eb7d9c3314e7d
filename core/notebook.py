"""A finished run as a Jupyter notebook: each step explained in the page's language, then its code.

The code cells are the run's standalone script (`core.script`), part by part, with the thread
setting the app trains with: run top to bottom they compute the run's losses again, bit for bit,
and leave the tutorial's variables (`losses`, and `weight` or `net`). The loop runs the epochs the
run ran: a cancelled run's notebook stops where it was cancelled, a diverged one before the epoch
whose loss overflowed, and says so.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from core.approaches import APPROACHES
from core.i18n import _
from core.numbers import decimal_text, exact_text
from core.optimizers import OPTIMIZERS
from core.run_record import checked_record
from core.run_status import run_name, state_word
from core.script import FINAL_LOSS_LINE, data_code, imports_code, run_code
from core.training_config import OPTIMIZED_APPROACH, TrainingConfig, parse_training_config

# The app trains on one thread (app.py, each job): a float32 sum split over threads is added in
# another order and can differ in its last bits, so the notebook sets the same.
THREADS_LINE = "torch.set_num_threads(1)\n"

_METADATA = {
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def _title(record: Mapping[str, Any], config: TrainingConfig) -> str:
    """What the run was (`config` as the run had it: the epochs planned)."""
    lines = [
        "# " + _("A training run of the tutorial, as a notebook"),
        "",
        _("The run as the dashboard trained it, with its settings:"),
        "",
        "- " + _("approach: `{name}` ({label})").format(name=config.approach,
                                                        label=_(APPROACHES[config.approach].label)),
    ]
    if config.approach == OPTIMIZED_APPROACH:
        optimizer = OPTIMIZERS[config.optimizer]
        lines.append("- " + _("optimizer: `{name}` ({label})").format(name=optimizer.name, label=_(optimizer.label)))
    lines += [
        "- " + _("learning rate: {lr}").format(lr=exact_text(config.lr)),
        "- " + _("epochs: {run} of {planned}").format(run=f"{record['epochs_run']:,}",
                                                      planned=f"{config.epochs:,}"),
        "- " + _("seed: {seed}").format(seed=config.seed),
        "- " + _("samples: {samples}, noise: {noise}").format(samples=config.samples, noise=exact_text(config.noise)),
        "- " + _("status: {state}; final loss in the app: {loss}").format(
            state=state_word(record["status"]), loss=f"{record['final_loss']:.9g}"),
        "",
        _("Run the code cells from top to bottom: they draw the same data and initial weights from the "
          "seed and compute the same losses, so the last cell prints the final loss above."),
    ]
    return "\n".join(lines)


def _loop_text(record: Mapping[str, Any], config: TrainingConfig) -> str:
    text = _("The loop: each epoch predicts y from X, computes the loss function (the mean squared error), "
             "its gradient with `loss.backward()`, and updates the weights with learning rate {lr}. "
             "`losses` keeps every epoch's loss.").format(lr=exact_text(config.lr))
    if record["status"] == "Cancelled":
        text += " " + _("The run was cancelled after {epochs} epochs, so the loop stops there too.").format(
            epochs=f"{record['epochs_run']:,}")
    return text


def _diverged_text(record: Mapping[str, Any], config: TrainingConfig) -> str:
    epoch, lr, bound = record["epochs_run"], config.lr, record.get("stable_lr")
    text = _("**Diverged.** The app stopped here: the loss of epoch {epoch} (counting from 0, as `epoch` does) "
             "overflowed to infinity with learning rate {lr}, so the loop above runs only the {epoch} epochs "
             "before it and `losses` holds the finite losses the app recorded. One more epoch's loss "
             "overflows.").format(epoch=epoch, lr=exact_text(lr))
    if bound is not None and lr > bound:
        text += " " + _("The largest stable learning rate for this update on this data is {bound} (from the "
                        "largest eigenvalue of the loss's Hessian); try a smaller one.").format(
            bound=decimal_text(bound))
    return text


def _config(record: Mapping[str, Any]) -> TrainingConfig:
    """The run's settings, parsed: the record's own may hold numbers as text (they come back from
    the browser, and the parser reads text too)."""
    return parse_training_config(record["config"], pick_seed=False).config


def run_notebook(record: Mapping[str, Any]) -> nbformat.NotebookNode:
    """The notebook of a finished run's record (one `notebook_file` accepts), in the language of
    the page that asks for it."""
    planned = _config(record)
    config = dataclasses.replace(planned, epochs=record["epochs_run"])  # the epochs the run ran
    model, loop, result = run_code(config)
    cells = [
        new_markdown_cell(_title(record, planned)),
        new_markdown_cell(_("PyTorch, on one thread as the app trains: a sum split over several threads adds its "
                            "numbers in another order, which can change the loss's last digits.")),
        new_code_cell(imports_code(config) + "\n" + THREADS_LINE),
        new_markdown_cell(_("The data: the seed fixes every random number that follows. X holds a column of ones "
                            "and two columns a and b of standard normal samples; y is the true weights' plane "
                            "plus noise.")),
        new_code_cell(data_code(config)),
        new_markdown_cell(_("The model and its initial weights: the next random numbers after the data, drawn "
                            "in the app's order.")),
        new_code_cell(model),
        new_markdown_cell(_loop_text(record, config)),
        new_code_cell(loop),
    ]
    if record["status"] == "Diverged":
        cells.append(new_markdown_cell(_diverged_text(record, config)))
    cells += [
        new_markdown_cell(_("The result: the final loss, which the app got too, and the learned weights.")),
        new_code_cell(FINAL_LOSS_LINE + result),
    ]
    for number, cell in enumerate(cells):
        cell.source = cell.source.rstrip("\n")
        cell.id = f"cell-{number}"  # not nbformat's random ids: the same run, the same file
    return new_notebook(cells=cells, metadata=_METADATA)


def notebook_file(record: Any) -> tuple[str, str] | None:
    """The notebook's file name (like the CSV's: `run-module-adam-seed3.ipynb`) and its JSON text;
    None for what is not a finished run with at least one epoch (records come back from the
    browser: `checked_record`, and epochs run within the planned ones)."""
    record = checked_record(record)
    if record is None or record["final_loss"] is None:
        return None
    config = _config(record)
    if not 1 <= record["epochs_run"] <= config.epochs:
        return None
    return f"run-{run_name(config.to_dict())}-seed{config.seed}.ipynb", nbformat.writes(run_notebook(record))
