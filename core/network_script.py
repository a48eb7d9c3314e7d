"""The standalone PyTorch script of a network run, with its settings filled in, ready to copy.

It draws the samples and the initial weights in the order `core.network` does, and builds the same
activation module (torch.nn's, or a small module for the functions torch.nn has none for), so
running it prints the final loss the page shows (tests run it).
"""

from __future__ import annotations

from core.activations import ACTIVATIONS
from core.i18n import _
from core.network import activation_module
from core.network_config import TARGETS, X_RANGE, NetworkConfig
from core.numbers import exact_text

# The activations torch.nn has no module for, as the expression of `x` the script's module returns
# (the registry's own function, written out; tests check they agree).
EXPRESSIONS = {
    "linear": "{slope} * x + {intercept}",
    "binary_step": "(x >= 0).to(x.dtype)",
    "arctan": "torch.atan(x)",
    "bent_identity": "(torch.sqrt(x * x + 1) - 1) / 2 + x",
    "gaussian": "torch.exp(-x * x)",
}

_SCRIPT = """\
import torch
from torch import nn
{module}
torch.manual_seed({seed})
x = torch.rand({samples}, 1) * {span} {shift}
y = {target} + {noise} * torch.randn({samples}, 1)

model = nn.Sequential(nn.Linear(1, {hidden}), {activation}, nn.Linear({hidden}, 1))
optimizer = torch.optim.Adam(model.parameters(), lr={lr})
loss_fn = nn.MSELoss()
losses = []
for epoch in range({epochs}):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
print("final loss:", losses[-1])

# {units_comment}
w, b = model[0].weight.detach().ravel(), model[0].bias.detach()
v, c = model[2].weight.detach().ravel(), model[2].bias.detach()
grid = torch.linspace({low}, {high}, 200)
units = v[:, None] * model[1](w[:, None] * grid[None, :] + b[:, None])
"""

_MODULE = """
class Activation(nn.Module):  # {comment}
    def forward(self, x):
        return {expression}

"""


def activation_code(config: NetworkConfig) -> tuple[str, str]:
    """(the module's class definition or "", the expression that makes the activation module)."""
    params = {name: exact_text(value) for name, value in config.params}
    if ACTIVATIONS[config.activation].torch_nn_factory is not None:
        module = activation_module(config.activation, config.param_values)
        return "", f"nn.{module!r}"
    expression = EXPRESSIONS[config.activation].format(**params)
    comment = _("torch.nn has no module for {name}").format(name=config.activation)
    return _MODULE.format(comment=comment, expression=expression), "Activation()"


def network_script(config: NetworkConfig, *, seeded: bool = True) -> str:
    """The run's script; without `seeded` (no seed chosen yet) each run of it draws new data."""
    module, activation = activation_code(config)
    low, high = X_RANGE
    script = _SCRIPT.format(
        module=module, seed=config.seed, samples=config.samples, span=exact_text(high - low),
        shift=f"- {exact_text(-low)}" if low < 0 else f"+ {exact_text(low)}", low=exact_text(low),
        high=exact_text(high), target=TARGETS[config.target].code,
        noise=exact_text(config.noise), hidden=config.hidden, activation=activation, lr=exact_text(config.lr),
        epochs=config.epochs,
        units_comment=_("each hidden unit's contribution v_i · act(w_i x + b_i); their sum plus c is the prediction"))
    if not seeded:
        script = script.replace(f"torch.manual_seed({config.seed})",
                                "# " + _("no seed given: each run draws new random data"))
    return script
