"""Network page (path `/network`): a small network fits a curve with the chosen activation, and
each hidden unit's contribution is drawn as it trains.

The run is the shared run panel's (`components.run_panel`, ids prefixed `network-`): this module
gives it the network's `RunKind` (`core.network`), the page's layout and how a run is drawn (the
fit, the loss, the units). The activation and its parameters are the gallery's: its registry, its
sliders (`gallery.param_controls`, with this page's prefix) and its deep-link parameters. Finished
runs of this tab stay in session storage; those on the same data overlay the fit, with a table of
final losses.
"""

from __future__ import annotations

import functools
from typing import Any, Mapping
from urllib.parse import urlencode

from dash import ALL, MATCH, ClientsideFunction, Input, Output, State, dcc, html, no_update

from components import figures, gallery, ids, network_figures, run_panel, runs
from components.training_controls import number_control
from components.triggers import triggered_props
from components.gallery_ready import label
from core.activations import ACTIVATIONS
from core.i18n import N_, _
from core.network import (
    checked_config,
    checked_network_record,
    first_network_epoch,
    grid,
    make_network_record,
    network_progress_text,
    network_record_text,
    samples_of,
    target_curve,
    train_network,
    unit_curves,
)
from core.network_config import (
    FIELDS,
    TARGETS,
    WORK_BUDGET,
    X_RANGE,
    NetworkConfig,
    ParsedNetwork,
    cannot_learn_note,
    parse_network_config,
)
from core.network_script import network_script
from core.numbers import exact_text

PANEL = ids.NETWORK_PANEL
PREFIX = ids.NETWORK_PREFIX
MAX_COMPARED = 8  # finished runs overlaid on the fit (the newest of each activation)
KEPT_RUNS = 16  # finished runs of this tab kept for comparing (assets/network.js)
CONTROL_NAMES = ("activation", "params", "target", *FIELDS)


def parse_controls(raw: Any, *, pick_seed: bool = True) -> ParsedNetwork:
    """`parse_network_config` of the page's controls (the sliders' values and ids give the
    parameters) or of a run's config (a job's request: `params` by name)."""
    if isinstance(raw, Mapping) and "param_ids" in raw:
        raw = {**{k: v for k, v in raw.items() if k not in ("param_values", "param_ids")},
               "params": gallery.params_from_controls(raw.get("param_values"), raw.get("param_ids"))}
    return parse_network_config(raw, pick_seed=pick_seed)


NETWORK = runs.RunKind(
    name="network",
    parse=parse_controls,
    train=train_network,
    first_progress=first_network_epoch,
    make_record=make_network_record,
    describe_progress=network_progress_text,
    describe_record=network_record_text,
    check_record=checked_network_record,
)


def control_states(kind=State) -> dict:
    """The page's settings as the one mapping the parser reads."""
    return {"activation": kind(ids.NETWORK_ACTIVATION, "value"),
            "param_values": kind(gallery.slider_id(ALL, PREFIX), "value"),
            "param_ids": kind(gallery.slider_id(ALL, PREFIX), "id"),
            "target": kind(ids.NETWORK_TARGET, "value"),
            **{name: kind(PREFIX + name, "value") for name in FIELDS}}


# ---------------------------------------------------------------------------------------------
# Plain functions (tests call these directly)


