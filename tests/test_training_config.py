"""Validation of everything a client can send for a training run."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.training_config import MAX_SEED, WORK_BUDGET, TrainingConfig, parse_training_config

VALID = {"approach": "manual", "lr": 0.01, "epochs": 1000, "samples": 100, "noise": 1.0, "seed": 3}


def parse(**changes):
    return parse_training_config({**VALID, **changes})


def test_the_seed_defaults_are_valid():
    parsed = parse_training_config({})
    assert parsed.errors == {}
    config = parsed.config
    assert (config.approach, config.lr, config.epochs, config.samples, config.noise) == (
        "manual", 0.01, 1000, 100, 1.0)
    assert config.true_weights == (1.0, 5.0, 7.0)
    assert 0 <= config.seed < 2**31  # an empty seed becomes a random one, shown to the user


def test_numbers_as_strings_are_accepted():
    config = parse(lr="0.05", epochs="2000", samples=" 50 ", noise="0", seed="7").config
    assert (config.lr, config.epochs, config.samples, config.noise, config.seed) == (0.05, 2000, 50, 0.0, 7)


@pytest.mark.parametrize(
    "field, value",
    [
        ("lr", 0), ("lr", -0.1), ("lr", 10.0001), ("lr", "abc"), ("lr", None), ("lr", True),
        ("lr", math.nan), ("lr", math.inf), ("lr", "1e999"), ("lr", [0.1]), ("lr", {"a": 1}),
        ("epochs", 0), ("epochs", 1.5), ("epochs", 1_000_001), ("epochs", "ten"), ("epochs", 10**400),
        ("samples", 1), ("samples", 2.5), ("samples", 1_000_001),
        ("noise", -0.01), ("noise", "x"),
        ("seed", -1), ("seed", 1.5), ("seed", MAX_SEED + 1), ("seed", "s"),
        ("approach", "sgd"), ("approach", None), ("approach", ["manual"]),
    ],
)
def test_bad_values_are_rejected_with_a_message_for_that_control(field, value):
    parsed = parse(**{field: value})
    assert parsed.config is None
    assert field in parsed.errors and len(parsed.errors[field]) > 10


def test_boundaries_are_accepted():
    assert parse(lr=10, epochs=1, samples=2, noise=0, seed=0).config is not None
    assert parse(epochs=1_000_000, samples=100).config is not None
    assert parse(seed=MAX_SEED).config.seed == MAX_SEED


def test_work_budget():
    parsed = parse(epochs=1_000_000, samples=101)
    assert parsed.config is None
    assert f"{WORK_BUDGET:,}" in parsed.errors["epochs"]


def test_true_weights():
    assert parse(true_weights=[2, "3", -4.5]).config.true_weights == (2.0, 3.0, -4.5)
    for bad in ([1, 2], [1, 2, "x"], [1, 2, 1e6], "1,5,7", None):
        assert "true_weights" in parse(true_weights=bad).errors


def test_empty_seed_stays_empty_when_not_picking():
    parsed = parse_training_config({**VALID, "seed": None}, pick_seed=False)
    assert parsed.values["seed"] is None


def test_config_round_trips_through_a_dict():
    config = parse().config
    assert TrainingConfig(**{**config.to_dict(), "true_weights": tuple(config.to_dict()["true_weights"])}) == config


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(raw=st.dictionaries(
    st.sampled_from(["approach", "lr", "epochs", "samples", "noise", "seed", "true_weights", "x"]),
    json_values,
) | json_values)
def test_never_raises_and_a_config_is_always_within_limits(raw):
    parsed = parse_training_config(raw)
    config = parsed.config
    if config is None:
        assert parsed.errors
        return
    assert 0 < config.lr <= 10 and 1 <= config.epochs <= 1_000_000 and 2 <= config.samples <= 1_000_000
    assert config.noise >= 0 and 0 <= config.seed <= MAX_SEED
    assert config.epochs * config.samples <= WORK_BUDGET
    assert all(math.isfinite(w) for w in config.true_weights)
