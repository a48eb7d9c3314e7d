"""Stepping one epoch at a time (core/stepping.py): k steps are the tutorial's k epochs, bit for
bit, through a JSON round trip of the state; the gradient and every line of the update written
out match an independent computation; a forged state is refused."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from core.approaches import APPROACHES
from core.optimizers import OPTIMIZERS
from core.stepping import SAMPLE_ROWS, checked_state, step_epoch
from core.training_config import TrainingConfig
from harness.tutorial import manual_loop, optimizer_loop, tutorial_data

SETTINGS = {"momentum": 0.8, "beta1": 0.85, "beta2": 0.99, "weight_decay": 0.02}
RUN = dict(seed=11, samples=40, noise=0.5, lr=0.05)
CASES = [("manual", "sgd"), *(("module", name) for name in OPTIMIZERS)]


def config_of(approach: str, optimizer: str, **extra) -> TrainingConfig:
    return TrainingConfig(approach=approach, optimizer=optimizer, **SETTINGS, **{**RUN, "epochs": 25, **extra})


def steps(config: TrainingConfig, count: int):
    """`count` steps, the state through JSON between them as through the browser."""
    state, taken = None, []
    for epoch in range(count):
        step = step_epoch(config, epoch, state)
        taken.append(step)
        state = checked_state(json.loads(json.dumps(step.state)), config)
        assert state is not None
    return taken


@pytest.mark.parametrize("approach,optimizer", CASES)
def test_k_steps_are_the_tutorials_k_epochs_bit_for_bit(approach, optimizer):
    taken = steps(config_of(approach, optimizer), 25)
    plain = (manual_loop(**RUN, epochs=25) if approach == "manual"
             else optimizer_loop(optimizer, SETTINGS, **RUN, epochs=25))
    assert [s.loss for s in taken] == plain.losses
    np.testing.assert_array_equal(np.array(taken[-1].after, dtype=np.float32), plain.weights)
    assert [s.epoch for s in taken] == list(range(25))


def _data():
    X, y = tutorial_data(RUN["samples"], RUN["noise"], RUN["seed"])
    return X.double().numpy(), y.double().numpy()


@pytest.mark.parametrize("approach,optimizer", CASES)
def test_the_gradient_and_samples_are_the_epochs_own(approach, optimizer):
    X, y = _data()
    for step in steps(config_of(approach, optimizer), 4):
        w = np.array(step.before)
        # ∂/∂w of mean((y − Xw)²) is −(2/n)·Xᵀ(y − Xw), worked out here in float64
        np.testing.assert_allclose(step.gradient, -2 / len(y) * X.T @ (y - X @ w), rtol=1e-4, atol=1e-5)
        assert step.loss == pytest.approx(np.mean((y - X @ w) ** 2), rel=1e-5)
        assert len(step.rows) == SAMPLE_ROWS
        for row, x_row, y_value in zip(step.rows, X, y):
            assert (row.a, row.b) == pytest.approx(tuple(x_row[1:]), abs=1e-6) and row.y == pytest.approx(y_value)
            assert row.prediction == pytest.approx(x_row @ w, abs=1e-4)
            assert row.residual == pytest.approx(row.y - row.prediction, abs=1e-5)


def _expected_lines(optimizer: str, config: TrainingConfig, g, w, previous: dict, t: int) -> list[np.ndarray]:
    """Each optimizer's update as its paper (and torch's documentation) writes it, from the
    previous step's buffers; one array per line, in the order the page shows them."""
    lr = config.lr
    if optimizer == "sgd":
        return [w - lr * g]
    if optimizer in ("momentum", "nesterov"):
        b = g if t == 1 else config.momentum * previous["momentum_buffer"] + g
        return [b, w - lr * (g + config.momentum * b if optimizer == "nesterov" else b)]
    if optimizer == "adagrad":
        s = previous.get("sum", 0) + g * g
        return [s, w - lr * g / (np.sqrt(s) + 1e-10)]
    if optimizer == "rmsprop":
        v = 0.99 * previous.get("square_avg", 0) + 0.01 * g * g
        return [v, w - lr * g / (np.sqrt(v) + 1e-8)]
    b1, b2 = config.beta1, config.beta2
    lines = []
    if optimizer == "adamw":
        w = w * (1 - lr * config.weight_decay)
        lines.append(w)
    m = b1 * previous.get("exp_avg", 0) + (1 - b1) * g
    v = b2 * previous.get("exp_avg_sq", 0) + (1 - b2) * g * g
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    return lines + [m, v, m_hat, v_hat, w - lr * m_hat / (np.sqrt(v_hat) + 1e-8)]