def controls_from_query(query: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Control values from a link (`fn`, the function's parameters by name, `target`, the
    fields), and what in the link was ignored (with why)."""
    name = query.get("fn")
    params = {p.name: query[p.name] for p in ACTIVATIONS[name].params if p.name in query} \
        if isinstance(name, str) and name in ACTIVATIONS else {}
    raw = {"params": params, **{k: query[k] for k in ("target", *FIELDS) if k in query}}
    if "fn" in query:
        raw["activation"] = name
    parsed = parse_network_config(raw, pick_seed=False)
    notices = [_("Ignored from the link: {message}").format(message=m) for m in parsed.errors.values()]
    return parsed.values, list(dict.fromkeys(notices))


def network_query(values: Mapping[str, Any]) -> str:
    """The URL query that reproduces these settings (the function's parameters by name, as the
    gallery's links write them)."""
    query = {"fn": values["activation"], **{k: exact_text(v) for k, v in values["params"].items()},
             "target": values["target"]}
    query.update({name: exact_text(values[name]) for name in FIELDS if values.get(name) is not None})
    return "?" + urlencode(query)


DATA_INPUTS = {f"{ids.NETWORK_TARGET}.value", *(f"{PREFIX}{name}.value" for name in ("noise", "samples", "seed"))}


def check_controls(controls: Mapping[str, Any], running: Any = False) -> dict[str, Any]:
    """As the learner types: a message at each control, the address, the code view, the note on
    an activation that cannot learn, the link to the gallery view of the activation; and when
    a setting of the data changed while no run trains, the new data on the fit chart."""
    triggered = triggered_props()
    if f"{ids.NETWORK_ACTIVATION}.value" in triggered:
        # a new function starts at its defaults: the sliders still shown are the previous function's
        controls = {**controls, "param_values": [], "param_ids": []}
    parsed = parse_controls(controls, pick_seed=False)
    values = parsed.values
    out = {"errors": {name: parsed.errors.get(name, "") for name in CONTROL_NAMES},
           "query": network_query(values), "code": no_update, "script": no_update,
           "note": cannot_learn_note(values["activation"]) or "",
           "gallery": gallery.gallery_href(values["activation"], values["params"])}
    out["preview"] = no_update
    if parsed.config is not None:
        out["code"], out["script"] = code_view(parsed.config, values["seed"] is not None)
        if triggered & DATA_INPUTS and values["seed"] is not None and running is not True:
            samples, target = _data(parsed.config.data_key)
            out["preview"] = {"traces": network_figures.fit_traces(samples, target, ([], [])),
                              "key": list(parsed.config.data_key)}
    return out


def code_view(config: NetworkConfig, seeded: bool) -> tuple[str, str]:
    script = network_script(config, seeded=seeded)
    return f"```python\n{script}```", script


@functools.lru_cache(maxsize=16)
def _data(data_key: tuple) -> tuple:
    """The samples and the target curve of the data a run fits (kept: every redraw asks)."""
    target, noise, samples, seed = data_key
    config = parse_network_config({"target": target, "noise": noise, "samples": samples, "seed": seed}).config
    x = grid()
    return samples_of(config), (x, target_curve(target, x))


def _units(config: NetworkConfig, weights: dict) -> tuple[dict, tuple]:
    """The units chart of a network with these weights, and its prediction (x, y) on the grid."""
    x = network_figures.unit_grid(config.hidden, *X_RANGE, len(grid()))
    units, bias = unit_curves(config, weights, x)
    full_x = grid()
    full, _bias = unit_curves(config, weights, full_x)
    prediction = (full_x, full.sum(axis=0) + bias)
    return network_figures.serve_units_figure(x, units, weights["v"], bias, prediction), prediction


def draw_network(view: runs.RunView | None, fresh: bool) -> dict[str, Any]:
    """The fit (trace updates: the samples and the target once per run, the prediction at each
    poll), the loss, the units, and once it ended the run's result."""
    out = {"fit": no_update, "loss": no_update, "units": no_update, "result": no_update}
    if view is None:
        if fresh:
            out.update(loss=figures.serve_loss_figure(None), units=network_figures.serve_units_figure(), result="")
        return out
    source = view.record if view.record is not None else view.progress
    if view.record is not None and checked_network_record(view.record) is None:
        return out  # Failed or Invalid: nothing was learned; keep what is shown
    config = checked_config((source or {}).get("config"))
    if config is None:
        return out
    samples, target = _data(config.data_key)
    weights = source.get("weights")
    epochs, losses = (source["epochs"], source["losses"]) if view.record is not None else \
        (source["loss_epochs"], source["losses"])
    prediction = None
    if weights is not None:
        out["units"], prediction = _units(config, weights)
    traces = network_figures.fit_traces(samples if fresh else None, target if fresh else None, prediction)
    out["fit"] = {"traces": traces, "key": list(config.data_key), "run_id": view.run_id}
    out["loss"] = figures.serve_loss_figure({"epochs": epochs, "losses": losses})
    if view.record is not None:
        out["result"] = result_text(view.record, config)
    elif fresh:
        out["result"] = ""
    return out


def result_text(record: Mapping[str, Any], config: NetworkConfig) -> list:
    """The final loss against the best straight line, and why, if the activation cannot learn."""
    lines = []
    final, line_loss = record.get("final_loss"), record.get("line_loss")
    if final is not None and line_loss is not None and record["status"] == "Done":
        lines.append(html.P(_("Final loss {loss}; the best straight line through the same samples: {line}.").format(
            loss=f"{final:.4g}", line=f"{line_loss:.4g}")))
    note = cannot_learn_note(config.activation)
    if note:
        lines.append(html.P(note, className="notice"))
    return lines


def run_label(config: NetworkConfig) -> str:
    return f"{label(config.activation, config.param_values)} · H={config.hidden}"


def compare_runs(kept: Any) -> tuple[dict, Any]:
    """(the compared runs' fit traces, keyed by their data; the table of final losses of the
    newest finished run and the others on its data)."""
    entries = [(record, checked_config(record["config"]))
               for record in (kept if isinstance(kept, list) else [])[-KEPT_RUNS:]
               if checked_network_record(record) is not None and record.get("prediction") is not None
               and record.get("final_loss") is not None]
    newest: dict[str, tuple] = {}  # per label and data: the newest run, in the order they ended
    for record, config in entries:
        key = f"{run_label(config)}|{config.data_key}"
        newest.pop(key, None)
        newest[key] = (record, config)
    chosen = list(newest.values())[-MAX_COMPARED:]
    x = grid()
    traces = [{"key": list(config.data_key), "run_id": record["run_id"],
               "trace": network_figures.compared_trace(k, x, record["prediction"], run_label(config))}
              for k, (record, config) in enumerate(chosen)]
    if not entries:
        return {"runs": traces}, html.P(_("Finished runs on the same data (target, noise, samples and seed) "
                                          "are compared here."), className="hint")
    latest, latest_config = entries[-1]
    rows = sorted(((record["final_loss"], run_label(config), record["run_id"] == latest["run_id"])
                   for record, config in chosen if config.data_key == latest_config.data_key), key=lambda r: r[0])
    body = [html.Tr([html.Th(name + (" ←" if current else "")), html.Td(f"{loss:.4g}")],
                    className="current" if current else None) for loss, name, current in rows]
    if latest.get("line_loss") is not None:
        body.append(html.Tr([html.Th(_("Best straight line (least squares)")), html.Td(f"{latest['line_loss']:.4g}")]))
    head = html.Thead(html.Tr([html.Th(_("Activation")), html.Th(_("Final loss (MSE)"))]))
    return {"runs": traces}, html.Table([head, html.Tbody(body)], className="result-table")


NETWORK_RUNS = run_panel.RunPage(
    path="/network",
    name=N_("Network"),
    ids=PANEL,
    kind=NETWORK,
    controls=control_states(),
    views={
        "fit": Output(ids.NETWORK_FIT_UPDATE, "data"),
        "loss": Output(ids.NETWORK_LOSS_GRAPH, "figure"),
        "units": Output(ids.UNITS_GRAPH, "figure"),
        "result": Output(ids.NETWORK_RESULT, "children"),
    },
    draw=draw_network,
)


# ---------------------------------------------------------------------------------------------
# Layout


def _preview(values: Mapping[str, Any]) -> dict:
    """The fit chart before any run: the samples and the target of the settings shown."""
    config = parse_network_config({**values, "seed": values["seed"] if values["seed"] is not None else 0}).config
    if config is None:
        return network_figures.serve_fit_figure()
    samples, target = _data(config.data_key)
    return network_figures.serve_fit_figure(samples, target)


def layout(**query) -> html.Div:
    values, notices = controls_from_query(query)
    parsed = parse_network_config(values, pick_seed=False)
    markdown, script = code_view(parsed.config, values["seed"] is not None) if parsed.config else ("", "")
    controls = html.Section(
        [
            html.H2(_("Network")),
            html.P(_("nn.Sequential(nn.Linear(1, H), activation, nn.Linear(H, 1)), trained with Adam on "
                     "noisy samples of the target."), className="hint mono"),
            html.Div([html.Label(_("Activation"), htmlFor=ids.NETWORK_ACTIVATION),
                      dcc.Dropdown(id=ids.NETWORK_ACTIVATION, options=gallery.function_options(),
                                   value=values["activation"], clearable=False, searchable=True),
                      html.Div(id=ids.field_error("network-activation"), className="field-error", role="alert")],
                     className="control"),
            html.Div(gallery.param_controls(values["activation"], values["params"], PREFIX),
                     id=ids.NETWORK_PARAM_CONTROLS),
            html.Div(id=ids.field_error("network-params"), className="field-error", role="alert"),
            html.P(cannot_learn_note(values["activation"]) or "", id=ids.NETWORK_NOTE, className="notice"),
            html.P(dcc.Link(_("See this activation in the gallery →"), id=ids.GALLERY_LINK,
                            href=gallery.gallery_href(values["activation"], values["params"])), className="hint"),
            html.Fieldset([html.Legend(_("Target curve")),
                           dcc.RadioItems(id=ids.NETWORK_TARGET, value=values["target"], inline=True,
                                          options=[{"label": _(t.label), "value": t.name} for t in TARGETS.values()],
                                          className="approach-options"),
                           html.Div(id=ids.field_error("network-target"), className="field-error", role="alert")],
                          className="control"),
            *(number_control(field, values[name], PREFIX) for name, field in FIELDS.items()),
            html.P(_("Epochs × samples × hidden units may be at most {budget}; an empty seed picks one at "
                     "random.").format(budget=f"{WORK_BUDGET:,}"), className="hint"),
            *run_panel.panel(PANEL),
            html.Div([html.P(n, className="notice") for n in notices], id=ids.NETWORK_NOTICE),
        ],
        className="panel controls",
        **{"aria-label": _("Network settings")},
    )
    charts = html.Section(
        [
            html.H2(_("Fit")),
            dcc.Graph(id=ids.FIT_GRAPH, figure=_preview(values), config=figures.graph_config(), className="chart"),
            html.Div(id=ids.NETWORK_RESULT),
            html.H2(_("Loss")),
            dcc.Graph(id=ids.NETWORK_LOSS_GRAPH, figure=figures.serve_loss_figure(None), config=figures.graph_config(),
                      className="chart"),
            html.H2(_("What each hidden unit adds")),
            html.P(_("Each line is one hidden unit's contribution v·act(w·x + b) to the prediction; their sum "
                     "plus the output bias is the prediction."), className="hint"),
            dcc.Graph(id=ids.UNITS_GRAPH, figure=network_figures.serve_units_figure(), config=figures.graph_config(),
                      className="chart"),
            html.H2(_("Compare")),
            html.Div(id=ids.NETWORK_COMPARE_TABLE),
            html.H2(_("Code")),
            html.P(_("The PyTorch code of this run, standalone:"), className="hint"),
            html.Div([dcc.Clipboard(id=ids.NETWORK_CODE_COPY, content=script, title=_("Copy the code"),
                                    className="copy"),
                      dcc.Markdown(markdown, id=ids.NETWORK_CODE_VIEW)], className="code"),
        ],
        className="panel charts",
    )
    stores = [*run_panel.stores(PANEL), dcc.Store(id=ids.NETWORK_FIT_UPDATE), dcc.Store(id=ids.NETWORK_COMPARED),
              dcc.Store(id=ids.NETWORK_PREVIEW),
              dcc.Store(id=ids.NETWORK_RUNS, storage_type="session", data=[]), dcc.Store(id=ids.NETWORK_QUERY),
              dcc.Store(id=ids.NETWORK_KEPT_RUNS, data=KEPT_RUNS)]
    return html.Div([controls, charts, *stores], className="page network")


# ---------------------------------------------------------------------------------------------
# Callbacks


def show_param_controls(name):
    if not isinstance(name, str) or name not in ACTIVATIONS:
        return no_update
    return gallery.param_controls(name, {p.name: p.default for p in ACTIVATIONS[name].params}, PREFIX)


def register_callbacks(app, backend) -> None:
    run_panel.register(app, backend, NETWORK_RUNS)
    app.callback(
        Output(ids.NETWORK_PARAM_CONTROLS, "children"),
        Input(ids.NETWORK_ACTIVATION, "value"),
        prevent_initial_call=True,
    )(show_param_controls)
    app.clientside_callback(  # a parameter's slider and box show one value (no drag preview here)
        ClientsideFunction("network", "syncParam"),
        Output(gallery.slider_id(MATCH, PREFIX), "value"),
        Output(gallery.box_id(MATCH, PREFIX), "value"),
        Input(gallery.slider_id(MATCH, PREFIX), "value"),
        Input(gallery.box_id(MATCH, PREFIX), "value"),
        State(gallery.box_id(MATCH, PREFIX), "min"),
        State(gallery.box_id(MATCH, PREFIX), "max"),
        prevent_initial_call=True,
    )
    app.callback(
        output=dict(
            errors={name: Output(ids.field_error(PREFIX + name), "children") for name in CONTROL_NAMES},
            query=Output(ids.NETWORK_QUERY, "data"),
            code=Output(ids.NETWORK_CODE_VIEW, "children"),
            script=Output(ids.NETWORK_CODE_COPY, "content"),
            note=Output(ids.NETWORK_NOTE, "children"),
            gallery=Output(ids.GALLERY_LINK, "href"),
            preview=Output(ids.NETWORK_PREVIEW, "data"),
        ),
        inputs=dict(controls=control_states(Input)),
        state=dict(running=State(PANEL.train, "disabled")),  # Train is disabled while a run trains
    )(check_controls)
    app.callback(
        Output(ids.NETWORK_COMPARED, "data"),
        Output(ids.NETWORK_COMPARE_TABLE, "children"),
        Input(ids.NETWORK_RUNS, "data"),
    )(compare_runs)
    # In the browser: the run's trace updates and the compared runs merged into the fit chart;
    # the finished runs kept in session storage (never uploaded but to `compare_runs`).
    app.clientside_callback(
        ClientsideFunction("network", "drawFit"),
        Output(ids.FIT_GRAPH, "figure"),
        Input(ids.NETWORK_FIT_UPDATE, "data"),
        Input(ids.NETWORK_COMPARED, "data"),
        Input(ids.NETWORK_PREVIEW, "data"),
        State(ids.FIT_GRAPH, "figure"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("network", "keepRun"),
        Output(ids.NETWORK_RUNS, "data"),
        Input(PANEL.result, "data"),
        State(ids.NETWORK_RUNS, "data"),
        State(ids.NETWORK_KEPT_RUNS, "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(  # no output: the effect is the address bar, without a history entry
        ClientsideFunction("app", "replaceQuery"),
        Input(ids.NETWORK_QUERY, "data"),
        prevent_initial_call=True,
    )
