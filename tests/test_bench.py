"""Smoke run of the benchmark suite (`python -m bench --quick`): every measurement still works.

The figures themselves are not judged here (this machine is shared and noisy); see
docs/performance.md for the full run.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from harness.process import REPO_ROOT


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.timeout(660)  # the run itself may take up to 600 s
def test_the_quick_benchmark_measures_every_figure():
    done = subprocess.run([sys.executable, "-m", "bench", "--quick"], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = done.stdout
    assert "### Targets" in report and "ERROR" not in report and "Measurement broke" not in report
    for figure in ("Train click → first point", "gallery: dragging a parameter slider",
                   "`python app.py` → first page served", "progress update of a 1,000,000-epoch run"):
        row = next(line for line in report.splitlines() if figure in line)
        assert any(word in row for word in ("met", "MISSED", "reference")), row
    assert "Slider drag of thres:" in report  # the server path was dragged too
