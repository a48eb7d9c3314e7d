"""Training page (path `/`): pick an approach, press Train, watch the loss fall.

The run itself (Train, Cancel, the status line, streaming) is the shared run panel
(`components.run_panel`, driving `components.runs`); this module gives it the regression's
`RunKind`, the page's layout, and how a run is drawn here: the loss and weight charts, the
learned weights and their comparison with least squares, and the run's path on the loss
landscape. The rest are thin callbacks: the controls' messages and link, the code view, the
optimizer's controls, the data's stability numbers and landscape, overlays, the CSV and "Use this
seed".
"""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import urlencode

import numpy as np

from dash import ClientsideFunction, Input, Output, State, dcc, html, no_update

from components import figures, ids, race, run_panel, runs, training_controls, training_landscape, training_step
from components.training_controls import control_states
from components.jobs.backends import JobBackend
from core.approaches import APPROACHES
from core.curves import thin_indices
from core.notebook import notebook_file
from core.numbers import exact_text, is_finite_number
from core.optimizers import SETTINGS
from core.regression import PROGRESS_WEIGHT_POINTS, first_epoch, train
from core.run_record import checked_record, make_record, record_csv
from core.i18n import N_, _
from core.run_status import format_weights, progress_text, run_label, run_name, state_word
from core.script import standalone_script
from core.training_config import (
    CONTROL_NAMES,
    FIELDS,
    OPTIMIZED_APPROACH,
    TRUE_WEIGHTS,
    WORK_BUDGET,
    TrainingConfig,
    parse_training_config,
    settings_in_use,
)

HISTORY_SIZE = 20  # finished runs kept in the browser's local storage
MAX_SHOWN_POINTS = 1_000_000  # a loss chart's curve sent back for a redraw (one point per epoch at most)

REGRESSION = runs.RunKind(
    name="regression",
    parse=parse_training_config,
    train=train,
    first_progress=first_epoch,
    make_record=make_record,
    describe_progress=progress_text,
    describe_record=lambda record: _("{epochs} epochs in {seconds} s").format(
        epochs=f"{record['epochs_run']:,}", seconds=f"{record['elapsed']:.2f}"),
    check_record=checked_record,
)
PANEL = ids.TRAINING_PANEL

# ---------------------------------------------------------------------------------------------
# Plain functions (tests call these directly)


def config_query(values: Mapping[str, Any]) -> str:
    """The URL query that reproduces these settings (true weights only when not the tutorial's)."""
    query = {"approach": values["approach"]}
    for name in FIELDS:
        if values.get(name) is not None:
            query[name] = exact_text(values[name])
    if values["approach"] == OPTIMIZED_APPROACH:
        query["optimizer"] = values["optimizer"]
        query.update({name: exact_text(values[name]) for name in settings_in_use(values)})
    if tuple(values.get("true_weights", TRUE_WEIGHTS)) != TRUE_WEIGHTS:
        query["w"] = ",".join(exact_text(w) for w in values["true_weights"])
    return "?" + urlencode(query)


