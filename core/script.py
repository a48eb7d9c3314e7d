"""The tutorial's PyTorch code for one run, with its settings filled in, ready to copy.

The data lines are the tutorial's; the model and loop are the approach's own code (from
`core.approaches`). The script draws its data and initial weights in the same order as
`core.regression`, so running it prints the same weights the dashboard learned (tests run it).
"""

from __future__ import annotations

from core.approaches import APPROACHES
from core.i18n import _
from core.numbers import exact_text
from core.optimizers import OPTIMIZERS
from core.training_config import TrainingConfig

_HEADER = """\
{imports}

torch.manual_seed({seed})
weight_true = torch.Tensor([{w0}, {w1}, {w2}])  # y = {w0} + {w1}a + {w2}b
X = torch.cat([torch.ones({samples}, 1), torch.randn({samples}, 2)], 1)
y = torch.mv(X, weight_true) + {noise} * torch.randn({samples})
"""

_FOOTER = """\
print("final loss:", losses[-1])

try:  # {plot_comment}
    from matplotlib import pyplot as plt
except ImportError:
    pass
else:
    plt.plot(losses)
    plt.xlabel("epoch")
    plt.ylabel("MSE loss")
    plt.show()
"""


def standalone_script(config: TrainingConfig, *, seeded: bool = True) -> str:
    """The run's script; without `seeded` (no seed chosen yet) each run of it draws new data."""
    approach = APPROACHES[config.approach]
    w0, w1, w2 = (exact_text(w) for w in config.true_weights)
    header = _HEADER.format(
        imports=approach.imports,
        seed=config.seed,
        w0=w0,
        w1=w1,
        w2=w2,
        samples=config.samples,
        noise=exact_text(config.noise),
    )
    body = approach.code.format(lr=exact_text(config.lr), epochs=config.epochs,
                                optimizer=OPTIMIZERS[config.optimizer].code(config))
    if not seeded:
        header = header.replace(f"torch.manual_seed({config.seed})",
                                "# " + _("no seed given: each run draws new random data"))
    # the comments in the page's language; the code as it is
    footer = _FOOTER.replace("{plot_comment}", _("the tutorial plots the curve; matplotlib is optional here"))
    return header + "\n" + body + footer
