"""The Step callback as a plain function (components/training_step.py): it continues only its own
browser's stepping of the same settings since the last Train, says what went wrong in words, and
draws each step onto the charts; the loss chart's redraw keeps the curve it shows."""

from __future__ import annotations

import json

import pytest
from dash import no_update

from components import figures, training, training_step
from components.training_step import chart_updates, continued_from, read_state, sign_state, take_step
from core.stepping import step_epoch
from core.training_config import TrainingConfig, default_values

SECRET = "test-secret"
CONTROLS = {**default_values(), "seed": 3, "lr": 0.05}


def step(controls=CONTROLS, token=None, train_clicks=None, owner="me", running=False) -> dict:
    return take_step(SECRET, owner, controls, token, train_clicks, running, now=1.0)


def test_steps_continue_where_the_last_left_off():
    first = step()
    assert first["state"] == "Stepped" and first["status"].startswith("Stepped — epoch 1 done")
    assert first["answered"]["ok"] and first["seed"] is no_update
    assert first["charts"]["loss"]["set"][figures.LOSS_TRACE]["x"] == [0]
    second = step(token=first["token"])
    assert second["charts"]["loss"]["append"][figures.LOSS_TRACE]["x"] == [1]
    assert second["status"].startswith("Stepped — epoch 2 done")
    third = step(token=second["token"])
    assert third["charts"]["loss"]["append"][figures.LOSS_TRACE]["x"] == [2]


@pytest.mark.parametrize("change", [
    dict(owner="someone else"),  # another browser's state is never continued
    dict(controls={**CONTROLS, "lr": 0.02}),  # a changed setting starts afresh
    dict(train_clicks=1),  # so does a Train since the last step
    dict(token="forged." + "x" * 40),
])
def test_anything_but_the_same_browser_and_settings_starts_afresh(change):
    first = step()
    again = step(**{"token": first["token"], **change})
    assert again["state"] == "Stepped"
    assert again["charts"]["loss"]["set"][figures.LOSS_TRACE]["x"] == [0]


def test_a_signed_state_with_a_state_that_does_not_fit_starts_afresh():
    config = TrainingConfig(seed=3, lr=0.05)
    payload = {"config": config.to_dict(), "train_clicks": None, "epochs_done": 5, "state": {"weight": [1, 2]}}
    token = sign_state(SECRET, "me", payload)
    assert read_state(SECRET, token, "me") == payload
    assert continued_from(read_state(SECRET, token, "me"), config, None) == (0, None)
    for junk in (None, 7, [], "x" * 30_000, {"a": 1}):
        assert read_state(SECRET, junk, "me") is None


def test_an_empty_seed_is_picked_and_shown():
    out = step(controls={**CONTROLS, "seed": None})
    assert isinstance(out["seed"], int)
    assert f"(seed {out['seed']})" in out["status"]


def test_bad_input_says_why_and_steps_nothing():
    out = step(controls={**CONTROLS, "lr": -1})
    assert out["state"] == "Invalid" and out["status"].startswith("Invalid — ") and "Learning rate" in out["status"]
    assert out["token"] is no_update and out["gradient"] is no_update and not out["answered"]["ok"]


def test_no_step_while_a_run_trains():
    out = step(running=True)
    assert out["status"] is no_update and out["token"] is no_update and not out["answered"]["ok"]
    assert "A run is training" in str(out["forward"])


def test_an_overflowing_step_is_diverged_and_forgets_its_state():
    controls, token, out = {**CONTROLS, "lr": 9.0}, None, None
    for _ in range(100):
        out = step(controls=controls, token=token)
        if out["state"] == "Diverged":
            break
        token = out["token"]
    assert out["state"] == "Diverged" and out["status"].startswith("Diverged at epoch")
    assert out["token"] is None and not out["answered"]["ok"]
    assert "NaN" not in json.dumps(out["charts"], default=str) and out["charts"]["loss"] is no_update


def test_each_chart_gets_the_steps_point():
    config = TrainingConfig(seed=3, lr=0.05)
    first = step_epoch(config, 0, None)
    updates = chart_updates(config, first)
    assert updates["weights"]["set"][figures.WEIGHT_TRACES[2]] == {"x": [0], "y": [first.after[2]]}
    assert updates["path"]["set"][figures.PATH_TRACE]["x"] == [first.after[1]]
    plane = updates["plane"]["set"][figures.FIT_PLANE_TRACE]
    w0, w1, w2 = first.after
    assert plane["z"][0][0] == pytest.approx(w0 + w1 * plane["x"][0] + w2 * plane["y"][0])
    later = chart_updates(config, step_epoch(config, 1, first.state))
    assert set(later["loss"]) == {"append"} and set(later["path"]) == {"append", "set"}  # the arrow moves


def test_the_loop_listing_marks_the_lines_that_computed_the_numbers():
    for approach in ("manual", "module"):
        config = TrainingConfig(approach=approach, seed=3)
        listing = training_step.code_listing(config, step_epoch(config, 0, None))
        marked = [item for item in listing if "ran" in (item.className or "")]
        assert len(marked) == 4 and listing[0].children.startswith("for epoch in range(epochs):")


def test_the_loss_redraw_keeps_the_curve_shown_and_drops_junk():
    figure = {"data": [{"x": [0, 1, 2], "y": [3.0, 2.0, 1.5], "name": "Stepped epochs"}]}
    assert training.shown_curve(figure) == {"epochs": [0, 1, 2], "losses": [3.0, 2.0, 1.5], "label": "Stepped epochs"}
    for junk in (None, {}, {"data": []}, {"data": [{"x": [0], "y": [float("nan")]}]},
                 {"data": [{"x": [0, 1], "y": [1.0]}]}, {"data": [{"x": "0", "y": "1"}]}, {"data": [[1, 2]]}):
        assert training.shown_curve(junk) is None
