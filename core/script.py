"""The tutorial's PyTorch code for one run, with its settings filled in, ready to copy.

The data lines are the tutorial's; the model and loop are the approach's own code (from
`core.approaches`). The script draws its data and initial weights in the same order as
`core.regression`, so running it prints the same weights the dashboard learned (tests run it).
The script's parts are functions of their own: the run's notebook (`core.notebook`) is made of
the same parts, one cell each.
"""

from __future__ import annotations

from typing import NamedTuple

from core.approaches import APPROACHES
from core.i18n import _
from core.numbers import exact_text
from core.optimizers import OPTIMIZERS
from core.training_config import TrainingConfig

_DATA = """\
torch.manual_seed({seed})
weight_true = torch.Tensor([{w0}, {w1}, {w2}])  # y = {w0} + {w1}a + {w2}b
X = torch.cat([torch.ones({samples}, 1), torch.randn({samples}, 2)], 1)
y = torch.mv(X, weight_true) + {noise} * torch.randn({samples})
"""

LOOP_START = "losses = []"  # where an approach's code turns from building the model to its loop

FINAL_LOSS_LINE = 'print("final loss:", losses[-1])\n'

_PLOT = """
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


def imports_code(config: TrainingConfig) -> str:
    """The approach's import lines."""
    return APPROACHES[config.approach].imports + "\n"


def data_code(config: TrainingConfig, *, seeded: bool = True) -> str:
    """The seed and the tutorial's data lines; without `seeded` each run of them draws new data."""
    w0, w1, w2 = (exact_text(w) for w in config.true_weights)
    data = _DATA.format(seed=config.seed, w0=w0, w1=w1, w2=w2, samples=config.samples,
                        noise=exact_text(config.noise))
    if not seeded:
        data = data.replace(f"torch.manual_seed({config.seed})",
                            "# " + _("no seed given: each run draws new random data"))
    return data


class RunCode(NamedTuple):
    """The approach's code in three parts: the model (its initial weights, the optimizer), the
    loop (from `losses = []`), and the loop's last line, which shows the learned weights."""

    model: str
    loop: str
    result: str


def run_code(config: TrainingConfig) -> RunCode:
    """The approach's code with the run's learning rate, epochs and optimizer, in its parts."""
    code = APPROACHES[config.approach].code.format(lr=exact_text(config.lr), epochs=config.epochs,
                                                   optimizer=OPTIMIZERS[config.optimizer].code(config))
    model, _start, loop = code.partition(LOOP_START)
    loop, _newline, result = (LOOP_START + loop).rstrip("\n").rpartition("\n")
    return RunCode(model.rstrip("\n") + "\n", loop.rstrip("\n") + "\n", result + "\n")


def standalone_script(config: TrainingConfig, *, seeded: bool = True) -> str:
    """The run's script; without `seeded` (no seed chosen yet) each run of it draws new data."""
    model, loop, result = run_code(config)
    # the comments in the page's language; the code as it is
    plot = _PLOT.replace("{plot_comment}", _("the tutorial plots the curve; matplotlib is optional here"))
    return (imports_code(config) + "\n" + data_code(config, seeded=seeded) + "\n" + model + "\n" + loop + "\n" + result
            + FINAL_LOSS_LINE + plot)