def controls_from_query(query: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Control values from a link, and what in the link was ignored (with why)."""
    raw = {k: v for k, v in query.items() if k in CONTROL_NAMES and k != "true_weights"}
    if isinstance(query.get("w"), str):
        raw["true_weights"] = query["w"].split(",")
    parsed = parse_training_config(raw, pick_seed=False)
    notices = [_("Ignored from the link: {message}").format(message=message) for message in parsed.errors.values()]
    return parsed.values, list(dict.fromkeys(notices))


def code_view(config: TrainingConfig, seeded: bool) -> tuple[str, str]:
    """(markdown, plain script) of the run's code; without a seed the data is random."""
    script = standalone_script(config, seeded=seeded)
    return f"```python\n{script}```", script


def check_controls(controls: Mapping[str, Any]) -> dict[str, Any]:
    """As the user types: a message at each control, the shareable URL, the code view, which
    optimizer settings apply."""
    parsed = parse_training_config(controls, pick_seed=False)
    out = {"errors": {name: parsed.errors.get(name, "") for name in CONTROL_NAMES},
           "query": config_query(parsed.values), "code": no_update, "script": no_update,
           "optimizer": training_controls.optimizer_controls(parsed.values)}
    if parsed.config is not None:
        out["code"], out["script"] = code_view(parsed.config, parsed.values["seed"] is not None)
    return out


def result_table(record: Mapping[str, Any]):
    """Learned against true against least squares, and the final loss against the optimum."""
    learned = record.get("learned_weights")
    true = record["config"]["true_weights"]
    optimum = record.get("optimum_weights") or [None] * 3

    def cell(value):
        return html.Td("—" if value is None else f"{value:.4f}")

    rows = [
        html.Tr([html.Th(name), cell(learned[k] if learned else None), cell(true[k]), cell(optimum[k])])
        for k, name in enumerate((_("w0 (intercept)"), _("w1 (a)"), _("w2 (b)")))
    ]
    rows.append(html.Tr([
        html.Th(_("Loss (MSE)")),
        cell(record.get("final_loss") if record["status"] == "Done" else None),
        html.Td("—"),
        cell(record.get("optimum_loss")),
    ]))
    head = html.Thead(html.Tr([html.Td(""), html.Th(_("Learned")), html.Th(_("True")), html.Th(_("Least squares"))]))
    return html.Table([head, html.Tbody(rows)], className="result-table")


def draw_run(view: runs.RunView | None, fresh: bool) -> dict[str, Any]:
    """What the page shows of a run: its curves while it streams, its result once it ended."""
    out = {"loss": no_update, "weights": no_update, "learned": no_update, "table": no_update,
           "use_seed_hidden": no_update, "path": no_update, "plane": no_update, "run_data": no_update}
    if fresh:
        out.update(learned="", table=[], use_seed_hidden=True)
    if view is None:
        out.update(loss=figures.loss_curve_update([], []),
                   weights=figures.weights_curve_update({"epochs": [], "weights": [[], [], []]}),
                   path=figures.landscape_update([], [], None), plane=figures.plane_update(None, None),
                   run_data=None)
        return out
    if view.record is not None:
        record = checked_record(view.record)
        if record is None:  # Failed or Invalid: nothing was learned; keep the curves shown
            return out
        learned = record.get("learned_weights")
        # the weights chart needs no more points than while streaming: the answer stays small
        kept = thin_indices(np.asarray(record["losses"], dtype=float), PROGRESS_WEIGHT_POINTS).tolist()
        weights = {"epochs": [record["epochs"][i] for i in kept],
                   "weights": [[series[i] for i in kept] for series in record["weights"]]}
        last = [series[-1] for series in weights["weights"]] if kept else None
        out.update(
            loss=figures.loss_curve_update(record["epochs"], record["losses"], run_label(record)),
            weights=figures.weights_curve_update(weights, record["config"]["true_weights"]),
            learned=format_weights(learned) if learned else f"— ({state_word(record['status']).lower()})",
            table=result_table(record),
            use_seed_hidden=False,
            path=training_landscape.landscape_path(record, weights["weights"][1], weights["weights"][2], last),
            plane=training_landscape.fitted_plane(record, last),
            run_data=record["config"],
        )
        return out
    progress = view.progress
    if progress:
        out["loss"] = figures.loss_curve_update(progress["loss_epochs"], progress["losses"])
        if progress["epochs_done"] > 1:  # the first point alone, drawn at once: the loss chart first
            curve = {"epochs": progress["weight_epochs"], "weights": progress["weights"]}
            true_weights = (progress.get("config") or {}).get("true_weights", TRUE_WEIGHTS)
            out.update(
                plane=training_landscape.fitted_plane(progress, progress["current_weights"]),
                weights=figures.weights_curve_update(curve, true_weights),
                path=training_landscape.landscape_path(progress, progress["weights"][1], progress["weights"][2],
                                                       progress["current_weights"]),
            )
            for chart in ("loss", "plane", "weights", "path"):
                out[chart] = figures.streaming(out[chart])
        if fresh:
            out["run_data"] = progress.get("config")
    return out


def shown_curve(figure: Any) -> dict | None:
    """The curve the loss chart shows now (its trace 0, sent back by the browser), if it is one:
    equally long lists of finite numbers, and its name."""
    try:
        trace = figure["data"][figures.LOSS_TRACE]
        epochs, losses, name = trace["x"], trace["y"], trace.get("name")
    except (TypeError, KeyError, IndexError, AttributeError):
        return None
    if not (isinstance(epochs, list) and isinstance(losses, list) and len(epochs) == len(losses) <= MAX_SHOWN_POINTS
            and all(is_finite_number(v) for v in epochs + losses)):
        return None
    return {"epochs": epochs, "losses": losses, "label": name if isinstance(name, str) and len(name) < 200 else None}


TRAINING_RUNS = run_panel.RunPage(
    path="/",
    name=N_("Training"),
    ids=PANEL,
    kind=REGRESSION,
    controls=control_states(),
    views={
        "loss": Output(ids.LOSS_UPDATE, "data"),
        "weights": Output(ids.WEIGHTS_UPDATE, "data"),
        "learned": Output(ids.LEARNED_WEIGHTS, "children"),
        "table": Output(ids.RESULT_TABLE, "children"),
        "use_seed_hidden": Output(ids.USE_SEED_BUTTON, "hidden"),
        "path": Output(ids.LANDSCAPE_UPDATE, "data"),
        "plane": Output(ids.PLANE_UPDATE, "data"),
        "run_data": Output(ids.RUN_DATA, "data"),
    },
    draw=draw_run,
)


def download_notebook(_clicks, record):
    """The current run as a Jupyter notebook in the page's language; nothing for a record that is
    not a finished run's (it comes back from the browser)."""
    notebook = notebook_file(record)
    if notebook is None:
        return no_update
    name, text = notebook
    return dcc.send_string(text, name)


# ---------------------------------------------------------------------------------------------
# Layout


def layout(**query) -> html.Div:
    values, notices = controls_from_query(query)
    markdown, script = code_view(parse_training_config(values, pick_seed=False).config,
                                 values["seed"] is not None)
    controls = html.Section(
        [
            html.H2(_("Settings")),
            html.Fieldset(
                [
                    html.Legend(_("Approach")),
                    dcc.RadioItems(
                        id=ids.APPROACH,
                        options=[{"label": f"{a.name} — {_(a.label)}", "value": a.name} for a in APPROACHES.values()],
                        value=values["approach"],
                        className="approach-options",
                    ),
                    html.Div(id=ids.field_error("approach"), className="field-error", role="alert"),
                ],
                className="control",
            ),
            training_controls.optimizer_fieldset(values),
            *(training_controls.number_control(field, values[name]) for name, field in FIELDS.items()),
            training_controls.true_weight_fieldset(values["true_weights"]),
            html.P(_("Epochs × samples may be at most {budget}; an empty seed picks one at random.").format(
                budget=f"{WORK_BUDGET:,}"),
                   className="hint"),
            training_landscape.stability_box(),
            *run_panel.panel(PANEL),
            training_step.buttons(),
            html.Div([html.P(n, className="notice") for n in notices], id=ids.URL_NOTICE),
        ],
        className="panel controls",
        **{"aria-label": _("Training settings")},
    )
    charts = html.Section(
        [
            html.Div(
                [
                    html.H2(_("Loss")),
                    dcc.RadioItems(
                        id=ids.LOG_SCALE,
                        options=[{"label": _("linear"), "value": "linear"}, {"label": _("log"), "value": "log"}],
                        value="linear",
                        inline=True,
                        className="toggle",
                    ),
                ],
                className="chart-head",
            ),
            dcc.Graph(id=ids.LOSS_GRAPH, figure=figures.serve_loss_figure(None), config=figures.graph_config(),
                      className="chart"),
            html.H2(_("Result")),
            html.P([_("Learned weights (w0, w1, w2): "), html.Span(id=ids.LEARNED_WEIGHTS, className="mono")],
                   className="learned"),
            html.Div(id=ids.RESULT_TABLE),
            html.Button(_("Use this seed"), id=ids.USE_SEED_BUTTON, className="button small", hidden=True),
            training_step.section(),
            *training_landscape.data_section(),
            *training_landscape.landscape_section(),
            html.H2(_("Weights")),
            dcc.Graph(id=ids.WEIGHTS_GRAPH, figure=figures.serve_weights_figure(None, values["true_weights"]),
                      config=figures.graph_config(), className="chart"),
            html.H2(_("Runs")),
            html.P(_("Finished runs stay in this browser (the last {count}). Tick runs to overlay their loss.").format(
                count=HISTORY_SIZE), className="hint"),
            dcc.Checklist(id=ids.OVERLAY_RUNS, options=[], value=[], className="runs"),
            html.Div(
                [
                    html.Button(_("Download CSV of the current run"), id=ids.DOWNLOAD_BUTTON, className="button small"),
                    html.Button(_("Download the run as a notebook"), id=ids.DOWNLOAD_NOTEBOOK_BUTTON,
                                className="button small"),
                    html.Button(_("Forget all runs"), id=ids.CLEAR_HISTORY_BUTTON, className="button small"),
                ],
                className="buttons",
            ),
            dcc.Download(id=ids.DOWNLOAD),
            dcc.Download(id=ids.NOTEBOOK_DOWNLOAD),
            *race.section(),
            html.H2(_("Code")),
            html.P(_("The PyTorch code of this run, standalone:"), className="hint"),
            html.Div(
                [
                    dcc.Clipboard(id=ids.CODE_COPY, content=script, title=_("Copy the code"), className="copy"),
                    dcc.Markdown(markdown, id=ids.CODE_VIEW),
                ],
                className="code",
            ),
        ],
        className="panel charts",
    )
    stores = [
        *run_panel.stores(PANEL),
        dcc.Store(id=ids.LOSS_UPDATE),
        dcc.Store(id=ids.WEIGHTS_UPDATE),
        dcc.Store(id=ids.LANDSCAPE_UPDATE),
        dcc.Store(id=ids.RUN_DATA),
        dcc.Store(id=ids.CONFIG_QUERY),
        dcc.Store(id=ids.OVERLAY_CURVES, data=[]),
        dcc.Store(id=ids.RUN_HISTORY, storage_type="local", data=[]),
        dcc.Store(id=ids.HISTORY_SIZE, data=HISTORY_SIZE),
        *training_step.stores(),
    ]
    return html.Div([controls, charts, *stores], className="page training")


# ---------------------------------------------------------------------------------------------
# Callbacks


def register_callbacks(app, backend: JobBackend) -> None:
    run_panel.register(app, backend, TRAINING_RUNS)

    app.callback(
        output=dict(
            errors={name: Output(ids.field_error(name), "children") for name in CONTROL_NAMES},
            query=Output(ids.CONFIG_QUERY, "data"),
            code=Output(ids.CODE_VIEW, "children"),
            script=Output(ids.CODE_COPY, "content"),
            optimizer=dict(
                disabled=Output(ids.OPTIMIZER_FIELDSET, "disabled"),
                note_hidden=Output(ids.OPTIMIZER_NOTE, "hidden"),
                setting_hidden={name: Output(ids.setting_row(name), "hidden") for name in SETTINGS},
            ),
        ),
        inputs=dict(controls=control_states(Input)),
    )(check_controls)

    training_landscape.register_callbacks(app, control_states)
    training_step.register_callbacks(app, backend.secret)

    # The run's curves reach the charts as trace updates, merged in the browser (figures.py says why).
    for update, graph in ((ids.LOSS_UPDATE, ids.LOSS_GRAPH), (ids.WEIGHTS_UPDATE, ids.WEIGHTS_GRAPH),
                          (ids.LANDSCAPE_UPDATE, ids.LANDSCAPE_GRAPH), (ids.PLANE_UPDATE, ids.DATA_GRAPH),
                          (ids.TRUE_PLANE_UPDATE, ids.DATA_GRAPH)):
        app.clientside_callback(
            ClientsideFunction("runs", "applyTraceUpdates"),
            Output(graph, "figure", allow_duplicate=True),
            Input(update, "data"),
            State(graph, "figure"),
            prevent_initial_call=True,
        )

    # The loss chart's other writer (the run's and the steps' updates above stream into it):
    # overlays and the axis type redraw the whole chart, keeping the curve it shows (a run's or
    # the stepped epochs). The overlays' curves live in the browser; as an input of the run
    # panel's poll they would be uploaded ten times a second.
    @app.callback(
        Output(ids.LOSS_GRAPH, "figure", allow_duplicate=True),
        Input(ids.OVERLAY_CURVES, "data"),
        Input(ids.LOG_SCALE, "value"),
        State(ids.LOSS_GRAPH, "figure"),
        prevent_initial_call=True,
    )
    def redraw_loss(overlays, log_scale, figure):
        return figures.serve_loss_figure(shown_curve(figure), overlays if isinstance(overlays, list) else [],
                                         log_scale == "log")

    @app.callback(
        Output(ids.SEED, "value"),
        Input(ids.USE_SEED_BUTTON, "n_clicks"),
        State(PANEL.result, "data"),
        prevent_initial_call=True,
    )
    def use_seed(_clicks, record):
        record = checked_record(record)
        return record["config"]["seed"] if record else no_update

    @app.callback(
        Output(ids.DOWNLOAD, "data"),
        Input(ids.DOWNLOAD_BUTTON, "n_clicks"),
        State(PANEL.result, "data"),
        prevent_initial_call=True,
    )
    def download_run(_clicks, record):
        record = checked_record(record)
        if record is None or not record["epochs"]:
            return no_update
        config = record["config"]
        return dcc.send_string(record_csv(record), f"run-{run_name(config)}-seed{config['seed']}.csv")

    app.callback(Output(ids.NOTEBOOK_DOWNLOAD, "data"), Input(ids.DOWNLOAD_NOTEBOOK_BUTTON, "n_clicks"),
                 State(PANEL.result, "data"), prevent_initial_call=True)(download_notebook)

    # Browser-only bookkeeping: no server round trip, and the history (up to 20 runs) never uploads.
    app.clientside_callback(
        ClientsideFunction("training", "rememberRun"),
        Output(ids.RUN_HISTORY, "data"),
        Input(PANEL.result, "data"),
        Input(ids.CLEAR_HISTORY_BUTTON, "n_clicks"),
        State(ids.RUN_HISTORY, "data"),
        State(ids.HISTORY_SIZE, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("training", "runOptions"),
        Output(ids.OVERLAY_RUNS, "options"),
        Output(ids.OVERLAY_RUNS, "value"),
        Input(ids.RUN_HISTORY, "data"),
        State(ids.OVERLAY_RUNS, "value"),
    )
    app.clientside_callback(
        ClientsideFunction("training", "overlayCurves"),
        Output(ids.OVERLAY_CURVES, "data"),
        Input(ids.OVERLAY_RUNS, "value"),
        State(ids.RUN_HISTORY, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(  # no output: the effect is the address bar, without a history entry
        ClientsideFunction("app", "replaceQuery"),
        Input(ids.CONFIG_QUERY, "data"),
        prevent_initial_call=True,
    )

