"""The code view's script runs on its own and prints what the dashboard learned."""

import re
import subprocess
import sys

import numpy as np
import pytest

from core.regression import train
from core.script import standalone_script
from core.training_config import TrainingConfig


@pytest.mark.parametrize("approach", ["manual", "module"])
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
