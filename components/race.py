"""The optimizer race, on the training page: the ticked optimizers fit the same data from the same
start in one job (`core.race`), their losses and paths drawn side by side as they stream.

It is a run like Train's, with its own run panel (ids prefixed `race-`: Race, Cancel, its status
line and progress), so the run panel gives it everything a run has (streaming, cancel, `Failed`
for a dead job, the run cap, reattaching after a reload); this module gives it the race's
`RunKind`, its section of the page and how a race is drawn.
"""

from __future__ import annotations

from typing import Any, Mapping

from dash import ClientsideFunction, Input, Output, State, dcc, html, no_update

from components import figures, ids, run_panel, runs
from components.training_controls import control_states
from core.i18n import N_, _
from core.landscape import loss_slice
from core.optimizers import OPTIMIZERS
from core.race import (
    DEFAULT_LANES,
    checked_race_record,
    first_race_epoch,
    make_race_record,
    parse_race_config,
    race,
    race_progress_text,
    race_record_text,
)
from core.regression import bowl_of

RACE = runs.RunKind(
    name="race",
    parse=parse_race_config,
    train=race,
    first_progress=first_race_epoch,
    make_record=make_race_record,
    describe_progress=race_progress_text,
    describe_record=race_record_text,
    check_record=checked_race_record,
)
PANEL = ids.RACE_PANEL
_ORDER = {name: k for k, name in enumerate(OPTIMIZERS)}


def _lanes(view: runs.RunView) -> tuple[list[dict], Any]:
    """The lanes as the charts take them, and the race's config (or None)."""
    source = view.record if view.record is not None else view.progress
    if view.record is not None and checked_race_record(view.record) is None:
        return [], None
    if not isinstance(source, Mapping):
        return [], None
    lanes = []
    for lane in source.get("lanes") or []:
        optimizer = lane["optimizer"]
        weights = lane.get("weights") or [[], [], []]
        label = _(OPTIMIZERS[optimizer].label)
        if lane.get("status") == "Diverged":
            label = _("{optimizer} (diverged at epoch {epoch})").format(optimizer=label, epoch=lane.get("diverged_at"))
        lanes.append({"label": label, **figures.lane_style(_ORDER[optimizer]),
                      "epochs": lane["loss_epochs"], "losses": lane["losses"], "w1": weights[1], "w2": weights[2]})
    return lanes, parse_race_config(source.get("config"), pick_seed=False).config


def draw_race(view: runs.RunView | None, fresh: bool) -> dict[str, Any]:
    """The lanes' losses (the whole small chart each time) and their paths on the landscape of
    the race's data (the bowl drawn once per race, the paths as trace updates)."""
    if view is None:
        return {"loss": figures.serve_race_loss_figure([]), "landscape": race_landscape(None, []),
                "paths": no_update}
    lanes, config = _lanes(view)
    if config is None:
        return {"loss": no_update, "landscape": no_update, "paths": no_update}
    paths = figures.race_paths_update(lanes)
    out = {"loss": figures.serve_race_loss_figure(lanes), "landscape": no_update,
           "paths": paths if view.ended else figures.streaming(paths)}
    if fresh:
        out["landscape"] = race_landscape(config, lanes)
    return out


def race_landscape(config, lanes: list[dict]) -> dict:
    """The bowl of the race's data with the lanes' paths (no single run's path or arrow here)."""
    figure = figures.serve_landscape_figure(None if config is None else loss_slice(bowl_of(config.base)))
    for trace in (figures.PATH_TRACE, figures.DESCENT_TRACE):
        figure["data"][trace]["visible"] = False
    figure["data"].extend(figures.race_paths_update(lanes).values())
    return figure


RACE_RUNS = run_panel.RunPage(
    path="/",
    name=N_("Optimizer race"),
    ids=PANEL,
    kind=RACE,
    controls={**control_states(), "race": State(ids.RACE_OPTIMIZERS, "value")},
    views={
        "loss": Output(ids.RACE_LOSS_GRAPH, "figure"),
        "landscape": Output(ids.RACE_LANDSCAPE_GRAPH, "figure"),
        "paths": Output(ids.RACE_LANDSCAPE_UPDATE, "data"),
    },
    draw=draw_race,
)


def section() -> list:
    """The race's part of the training page."""
    return [
        html.H2(_("Optimizer race")),
        html.P(_("Runs the ticked optimizers on the same data from the same initial weights, with the "
                 "settings above (the module approach), in one job: each lane is exactly its own run, "
                 "and one diverging does not stop the others."), className="hint"),
        dcc.Checklist(id=ids.RACE_OPTIMIZERS, options=[{"label": _(o.label), "value": o.name}
                                                       for o in OPTIMIZERS.values()],
                      value=list(DEFAULT_LANES), className="runs optimizer-options"),
        *run_panel.panel(PANEL, N_("Race")),
        dcc.Graph(id=ids.RACE_LOSS_GRAPH, figure=figures.serve_race_loss_figure([]), config=figures.graph_config(),
                  className="chart"),
        dcc.Graph(id=ids.RACE_LANDSCAPE_GRAPH, figure=race_landscape(None, []), config=figures.graph_config(),
                  className="chart landscape"),
        *run_panel.stores(PANEL),
        dcc.Store(id=ids.RACE_LANDSCAPE_UPDATE),
    ]


def register_callbacks(app, backend) -> None:
    run_panel.register(app, backend, RACE_RUNS)
    app.clientside_callback(  # the paths' updates, merged in the browser as the training charts' are
        ClientsideFunction("runs", "applyTraceUpdates"),
        Output(ids.RACE_LANDSCAPE_GRAPH, "figure", allow_duplicate=True),
        Input(ids.RACE_LANDSCAPE_UPDATE, "data"),
        State(ids.RACE_LANDSCAPE_GRAPH, "figure"),
        prevent_initial_call=True,
    )