@pytest.mark.parametrize("approach,optimizer", CASES)
def test_every_line_of_the_update_written_out_matches_an_independent_computation(approach, optimizer):
    config = config_of(approach, optimizer)
    previous: dict = {}
    for step in steps(config, 5):
        g, w = np.array(step.gradient), np.array(step.before)
        expected = _expected_lines(optimizer, config, g, w, previous, step.epoch + 1)
        assert len(step.update) == len(expected)
        for line, values in zip(step.update, expected):
            np.testing.assert_allclose(line.values, values, rtol=2e-5, atol=1e-6, err_msg=line.formula)
        assert step.update[-1].values == step.after  # the last line is the weights the step left
        previous = {k: np.array(v) for k, v in (step.state.get("optimizer") or {}).items()}


def test_the_update_is_written_with_the_runs_own_settings():
    manual = step_epoch(config_of("manual", "sgd", lr=0.01), 0, None)
    assert manual.update[0].formula.startswith("w ← w − 0.01 × ∂L/∂w = (")
    assert " − 0.01 × (" in manual.update[0].formula
    adam = steps(config_of("module", "adam"), 3)[-1]
    assert [line.formula for line in adam.update][2:4] == ["m̂ = m / (1 − 0.85^3)", "v̂ = v / (1 − 0.99^3)"]


def test_a_step_that_overflows_says_so_and_leaves_no_state():
    config = config_of("manual", "sgd", lr=9.0)
    state, step = None, None
    for epoch in range(200):
        step = step_epoch(config, epoch, state)
        if step.diverged:
            break
        state = step.state
    assert step.diverged and step.state is None and step.update == []
    assert not math.isfinite(step.loss) or not np.all(np.isfinite(step.after))


@pytest.mark.parametrize("approach,optimizer", CASES)
def test_a_genuine_state_passes_and_a_forged_one_does_not(approach, optimizer):
    config = config_of(approach, optimizer)
    genuine = json.loads(json.dumps(steps(config, 2)[-1].state))
    assert checked_state(genuine, config) == genuine
    forgeries = [None, [], "state", {}, {"weight": [1, 2]}, {"weight": [1, 2, "3"]}, {"weight": [1, 2, float("nan")]},
                 {"weight": [True, 2, 3]}, {**genuine, "extra": 1}]
    if approach == "module" and not genuine["optimizer"]:  # plain SGD keeps no buffer
        forgeries += [{**genuine, "optimizer": {"momentum_buffer": [0.0, 0.0, 0.0]}}, {"weight": genuine["weight"]}]
    elif approach == "module":
        buffers = genuine["optimizer"]
        some = next(k for k in buffers if k != "step")
        foreign = "exp_avg" if some == "momentum_buffer" else "momentum_buffer"
        forgeries += [
            {**genuine, "optimizer": {}},
            {**genuine, "optimizer": {**buffers, some: [1.0] * 1000}},
            {**genuine, "optimizer": {**buffers, some: [1.0, float("inf"), 2.0]}},
            {**genuine, "optimizer": {**buffers, foreign: [0.0, 0.0, 0.0]}},  # another optimizer's buffer
            {**genuine, "optimizer": [1, 2, 3]},
        ]
        if "step" in buffers:
            forgeries += [{**genuine, "optimizer": {**buffers, "step": -1}},
                          {**genuine, "optimizer": {**buffers, "step": 1.5}},
                          {**genuine, "optimizer": {**buffers, "step": [1, 2, 3]}}]
    else:
        forgeries.append({**genuine, "optimizer": {}})
    for forged in forgeries:
        assert checked_state(forged, config) is None, forged


def test_a_state_of_another_optimizer_is_refused():
    adam = json.loads(json.dumps(steps(config_of("module", "adam"), 1)[-1].state))
    assert checked_state(adam, config_of("module", "momentum")) is None
    assert checked_state(adam, config_of("manual", "sgd")) is None


def test_each_approach_names_the_loop_lines_a_step_shows():
    for approach in APPROACHES.values():
        assert set(approach.step_lines) == {"prediction", "loss", "gradient", "update"}
        for line in approach.step_lines.values():
            assert "    " + line + "\n" in approach.code


def test_a_step_leaves_torchs_global_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    step_epoch(config_of("module", "adam"), 0, None)
    assert torch.equal(torch.rand(3), expected)
