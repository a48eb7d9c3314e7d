"""`python -m harness.faulty_app` (from the repository root) runs `app.py` exactly as
`python app.py` does, with faults injected from outside the app's code when the tests ask for
them (environment; `harness.app_process.AppProcess(faults={...})` sets these):

- RELIABILITY_RAISE_SEED=N: training a run with seed N raises RuntimeError inside the job
  (inside `core.regression.train`, i.e. where a bug or an out-of-memory error would surface).
- RELIABILITY_FAIL_WRITE_SEED=N: the job of a run with seed N cannot record its outcome
  (the cache write raises, as a full disk or a locked database would make it), i.e. the job
  raises outside the app's own `try`.
- RELIABILITY_TTL=S: outcome and result entries expire after S seconds instead of an hour, so a
  test can watch the cache directory shrink back.

Without any of them it is `python app.py`.
"""

from __future__ import annotations

import os
import runpy

from harness.process import REPO_ROOT


def _install_faults() -> None:
    raise_seed = os.environ.get("RELIABILITY_RAISE_SEED")
    fail_write_seed = os.environ.get("RELIABILITY_FAIL_WRITE_SEED")
    ttl = os.environ.get("RELIABILITY_TTL")
    if ttl:
        from components.jobs import dash_internals, records

        records.OUTCOME_TTL = dash_internals.RESULT_TTL = float(ttl)
    if raise_seed:
        from core import regression

        real_train = regression.train  # before the app imports it

        def train(config, *args, **kwargs):
            if config.seed == int(raise_seed):
                raise RuntimeError("injected fault: training raised")
            return real_train(config, *args, **kwargs)

        regression.train = train
    if fail_write_seed:
        from components.jobs.records import RunRecords

        real_finish = RunRecords.finish

        def finish(self, run_id, record, *args, **kwargs):
            if (record.get("config") or {}).get("seed") == int(fail_write_seed):
                raise OSError(28, "injected fault: no space left on device")
            return real_finish(self, run_id, record, *args, **kwargs)

        RunRecords.finish = finish


if __name__ == "__main__":
    os.chdir(REPO_ROOT)
    _install_faults()
    runpy.run_path(str(REPO_ROOT / "app.py"), run_name="__main__")
