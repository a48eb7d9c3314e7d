"""Stepping through training, on the training page: Step, Step ×10 and Play, and what one epoch
computed (the samples' predictions and residuals, the loss, ∂L/∂w and the update written out,
beside the loop's lines that computed them).

A step is one epoch, computed in the server at once (`core.stepping`, microseconds to
milliseconds): no job. What the next step continues from (the weights, the optimizer's buffers)
goes to the browser signed for that browser (`step-state`, memory only: a reload starts afresh),
with the settings and the Train count it belongs to, so a changed setting or a Train starts
afresh. Step ×10 and Play are the browser asking for one step after another
(`assets/training.js`), so no request ever does more than one epoch.

The step draws onto the run's charts through trace updates of its own (`step-*-update`): they
append a point, where a run's replace its curve.
"""

from __future__ import annotations

import time
from typing import Any

from dash import ClientsideFunction, Input, Output, State, dcc, html, no_update
from itsdangerous import BadSignature

from components import figures, ids, runs, visitor
from components.training_controls import control_states
from core.approaches import APPROACHES
from core.i18n import N_, _
from core.landscape import descent_arrow, loss_slice, stability, stable_lr_bound
from core.numbers import decimal_text, vector_text
from core.regression import bowl_of, data_preview
from core.run_record import failed_record
from core.run_status import format_weights, reason, status_line, stepped_line
from core.stepping import Step, checked_state, step_epoch
from core.training_config import TrainingConfig, parse_training_config

PLAY_INTERVAL_MS = 200  # Play's pace: five epochs a second, slow enough to read the numbers
STEPPED_CURVE = N_("Stepped epochs")
# each chart a step draws on, and the store that carries the step's update of it
STEP_CHART_UPDATES = {ids.LOSS_GRAPH: ids.STEP_LOSS_UPDATE, ids.WEIGHTS_GRAPH: ids.STEP_WEIGHTS_UPDATE,
                      ids.LANDSCAPE_GRAPH: ids.STEP_PATH_UPDATE, ids.DATA_GRAPH: ids.STEP_PLANE_UPDATE}


# ---------------------------------------------------------------------------------------------
# The state between steps, signed for one browser


def sign_state(secret: str, owner: str, payload: dict) -> str:
    return runs.signer(secret, "step").dumps([owner, payload])


def read_state(secret: str, token: Any, owner: str) -> dict | None:
    """What the last step left for this browser, or None (nothing, another browser's, forged)."""
    if not isinstance(token, str) or len(token) > 20_000:
        return None
    try:
        signed_owner, payload = runs.signer(secret, "step").loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return payload if signed_owner == owner and isinstance(payload, dict) else None


def continued_from(payload: dict | None, config: TrainingConfig, train_clicks: Any) -> tuple[int, dict | None]:
    """(the epoch to step, the state to step from): where the last step left off if it stepped
    these very settings since the last Train, else the start."""
    if payload is None or payload.get("config") != config.to_dict() or payload.get("train_clicks") != train_clicks:
        return 0, None
    state = checked_state(payload.get("state"), config)
    epoch = payload.get("epochs_done")
    if state is None or not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 1:
        return 0, None
    return epoch, state


# ---------------------------------------------------------------------------------------------
# What a step shows (plain functions: tests call them)


def loop_lines(approach: str) -> list[str]:
    """The tutorial's loop of an approach, as its code view writes it (from `for epoch` on)."""
    code = APPROACHES[approach].code.format(lr="lr", epochs="epochs", optimizer="")
    lines = code.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("for epoch"))
    end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith(" ")), len(lines))
    return [line for line in lines[start:end] if line.strip()]


def code_listing(config: TrainingConfig, step: Step) -> list:
    """The loop, the lines that computed this step's numbers highlighted with what they computed."""
    computed = {
        "prediction": _("ŷ for every sample (the first {count} in the table)").format(count=len(step.rows)),
        "loss": _("loss = {loss}").format(loss=decimal_text(step.loss)),
        "gradient": "∂L/∂w = " + vector_text(step.gradient),
        "update": "w = " + vector_text(step.after),
    }
    which = {line: name for name, line in APPROACHES[config.approach].step_lines.items()}
    listing = []
    for line in loop_lines(config.approach):
        name = which.get(line.strip())
        if name is None:
            listing.append(html.Span(line + "\n", className="code-line"))
        else:
            listing.append(html.Mark([line, html.Span("  # → " + computed[name], className="code-value"), "\n"],
                                     className="code-line ran", **{"data-computes": name}))
    return listing


