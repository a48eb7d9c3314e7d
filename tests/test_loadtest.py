"""Smoke tests of the load test (`python -m scripts.loadtest`): it stops by itself and reports, and with a
few users for a few seconds it sees no error. The full run (20 users, 60 s) is in
docs/reliability.md."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.process import REPO_ROOT

pytestmark = pytest.mark.slow  # its own server and 5-15 s of load per test


def run_loadtest(tmp_path: Path, *args: str, limit: float) -> tuple[dict, float, str]:
    out = tmp_path / "load.json"
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "scripts.loadtest", *args, "--json", str(out)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=limit)
    elapsed = time.monotonic() - started
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    return json.loads(out.read_text()), elapsed, proc.stdout


def test_the_load_test_stops_by_itself_and_reports(tmp_path):
    summary, elapsed, table = run_loadtest(tmp_path, "--users", "3", "--seconds", "5", "--run-timeout", "10",
                                           limit=120)
    # its own server start (~8 s) + 5 s of load + at most one run timeout, then it stops
    assert elapsed < 60, elapsed
    assert summary["requests"] > 20 and summary["runs"], summary
    for kind in ("follow", "run_job", "job poll", "draw"):
        assert summary["kinds"][kind]["requests"] > 0, kind
        assert summary["kinds"][kind]["p95_ms"] > 0
    assert summary["kinds"]["draw"]["errors"] == 0
    assert "| request | count | errors | p50 ms | p95 ms | max ms |" in table


def test_a_few_users_for_a_few_seconds_see_no_error(tmp_path):
    summary, elapsed, table = run_loadtest(tmp_path, "--users", "10", "--seconds", "15", "--run-timeout", "12",
                                           limit=150)
    assert summary["errors"] == 0, table
