"""The training page's own callbacks and figures as plain functions, without a browser (the run
itself: tests/test_runs.py)."""

import json
import re
import os
import stat
from urllib.parse import parse_qs

import numpy as np
from dash import no_update

from components import figures, runs, training, training_controls, training_landscape
from components.jobs import backends, settings
from core.regression import snapshot
from core.run_status import progress_text, running_line

CONTROLS = {"approach": "manual", "lr": 0.01, "epochs": 1000, "samples": 100, "noise": 1.0, "seed": 3,
            "true_weights": [1, 5, 7]}


def test_the_job_cache_is_private(tmp_path):
    path = settings.private_cache_dir({"DASH_CACHE_DIR": str(tmp_path / "c")})
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700


def test_check_controls_shows_messages_at_the_controls_and_keeps_the_url_in_step():
    out = training.check_controls({**CONTROLS, "approach": "module", "lr": "abc", "epochs": 1.5, "noise": -1,
                                   "seed": None})
    errors = out["errors"]
    assert "not a number" in errors["lr"] and "whole number" in errors["epochs"] and "Noise" in errors["noise"]
    assert out["code"] is no_update and out["script"] is no_update
    out = training.check_controls(CONTROLS)
    assert not any(out["errors"].values())
    assert parse_qs(out["query"][1:]) == {"approach": ["manual"], "lr": ["0.01"], "epochs": ["1000"],
                                          "samples": ["100"], "noise": ["1"], "seed": ["3"]}
    assert "torch.manual_seed(3)" in out["script"] and "for epoch in range(1000)" in out["script"]


def test_the_controls_travel_as_one_mapping_of_every_field():
    """A new number field needs no edit on the page: its control, message and link follow FIELDS."""
    out = training.check_controls(CONTROLS)
    assert set(out["errors"]) == {"approach", "lr", "epochs", "samples", "noise", "seed", "true_weights",
                                  "optimizer", "momentum", "beta1", "beta2", "weight_decay"}
    assert set(training_controls.CONTROLS) == set(out["errors"])


def test_the_optimizer_controls_follow_the_approach_and_the_optimizer():
    manual = training.check_controls(CONTROLS)["optimizer"]
    assert manual["disabled"] and not manual["note_hidden"] and all(manual["setting_hidden"].values())
    adamw = training.check_controls({**CONTROLS, "approach": "module", "optimizer": "adamw"})["optimizer"]
    assert not adamw["disabled"] and adamw["note_hidden"]
    assert adamw["setting_hidden"] == {"momentum": True, "beta1": False, "beta2": False, "weight_decay": False}
    out = training.check_controls({**CONTROLS, "approach": "module", "optimizer": "nesterov", "momentum": 1})
    assert "below 1" in out["errors"]["momentum"] and out["code"] is no_update
    assert not training.check_controls({**CONTROLS, "optimizer": "nesterov", "momentum": 1})["errors"]["momentum"]


def test_the_link_carries_the_optimizer_and_only_the_settings_it_uses():
    out = training.check_controls({**CONTROLS, "approach": "module", "optimizer": "adam", "beta1": 0.8,
                                   "momentum": 0.5})
    query = parse_qs(out["query"][1:])
    assert query["optimizer"] == ["adam"] and query["beta1"] == ["0.8"] and query["beta2"] == ["0.999"]
    assert "momentum" not in query and "weight_decay" not in query
    assert "optim.Adam(net.parameters(), lr=0.01, betas=(0.8, 0.999))" in out["script"]
    assert "optimizer" not in parse_qs(training.check_controls(CONTROLS)["query"][1:])
    values, notices = training.controls_from_query({"approach": "module", "optimizer": "adam", "beta2": "1"})
    assert values["beta2"] == 0.999 and len(notices) == 1 and "β2" in notices[0]


def test_the_stability_numbers_wait_for_the_seed_and_warn_above_the_bound():
    unknown = training_landscape.describe_stability(training_landscape.shown_data({**CONTROLS, "seed": None}, None))
    assert unknown["max_lr"] == "—"
    known = training_landscape.describe_stability(training_landscape.shown_data(CONTROLS, None))
    bound = float(known["max_lr"])
    assert re.fullmatch(r"\d+\.\d{4,}", known["max_lr"]) and 0.3 < bound < 1.5
    assert "diverge" not in str(known["details"])
    above = training_landscape.describe_stability(training_landscape.shown_data({**CONTROLS, "lr": bound * 1.1}, None))
    assert "will diverge" in str(above["details"])
    adam = training_landscape.describe_stability(training_landscape.shown_data({**CONTROLS, "approach": "module", "optimizer": "adam",
                                                            "lr": 5}, None))
    assert "no simple bound" in str(adam["details"]) and "diverge" not in str(adam["details"])
    two = training_landscape.describe_stability(training_landscape.shown_data({**CONTROLS, "samples": 2}, None))
    assert "singular" in str(two["details"]) and "inf" not in str(two["details"]).lower().replace("info", "")


