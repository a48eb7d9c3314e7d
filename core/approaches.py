"""The approach registry: the tutorial's ways to fit y = w0 + w1·a + w2·b, each once.

An approach is how the model and its update are built (`build`, what the trainer runs) and the
code a learner sees and copies (`imports` and `code`, what the standalone script shows). The
config's choices, the trainer, the code view, the page's selector, and every test, bench and
script that lists approaches read `APPROACHES`; `tests/test_approaches.py` runs each entry's
code as a plain script and checks the trainer reproduces it.

To add an approach: one `Approach(...)` below (a `build` returning a `Fit`, and its code).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

import numpy as np
import torch
from torch import nn

from core.i18n import N_
from core.optimizers import OPTIMIZERS


class Fit(Protocol):
    """A model being fitted: one epoch at a time."""

    def step(self) -> float:
        """Run one epoch (forward, loss, backward, update); the loss before the update."""

    def weights(self) -> np.ndarray:
        """The three weights now (w0, w1, w2), as a float32 array."""

    def gradient(self) -> np.ndarray:
        """∂L/∂w of the last epoch (before its update), as a float32 array."""

    def state(self) -> dict[str, Any]:
        """Everything the next epoch depends on besides the data, as JSON numbers (the weights,
        the optimizer's buffers): `load_state` of it continues exactly where this fit is."""

    def load_state(self, state: dict[str, Any]) -> None:
        """Continue from a `state()` (checked by `core.stepping` first)."""


@dataclass(frozen=True)
class Approach:
    name: str  # the config value and URL parameter
    label: str  # what the page's selector says (translated where shown)
    build: Callable[[torch.Tensor, torch.Tensor, Any], Fit]  # (X, y, config), data already drawn
    imports: str  # the script's import lines
    # the script's model and loop; {lr}, {epochs} and {optimizer} are filled in; the loop begins at
    # `losses = []` and its last line shows the learned weights (core.script splits it there)
    code: str
    # the loop's line that computes each number a step shows: prediction, loss, gradient, update
    step_lines: dict[str, str]


class ManualFit:
    """The tutorial's first approach: a weight tensor, MSE written out, the update by hand.

    The update is done in place (`sub_`), which gives the very same numbers as the tutorial's
    `weight.data = weight.data - lr*weight.grad.data` (tests/test_regression.py compares them bit
    for bit) without a new tensor each epoch, so the weights can be read through one numpy view:
    reading a fresh tensor's weights every epoch cost the trainer ~15 % of an epoch.
    """

    def __init__(self, X: torch.Tensor, y: torch.Tensor, config: Any):
        self.X, self.y, self.lr = X, y, config.lr
        self.weight = torch.randn(3, requires_grad=True)
        self._weights = self.weight.data.numpy()  # updated in place: the view follows

    def step(self) -> float:
        weight = self.weight
        weight.grad = None
        y_pred = torch.mv(self.X, weight)
        loss = torch.mean((self.y - y_pred) ** 2)
        loss.backward()
        weight.data.sub_(self.lr * weight.grad.data)
        return loss.item()

    def weights(self) -> np.ndarray:
        return self._weights

    def gradient(self) -> np.ndarray:
        return self.weight.grad.numpy()

    def state(self) -> dict[str, Any]:
        return {"weight": self._weights.tolist()}

    def load_state(self, state: dict[str, Any]) -> None:
        self.weight.data.copy_(torch.tensor(state["weight"], dtype=torch.float32))


class ModuleFit:
    """The tutorial's second approach: nn.Linear without bias, optim.SGD (or the optimizer the
    config names, `core.optimizers`) and nn.MSELoss."""

    def __init__(self, X: torch.Tensor, y: torch.Tensor, config: Any):
        self.X, self.y = X, y
        self.net = nn.Linear(in_features=3, out_features=1, bias=False)
        self.optimizer = OPTIMIZERS[config.optimizer].build(self.net.parameters(), config)
        self.loss_fn = nn.MSELoss()
        self._weights = self.net.weight.detach().numpy()[0]  # updated in place: the view follows

    def step(self) -> float:
        self.optimizer.zero_grad()
        y_pred = self.net(self.X)
        loss = self.loss_fn(y_pred.view_as(self.y), self.y)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def weights(self) -> np.ndarray:
        return self._weights

    def gradient(self) -> np.ndarray:
        return self.net.weight.grad.numpy()[0]

    def state(self) -> dict[str, Any]:
        # float32 numbers as Python floats: exact, and exactly float32 again when loaded
        buffers = self.optimizer.state.get(self.net.weight, {})
        return {"weight": self._weights.tolist(),
                "optimizer": {key: value.flatten().tolist() if value.dim() else value.item()
                              for key, value in buffers.items()}}

    def load_state(self, state: dict[str, Any]) -> None:
        weight = self.net.weight
        with torch.no_grad():
            weight.copy_(torch.tensor([state["weight"]], dtype=torch.float32))
        self.optimizer.state[weight] = {
            key: torch.tensor(value, dtype=torch.float32).view_as(weight) if isinstance(value, list)
            else torch.tensor(value, dtype=torch.float32)
            for key, value in state["optimizer"].items()}


_REGISTRY = (
    Approach(
        name="manual",
        label=N_("Autograd, update by hand"),
        build=ManualFit,
        imports="import torch",
        code="""\
weight = torch.randn(3, requires_grad=True)

lr = {lr}

losses = []

for epoch in range({epochs}):
    weight.grad = None

    y_pred = torch.mv(X, weight)
    loss = torch.mean((y - y_pred)**2)
    loss.backward()

    weight.data = weight.data - lr*weight.grad.data

    losses.append(loss.item())

print(weight)
""",
        step_lines={"prediction": "y_pred = torch.mv(X, weight)", "loss": "loss = torch.mean((y - y_pred)**2)",
                    "gradient": "loss.backward()", "update": "weight.data = weight.data - lr*weight.grad.data"},
    ),
    Approach(
        name="module",
        label="nn.Linear + torch.optim + nn.MSELoss",
        build=ModuleFit,
        imports="import torch\nfrom torch import nn, optim",
        code="""\
net = nn.Linear(in_features=3, out_features=1, bias=False)
optimizer = {optimizer}
loss_fn = nn.MSELoss()

losses = []

for epoch in range({epochs}):
    optimizer.zero_grad()

    y_pred = net(X)
    loss = loss_fn(y_pred.view_as(y), y)
    loss.backward()

    optimizer.step()

    losses.append(loss.item())

print(net.weight)
""",
        step_lines={"prediction": "y_pred = net(X)", "loss": "loss = loss_fn(y_pred.view_as(y), y)",
                    "gradient": "loss.backward()", "update": "optimizer.step()"},
    ),
)

APPROACHES: dict[str, Approach] = {a.name: a for a in _REGISTRY}
DEFAULT_APPROACH = "manual"
