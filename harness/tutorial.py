"""One reference copy of the tutorial's two training loops, as a learner would type them.

The seed tutorial (regression and activations) fits y = 1 + 5a + 7b to 100 noisy samples twice:
approach 1 with autograd and the update written by hand (`weight.data = weight.data -
lr*weight.grad.data`), approach 2 with `nn.Linear(3, 1, bias=False)`, `optim.SGD` and
`nn.MSELoss`. Here the tutorial's fixed numbers (100 samples, noise 1, lr 0.01, 1000 epochs, true
weights [1, 5, 7]) are parameters, and `torch.manual_seed(seed)` comes first so a run repeats;
otherwise the lines and the order of random draws are the tutorial's. No plotting: each returns
the per-epoch losses and the final weights.

tests/test_regression.py checks the app's trainer against these bit for bit; bench/trainer.py
times `manual_loop` as the baseline of the app's overhead per epoch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn, optim

TRUE_WEIGHTS = (1.0, 5.0, 7.0)  # y = 1 + 5a + 7b


@dataclass
class TutorialRun:
    losses: list[float]  # loss.item() of every epoch
    weights: np.ndarray  # the final weights, float32 [w0, w1, w2]


def tutorial_data(samples: int = 100, noise: float = 1.0, seed: int = 0,
                  true_weights=TRUE_WEIGHTS) -> tuple[torch.Tensor, torch.Tensor]:
    """The tutorial's data lines, after torch.manual_seed(seed)."""
    torch.manual_seed(seed)
    weight_true = torch.Tensor(list(true_weights))  # y = 1 + 5a + 7b
    X = torch.cat([torch.ones(samples, 1), torch.randn(samples, 2)], 1)
    y = torch.mv(X, weight_true) + noise * torch.randn(samples)
    return X, y


def manual_loop(samples: int = 100, noise: float = 1.0, seed: int = 0, lr: float = 0.01, epochs: int = 1000,
                true_weights=TRUE_WEIGHTS) -> TutorialRun:
    """Approach 1: autograd, mean squared error written out, the update by hand."""
    X, y = tutorial_data(samples, noise, seed, true_weights)
    weight = torch.randn(3, requires_grad=True)

    losses = []

    for epoch in range(epochs):
        weight.grad = None

        y_pred = torch.mv(X, weight)
        loss = torch.mean((y - y_pred)**2)
        loss.backward()

        weight.data = weight.data - lr*weight.grad.data

        losses.append(loss.item())

    return TutorialRun(losses, weight.detach().numpy())


def tutorial_optimizer(parameters, lr):
    return optim.SGD(parameters, lr=lr)


def module_loop(samples: int = 100, noise: float = 1.0, seed: int = 0, lr: float = 0.01, epochs: int = 1000,
                true_weights=TRUE_WEIGHTS, make_optimizer=tutorial_optimizer) -> TutorialRun:
    """Approach 2: nn.Linear without bias, optim.SGD and nn.MSELoss; `make_optimizer(parameters,
    lr)` replaces the tutorial's optimizer line, and nothing else."""
    X, y = tutorial_data(samples, noise, seed, true_weights)

    net = nn.Linear(in_features=3, out_features=1, bias=False)
    optimizer = make_optimizer(net.parameters(), lr)
    loss_fn = nn.MSELoss()

    losses = []

    for epoch in range(epochs):
        optimizer.zero_grad()

        y_pred = net(X)
        loss = loss_fn(y_pred.view_as(y), y)
        loss.backward()

        optimizer.step()

        losses.append(loss.item())

    return TutorialRun(losses, net.weight.detach().numpy()[0])


LOOPS = {"manual": manual_loop, "module": module_loop}

# The optimizer line of the tutorial's second script as a learner would change it, for each
# optimizer the dashboard offers, written out by hand (not from the app's registry): each takes
# the parameters, the learning rate and the settings {momentum, beta1, beta2, weight_decay}.
OPTIMIZER_LINES = {
    "sgd": lambda p, lr, s: optim.SGD(p, lr=lr),
    "momentum": lambda p, lr, s: optim.SGD(p, lr=lr, momentum=s["momentum"]),
    "nesterov": lambda p, lr, s: optim.SGD(p, lr=lr, momentum=s["momentum"], nesterov=True),
    "adagrad": lambda p, lr, s: optim.Adagrad(p, lr=lr),
    "rmsprop": lambda p, lr, s: optim.RMSprop(p, lr=lr),
    "adam": lambda p, lr, s: optim.Adam(p, lr=lr, betas=(s["beta1"], s["beta2"])),
    "adamw": lambda p, lr, s: optim.AdamW(p, lr=lr, betas=(s["beta1"], s["beta2"]), weight_decay=s["weight_decay"]),
}


def optimizer_loop(optimizer: str, settings: dict, **run) -> TutorialRun:
    """The tutorial's second script with its optimizer line changed to `optimizer`'s."""
    return module_loop(**run, make_optimizer=lambda p, lr: OPTIMIZER_LINES[optimizer](p, lr, settings))
