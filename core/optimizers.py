"""The optimizer registry: the `torch.optim` classes the module approach can fit with, each once.

An optimizer is a `torch.optim` class, the settings it takes from the config (`uses`, each a
`SETTINGS` field) and any fixed arguments. `arguments` turns a config into the class's keyword
arguments once, and both the trainer (`build`) and the code view (`code`) read it, so the line a
learner copies is the line that ran. The page's selector, the parser, the URL and the tests read
`OPTIMIZERS` and `SETTINGS`; tests/test_optimizers.py checks every entry against a plain script
with only the tutorial's `optim.SGD` line changed.

To add an optimizer: one `Optimizer(...)` below (and a `NumberField` in SETTINGS for a new setting).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import torch
from torch import optim

from core.i18n import N_
from core.numbers import NumberField, exact_text

# Each setting's limits are what the torch class accepts and what makes sense to try here.
SETTINGS: dict[str, NumberField] = {
    f.name: f
    for f in (
        NumberField("momentum", N_("Momentum"), 0.9, 0.0, 1.0, minimum_exclusive=True, maximum_exclusive=True),
        NumberField("beta1", N_("β1 (first moment decay)"), 0.9, 0.0, 1.0, maximum_exclusive=True),
        NumberField("beta2", N_("β2 (second moment decay)"), 0.999, 0.0, 1.0, maximum_exclusive=True),
        NumberField("weight_decay", N_("Weight decay"), 0.01, 0.0, 100.0),
    )
}


@dataclass(frozen=True)
class Optimizer:
    name: str  # the config value and URL parameter
    label: str  # what the page's selector says (translated where shown)
    torch_class: type[optim.Optimizer]
    uses: tuple[str, ...] = ()  # SETTINGS this optimizer reads; the others are ignored for it
    fixed: dict[str, Any] = field(default_factory=dict)  # arguments that make it this variant
    # (λmax of the loss's Hessian, config) -> the largest learning rate at which this update
    # still converges on a quadratic; None: no such simple bound (adaptive step sizes)
    stability_bound: Callable[[float, Any], float] | None = None

    def stable_lr(self, lambda_max: float, config: Any) -> float | None:
        return None if self.stability_bound is None else self.stability_bound(lambda_max, config)

    def arguments(self, config: Any) -> dict[str, Any]:
        """The class's keyword arguments for this config (torch's defaults for the rest)."""
        kwargs: dict[str, Any] = {"lr": config.lr}
        if "momentum" in self.uses:
            kwargs["momentum"] = config.momentum
        if "beta1" in self.uses:
            kwargs["betas"] = (config.beta1, config.beta2)
        if "weight_decay" in self.uses:
            kwargs["weight_decay"] = config.weight_decay
        return {**kwargs, **self.fixed}

    def build(self, parameters: Iterable[torch.nn.Parameter], config: Any) -> optim.Optimizer:
        return self.torch_class(parameters, **self.arguments(config))

    def code(self, config: Any) -> str:
        """The constructor as the script writes it: `optim.Adam(net.parameters(), lr=0.01, …)`."""
        args = ", ".join(f"{name}={_literal(value)}" for name, value in self.arguments(config).items())
        return f"optim.{self.torch_class.__name__}(net.parameters(), {args})"


def _literal(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_literal(v) for v in value) + ")"
    if isinstance(value, bool):
        return repr(value)
    return exact_text(value)


# On a quadratic each eigen-direction of the Hessian (eigenvalue λ, step h) is its own linear
# recurrence, stable while its roots lie inside the unit circle. Plain descent: |1 − hλ| < 1,
# h < 2/λ. Heavy ball (torch's v ← m·v + g, w ← w − h·v): z² − (1 + m − hλ)z + m, stable for
# h < 2(1 + m)/λ. Nesterov (torch's w ← w − h(g + m·v)): z² − (1 + m)(1 − hλ)z + m(1 − hλ),
# stable for h < 2(1 + m)/((1 + 2m)λ). The largest λ is the first to break.
def _plain_bound(lambda_max: float, config: Any) -> float:
    return 2.0 / lambda_max


def _momentum_bound(lambda_max: float, config: Any) -> float:
    return 2.0 * (1 + config.momentum) / lambda_max


def _nesterov_bound(lambda_max: float, config: Any) -> float:
    return 2.0 * (1 + config.momentum) / ((1 + 2 * config.momentum) * lambda_max)


_REGISTRY = (
    Optimizer("sgd", N_("SGD (the tutorial's)"), optim.SGD, stability_bound=_plain_bound),
    Optimizer("momentum", N_("SGD with momentum"), optim.SGD, uses=("momentum",), stability_bound=_momentum_bound),
    Optimizer("nesterov", N_("SGD with Nesterov momentum"), optim.SGD, uses=("momentum",),
              fixed={"nesterov": True}, stability_bound=_nesterov_bound),
    Optimizer("adagrad", "Adagrad", optim.Adagrad),
    Optimizer("rmsprop", "RMSprop", optim.RMSprop),
    Optimizer("adam", "Adam", optim.Adam, uses=("beta1", "beta2")),
    Optimizer("adamw", "AdamW", optim.AdamW, uses=("beta1", "beta2", "weight_decay")),
)

OPTIMIZERS: dict[str, Optimizer] = {o.name: o for o in _REGISTRY}
DEFAULT_OPTIMIZER = "sgd"