def test_a_runs_picked_seed_is_used_while_the_data_settings_match():
    run = {**CONTROLS, "seed": 77}
    assert training_landscape.shown_data({**CONTROLS, "seed": None}, run).seed == 77
    assert training_landscape.shown_data({**CONTROLS, "seed": None, "samples": 50}, run) is None
    assert training_landscape.shown_data({**CONTROLS, "seed": 5}, run).seed == 5
    for forged in (None, [], {"seed": "x"}, {**run, "seed": 1.5}, {**run, "samples": -4}, "run"):
        assert training_landscape.shown_data({**CONTROLS, "seed": None}, forged) is None


def test_the_landscape_draws_the_bowl_the_optimum_and_paths_on_the_same_data():
    config = training_landscape.shown_data(CONTROLS, None)
    mine = {"run_id": "a", "label": "mine", "w1": [0, 1], "w2": [0, 2], "config": {**CONTROLS}}
    other = {**mine, "run_id": "b", "config": {**CONTROLS, "seed": 4}}
    junk = [{"config": [1]}, {"config": {"true_weights": 5}}, 3]
    out = training_landscape.draw_landscape(config, [mine, other, *junk], {"2": {"x": [0.5], "y": [0.25]}})
    data = out["figure"]["data"]
    by_meta = {t["meta"]: t for t in data}
    assert by_meta["path"]["x"] == [0.5] and by_meta["path"]["y"] == [0.25]
    assert len(by_meta["optimum"]["x"]) == 1
    assert [t["name"] for t in data if t["meta"] == "overlay-path"] == ["mine"]
    assert "3 ticked runs" in out["note"] and "least-squares value" in out["note"]
    empty = training_landscape.draw_landscape(None, [mine], None)
    assert empty["note"] == "" and empty["figure"]["data"][0].get("z") is None


def test_a_link_restores_the_controls_and_reports_what_it_ignored():
    values, notices = training.controls_from_query(
        {"approach": "module", "lr": "0.05", "epochs": "2000", "samples": "100", "noise": "1", "seed": "3"})
    assert (values["approach"], values["lr"], values["epochs"], values["seed"]) == ("module", 0.05, 2000, 3)
    assert notices == []
    values, notices = training.controls_from_query({"lr": "banana", "approach": "x", "w": "1,2"})
    assert values["lr"] == 0.01 and values["approach"] == "manual" and len(notices) == 3


def test_the_query_round_trips():
    values, _ = training.controls_from_query({"approach": "module", "lr": "0.3", "seed": "9", "w": "2,3,4"})
    query = training.config_query(values)
    again, _ = training.controls_from_query({k: v[0] for k, v in parse_qs(query[1:]).items()})
    assert again == values


def test_status_lines_start_with_the_state_word():
    progress = {"epochs_done": 5, "epochs_total": 10, "elapsed": 0.1, "current_weights": [1, 2, 3],
                "config": {"seed": 4}}
    assert running_line(progress) == "Running — epoch 5 of 10 (seed 4)"
    assert progress_text(progress).startswith("Epoch 5 of 10 · 0.1 s · weights 1.0000, 2.0000, 3.0000")


def test_a_progress_update_of_a_million_epoch_run_stays_small(tmp_path):
    """What one poll of a 1,000,000-epoch run sends: the whole curve so far, thinned."""
    losses = np.linspace(100, 1, 1_000_000) + np.random.default_rng(0).random(1_000_000)
    weights = np.random.default_rng(1).random((1_000_000, 3)).astype(np.float32)
    progress = {**snapshot(losses, weights, 1_000_000, 12.0).__dict__, "config": CONTROLS}
    view = runs.RunView("r", "Running", running_line(progress), progress=progress)
    drawn = training.draw_run(view, fresh=False)
    size = len(json.dumps(drawn, allow_nan=False, default=lambda v: v.to_plotly_json()))
    assert size <= 64 * 1024


