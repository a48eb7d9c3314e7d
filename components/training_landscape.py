"""The training page's view of the data itself: the loss landscape a run descends, with its
path streaming onto it; the samples in 3-D with the plane the model fits now (and the true one);
and what the loss's Hessian says about learning rates (`max-stable-lr`).

Both describe the data the run trains on, which the seed decides: the controls' seed, or, when
the controls leave it empty, the seed the current run picked (the run panel's `run-data`). The
numbers come from `core.landscape` (the loss as an exact quadratic); the path and the fitted plane
are drawn by the run panel's `draw` through `landscape_path` and `fitted_plane` (and by a step:
`training_step.py`), as trace updates of the figures drawn here.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping

from dash import Input, Output, State, dcc, html, no_update

from components import figures, ids
from components.triggers import triggered_props
from core.i18n import _
from core.landscape import descent_arrow, loss_slice, stability, stable_lr_bound
from core.numbers import decimal_text, exact_text
from core.optimizers import OPTIMIZERS
from core.regression import DATA_PREVIEW_POINTS, bowl_of, data_preview
from core.training_config import (
    CONTROL_NAMES,
    OPTIMIZED_APPROACH,
    TRUE_WEIGHTS,
    TrainingConfig,
    parse_training_config,
)

DATA_CONTROLS = ("samples", "noise", "seed", "true_weights")  # what the run's data are drawn from


def _data_drawn(run_config: Any) -> tuple | None:
    """What a run's data were drawn from (seed, samples, noise, true weights), from a config the
    browser sent back; None if it is not a valid one."""
    config = parse_training_config(run_config, pick_seed=False).config if isinstance(run_config, Mapping) else None
    if config is None or not isinstance(run_config.get("seed"), int):
        return None
    return config.seed, config.samples, config.noise, config.true_weights


def data_key(config: TrainingConfig | None) -> list | None:
    """Which data a landscape shows, as JSON (the page keeps it to skip redrawing the same)."""
    drawn = _data_drawn(config.to_dict()) if config is not None else None
    return None if drawn is None else [*drawn[:3], list(drawn[3])]


def shown_data(controls: Mapping[str, Any], run_config: Any) -> TrainingConfig | None:
    """The settings whose data the page describes: the controls', with the seed the current run
    picked when the controls leave it empty (and the run drew from the same sample count, noise
    and true weights); None while no seed is known or a control is invalid."""
    parsed = parse_training_config(controls, pick_seed=False)
    if parsed.config is None:
        return None
    if parsed.values["seed"] is not None:
        return parsed.config
    run = _data_drawn(run_config)
    if run is None or run[1:] != (parsed.config.samples, parsed.config.noise, parsed.config.true_weights):
        return None
    return dataclasses.replace(parsed.config, seed=run[0])


def describe_stability(config: TrainingConfig | None) -> dict[str, Any]:
    """The largest stable learning rate of plain gradient descent on this data (the contract's
    `max-stable-lr`: the number first), and what the Hessian says about the chosen settings."""
    if config is None:
        return {"max_lr": "—", "details": [html.P(_("Known once the data are: set a seed, or press Train."),
                                                   className="hint")]}
    facts = stability(bowl_of(config))
    eigen = ", ".join(decimal_text(e) for e in facts.eigenvalues)
    details: list = [html.P(_("Hessian (2/n)XᵀX of the loss on this data: eigenvalues {eigenvalues}.").format(
        eigenvalues=eigen), className="hint")]
    if facts.singular:
        details.append(html.P(_("The Hessian is singular (an eigenvalue is 0): the samples do not pin down all "
                                "three weights (too few, or on one line), so many weights fit equally well and "
                                "the least-squares optimum shown is the one nearest zero."), className="hint"))
    else:
        details.append(html.P(_("Condition number λmax/λmin = {condition}: the larger, the longer the narrow "
                                "valley plain gradient descent zigzags along.").format(
            condition=f"{facts.condition:.3g}"), className="hint"))
    bound = stable_lr_bound(config, facts.eigenvalues[-1])
    optimizer = OPTIMIZERS[config.optimizer]
    if config.approach == OPTIMIZED_APPROACH and bound is None:
        details.append(html.P(_("{optimizer} scales each step by the gradients it has seen, so no simple bound "
                                "on its learning rate follows from the Hessian.").format(optimizer=_(optimizer.label)),
                              className="hint"))
    elif config.approach == OPTIMIZED_APPROACH and "momentum" in optimizer.uses:
        details.append(html.P(_("With momentum {momentum}, {optimizer} stays stable up to a learning rate of "
                                "{bound}.").format(momentum=exact_text(config.momentum), optimizer=_(optimizer.label),
                                                   bound=decimal_text(bound)), className="hint"))
    shown = [html.Details([html.Summary(_("What the loss's Hessian says")), *details])]
    if bound is not None and config.lr > bound:
        shown.insert(0, html.P(_("Learning rate {lr} is above {bound}: this run will diverge.").format(
            lr=exact_text(config.lr), bound=decimal_text(bound)), className="warning"))
    return {"max_lr": decimal_text(facts.max_stable_lr), "details": shown}


def _streamed(update: Any, trace: int) -> dict[str, list]:
    """The x and y of one trace in the last streamed landscape update (sent back by the browser)."""
    fields = update.get(str(trace)) if isinstance(update, Mapping) else None
    if not isinstance(fields, Mapping):
        return {"x": [], "y": []}
    return {axis: fields[axis] if isinstance(fields.get(axis), list) else [] for axis in ("x", "y")}


def draw_landscape(config: TrainingConfig | None, overlays: Any, update: Any) -> dict[str, Any]:
    """The loss landscape of the shown data, with the current run's path and descent arrow as
    last streamed (`update`), and the ticked runs' paths that were trained on the same data."""
    overlays = [o for o in overlays if isinstance(o, Mapping)] if isinstance(overlays, list) else []
    path, arrow = _streamed(update, figures.PATH_TRACE), _streamed(update, figures.DESCENT_TRACE)
    current_path = {"w1": path["x"], "w2": path["y"],
                    "descent": list(zip(arrow["x"], arrow["y"])) if len(arrow["x"]) == len(arrow["y"]) == 2 else None}
    if config is None:
        return {"figure": figures.serve_landscape_figure(None), "note": ""}
    view = loss_slice(bowl_of(config))
    data = _data_drawn(config.to_dict())
    drawn = [o for o in overlays if _data_drawn(o.get("config")) == data]
    note = _("w0 is held at its least-squares value {w0}: the loss has three weights, and this slice through "
             "its lowest point shows the other two.").format(w0=decimal_text(view.w0))
    if len(drawn) < len(overlays):
        note += " " + _("{count} ticked runs trained on other data are not drawn here.").format(
            count=len(overlays) - len(drawn))
    paths = [{"w1": o.get("w1", []), "w2": o.get("w2", []), "label": o.get("label")} for o in drawn]
    return {"figure": figures.serve_landscape_figure(view, current_path, paths), "note": note}


