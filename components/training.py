"""Training page (path `/`): pick an approach, press Train, watch the loss fall.

Callbacks stay thin: they parse with `core.training_config`, train with `core.regression`
and draw with `components.figures`. The run itself is a Dash background callback that streams
the whole curve so far (thinned) through `progress` outputs, because Dash keeps only the
newest progress value.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any, Mapping
from urllib.parse import urlencode

import torch
from dash import (
    ClientsideFunction,
    Input,
    Output,
    Patch,
    State,
    callback,
    clientside_callback,
    dcc,
    html,
    no_update,
)

from components import ids, jobs
from components.figures import serve_loss_figure, serve_weights_figure, true_weight_line
from core.numbers import exact_text
from core.regression import Progress, StopTraining, train
from core.run_record import FINISHED, checked_record, failed_record, make_record, record_csv
from core.script import standalone_script
from core.training_config import (
    APPROACHES,
    FIELDS,
    TRUE_WEIGHTS,
    WORK_BUDGET,
    TrainingConfig,
    parse_training_config,
)

POLL_MS = 100  # how often the browser asks for progress; the job reports at the same pace
SILENCE_LIMIT = jobs.SILENCE_LIMIT  # seconds without a sign of life before the watchdog calls a run failed
HISTORY_SIZE = 20  # finished runs kept in the browser's local storage

READY = "Ready — choose an approach and press Train."

# ---------------------------------------------------------------------------------------------
# Plain functions (tests call these directly)


def config_from_controls(approach, lr, epochs, samples, noise, seed, w0, w1, w2) -> dict:
    return {
        "approach": approach,
        "lr": lr,
        "epochs": epochs,
        "samples": samples,
        "noise": noise,
        "seed": seed,
        "true_weights": [w0, w1, w2],
    }


def config_query(values: Mapping[str, Any]) -> str:
    """The URL query that reproduces these settings (true weights only when not the seed's)."""
    query = {"approach": values["approach"]}
    for name in FIELDS:
        if values.get(name) is not None:
            query[name] = exact_text(values[name])
    if tuple(values.get("true_weights", TRUE_WEIGHTS)) != TRUE_WEIGHTS:
        query["w"] = ",".join(exact_text(w) for w in values["true_weights"])
    return "?" + urlencode(query)


def controls_from_query(query: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Control values from a link, and what in the link was ignored (with why)."""
    raw = {k: v for k, v in query.items() if k in FIELDS or k == "approach"}
    if isinstance(query.get("w"), str):
        raw["true_weights"] = query["w"].split(",")
    parsed = parse_training_config(raw, pick_seed=False)
    notices = [f"Ignored from the link: {message}" for message in parsed.errors.values()]
    return parsed.values, list(dict.fromkeys(notices))


def format_weights(weights) -> str:
    return ", ".join("—" if w is None else f"{w:.4f}" for w in weights)


def status_line(record: Mapping[str, Any]) -> str:
    """The one-line status for a finished (or failed) run record."""
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
        why = f" because {record['reason']}" if isinstance(record.get("reason"), str) else ""
        return f"Cancelled — stopped after {record.get('epochs_run', 0):,} epochs{why}. Press Train to run again."
    if status == "Invalid":
        return f"Invalid — {record.get('reason', 'the settings were rejected')}"
    return f"Failed — {record.get('reason', 'the training job ended without a result')}"


def progress_outputs(progress: Progress, true_weights) -> list:
    """What one streamed update sets: both charts (whole thinned curve), the bar, the status.

    Patches leave the overlays and the user's zoom alone; each carries the whole curve so far
    because Dash keeps only the newest progress value.
    """
    loss_patch = Patch()
    loss_patch["data"][0]["x"] = progress.loss_epochs
    loss_patch["data"][0]["y"] = progress.losses
    loss_patch["data"][0]["name"] = "Current run"
    weights_patch = Patch()
    for k in range(3):
        weights_patch["data"][k]["x"] = progress.weight_epochs
        weights_patch["data"][k]["y"] = progress.weights[k]
        weights_patch["data"][3 + k] = true_weight_line(k, true_weights[k])
    current = progress.current_weights
    text = (
        f"Epoch {progress.epochs_done:,} of {progress.epochs_total:,} · "
        f"{progress.elapsed:.1f} s · weights {format_weights(current)}"
    )
    status = f"Running — epoch {progress.epochs_done:,} of {progress.epochs_total:,}"
    return [loss_patch, weights_patch, progress.epochs_done, progress.epochs_total, text, status]


def run_label(record: Mapping[str, Any]) -> str:
    config = record["config"]
    if record["status"] == "Done":
        ending = f"loss {record['final_loss']:.4g}"
    else:
        ending = f"{record['status'].lower()} after {record['epochs_run']:,} epochs"
    return f"{config['approach']} · lr {config['lr']:g} · seed {config['seed']} · {ending}"


class ServerGone(Exception):
    """The process that started this job has died: nobody can read the run any more."""


def execute_run(request: Any, on_progress) -> dict[str, Any]:
    """Validate a run request again (any client can post one) and train; never raises.

    Progress goes to `on_progress(progress, config)` until the browser asks to cancel this run.
    """
    request = request if isinstance(request, dict) else {}
    run_id = request.get("run_id")
    if not isinstance(run_id, str) or not 0 < len(run_id) <= 64:
        run_id = uuid.uuid4().hex
    parsed = parse_training_config(request.get("config"), pick_seed=False)
    backend = jobs.backend()
    store = backend.outcomes
    if parsed.config is None or parsed.values["seed"] is None:
        reason = "; ".join(parsed.errors.values()) or "the request named no seed"
        record = failed_record(run_id, parsed.values, reason, status="Invalid")
        return _recorded(store, record)
    slot = None
    try:
        refusal = refuse_to_start(backend, run_id, time.time())
        if refusal is None and backend.max_running is not None:
            slot = store.take_slot(run_id, backend.max_running, backend.job_gone)
            if slot is None:
                refusal = (f"the server is busy: {backend.max_running} runs are training already. "
                           "Press Train again in a minute.")
    except jobs.JobStoreUnavailable as exc:
        refusal = exc.detail()
    if refusal is not None:
        # the page may have said Failed (or Cancelled) already: keep what it read
        return _recorded(store, failed_record(run_id, parsed.config.to_dict(), refusal), only_new=True)
    torch.set_num_threads(1)  # tiny tensors: threads cost more than they give
    server_pid = os.getppid()
    started_at = time.time()
    unwatched = []

    def report(progress: Progress) -> None:
        if os.getppid() != server_pid:  # re-parented: its server was killed (a job would
            raise ServerGone            # otherwise train on for minutes and hold the server's port)
        if store.cancel_requested(run_id):
            raise StopTraining
        if time.time() - (store.last_watched(run_id) or started_at) > jobs.UNWATCHED_LIMIT:
            unwatched.append(True)  # its page is gone: free the core and the slot for others
            raise StopTraining
        store.beat(run_id)
        if slot is not None:
            store.renew_slot(slot, run_id)
        on_progress(progress, parsed.config)

    try:
        result = train(parsed.config, on_progress=report, progress_interval=POLL_MS / 1000)
        record = make_record(result, run_id)
        record["label"] = run_label(record)
        if unwatched:
            record["reason"] = f"its page stopped checking on it for {jobs.UNWATCHED_LIMIT:.0f} s (closed?)"
    except ServerGone:
        record = failed_record(run_id, parsed.config.to_dict(), "the server stopped during the run")
    except jobs.TIME_LIMIT_ERRORS:
        reason = f"the run passed its time limit of {jobs.SOFT_TIME_LIMIT} s and was stopped"
        record = failed_record(run_id, parsed.config.to_dict(), reason)
    except Exception as exc:  # noqa: BLE001 - any failure becomes a Failed status, not a 500
        record = failed_record(run_id, parsed.config.to_dict(), f"training raised {exc!r}")
    finally:
        if slot is not None:
            _quietly(store.release_slot, slot, run_id)
    return _recorded(store, record)


def _recorded(store: jobs.Outcomes, record: dict[str, Any], *, only_new: bool = False) -> dict[str, Any]:
    """`record`, after writing its outcome for the page's status."""
    _quietly(store.write, record["run_id"], {"status": record["status"], "line": status_line(record)},
             only_new=only_new)
    return record


def _quietly(write, *args, **kwargs) -> None:
    """A job-store write that may fail: the record still reaches the page as the job's result;
    raising here would turn that result into a 500 on the next poll."""
    try:
        write(*args, **kwargs)
    except Exception:  # noqa: BLE001
        pass


def refuse_to_start(backend: jobs.JobBackend, run_id: str, now: float) -> str | None:
    """Why a job must not train after all (a Failed reason), or None to go ahead.

    It claims the run first: a run claimed before is a redelivery after its worker process was
    killed (the first attempt may have crashed the worker: never loop on it). A run queued
    longer ago than the backend's queue wait has already been reported Failed by its page.
    """
    queued_at = backend.outcomes.last_beat(run_id)
    if not backend.outcomes.claim(run_id, backend.current_job()):
        return (
            "the worker running this job was lost (killed, or out of memory); "
            "the job was not restarted. Press Train to try again."
        )
    if queued_at is not None and now - queued_at > backend.queue_wait_limit:
        return (
            f"the job waited {now - queued_at:.0f} s for a free worker (the limit is "
            f"{backend.queue_wait_limit:.0f} s) and was not run. Press Train to try again."
        )
    backend.outcomes.beat(run_id)
    return None


def result_table(record: Mapping[str, Any] | None):
    """Learned against true against least squares, and the final loss against the optimum."""
    if not record or record.get("status") not in FINISHED:
        return []
    learned = record.get("learned_weights")
    true = record["config"]["true_weights"]
    optimum = record.get("optimum_weights") or [None] * 3

    def cell(value):
        return html.Td("—" if value is None else f"{value:.4f}")

    rows = [
        html.Tr([html.Th(name), cell(learned[k] if learned else None), cell(true[k]), cell(optimum[k])])
        for k, name in enumerate(("w0 (intercept)", "w1 (a)", "w2 (b)"))
    ]
    rows.append(
        html.Tr(
            [
                html.Th("Loss (MSE)"),
                cell(record.get("final_loss") if record["status"] == "Done" else None),
                html.Td("—"),
                cell(record.get("optimum_loss")),
            ]
        )
    )
    head = html.Thead(
        html.Tr([html.Th(""), html.Th("Learned"), html.Th("True"), html.Th("Least squares")])
    )
    return html.Table([head, html.Tbody(rows)], className="result-table")


# ---------------------------------------------------------------------------------------------
# Layout


def _number_control(field_name: str, value, step) -> html.Div:
    field = FIELDS[field_name]
    control_id = ids.NUMBER_INPUTS[field_name]
    placeholder = "random" if field.optional else None
    return html.Div(
        [
            html.Label(field.label, htmlFor=control_id),
            dcc.Input(
                id=control_id,
                type="number",
                value=value,
                step=step,
                placeholder=placeholder,
                className="number-input",
            ),
            html.Div(id=ids.field_error(field_name), className="field-error", role="alert"),
        ],
        className="control",
    )


def layout(**query) -> html.Div:
    values, notices = controls_from_query(query)
    markdown, script = code_view(parse_training_config(values, pick_seed=False).config, values["seed"])
    controls = html.Section(
        [
            html.H2("Settings"),
            html.Fieldset(
                [
                    html.Legend("Approach"),
                    dcc.RadioItems(
                        id=ids.APPROACH,
                        options=[
                            {"label": f"{name} — {text}", "value": name}
                            for name, text in APPROACHES.items()
                        ],
                        value=values["approach"],
                        className="approach-options",
                    ),
                    html.Div(id=ids.APPROACH_ERROR, className="field-error", role="alert"),
                ],
                className="control",
            ),
            _number_control("lr", values["lr"], "any"),
            _number_control("epochs", values["epochs"], 1),
            _number_control("samples", values["samples"], 1),
            _number_control("noise", values["noise"], "any"),
            _number_control("seed", values["seed"], 1),
            html.Fieldset(
                [
                    html.Legend("True weights (y = w0 + w1·a + w2·b)"),
                    html.Div(
                        [
                            html.Div(
                                [
                                    html.Label(f"w{k}", htmlFor=control_id),
                                    dcc.Input(
                                        id=control_id,
                                        type="number",
                                        value=values["true_weights"][k],
                                        step="any",
                                        className="number-input",
                                    ),
                                ],
                                className="weight-control",
                            )
                            for k, control_id in enumerate(ids.TRUE_WEIGHT_INPUTS)
                        ],
                        className="weight-row",
                    ),
                    html.Div(id=ids.TRUE_WEIGHTS_ERROR, className="field-error", role="alert"),
                ],
                className="control",
            ),
            html.P(
                f"Epochs × samples may be at most {WORK_BUDGET:,}; an empty seed picks one at random.",
                className="hint",
            ),
            html.Div(
                [
                    html.Button("Train", id=ids.TRAIN_BUTTON, className="button primary"),
                    html.Button("Cancel", id=ids.CANCEL_BUTTON, className="button", disabled=True),
                ],
                className="buttons",
            ),
            html.P(READY, id=ids.STATUS, className="status", role="status", **{"aria-live": "polite"}),
            html.Progress(id=ids.PROGRESS_BAR, value=0, max=1, className="progress"),
            html.P("", id=ids.PROGRESS_TEXT, className="progress-text"),
            html.Div([html.P(n, className="notice") for n in notices], id=ids.URL_NOTICE),
        ],
        className="panel controls",
        **{"aria-label": "Training settings"},
    )

    charts = html.Section(
        [
            html.Div(
                [
                    html.H2("Loss"),
                    dcc.RadioItems(
                        id=ids.LOG_SCALE,
                        options=[{"label": "linear", "value": "linear"}, {"label": "log", "value": "log"}],
                        value="linear",
                        inline=True,
                        className="toggle",
                    ),
                ],
                className="chart-head",
            ),
            dcc.Graph(
                id=ids.LOSS_GRAPH,
                figure=serve_loss_figure(None),
                config={"displaylogo": False},
                className="chart",
            ),
            html.H2("Weights"),
            dcc.Graph(
                id=ids.WEIGHTS_GRAPH,
                figure=serve_weights_figure(None, values["true_weights"]),
                config={"displaylogo": False},
                className="chart",
            ),
            html.H2("Result"),
            html.P(
                ["Learned weights (w0, w1, w2): ", html.Span(id=ids.LEARNED_WEIGHTS, className="mono")],
                className="learned",
            ),
            html.Div(id=ids.RESULT_TABLE),
            html.Button("Use this seed", id=ids.USE_SEED_BUTTON, className="button small", hidden=True),
            html.H2("Runs"),
            html.P(
                f"Finished runs stay in this browser (the last {HISTORY_SIZE}). "
                "Tick runs to overlay their loss.",
                className="hint",
            ),
            dcc.Checklist(id=ids.OVERLAY_RUNS, options=[], value=[], className="runs"),
            html.Div(
                [
                    html.Button("Download CSV of the current run", id=ids.DOWNLOAD_BUTTON, className="button small"),
                    html.Button("Forget all runs", id=ids.CLEAR_HISTORY_BUTTON, className="button small"),
                ],
                className="buttons",
            ),
            dcc.Download(id=ids.DOWNLOAD),
            html.H2("Code"),
            html.P("The PyTorch code of this run, standalone:", className="hint"),
            html.Div(
                [
                    dcc.Clipboard(id=ids.CODE_COPY, content=script, title="Copy the code", className="copy"),
                    dcc.Markdown(markdown, id=ids.CODE_VIEW),
                ],
                className="code",
            ),
        ],
        className="panel charts",
    )
    stores = [
        dcc.Store(id=ids.CONFIG_QUERY),
        dcc.Store(id=ids.RUN_REQUEST),
        dcc.Store(id=ids.RUN_RESULT),
        dcc.Store(id=ids.RUN_PHASE, data="idle"),
        dcc.Store(id=ids.CANCELLED_RUN),
        dcc.Store(id=ids.OVERLAY_CURVES, data=[]),
        dcc.Store(id=ids.RUN_HISTORY, storage_type="local", data=[]),
        dcc.Store(id=ids.HISTORY_SIZE, data=HISTORY_SIZE),
        dcc.Interval(id=ids.WATCHDOG, interval=1000, disabled=True),
    ]
    return html.Div([controls, charts, *stores], className="page training")


def code_view(config: TrainingConfig, seed) -> tuple[str, str]:
    """(markdown, plain script) of the run's code; without a seed the data is random."""
    script = standalone_script(config)
    if seed is None:
        script = script.replace(
            f"torch.manual_seed({config.seed})", "# no seed given: each run draws new random data"
        )
    return f"```python\n{script}```", script


# ---------------------------------------------------------------------------------------------
# Callbacks

CONTROL_STATES = [
    State(ids.APPROACH, "value"),
    *(State(ids.NUMBER_INPUTS[name], "value") for name in FIELDS),
    *(State(i, "value") for i in ids.TRUE_WEIGHT_INPUTS),
]
ERROR_OUTPUTS = [
    Output(ids.field_error(name), "children")
    for name in ("approach", *FIELDS, "true_weights")
]


def _errors_for_controls(errors: Mapping[str, str]) -> list[str]:
    return [errors.get(name, "") for name in ("approach", *FIELDS, "true_weights")]


@callback(
    *ERROR_OUTPUTS,
    Output(ids.CONFIG_QUERY, "data"),
    Output(ids.CODE_VIEW, "children"),
    Output(ids.CODE_COPY, "content"),
    *(Input(s.component_id, "value") for s in CONTROL_STATES),
)
def check_controls(*values):
    """As the user types: messages at the controls, the shareable URL, the code view."""
    parsed = parse_training_config(config_from_controls(*values), pick_seed=False)
    query = config_query(parsed.values)
    if parsed.config is None:
        return *_errors_for_controls(parsed.errors), query, no_update, no_update
    return *_errors_for_controls({}), query, *code_view(parsed.config, parsed.values["seed"])


@callback(
    Output(ids.RUN_REQUEST, "data"),
    Output(ids.STATUS, "children", allow_duplicate=True),
    *[Output(o.component_id, o.component_property, allow_duplicate=True) for o in ERROR_OUTPUTS],
    Output(ids.PROGRESS_BAR, "value", allow_duplicate=True),
    Output(ids.PROGRESS_TEXT, "children", allow_duplicate=True),
    Input(ids.TRAIN_BUTTON, "n_clicks"),
    *CONTROL_STATES,
    prevent_initial_call=True,
)
def start_run(_clicks, *values):
    """Validate on the server; a valid run gets a unique id so no two runs share a job.

    The charts are not touched here: redrawing them would delay the job's start by the time
    the browser takes to draw, and the first streamed update replaces the curves anyway.
    """
    parsed = parse_training_config(config_from_controls(*values))
    errors = _errors_for_controls(parsed.errors)
    if parsed.config is None:
        first = next(iter(parsed.errors.values()))
        return (no_update, f"Invalid — {first}", *errors, no_update, no_update)
    request = {"run_id": uuid.uuid4().hex, "config": parsed.config.to_dict()}
    try:
        jobs.backend().check()  # Redis down: say so now, not after a hung request
        jobs.outcomes().beat(request["run_id"])  # the job's wait and silence count from now
    except jobs.JobStoreUnavailable as exc:
        status = (
            f"Failed — {exc}; training cannot start until it is back (the activation gallery "
            "still works). Press Train to try again."
        )
        return (no_update, status, *errors, no_update, no_update)
    status = f"Running — starting {parsed.config.epochs:,} epochs (seed {parsed.config.seed})"
    return request, status, *errors, 0, ""


@callback(
    Output(ids.RUN_RESULT, "data"),
    Output(ids.STATUS, "children", allow_duplicate=True),
    Input(ids.RUN_REQUEST, "data"),
    background=True,
    progress=[
        Output(ids.LOSS_GRAPH, "figure"),
        Output(ids.WEIGHTS_GRAPH, "figure"),
        Output(ids.PROGRESS_BAR, "value"),
        Output(ids.PROGRESS_BAR, "max"),
        Output(ids.PROGRESS_TEXT, "children"),
        Output(ids.STATUS, "children"),
    ],
    running=[
        (Output(ids.TRAIN_BUTTON, "disabled"), True, False),
        (Output(ids.CANCEL_BUTTON, "disabled"), False, True),
        (Output(ids.RUN_PHASE, "data"), "running", "idle"),
        (Output(ids.WATCHDOG, "disabled"), False, True),
    ],
    cancel=[Input(ids.CANCEL_BUTTON, "n_clicks")],
    interval=POLL_MS,
    prevent_initial_call=True,
)
def run_training(set_progress, request):
    def report(progress: Progress, config: TrainingConfig) -> None:
        set_progress(progress_outputs(progress, config.true_weights))

    record = execute_run(request, report)
    return record, status_line(record)


@callback(
    Output(ids.STATUS, "children", allow_duplicate=True),
    Input(ids.RUN_PHASE, "data"),
    State(ids.RUN_REQUEST, "data"),
    State(ids.RUN_RESULT, "data"),
    State(ids.CANCELLED_RUN, "data"),
    State(ids.PROGRESS_BAR, "value"),
    prevent_initial_call=True,
)
def settle_status(phase, request, result, cancelled_run, epochs_done):
    """When a job ends, say how: its own record wins; no record means cancelled or died."""
    return settled_status(phase, request, result, cancelled_run, epochs_done)


def settled_status(phase, request, result, cancelled_run, epochs_done):
    if phase != "idle" or not isinstance(request, dict):
        return no_update
    jobs.reap_finished_jobs()
    run_id = request.get("run_id")
    if isinstance(result, dict) and result.get("run_id") == run_id:
        return no_update  # the job's own output already said it
    try:
        outcome = jobs.outcomes().read(run_id) if isinstance(run_id, str) else None
    except jobs.JobStoreUnavailable as exc:
        return f"Failed — the run's outcome cannot be read: {exc}. Press Train to try again."
    if outcome:
        return outcome["line"]
    if cancelled_run == run_id:
        done = epochs_done if isinstance(epochs_done, int) and not isinstance(epochs_done, bool) else 0
        return status_line({"status": "Cancelled", "epochs_run": max(done, 0)})
    return (
        "Failed — the training job ended without a result (its process stopped). "
        "Press Train to try again."
    )


@callback(
    Output(ids.STATUS, "children", allow_duplicate=True),
    Output(ids.TRAIN_BUTTON, "disabled", allow_duplicate=True),
    Output(ids.CANCEL_BUTTON, "disabled", allow_duplicate=True),
    Output(ids.WATCHDOG, "disabled", allow_duplicate=True),
    Input(ids.WATCHDOG, "n_intervals"),
    State(ids.RUN_REQUEST, "data"),
    State(ids.RUN_RESULT, "data"),
    prevent_initial_call=True,
)
def watch_run(_ticks, request, result):
    """While a run is on, make sure it is alive; a dead one is reported and Train freed.

    A dead run's job is abandoned (under Celery, a task of a killed worker looks running to
    Dash forever: revoking it ends the page's polling) and the verdict recorded as its outcome,
    so the status stays the same when Dash's poll ends.
    """
    now = time.time()
    try:
        if isinstance(request, dict) and isinstance(request.get("run_id"), str):
            jobs.outcomes().watch(request["run_id"])  # the page is still here: the job goes on
        verdict = watchdog_verdict(request, result, now)
        note = None if verdict else queue_note(request, now)
    except jobs.JobStoreUnavailable as exc:
        verdict = f"Failed — lost contact with the training job: {exc}. Press Train to try again."
    if verdict is None:
        return note or no_update, no_update, no_update, no_update
    try:
        run_id = request["run_id"]
        store = jobs.outcomes()
        if store.write(run_id, {"status": "Failed", "line": verdict}, only_new=True):
            jobs.backend().abandon((store.started(run_id) or {}).get("job"))
    except (jobs.JobStoreUnavailable, TypeError, KeyError):
        pass
    return verdict, False, True, True


def queue_note(request, now: float) -> str | None:
    """While a queued run waits for a free worker (Celery), a Running line that says so."""
    backend = jobs.backend()
    if not backend.has_queue or not isinstance(request, dict) or not isinstance(request.get("run_id"), str):
        return None
    run_id = request["run_id"]
    queued_at = backend.outcomes.last_beat(run_id)
    if queued_at is None or backend.outcomes.started(run_id) is not None or now - queued_at < 1:
        return None
    return (
        f"Running — waiting for a free worker ({now - queued_at:.0f} s so far; "
        f"gives up after {backend.queue_wait_limit:.0f} s)"
    )


def watchdog_verdict(request, result, now: float) -> str | None:
    """A Failed status line when the current run is dead or its result is lost, else None.

    A started run must beat every SILENCE_LIMIT seconds; one that has not started yet may wait
    the backend's queue wait (only Celery has a queue) from when it was queued.
    """
    if not isinstance(request, dict) or not isinstance(request.get("run_id"), str):
        return None
    run_id = request["run_id"]
    if isinstance(result, dict) and result.get("run_id") == run_id:
        return None
    backend = jobs.backend()
    store = backend.outcomes
    outcome = store.read(run_id)
    if outcome is not None:
        if now - outcome.get("at", now) <= SILENCE_LIMIT:
            return None  # Dash is about to deliver it
        return (
            f"Failed — the run ended ({outcome['line'].split(' — ')[0]}) but its result never "
            "reached this page; was the server restarted? Press Train to run again."
        )
    last = store.last_beat(run_id)
    if store.started(run_id) is None:
        if last is not None and now - last <= max(backend.queue_wait_limit, SILENCE_LIMIT):
            return None
        if backend.has_queue:
            return (
                f"Failed — the training job stopped responding: no worker started it within "
                f"{backend.queue_wait_limit:.0f} s (all busy, or none running). Press Train to try again."
            )
    elif last is not None and now - last <= SILENCE_LIMIT:
        return None
    return (
        f"Failed — the training job stopped responding (no sign of life for "
        f"{SILENCE_LIMIT:.0f} s). Press Train to try again."
    )


@callback(
    Output(ids.LEARNED_WEIGHTS, "children"),
    Output(ids.RESULT_TABLE, "children"),
    Output(ids.USE_SEED_BUTTON, "hidden"),
    Output(ids.LOSS_GRAPH, "figure", allow_duplicate=True),
    Output(ids.WEIGHTS_GRAPH, "figure", allow_duplicate=True),
    Output(ids.PROGRESS_BAR, "value", allow_duplicate=True),
    Output(ids.PROGRESS_TEXT, "children", allow_duplicate=True),
    Input(ids.RUN_RESULT, "data"),
    State(ids.OVERLAY_CURVES, "data"),
    State(ids.LOG_SCALE, "value"),
    prevent_initial_call=True,
)
def show_result(record, overlays, log_scale):
    """The final curve (every epoch up to 2,000) and the comparison with least squares."""
    record = checked_record(record)
    if record is None:
        return "", [], True, no_update, no_update, no_update, no_update
    learned = record.get("learned_weights")
    epochs_run = record["epochs_run"]
    return (
        format_weights(learned) if learned else f"— ({record['status'].lower()})",
        result_table(record),
        False,
        serve_loss_figure(record, overlays or [], log_scale == "log"),
        serve_weights_figure(record, record["config"]["true_weights"]),
        epochs_run if record["status"] == "Done" else no_update,
        f"{epochs_run:,} epochs in {record['elapsed']:.2f} s",
    )


@callback(
    Output(ids.LOSS_GRAPH, "figure", allow_duplicate=True),
    Input(ids.OVERLAY_CURVES, "data"),
    Input(ids.LOG_SCALE, "value"),
    State(ids.RUN_REQUEST, "data"),
    State(ids.RUN_RESULT, "data"),
    State(ids.LOSS_GRAPH, "figure"),
    prevent_initial_call=True,
)
def redraw_loss(overlays, log_scale, request, result, figure):
    """Overlays or the axis type changed: redraw around the current run."""
    return serve_loss_figure(
        current_curve(request, result, figure),
        overlays if isinstance(overlays, list) else [],
        log_scale == "log",
    )


def current_curve(request, result, figure) -> dict | None:
    """The finished run's record, or while a run streams, the curve already on screen."""
    if isinstance(result, dict) and (
        not isinstance(request, dict) or result.get("run_id") == request.get("run_id")
    ):
        return result
    try:
        trace = figure["data"][0]
        return {"epochs": list(trace.get("x") or []), "losses": list(trace.get("y") or [])}
    except (TypeError, KeyError, IndexError, AttributeError):
        return None


@callback(
    Output(ids.SEED, "value"),
    Input(ids.USE_SEED_BUTTON, "n_clicks"),
    State(ids.RUN_RESULT, "data"),
    prevent_initial_call=True,
)
def use_seed(_clicks, record):
    record = checked_record(record)
    return record["config"]["seed"] if record else no_update


@callback(
    Output(ids.DOWNLOAD, "data"),
    Input(ids.DOWNLOAD_BUTTON, "n_clicks"),
    State(ids.RUN_RESULT, "data"),
    prevent_initial_call=True,
)
def download_run(_clicks, record):
    record = checked_record(record)
    if record is None or not record["epochs"]:
        return no_update
    config = record["config"]
    name = f"run-{config['approach']}-seed{config['seed']}.csv"
    return dcc.send_string(record_csv(record), name)


# Browser-only bookkeeping: no server round trip, and the history (up to 20 runs) never uploads.
clientside_callback(
    ClientsideFunction("training", "rememberRun"),
    Output(ids.RUN_HISTORY, "data"),
    Input(ids.RUN_RESULT, "data"),
    Input(ids.CLEAR_HISTORY_BUTTON, "n_clicks"),
    State(ids.RUN_HISTORY, "data"),
    State(ids.HISTORY_SIZE, "data"),
    prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction("training", "runOptions"),
    Output(ids.OVERLAY_RUNS, "options"),
    Output(ids.OVERLAY_RUNS, "value"),
    Input(ids.RUN_HISTORY, "data"),
    State(ids.OVERLAY_RUNS, "value"),
)
clientside_callback(
    ClientsideFunction("training", "overlayCurves"),
    Output(ids.OVERLAY_CURVES, "data"),
    Input(ids.OVERLAY_RUNS, "value"),
    State(ids.RUN_HISTORY, "data"),
    prevent_initial_call=True,
)
@callback(Input(ids.CANCEL_BUTTON, "n_clicks"), State(ids.RUN_REQUEST, "data"), prevent_initial_call=True)
def request_cancel(_clicks, request):
    if isinstance(request, dict) and isinstance(request.get("run_id"), str):
        try:
            jobs.outcomes().request_cancel(request["run_id"][:64])
        except jobs.JobStoreUnavailable:
            pass  # the job cannot report either; the watchdog will say Failed


clientside_callback(
    ClientsideFunction("training", "markCancelled"),
    Output(ids.CANCELLED_RUN, "data"),
    Input(ids.CANCEL_BUTTON, "n_clicks"),
    State(ids.RUN_REQUEST, "data"),
    prevent_initial_call=True,
)
clientside_callback(  # no output: the effect is the address bar, without a history entry
    ClientsideFunction("app", "replaceQuery"),
    Input(ids.CONFIG_QUERY, "data"),
    prevent_initial_call=True,
)
