"""The project's test harness: one home for what tests/, bench/ and scripts/ share.

- `harness.process`: REPO_ROOT, `free_port`, `running`, `live_children`, and `ManagedProcess`,
  a command in its own process group, logging to a file, stopped with its whole group.
- `harness.app_process`: `AppProcess`, the one launcher of the app under test: `python app.py`,
  the same with faults injected (`python -m harness.faulty_app`), or `gunicorn -w N app:server`;
  free loopback port, fresh job cache, start/stop/restart/kill_server_only, job and fd counts.
- `harness.services`: `RedisServer`, `CeleryWorker` and `CeleryWorkerPool` for the scale-out set-up.
- `harness.browser`: Debian's Chromium for Playwright (path and flags), pages in fresh contexts,
  `ConsoleErrors` (a page's console errors and uncaught exceptions).
- `harness.dash_client`: `DashTab`, a client that speaks Dash's callback protocol like the
  renderer, with strict JSON checks of every reply.
- `harness.tutorial`: one reference copy of the tutorial's two training loops.

Everything runs from the repository root without touching the import path: pytest has `pythonpath = .`,
bench runs as `python -m bench`, scripts as `python -m scripts.loadtest` and so on.
"""
