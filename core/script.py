"""The seed's PyTorch code for one approach, with a run's settings filled in, ready to copy.

The generated script draws its data and initial weights in the same order as `core.regression`,
so running it prints the same weights the dashboard learned (tests run it to check).
"""

from __future__ import annotations

from core.numbers import exact_text
from core.training_config import TrainingConfig

_HEADER = """\
{imports}

torch.manual_seed({seed})
weight_true = torch.Tensor([{w0}, {w1}, {w2}])  # y = {w0} + {w1}a + {w2}b
X = torch.cat([torch.ones({samples}, 1), torch.randn({samples}, 2)], 1)
y = torch.mv(X, weight_true) + {noise} * torch.randn({samples})
"""

_BODIES = {
    "manual": """\
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
    "module": """\
net = nn.Linear(in_features=3, out_features=1, bias=False)
optimizer = optim.SGD(net.parameters(), lr={lr})
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
}

_IMPORTS = {"manual": "import torch", "module": "import torch\nfrom torch import nn, optim"}

_FOOTER = """\
print("final loss:", losses[-1])

try:  # the seed plots the curve; matplotlib is optional here
    from matplotlib import pyplot as plt
except ImportError:
    pass
else:
    plt.plot(losses)
    plt.xlabel("epoch")
    plt.ylabel("MSE loss")
    plt.show()
"""


def standalone_script(config: TrainingConfig) -> str:
    w0, w1, w2 = (exact_text(w) for w in config.true_weights)
    header = _HEADER.format(
        imports=_IMPORTS[config.approach],
        seed=config.seed,
        w0=w0,
        w1=w1,
        w2=w2,
        samples=config.samples,
        noise=exact_text(config.noise),
    )
    body = _BODIES[config.approach].format(lr=exact_text(config.lr), epochs=config.epochs)
    return header + "\n" + body + _FOOTER
