"""The optimizer race: each lane is exactly its optimizer's own run, lanes end on their own,
cancel stops them all, the budget covers every lane, and updates and records stay bounded."""

import dataclasses
import json

import numpy as np
import pytest

from core.optimizers import OPTIMIZERS
from core.race import checked_race_record, make_race_record, parse_race_config, race
from core.regression import StopTraining, train
from core.run_status import run_label, status_line

RAW = {"race": ["sgd", "momentum", "adam"], "seed": 6, "lr": 0.05, "epochs": 300, "samples": 60, "noise": 0.5,
       "momentum": 0.8}


def test_each_lane_is_its_optimizers_own_run_from_the_same_start():
    config = parse_race_config(RAW).config
    result = race(config)
    assert result.status == "Done" and [lane.optimizer for lane in result.lanes] == ["sgd", "momentum", "adam"]
    for lane in result.lanes:
        alone = train(config.lane(lane.optimizer))
        assert lane.status == "Done"
        assert lane.losses.tolist() == alone.losses.tolist()  # bit for bit
        np.testing.assert_array_equal(lane.weights, alone.weights)
    # the same data and the same initial weights: every lane's first loss is the same
    assert len({lane.losses[0] for lane in result.lanes}) == 1


def test_a_diverging_lane_ends_alone():
    config = parse_race_config({**RAW, "lr": 1.2, "epochs": 2000}).config
    result = race(config)
    sgd, momentum, adam = result.lanes
    assert sgd.status == "Diverged" and sgd.diverged_at is not None and len(sgd.losses) == sgd.diverged_at
    assert adam.status == "Done" and len(adam.losses) == 2000
    assert result.status == "Done"
    line = status_line(make_race_record(result, "r"))
    assert line.startswith("Done") and f"sgd: diverged at epoch {sgd.diverged_at}" in line and "adam: final loss" in line


def test_cancel_stops_every_lane():
    config = parse_race_config({**RAW, "epochs": 100_000}).config
    reports = []

    def stop_after_two(progress):
        reports.append(progress)
        if len(reports) == 2:
            raise StopTraining

    result = race(config, on_progress=stop_after_two, progress_interval=0.01)
    assert result.status == "Cancelled" and all(lane.status == "Cancelled" for lane in result.lanes)
    assert all(0 < len(lane.losses) < 100_000 for lane in result.lanes)
    stopped = race(config, should_stop=lambda: True)
    assert stopped.status == "Cancelled"


@pytest.mark.parametrize("lanes", [["sgd"], [], ["sgd", "sgd"], ["sgd", "nope"], "sgd,adam", None, [1, 2],
                                   ["adam", ["sgd"]]])
def test_the_lanes_must_be_two_or_more_distinct_optimizers(lanes):
    parsed = parse_race_config({**RAW, "race": lanes})
    assert parsed.config is None and "two or more" in parsed.errors["race"]


def test_each_lanes_settings_are_checked_and_the_budget_covers_every_lane():
    parsed = parse_race_config({**RAW, "race": ["sgd", "adam"], "momentum": 7, "beta2": 1})
    assert set(parsed.errors) == {"beta2"}  # momentum is no lane's setting here
    every = parse_race_config({**RAW, "race": list(OPTIMIZERS), "epochs": 200_000, "samples": 100})
    assert "Lanes × epochs × samples" in every.errors["race"] and "140,000,000" in every.errors["race"]
    assert parse_race_config({**RAW, "race": ["sgd", "adam"], "epochs": 500_000, "samples": 100}).config is not None
    # the lanes run in the registry's order whatever order the client sent
    assert parse_race_config({**RAW, "race": ["adam", "sgd"]}).config.lanes == ("sgd", "adam")


def test_an_update_with_every_optimizer_stays_under_64_kb():
    config = parse_race_config({**RAW, "race": list(OPTIMIZERS), "epochs": 3000, "lr": 0.02}).config
    sizes = []
    race(config, on_progress=lambda p: sizes.append(len(json.dumps({**dataclasses.asdict(p),
                                                                     "config": config.to_dict()}))),
         progress_interval=0.0)
    assert max(sizes) < 64_000


def test_the_record_round_trips_and_forged_ones_are_refused():
    result = race(parse_race_config({**RAW, "lr": 1.2, "epochs": 400}).config)
    record = json.loads(json.dumps(make_race_record(result, "r1")))
    assert checked_race_record(record) == record
    assert run_label(record).startswith("Race · sgd, momentum, adam")
    forged = [None, [], {**record, "status": "Running"}, {**record, "lanes": []}, {**record, "lanes": [3]},
              {**record, "config": {**record["config"], "race": ["sgd"]}},
              {**record, "lanes": [{**record["lanes"][0], "losses": ["x"]}]},
              {**record, "lanes": [{**record["lanes"][0], "optimizer": "lbfgs"}]},
              {**record, "lanes": [{**record["lanes"][0], "weights": [[1.0]]}]}]
    for bad in forged:
        assert checked_race_record(bad) is None


def test_every_lane_gets_its_own_settings():
    config = parse_race_config({**RAW, "race": ["sgd", "momentum", "adamw"], "beta1": 0.7, "beta2": 0.95,
                                "weight_decay": 0.3}).config
    assert config.lane("momentum").momentum == 0.8
    adamw = config.lane("adamw")
    assert (adamw.beta1, adamw.beta2, adamw.weight_decay) == (0.7, 0.95, 0.3)
    result = race(config)
    for lane in result.lanes:
        assert lane.losses.tolist() == train(config.lane(lane.optimizer)).losses.tolist()
    assert parse_race_config(config.to_dict(), pick_seed=False).config == config  # the job reads it back
