"""The network page's core: the model, its unit decomposition, what each activation can fit, the
settings' parser and budget, the record, and the standalone script."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from core.activations import ACTIVATIONS
from core.curves import float32_list
from core.network import (
    GRID_POINTS,
    checked_network_record,
    first_network_epoch,
    grid,
    make_network_record,
    network_weights,
    prediction,
    prepare,
    samples_of,
    train_network,
    unit_curves,
)
from core.network_config import TARGETS, WORK_BUDGET, cannot_learn_note, parse_network_config
from core.network_script import EXPRESSIONS, network_script


def config(**raw):
    parsed = parse_network_config(raw)
    assert parsed.config is not None, parsed.errors
    return parsed.config


def independent_line_loss(x: np.ndarray, y: np.ndarray) -> float:
    """The least-squares line's MSE, by numpy's polyfit (not the page's lstsq)."""
    slope, intercept = np.polyfit(x.astype(np.float64), y.astype(np.float64), 1)
    return float(np.mean((slope * x + intercept - y) ** 2))


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_every_activation_builds_the_model_and_its_units_sum_to_the_prediction(name):
    run = config(activation=name, hidden=7, epochs=3)
    x, y, model = prepare(run)
    assert x.shape == y.shape == (run.samples, 1)
    assert [type(m).__name__ for m in (model[0], model[2])] == ["Linear", "Linear"]
    assert model(x).shape == (run.samples, 1)
    weights = network_weights(model)
    assert [len(weights[k]) for k in "wbvc"] == [7, 7, 7, 1]
    xs = grid()
    units, c = unit_curves(run, weights, xs)
    assert units.shape == (7, GRID_POINTS)
    with torch.no_grad():
        expected = model(torch.tensor(xs, dtype=torch.float32)[:, None]).numpy().ravel()
    np.testing.assert_allclose(units.sum(axis=0) + c, expected, atol=1e-5)
    np.testing.assert_allclose(prediction(run, weights, xs), expected, atol=1e-5)


def test_the_units_sum_to_the_prediction_after_training_with_many_units():
    run = config(activation="relu", hidden=256, epochs=60)
    result = train_network(run)
    _x, _y, model = prepare(run)
    for layer, (weight, bias) in ((model[0], ("w", "b")), (model[2], ("v", "c"))):
        layer.weight.data = torch.tensor(result.weights[weight], dtype=torch.float32).reshape(layer.weight.shape)
        layer.bias.data = torch.tensor(result.weights[bias], dtype=torch.float32)
    with torch.no_grad():
        expected = model(torch.tensor(grid(), dtype=torch.float32)[:, None]).numpy().ravel()
    units, c = unit_curves(run, result.weights, grid())
    np.testing.assert_allclose(units.sum(axis=0) + c, expected, atol=1e-5)


def test_the_identity_cannot_beat_the_best_straight_line():
    run = config(activation="identity", epochs=2000, lr=0.05)
    x, y = samples_of(run)
    line = independent_line_loss(x, y)
    result = train_network(run)
    assert result.status == "Done"
    assert result.losses[-1] >= line * (1 - 1e-5)
    assert result.line_loss == pytest.approx(line, rel=1e-9)


@pytest.mark.parametrize("name", ["relu", "tanh"])
def test_relu_and_tanh_beat_the_best_straight_line_with_the_defaults(name):
    run = config(activation=name)
    x, y = samples_of(run)
    result = train_network(run)
    assert result.status == "Done"
    assert result.losses[-1] < 0.5 * independent_line_loss(x, y)


def test_the_data_depend_on_seed_target_noise_and_samples_only():
    a, b = samples_of(config(activation="relu", seed=4)), samples_of(config(activation="tanh", hidden=3, seed=4))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[1], samples_of(config(seed=5))[1])


def test_the_first_epoch_is_the_jobs_first_epoch():
    run = config(activation="elu", params={"alpha": 0.5}, epochs=5)
    first = first_network_epoch(run)
    result = train_network(run)
    assert first.losses == float32_list(result.losses[:1])
    assert first.weights is not None