def draw_data(config: TrainingConfig | None, show_true: Any) -> dict:
    """The samples of the shown data in 3-D, and the true plane if ticked."""
    return figures.serve_data_figure(data_preview(config) if config is not None else None,
                                     config.true_weights if config is not None else TRUE_WEIGHTS,
                                     _ticked(show_true))


def _ticked(value: Any) -> bool:
    return isinstance(value, list) and "show" in value


def true_plane_update(show_true: Any) -> dict:
    return figures.true_plane_shown(_ticked(show_true))


def landscape_path(progress_or_record: Mapping[str, Any], w1: list, w2: list, weights_now) -> dict:
    """The run's path as a trace update of the landscape, the descent arrow at its end."""
    config = parse_training_config(progress_or_record.get("config") or {}, pick_seed=False).config
    arrow = None
    if config is not None and weights_now:
        bowl = bowl_of(config)
        arrow = descent_arrow(bowl, loss_slice(bowl), weights_now)
    return figures.landscape_update(w1, w2, arrow)


def fitted_plane(progress_or_record: Mapping[str, Any], weights_now) -> dict:
    """The plane of the run's weights now, as a trace update of the data's 3-D view."""
    config = parse_training_config(progress_or_record.get("config") or {}, pick_seed=False).config
    if config is None:
        return figures.plane_update(None, None)
    return figures.plane_update(weights_now, data_preview(config))