def forward_view(step: Step, samples: int) -> list:
    """The prediction and residuals of the first samples, and the loss of them all."""
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in ("a", "b", "y", "ŷ = w·(1, a, b)", "y − ŷ")]))
    rows = [html.Tr([html.Td(decimal_text(v)) for v in (r.a, r.b, r.y, r.prediction, r.residual)])
            for r in step.rows]
    return [
        html.H3(_("Epoch {epoch}, from w = {weights}").format(epoch=f"{step.epoch + 1:,}",
                                                              weights=vector_text(step.before))),
        html.P(_("Forward: the prediction and its error for the first {count} of {samples} samples:").format(
            count=len(step.rows), samples=f"{samples:,}"), className="hint"),
        html.Table([head, html.Tbody(rows)], className="step-table mono"),
        html.P([_("Loss: the mean of (y − ŷ)² over all {samples} samples = ").format(samples=f"{samples:,}"),
                html.Span(decimal_text(step.loss), className="mono")]),
    ]


def update_view(step: Step) -> list:
    """The update written out: each line's formula with this run's settings, and its numbers."""
    return [html.P([html.Span(_(line.label) + ": ", className="update-label"),
                    html.Span(f"{line.formula} = {vector_text(line.values)}", className="mono")])
            for line in step.update]


def chart_updates(config: TrainingConfig, step: Step) -> dict[str, dict]:
    """The step's point on each chart: appended to the stepped curve, or starting it afresh."""
    fresh = step.epoch == 0
    after = step.after

    def points(traces: dict[int, dict]) -> dict:
        return {"set" if fresh else "append": traces}

    loss = points({figures.LOSS_TRACE: {"x": [step.epoch], "y": [step.loss]}})
    weights = points({trace: {"x": [step.epoch], "y": [after[k]]} for k, trace in enumerate(figures.WEIGHT_TRACES)})
    path = points({figures.PATH_TRACE: {"x": [after[1]], "y": [after[2]]}})
    bowl = bowl_of(config)
    arrow = descent_arrow(bowl, loss_slice(bowl), after)
    path.setdefault("set", {})[figures.DESCENT_TRACE] = figures.landscape_update([], [], arrow)[figures.DESCENT_TRACE]
    if fresh:
        loss["set"][figures.LOSS_TRACE]["name"] = _(STEPPED_CURVE)
        path["set"][figures.PATH_TRACE]["name"] = _(STEPPED_CURVE)
        weights["set"].update({trace: figures.true_weight_line(k, config.true_weights[k])
                               for k, trace in enumerate(figures.TRUE_WEIGHT_TRACES)})
    return {"loss": loss, "weights": weights, "path": path,
            "plane": {"set": figures.plane_update(after, data_preview(config))}}


def take_step(secret: str, owner: str, controls: Any, token: Any, train_clicks: Any, running: Any,
              now: float | None = None) -> dict[str, Any]:
    """Every output of a press of Step (or of the browser's next step of Step ×10 and Play)."""
    now = time.time() if now is None else now
    out: dict[str, Any] = {"token": no_update, "answered": {"ok": False, "at": now}, "forward": no_update,
                           "gradient": no_update, "update": no_update, "code": no_update, "status": no_update,
                           "state": no_update, "learned": no_update, "table": no_update, "seed": no_update,
                           "charts": {name: no_update for name in ("loss", "weights", "path", "plane")}}
    if running is True:  # a run is training: its status and charts are the run's until it ends
        out["forward"] = html.P(_("A run is training: step once it has ended, or cancel it."), className="warning")
        return out
    parsed = parse_training_config(controls)
    if parsed.config is None:
        detail = next(iter(parsed.errors.values()))
        out.update(status=status_line(failed_record("", parsed.values, reason("invalid", detail=detail), "Invalid")),
                   state="Invalid")
        return out
    config = parsed.config
    if parsed.values["seed"] is None:
        out["seed"] = config.seed  # picked now, and shown: the next step continues on this data
    epoch, state = continued_from(read_state(secret, token, owner), config, train_clicks)
    step = step_epoch(config, epoch, state)
    out.update(forward=forward_view(step, config.samples), gradient=", ".join(decimal_text(g) for g in step.gradient),
               code=code_listing(config, step), table=[])
    if step.diverged:
        bound = stable_lr_bound(config, stability(bowl_of(config)).eigenvalues[-1])
        record = {"status": "Diverged", "diverged_at": epoch, "config": config.to_dict(), "stable_lr": bound}
        out.update(status=status_line(record), state="Diverged", token=None, update=[])
        return out
    payload = {"config": config.to_dict(), "train_clicks": train_clicks, "epochs_done": epoch + 1,
               "state": step.state}
    out.update(token=sign_state(secret, owner, payload), answered={"ok": True, "at": now},
               update=update_view(step), status=stepped_line(epoch + 1, step.loss, config.seed), state="Stepped",
               learned=format_weights(step.after), charts=chart_updates(config, step))
    return out


# ---------------------------------------------------------------------------------------------
# Layout


def buttons() -> html.Div:
    return html.Div(
        [
            html.Button(_("Step"), id=ids.STEP_BUTTON, className="button",
                        title=_("Run one more epoch and show its numbers")),
            html.Button(_("Step ×10"), id=ids.STEP_TEN_BUTTON, className="button"),
            html.Button(_("Play"), id=ids.STEP_PLAY_BUTTON, className="button", **{"aria-pressed": "false"}),
        ],
        className="buttons step-buttons",
    )