def test_the_binary_step_cannot_learn_its_first_layer_and_the_page_says_why():
    run = config(activation="binary_step", epochs=50)
    _x, _y, model = prepare(run)
    before = network_weights(model)
    result = train_network(run)
    assert result.weights["w"] == before["w"] and result.weights["b"] == before["b"]
    assert result.weights["v"] != before["v"]
    assert "gradient" in cannot_learn_note("binary_step")
    assert cannot_learn_note("relu") is None


@pytest.mark.parametrize("raw, field", [
    ({"hidden": 0}, "hidden"), ({"hidden": 257}, "hidden"), ({"hidden": 2.5}, "hidden"),
    ({"epochs": "many"}, "epochs"), ({"lr": 0}, "lr"), ({"lr": float("nan")}, "lr"),
    ({"noise": -1}, "noise"), ({"samples": 1}, "samples"), ({"seed": -1}, "seed"),
    ({"activation": "nope"}, "activation"), ({"activation": ["relu"]}, "activation"),
    ({"target": "cube"}, "target"), ({"activation": "elu", "params": {"alpha": 5}}, "params"),
    ({"activation": "trelu", "params": {"thres": "x"}}, "params"), ({"params": [1, 2]}, "params"),
    ({"epochs": 100_000, "samples": 10_000, "hidden": 256}, "epochs"),
])
def test_bad_settings_are_refused_with_a_message(raw, field):
    parsed = parse_network_config(raw)
    assert parsed.config is None and parsed.errors[field]


def test_the_budget_bounds_epochs_times_samples_times_units():
    assert parse_network_config({"epochs": 100_000, "samples": 10_000, "hidden": 2}).config is not None
    refused = parse_network_config({"epochs": 100_000, "samples": 10_000, "hidden": 3})
    assert refused.config is None and f"{WORK_BUDGET:,}" in refused.errors["epochs"]


def test_junk_of_any_shape_never_raises():
    for raw in (None, 1, "x", [], {"params": {"alpha": {"a": 1}}}, {"seed": 10**400}, {"hidden": True}):
        parse_network_config(raw)


def test_a_record_survives_its_check_and_a_forged_one_does_not():
    run = config(activation="tanh", hidden=4, epochs=30)
    record = make_network_record(train_network(run), "r" * 32)
    assert checked_network_record(record) is record
    assert len(record["prediction"]) == GRID_POINTS and record["final_loss"] > 0
    assert checked_network_record({**record, "weights": {"w": [1.0]}}) is None
    assert checked_network_record({**record, "config": {**record["config"], "hidden": 9999}}) is None
    assert checked_network_record({**record, "prediction": [float("nan")] * 3}) is None
    assert checked_network_record({**record, "status": "Failed"}) is None


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_the_scripts_own_modules_compute_the_registry_functions(name):
    activation = ACTIVATIONS[name]
    params = {p.name: p.default for p in activation.params}
    x = torch.linspace(-4, 4, 81, dtype=torch.float64)
    expression = EXPRESSIONS[name].format(**params)
    np.testing.assert_allclose(eval(expression, {"torch": torch, "x": x}).numpy(),  # our own text
                               activation.fn(x, **params).numpy())


def test_every_activation_has_a_module_for_the_script():
    assert all(a.torch_nn_factory is not None or a.name in EXPRESSIONS for a in ACTIVATIONS.values())


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_the_scripts_target_code_is_the_target(name):
    x = torch.linspace(-3, 3, 61)
    np.testing.assert_array_equal(eval(TARGETS[name].code, {"torch": torch, "x": x}).numpy(),
                                  TARGETS[name].fn(x).numpy())


@pytest.mark.parametrize("raw", [  # a module of the script's own; torch.nn's with a parameter (slow tier)
    {"activation": "gaussian", "epochs": 40},
    pytest.param({"activation": "leaky_relu", "params": {"alpha": 0.2}, "target": "step", "epochs": 40, "seed": 9},
                 marks=pytest.mark.slow),
])
def test_the_script_reproduces_the_runs_final_loss(raw):
    run = config(**raw)
    out = subprocess.run([sys.executable, "-c", network_script(run)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    printed = float(out.stdout.split("final loss:")[1])
    assert printed == pytest.approx(train_network(run).losses[-1], rel=1e-6)