def stability_box() -> html.Div:
    return html.Div(
        [
            html.P([_("Largest stable learning rate (plain gradient descent, 2/λmax): "),
                    html.Span(id=ids.MAX_STABLE_LR, className="mono")]),
            html.Div(id=ids.STABILITY),
        ],
        className="stability",
    )


def landscape_section() -> list:
    return [
        html.H2(_("Loss landscape")),
        html.P(id=ids.LANDSCAPE_NOTE, className="hint"),
        dcc.Graph(id=ids.LANDSCAPE_GRAPH, figure=figures.serve_landscape_figure(None),
                  config=figures.graph_config(), className="chart landscape"),
        dcc.Store(id=ids.LANDSCAPE_DRAWN),
    ]


def data_section() -> list:
    return [
        html.Div(
            [
                html.H2(_("The data and the fitted plane")),
                dcc.Checklist(id=ids.TRUE_PLANE_TOGGLE, options=[{"label": _("Show the true plane"), "value": "show"}],
                              value=[], inline=True, className="toggle"),
            ],
            className="chart-head",
        ),
        html.P(_("Each sample is a point (a, b, y); the model is the plane y = w0 + w1·a + w2·b, moving as the "
                 "run streams and as you step ({count} samples shown).").format(count=DATA_PREVIEW_POINTS),
               className="hint"),
        dcc.Graph(id=ids.DATA_GRAPH, figure=figures.serve_data_figure(None, TRUE_WEIGHTS, False),
                  config=figures.graph_config(), className="chart data-3d"),
        dcc.Store(id=ids.PLANE_UPDATE),
        dcc.Store(id=ids.TRUE_PLANE_UPDATE),
    ]


def register_callbacks(app, control_states: Callable[..., dict]) -> None:
    """`control_states(kind, names)`: the training page's controls as Dash dependencies, by name."""
    @app.callback(
        output=dict(max_lr=Output(ids.MAX_STABLE_LR, "children"), details=Output(ids.STABILITY, "children")),
        inputs=dict(controls=control_states(Input), run_config=Input(ids.RUN_DATA, "data")),
    )
    def show_stability(controls, run_config):
        return describe_stability(shown_data(controls, run_config))

    # The data's views (the bowl and overlays; the samples in 3-D) are redrawn only when the data
    # or the ticked runs change (a run's config arriving for the data already drawn changes
    # nothing: no 50 KB bowl again at every Train); the run's path and plane stream in as trace
    # updates (merged in the browser: training.py).
    @app.callback(
        output=dict(figure=Output(ids.LANDSCAPE_GRAPH, "figure"), note=Output(ids.LANDSCAPE_NOTE, "children"),
                    data_figure=Output(ids.DATA_GRAPH, "figure"), drawn=Output(ids.LANDSCAPE_DRAWN, "data")),
        inputs=dict(data=control_states(Input, DATA_CONTROLS), run_config=Input(ids.RUN_DATA, "data"),
                    overlays=Input(ids.OVERLAY_CURVES, "data")),
        state=dict(others=control_states(State, [n for n in CONTROL_NAMES if n not in DATA_CONTROLS]),
                   path=State(ids.LANDSCAPE_UPDATE, "data"), drawn=State(ids.LANDSCAPE_DRAWN, "data"),
                   show_true=State(ids.TRUE_PLANE_TOGGLE, "value")),
    )
    def redraw_data_views(data, run_config, overlays, others, path, drawn, show_true):
        config = shown_data({**others, **data}, run_config)
        if triggered_props() == {f"{ids.RUN_DATA}.data"} and data_key(config) == drawn:
            return {"figure": no_update, "note": no_update, "data_figure": no_update, "drawn": no_update}
        landscape = draw_landscape(config, overlays, path)
        data_figure = no_update
        if triggered_props() != {f"{ids.OVERLAY_CURVES}.data"}:  # overlays do not change the samples
            data_figure = draw_data(config, show_true)
        return {**landscape, "data_figure": data_figure, "drawn": data_key(config)}

    app.callback(Output(ids.TRUE_PLANE_UPDATE, "data"), Input(ids.TRUE_PLANE_TOGGLE, "value"),
                 prevent_initial_call=True)(true_plane_update)
