"""The approach registry: each approach's code, run as a plain script, prints what the dashboard's
trainer learned; the tutorial's two approaches are in it as the tutorial writes them."""

import re
import subprocess
import sys

import numpy as np
import pytest

from core.approaches import APPROACHES
from core.regression import train
from core.script import standalone_script
from core.training_config import TrainingConfig
from harness.tutorial import LOOPS


def test_the_tutorials_two_approaches_are_registered():
    assert set(LOOPS) <= set(APPROACHES) and list(APPROACHES)[0] == "manual"


@pytest.mark.parametrize("approach", list(APPROACHES))
def test_the_script_reproduces_the_dashboard_run(approach, tmp_path):
    config = TrainingConfig(approach=approach, seed=11, epochs=300, lr=0.03, samples=40, noise=0.5,
                            true_weights=(1.0, -2.5, 0.125))
    path = tmp_path / "run.py"
    path.write_text(standalone_script(config))
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120,
                         env={"MPLBACKEND": "Agg", "PATH": "/usr/bin"})
    assert out.returncode == 0, out.stderr
    printed = [float(v) for v in re.findall(r"-?\d+\.\d+", out.stdout.split("final loss")[0])]
    result = train(config)
    np.testing.assert_allclose(printed, result.learned_weights, atol=1e-4)
    assert float(out.stdout.split("final loss:")[1]) == result.final_loss
