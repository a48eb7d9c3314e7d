"""The optimizer registry against plain scripts: the tutorial's second approach with only its
`optim.SGD` line changed, written out by hand in harness/tutorial.py (not from the registry)."""

import contextlib
import io

import numpy as np
import pytest

from core.optimizers import OPTIMIZERS, SETTINGS
from core.regression import train
from core.script import standalone_script
from core.training_config import TrainingConfig, parse_training_config
from harness.tutorial import OPTIMIZER_LINES, optimizer_loop

# Settings away from the defaults, so a setting that did not reach torch would show.
SETTINGS_USED = {"momentum": 0.7, "beta1": 0.8, "beta2": 0.99, "weight_decay": 0.05}
CODE_LINES = {
    "sgd": "optim.SGD(net.parameters(), lr=0.05)",
    "momentum": "optim.SGD(net.parameters(), lr=0.05, momentum=0.7)",
    "nesterov": "optim.SGD(net.parameters(), lr=0.05, momentum=0.7, nesterov=True)",
    "adagrad": "optim.Adagrad(net.parameters(), lr=0.05)",
    "rmsprop": "optim.RMSprop(net.parameters(), lr=0.05)",
    "adam": "optim.Adam(net.parameters(), lr=0.05, betas=(0.8, 0.99))",
    "adamw": "optim.AdamW(net.parameters(), lr=0.05, betas=(0.8, 0.99), weight_decay=0.05)",
}


def config_for(optimizer: str, **changes) -> TrainingConfig:
    fields = dict(approach="module", optimizer=optimizer, seed=4, epochs=400, lr=0.05, samples=60, noise=0.5,
                  **SETTINGS_USED)
    return TrainingConfig(**{**fields, **changes})


def test_the_contracts_optimizers_in_its_order():
    assert list(OPTIMIZERS) == ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw"]
    assert set(OPTIMIZER_LINES) == set(OPTIMIZERS)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_each_optimizer_is_the_tutorials_script_with_its_line_changed(name):
    config = config_for(name)
    plain = optimizer_loop(name, SETTINGS_USED, samples=60, noise=0.5, seed=4, lr=0.05, epochs=400)
    result = train(config)
    assert result.status == "Done"
    np.testing.assert_allclose(result.losses, plain.losses, rtol=1e-5)
    np.testing.assert_allclose(result.learned_weights, plain.weights, rtol=1e-5, atol=1e-6)


def test_optimizers_differ_from_each_other():
    finals = {name: train(config_for(name, epochs=50)).final_loss for name in OPTIMIZERS}
    assert len(set(finals.values())) == len(finals)


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_the_code_view_is_the_line_that_ran(name):
    config = config_for(name, epochs=60)
    script = standalone_script(config)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(script, "run.py", "exec"), {"__name__": "script"})  # noqa: S102 - our own script
    final = float(printed.getvalue().split("final loss:")[1])
    assert final == pytest.approx(train(config).final_loss, rel=1e-6)
    constructor = next(line for line in script.splitlines() if line.startswith("optimizer = "))
    assert constructor == "optimizer = " + CODE_LINES[name]


def test_a_setting_is_checked_only_for_the_optimizer_that_uses_it():
    bad = {"momentum": 1.0, "beta1": -0.1, "beta2": 1.0, "weight_decay": -1}
    expected = {"sgd": set(), "momentum": {"momentum"}, "nesterov": {"momentum"}, "adagrad": set(),
                "rmsprop": set(), "adam": {"beta1", "beta2"}, "adamw": {"beta1", "beta2", "weight_decay"}}
    for name, errors in expected.items():
        parsed = parse_training_config({"approach": "module", "optimizer": name, **bad})
        assert set(parsed.errors) == errors, name
        if not errors:  # ignored settings run with their defaults, so equal runs have equal configs
            assert all(getattr(parsed.config, s) == SETTINGS[s].default for s in SETTINGS)


def test_the_manual_approach_ignores_the_optimizer_and_its_settings():
    parsed = parse_training_config({"approach": "manual", "optimizer": "nonsense", "momentum": "x", "seed": 1})
    assert parsed.errors == {}
    assert parsed.config.optimizer == "sgd"
    parsed = parse_training_config({"approach": "manual", "optimizer": "adam", "seed": 1})
    assert parsed.config.optimizer == "sgd"


@pytest.mark.parametrize("raw", ["adam ", "SGD", "", None, 3, ["adam"], {"x": 1}, "a" * 10_000])
def test_an_unknown_optimizer_is_refused_with_the_choices(raw):
    parsed = parse_training_config({"approach": "module", "optimizer": raw})
    assert parsed.config is None
    assert "adamw" in parsed.errors["optimizer"] and len(parsed.errors["optimizer"]) < 200


@pytest.mark.parametrize("name, raw, ok", [
    ("momentum", 0, False), ("momentum", 1, False), ("momentum", 0.999, True), ("momentum", "0.5", True),
    ("beta1", 0, True), ("beta1", 1, False), ("beta2", 0.9999, True), ("beta2", "nan", False),
    ("weight_decay", 0, True), ("weight_decay", 100, True), ("weight_decay", 101, False),
    ("weight_decay", True, False),
])
def test_each_settings_limits(name, raw, ok):
    optimizer = {"momentum": "momentum", "beta1": "adam", "beta2": "adam", "weight_decay": "adamw"}[name]
    parsed = parse_training_config({"approach": "module", "optimizer": optimizer, name: raw})
    assert (name not in parsed.errors) == ok, parsed.errors