def test_a_finished_run_is_drawn_with_its_result(tmp_path):
    backend = backends.build({"DASH_CACHE_DIR": str(tmp_path / "cache")})
    request = runs.start(backend, training.REGRESSION, CONTROLS, "me").request
    runs.execute(backend, training.REGRESSION, request)
    view = runs.look(backend, request["run_id"], 0, check=False)
    drawn = training.draw_run(view, fresh=True)
    assert drawn["use_seed_hidden"] is False and drawn["learned"].count(",") == 2
    assert len(drawn["loss"][0]["x"]) == 1000  # every epoch up to 2,000
    assert [drawn["weights"][k]["y"][0] for k in (3, 4, 5)] == [1, 5, 7]
    assert not any(figures.STREAMING in drawn[v] for v in ("loss", "weights", "path", "plane"))  # drawn at once


def test_a_running_runs_updates_may_wait_but_its_first_point_and_its_end_may_not():
    """Updates marked streaming may be drawn a little later (assets/runs.js); the first point is
    drawn at once, and so is the run's end (test_a_finished_run_is_drawn_with_its_result)."""
    chart_views = ("loss", "weights", "path", "plane")
    weights = np.ones((2, 3), dtype=np.float32)
    first = {**snapshot(np.array([5.0]), weights[:1], 10, 0.0).__dict__, "config": CONTROLS}
    drawn = training.draw_run(runs.RunView("r", "Running", running_line(first), progress=first), fresh=True)
    assert figures.STREAMING not in drawn["loss"] and all(drawn[v] is no_update for v in chart_views[1:])
    later = {**snapshot(np.array([5.0, 4.0]), weights, 10, 0.1).__dict__, "config": CONTROLS}
    drawn = training.draw_run(runs.RunView("r", "Running", running_line(later), progress=later), fresh=False)
    assert all(drawn[v][figures.STREAMING] is True for v in chart_views)
    json.dumps({v: drawn[v] for v in chart_views}, allow_nan=False)


def test_loss_figure_trace_zero_is_the_current_run_and_overlays_follow():
    current = {"run_id": "a", "epochs": [0, 1, 2], "losses": [3.0, 2.0, 1.0]}
    overlays = [{"run_id": "a", "epochs": [0], "losses": [1.0], "label": "same"},
                {"run_id": "b", "epochs": [0, 1], "losses": [5.0, 4.0], "label": "older"}]
    fig = figures.serve_loss_figure(current, overlays, log_y=True)
    assert fig["data"][figures.LOSS_TRACE]["x"] == [0, 1, 2] and fig["data"][0]["y"] == [3.0, 2.0, 1.0]
    assert [t["name"] for t in fig["data"][1:]] == ["older"]  # the current run is not drawn twice
    layout = fig["layout"]
    assert layout["yaxis"]["type"] == "log"
    assert layout["xaxis"]["title"]["text"] and layout["yaxis"]["title"]["text"]
    json.dumps(fig, allow_nan=False)


def test_weights_figure_marks_the_true_values():
    fig = figures.serve_weights_figure({"epochs": [0, 1], "weights": [[0, 1], [0, 4], [0, 6]]}, (1, 5, 7))
    assert [fig["data"][k]["y"] for k in figures.WEIGHT_TRACES] == [[0, 1], [0, 4], [0, 6]]
    assert [fig["data"][k]["y"] for k in figures.TRUE_WEIGHT_TRACES] == [[1, 1], [5, 5], [7, 7]]


def test_the_end_of_a_million_epoch_run_is_drawn_from_a_bounded_answer():
    """The final curve keeps every epoch up to 2,000 (min/max-thinned beyond); the weights chart
    gets no more points than while streaming."""
    from core.regression import TrainingResult
    from core.run_record import make_record
    from core.training_config import TrainingConfig

    losses = np.linspace(100, 1, 1_000_000) + np.random.default_rng(0).random(1_000_000)
    weights = np.random.default_rng(1).random((1_000_000, 3)).astype(np.float32)
    record = make_record(TrainingResult(TrainingConfig(epochs=1_000_000, seed=1), "Done", losses, weights, None, 9.0),
                         "r")
    drawn = training.draw_run(runs.RunView("r", "Done", "Done", record=record), fresh=True)
    size = len(json.dumps(drawn, allow_nan=False, default=lambda v: v.to_plotly_json()))
    assert size <= 64 * 1024, size


def test_the_landscape_key_names_the_data_only():
    config = training_landscape.shown_data(CONTROLS, None)
    key = training_landscape.data_key(config)
    assert key == [3, 100, 1.0, [1.0, 5.0, 7.0]] and json.loads(json.dumps(key)) == key
    other_rate = training_landscape.shown_data({**CONTROLS, "lr": 0.2, "approach": "module"}, None)
    assert training_landscape.data_key(other_rate) == key
    assert training_landscape.data_key(None) is None
