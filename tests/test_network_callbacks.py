"""The network page's callbacks and figures as plain functions."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pytest
from dash import html, no_update

from components import gallery, network, network_figures, runs
from core.network import GRID_POINTS, first_network_epoch, make_network_record, train_network
from core.network_config import parse_network_config


def controls(**values):
    base = {"activation": "relu", "param_values": [], "param_ids": [], "target": "sin", "hidden": 6,
            "epochs": 40, "lr": 0.01, "noise": 0.1, "samples": 50, "seed": 3}
    return {**base, **values}


def record(**raw):
    config = parse_network_config({"hidden": 6, "epochs": 40, "samples": 50, "seed": 3, **raw}).config
    return make_network_record(train_network(config), f"{hash(str(raw)) & 0xFFFF:032x}")


def text(component) -> str:
    if isinstance(component, (list, tuple)):
        return " ".join(text(c) for c in component)
    if isinstance(component, str):
        return component
    children = getattr(component, "children", None)
    return text(children) if children is not None else ""


def test_a_link_sets_the_controls_and_the_address_writes_it_back():
    values, notices = network.controls_from_query({"fn": "elu", "alpha": "0.5", "target": "abs", "hidden": "12",
                                                   "seed": "7"})
    assert not notices
    assert values["activation"] == "elu" and values["params"] == {"alpha": 0.5}
    assert values["target"] == "abs" and values["hidden"] == 12 and values["seed"] == 7
    again, _ = network.controls_from_query(dict(pair.split("=") for pair in
                                                network.network_query(values)[1:].split("&")))
    assert again == values


@pytest.mark.parametrize("query, word", [({"fn": "nope"}, "nope"), ({"fn": "elu", "alpha": "9"}, "alpha"),
                                         ({"hidden": "0"}, "Hidden"), ({"target": "cube"}, "cube")])
def test_a_bad_link_says_what_it_ignored(query, word):
    _values, notices = network.controls_from_query(query)
    assert notices and word in notices[0]


def test_the_sliders_give_the_parameters():
    slider = gallery.slider_id("alpha", network.PREFIX)
    parsed = network.parse_controls(controls(activation="leaky_relu", param_values=[0.3], param_ids=[slider]))
    assert parsed.config.param_values == {"alpha": 0.3}
    assert network.parse_controls(controls(activation="leaky_relu", param_values=[3], param_ids=[slider])).errors


def test_check_controls_writes_messages_the_note_and_the_links():
    out = network.check_controls(controls(activation="binary_step"))
    assert "gradient" in out["note"] and out["gallery"] == "/gallery?fn=binary_step"
    assert "nn.Sequential" in out["script"] and out["query"].startswith("?fn=binary_step")
    bad = network.check_controls(controls(hidden=999))
    assert bad["errors"]["hidden"] and bad["code"] is no_update
    assert network.check_controls(controls())["note"] == ""


def test_before_a_run_the_charts_are_empty():
    out = network.draw_network(None, True)
    assert out["units"]["data"] == [] and out["loss"]["data"][0]["x"] == []


def test_a_streaming_run_draws_its_prediction_and_one_trace_per_unit():
    config = parse_network_config({"hidden": 6, "epochs": 40, "samples": 50, "seed": 3}).config
    progress = {**asdict(first_network_epoch(config)), "config": config.to_dict()}
    view = runs.RunView("r" * 32, "Running", "Running", progress=progress)
    out = network.draw_network(view, True)
    assert sorted(out["fit"]["traces"]) == [0, 1, 2]
    assert [out["fit"]["traces"][k]["meta"] for k in range(3)] == ["data", "target", "network"]
    assert len(out["fit"]["traces"][0]["x"]) == 50
    assert [t["meta"] for t in out["units"]["data"]] == ["unit"] * 6 + ["sum", "bias"]
    later = network.draw_network(view, False)
    assert sorted(later["fit"]["traces"]) == [2]  # the samples and the target once per run


def test_the_units_stay_small_with_256_of_them():
    x = network_figures.unit_grid(256, -3, 3, GRID_POINTS)
    assert 20 <= len(x) <= 60
    units = network_figures.serve_units_figure(x, np.zeros((256, len(x))), [0.5] * 256, 0.1,
                                               (np.linspace(-3, 3, GRID_POINTS), np.zeros(GRID_POINTS)))
    assert sum(t.get("meta") == "unit" for t in units["data"]) == 256
    assert all("x" not in t for t in units["data"] if t["meta"] == "unit")


def test_a_finished_run_shows_its_loss_against_the_best_line():
    done = record()
    view = runs.RunView(done["run_id"], "Done", "Done", record=done)
    out = network.draw_network(view, True)
    assert "straight line" in text(out["result"])
    assert out["loss"]["data"][0]["x"][-1] == 39


def test_runs_on_the_same_data_are_compared_in_a_table():
    relu, tanh, other_data = record(), record(activation="tanh"), record(activation="sigmoid", seed=4)
    kept = [{**r, "epochs": [], "losses": [], "weights": None} for r in (relu, other_data, tanh)]
    compared, table = network.compare_runs(kept)
    assert len(compared["runs"]) == 3 and all(r["trace"]["meta"] == "compared" for r in compared["runs"])
    rows = text(table)
    assert "ReLU" in rows and "TanH" in rows and "Sigmoid" not in rows and "straight line" in rows


@pytest.mark.parametrize("junk", [None, 5, "x", [None], [{"status": "Done"}], [{"config": []}], {"runs": []}])
def test_junk_kept_runs_never_raise(junk):
    compared, table = network.compare_runs(junk)
    assert compared == {"runs": []} and isinstance(table, html.P)


@pytest.mark.parametrize("name", [None, 7, "nope", ["relu"]])
def test_junk_activation_keeps_the_controls(name):
    assert network.show_param_controls(name) is no_update