def section() -> html.Section:
    return html.Section([
        html.H2(_("Inside one epoch")),
        html.P(_("Press Step to run one epoch of the chosen approach and see what it computes, with its real "
                 "numbers; Step again to continue from there. Changing a setting or pressing Train starts afresh."),
               className="hint"),
        html.Div(id=ids.STEP_FORWARD),
        html.P([_("Gradient ∂L/∂w (w0, w1, w2), before the update: "),
                html.Span("—", id=ids.GRADIENT, className="mono")]),
        html.Div(id=ids.STEP_UPDATE),
        html.Pre(id=ids.STEP_CODE, className="step-code", **{"aria-label": _("The loop, line by line")}),
    ], id=ids.STEP_VIEW, className="step-view")


def stores() -> list:
    return [
        dcc.Store(id=ids.STEP_STATE),  # memory only: a reload starts the stepping afresh
        dcc.Store(id=ids.STEP_AGAIN),
        dcc.Store(id=ids.STEP_ANSWERED),
        dcc.Store(id=ids.STEP_PLAN, data={"left": 0, "playing": False}),
        dcc.Store(id=ids.STEP_LABELS, data={"play": _("Play"), "pause": _("Pause"), "interval": PLAY_INTERVAL_MS}),
        *(dcc.Store(id=store) for store in STEP_CHART_UPDATES.values()),
    ]



# ---------------------------------------------------------------------------------------------
# Callbacks


def register_callbacks(app, secret: str) -> None:
    panel = ids.TRAINING_PANEL

    @app.callback(
        output=dict(
            token=Output(ids.STEP_STATE, "data"),
            answered=Output(ids.STEP_ANSWERED, "data"),
            forward=Output(ids.STEP_FORWARD, "children"),
            gradient=Output(ids.GRADIENT, "children"),
            update=Output(ids.STEP_UPDATE, "children"),
            code=Output(ids.STEP_CODE, "children"),
            # the run panel writes these for a run; a step is not a run, and writes them for itself
            status=Output(panel.status, "children", allow_duplicate=True),
            state=Output(panel.status, "data-status", allow_duplicate=True),
            learned=Output(ids.LEARNED_WEIGHTS, "children", allow_duplicate=True),
            table=Output(ids.RESULT_TABLE, "children", allow_duplicate=True),
            seed=Output(ids.SEED, "value", allow_duplicate=True),
            charts=dict(loss=Output(ids.STEP_LOSS_UPDATE, "data"), weights=Output(ids.STEP_WEIGHTS_UPDATE, "data"),
                        path=Output(ids.STEP_PATH_UPDATE, "data"), plane=Output(ids.STEP_PLANE_UPDATE, "data")),
        ),
        inputs=dict(_step=Input(ids.STEP_BUTTON, "n_clicks"), _again=Input(ids.STEP_AGAIN, "data")),
        state=dict(controls=control_states(State), token=State(ids.STEP_STATE, "data"),
                   train_clicks=State(panel.train, "n_clicks"), running=State(panel.train, "disabled")),
        prevent_initial_call=True,
    )
    def step(_step, _again, controls, token, train_clicks, running):
        return take_step(secret, visitor.browser_id(), controls, token, train_clicks, running)

    for graph, update in STEP_CHART_UPDATES.items():
        app.clientside_callback(
            ClientsideFunction("training", "applyStepPoints"),
            Output(graph, "figure", allow_duplicate=True),
            Input(update, "data"),
            State(graph, "figure"),
            prevent_initial_call=True,
        )

    # Step ×10 and Play: the browser asks for the next step when the last one is answered.
    app.clientside_callback(
        ClientsideFunction("training", "planSteps"),
        Output(ids.STEP_PLAN, "data"),
        Output(ids.STEP_PLAY_BUTTON, "children"),
        Output(ids.STEP_PLAY_BUTTON, "aria-pressed"),
        Input(ids.STEP_TEN_BUTTON, "n_clicks"),
        Input(ids.STEP_PLAY_BUTTON, "n_clicks"),
        Input(ids.STEP_ANSWERED, "data"),
        Input(panel.train, "n_clicks"),
        State(ids.STEP_PLAN, "data"),
        State(ids.STEP_LABELS, "data"),
        State(ids.STEP_AGAIN, "id"),
        prevent_initial_call=True,
    )
    # Stepping waits while a run trains (its status and charts are the run's until it ends).
    app.clientside_callback(
        "function (running) { return [running, running, running]; }",
        Output(ids.STEP_BUTTON, "disabled"),
        Output(ids.STEP_TEN_BUTTON, "disabled"),
        Output(ids.STEP_PLAY_BUTTON, "disabled"),
        Input(panel.train, "disabled"),
    )
