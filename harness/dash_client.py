"""A client that speaks Dash's callback protocol over HTTP the way the renderer does, and the
checks every reply gets (moved here as it was from tests/reliability_support.py).

- `DashTab`: one page load. It reads the page's signed `end_id`, finds callbacks in
  `/_dash-dependencies`, and `train()` drives a run like the browser: Train → the background
  job's first post → polls every `interval` ms (with the signed cacheKey/job) → the watchdog tick
  every second → the running-off updates → `settle_status` → `show_result`. `draw()` is the
  gallery's redraw. Every reply is checked: a 5xx, a body that is not strict JSON or that holds a
  traceback is recorded in `tab.problems`.
- `strict_json_loads`, `body_problems`, `split_output`, `http_session`, `last_beat_age`.

Used by tests/test_faults.py, tests/test_endpoint_fuzz.py and scripts/loadtest.py (through
tests/test_loadtest.py too); the app itself runs as `harness.app_process.AppProcess`.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import requests

UPDATE_URL = "/_dash-update-component"
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/', "Werkzeug Debugger")

# The training page's controls, in the order of `components.training.CONTROL_STATES`.
CONTROL_IDS = ("approach", "lr", "epochs", "samples", "noise", "seed", "true-w0", "true-w1", "true-w2")
SHORT_RUN = {"approach": "manual", "lr": 0.05, "epochs": 50, "samples": 100, "noise": 1.0, "seed": 1,
             "true_weights": [1, 5, 7]}
LONG_RUN = {**SHORT_RUN, "epochs": 1_000_000}  # minutes of work: only ever cancelled or killed


# ---------------------------------------------------------------------------------------------
# Strict JSON


class NonStrictJSON(ValueError):
    """A NaN, Infinity or -Infinity literal: valid for Python's json module, not JSON."""


def _reject_constant(name: str):
    raise NonStrictJSON(f"{name} is not JSON")


def strict_json_loads(text: str | bytes) -> Any:
    """`json.loads` that refuses NaN/Infinity literals (and non-finite numbers like 1e999)."""
    value = json.loads(text, parse_constant=_reject_constant)
    _check_finite(value)
    return value


def _check_finite(value: Any) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise NonStrictJSON(f"{item} is not a finite number")
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def body_problems(status: int, body: bytes, content_type: str = "") -> list[str]:
    """What is wrong with one reply of the callback endpoint (empty when nothing is)."""
    problems = []
    if status >= 500:
        problems.append(f"HTTP {status}")
    text = body.decode("utf-8", "replace")
    for marker in TRACEBACK_MARKERS:
        if marker in text:
            problems.append(f"traceback text in the body ({marker!r})")
            break
    if body and (status == 200 or "json" in content_type):
        try:
            strict_json_loads(body)
        except NonStrictJSON as exc:
            problems.append(f"body is not strict JSON: {exc}")
        except ValueError as exc:
            problems.append(f"body is not JSON: {exc}")
    return problems


# ---------------------------------------------------------------------------------------------
# HTTP


def http_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # 127.0.0.1 directly, whatever *_proxy says
    return session


# ---------------------------------------------------------------------------------------------
# The callback protocol


def split_output(output: str) -> list[dict] | dict:
    """The renderer's `outputs` for a callback's output key (a list for multi-output keys)."""
    def one(part: str) -> dict:
        ident, prop = part.rsplit(".", 1)
        return {"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop}

    if output.startswith(".."):
        return [one(part) for part in output[2:-2].split("...")]
    return one(output)


def clean_prop(prop: str) -> str:
    return prop.split("@", 1)[0]


@dataclass
class Reply:
    status: int
    body: bytes
    data: Any
    elapsed: float
    problems: list[str]

    def updates(self) -> dict[str, Any]:
        """{"component-id.prop": value} from a `{"response": {...}}` reply."""
        out = {}
        if isinstance(self.data, dict):
            for comp, props in (self.data.get("response") or {}).items():
                for prop, value in (props or {}).items():
                    out[f"{comp}.{clean_prop(prop)}"] = value
        return out


@dataclass
class RunReport:
    status: str  # the page's #status at the end
    run_id: str | None = None
    job_pid: int | None = None
    polls: int = 0
    progress_updates: int = 0
    seconds: float = 0.0
    result: Any = None
    timeline: list[tuple[float, str]] = field(default_factory=list)  # (t, status) changes

    @property
    def word(self) -> str:
        return self.status.split()[0] if self.status.split() else ""


class ServerGone(Exception):
    """The server refused the connection (it is down or restarting)."""


class DashTab:
    """One page load of the app, driven over HTTP like the renderer drives it."""

    def __init__(self, base_url: str, path: str = "/", *, timeout: float = 30.0,
                 record: Callable[[str, Reply], None] | None = None):
        self.base_url = base_url.rstrip("/")
        self.http = http_session()
        self.timeout = timeout
        self.record = record  # record(kind, reply) for every callback post
        self.problems: list[str] = []
        page = self.http.get(self.base_url + path, timeout=timeout)
        page.raise_for_status()
        match = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>',
                          page.text, re.S)
        self.config = json.loads(match.group(1))
        self.end_id = self.config.get("end_id")
        self.callbacks = self.http.get(self.base_url + "/_dash-dependencies", timeout=timeout).json()
        self.values: dict[str, Any] = {
            "status.children": "Ready", "run-phase.data": "idle", "progress-bar.value": 0,
            "run-request.data": None, "run-result.data": None, "cancelled-run.data": None,
            "train-button.n_clicks": 0, "cancel-button.n_clicks": 0, "watchdog.n_intervals": 0,
        }
        self.job: str | None = None  # the signed job handle of the running background callback

    # -- low level ----------------------------------------------------------------------------

    def find(self, output_part: str, input_id: str | None = None) -> dict:
        for cb in self.callbacks:
            if cb.get("clientside_function"):
                continue
            ids = [i["id"] for i in cb["inputs"]]
            if output_part in cb["output"] and (input_id is None or input_id in ids):
                return cb
        raise KeyError(f"no server callback with output {output_part!r} and input {input_id!r}")

    def find_no_output(self, input_id: str) -> dict:
        for cb in self.callbacks:
            if cb.get("no_output") and not cb.get("clientside_function") and \
                    [i["id"] for i in cb["inputs"]] == [input_id]:
                return cb
        raise KeyError(input_id)

    def payload(self, cb: dict, values: dict[str, Any], changed: Iterable[str]) -> dict:
        def entry(dep):
            key = f"{dep['id']}.{dep['property']}"
            item = {"id": dep["id"], "property": dep["property"]}
            if key in values and values[key] is not None:
                item["value"] = values[key]
            return item

        body = {"output": cb["output"], "inputs": [entry(d) for d in cb["inputs"]],
                "changedPropIds": list(changed)}
        if not cb.get("no_output"):
            body["outputs"] = split_output(cb["output"])
        if cb.get("state"):
            body["state"] = [entry(d) for d in cb["state"]]
        return body

    def post(self, kind: str, body: Any, *, args: Iterable[tuple[str, str]] = (),
             raw: bytes | None = None, as_renderer: bool = False) -> Reply:
        """Post to the callback endpoint; `as_renderer`: a post the page itself would send, so a
        4xx reply is a problem too (the app refused or failed on its own page's request)."""
        params = ([("endId", self.end_id)] if self.end_id else []) + list(args)
        data = raw if raw is not None else json.dumps(body).encode()
        started = time.perf_counter()
        try:
            response = self.http.post(self.base_url + UPDATE_URL, params=params, data=data,
                                      headers={"Content-Type": "application/json"},
                                      timeout=self.timeout)
        except requests.ConnectionError as exc:
            raise ServerGone(str(exc)) from exc
        elapsed = time.perf_counter() - started
        problems = body_problems(response.status_code, response.content,
                                 response.headers.get("Content-Type", ""))
        if as_renderer and 400 <= response.status_code < 500:
            problems.append(f"HTTP {response.status_code} {response.content[:120]!r}")
        parsed = None
        if response.status_code == 200 and not problems:
            parsed = strict_json_loads(response.content)
        reply = Reply(response.status_code, response.content, parsed, elapsed, problems)
        if problems:
            self.problems.extend(f"{kind}: {p}" for p in problems)
        if self.record:
            self.record(kind, reply)
        return reply

    def call(self, kind: str, cb: dict, changed: Iterable[str], **extra) -> Reply:
        reply = self.post(kind, self.payload(cb, self.values, changed), as_renderer=True, **extra)
        self.values.update(reply.updates())
        return reply

    # -- the training page ----------------------------------------------------------------------

    def set_controls(self, config: dict) -> None:
        weights = config.get("true_weights", [1, 5, 7])
        for key, value in zip(CONTROL_IDS, [config.get("approach"), config.get("lr"),
                                            config.get("epochs"), config.get("samples"),
                                            config.get("noise"), config.get("seed"), *weights]):
            self.values[f"{key}.value"] = value

    def _status(self) -> str:
        return str(self.values.get("status.children") or "")

    def train(self, config: dict, *, cancel_when: Callable[[RunReport], bool] | None = None,
              on_poll: Callable[[RunReport], None] | None = None, timeout: float = 60.0,
              interval: float | None = None) -> RunReport:
        """Press Train with `config` and follow the run until the page settles.

        `cancel_when(report)` is asked after each poll; True presses Cancel (once).
        `on_poll(report)` lets a test act mid-run (kill the job, restart the server).
        """
        started = time.monotonic()
        report = RunReport(status=self._status())
        self.set_controls(config)
        self.values["train-button.n_clicks"] += 1
        start_cb = self.find("run-request.data", "train-button")
        before = self.values.get("run-request.data")
        self.call("start_run", start_cb, ["train-button.n_clicks"])
        request = self.values.get("run-request.data")
        report.status = self._status()
        if request is before or not isinstance(request, dict):
            report.seconds = time.monotonic() - started
            return report  # Invalid: nothing runs
        report.run_id = request.get("run_id")
        run_cb = self.find("run-result.data", "run-request")
        background = run_cb.get("background") or {}
        interval = interval if interval is not None else background.get("interval", 500) / 1000
        running = (run_cb.get("running") or {}).get("running", {})
        running_off = (run_cb.get("running") or {}).get("runningOff", {})
        args = [("oldJob", self.job)] if self.job else []
        first = self.call("run_training", run_cb, ["run-request.data"], args=args)
        if first.status != 200 or not isinstance(first.data, dict) or "job" not in first.data:
            raise AssertionError(f"the background callback did not start: {first.status} {first.body[:300]!r}")
        cache_key, self.job = first.data["cacheKey"], first.data["job"]
        try:
            report.job_pid = int(self.job.split("~", 1)[0])
        except ValueError:
            pass
        self.values.update(running)
        self._settle()  # run-phase changed to "running": the renderer calls settle_status
        watchdog_cb = self.find("watchdog.disabled", "watchdog")
        poll_body = self.payload(run_cb, {}, ["run-request.data"])  # the renderer nulls inputs
        cancelled = False
        polling = True
        next_tick = time.monotonic() + 1.0
        last_status = None
        while True:
            now = time.monotonic()
            if now - started > timeout:
                raise AssertionError(f"run did not settle within {timeout} s; status {self._status()!r}")
            if self._status() != last_status:
                last_status = self._status()
                report.timeline.append((round(now - started, 3), last_status))
            if not self.values.get("watchdog.disabled", True) and now >= next_tick:
                next_tick = now + 1.0
                self.values["watchdog.n_intervals"] += 1
                try:
                    self.call("watch_run", watchdog_cb, ["watchdog.n_intervals"])
                except ServerGone:
                    pass
                if not polling and self.values.get("watchdog.disabled"):
                    break  # the watchdog gave its verdict after the polls were lost
            if not polling:
                time.sleep(0.05)
                continue
            time.sleep(interval)
            try:
                reply = self.post("poll", poll_body, args=[("cacheKey", cache_key), ("job", self.job)])
            except ServerGone:
                polling = False  # the renderer's fetch fails: it stops polling this job
                continue
            report.polls += 1
            if reply.status == 204:
                self._finish(running_off)
                break
            if reply.status != 200:
                polling = False  # a 4xx/5xx ends the renderer's poll chain too
                self._finish(running_off)
                break
            data = reply.data or {}
            if data.get("progress"):
                report.progress_updates += 1
                for key, value in data["progress"].items():
                    comp, prop = key.rsplit(".", 1)
                    if comp in ("status", "progress-bar"):  # the figures are patches: skip
                        self.values[f"{comp}.{clean_prop(prop)}"] = value
            if "response" in data:
                self.values.update(reply.updates())
                self._finish(running_off)
                break
            if on_poll:
                on_poll(report)
            if cancel_when and not cancelled and cancel_when(report):
                cancelled = True
                self.cancel()
        report.status = self._status()
        report.result = self.values.get("run-result.data")
        report.seconds = time.monotonic() - started
        report.timeline.append((round(report.seconds, 3), report.status))
        return report

    def cancel(self) -> None:
        """Press Cancel: the app's request_cancel, Dash's cancel callback (with the signed job
        handle) and the clientside note of which run was cancelled."""
        self.values["cancel-button.n_clicks"] += 1
        request = self.values.get("run-request.data")
        self.call("request_cancel", self.find_no_output("cancel-button"), ["cancel-button.n_clicks"])
        self.call("cancel_job", self.find("cancel-button.id"), ["cancel-button.n_clicks"],
                  args=[("cancelJob", self.job)] if self.job else [])
        if isinstance(request, dict):
            self.values["cancelled-run.data"] = request.get("run_id")

    def _finish(self, running_off: dict) -> None:
        self.job = None
        result_before = self.values.get("run-result.data")
        self.values.update(running_off)
        self._settle()
        result = self.values.get("run-result.data")
        if result is not None and result is not result_before:
            self.call("show_result", self.find("learned-weights.children", "run-result"),
                      ["run-result.data"])

    def _settle(self) -> None:
        try:
            self.call("settle_status", self.find("status.children", "run-phase"), ["run-phase.data"])
        except ServerGone:
            pass

    # -- the gallery ----------------------------------------------------------------------------

    def draw(self, name: str, params: dict[str, float] | None = None, xmin: float = -10,
             xmax: float = 10, compare: list[str] | None = None, derivative: bool = False) -> Reply:
        """The gallery's redraw callback, as a slider drag or a new function sends it."""
        cb = self.find("activation-graph.figure", "activation")
        values = {"activation.value": name, "show-derivative.value": ["on"] if derivative else [],
                  "xmin.value": xmin, "xmax.value": xmax, "compare.value": compare or []}

        def entries(deps):
            out = []
            for dep in deps:
                ident = dep["id"]
                if isinstance(ident, str) and ident.startswith("{"):  # a pattern: the parameters
                    pattern = json.loads(ident)
                    out.append([{"id": {k: (p if isinstance(v, list) else v) for k, v in pattern.items()},
                                 "property": dep["property"],
                                 "value": (params or {})[p] if dep["property"] == "value"
                                 else {k: (p if isinstance(v, list) else v) for k, v in pattern.items()}}
                                for p in (params or {})])
                else:
                    item = {"id": ident, "property": dep["property"]}
                    if values.get(f"{ident}.{dep['property']}") is not None:
                        item["value"] = values[f"{ident}.{dep['property']}"]
                    out.append(item)
            return out

        body = {"output": cb["output"], "outputs": split_output(cb["output"]),
                "inputs": entries(cb["inputs"]), "changedPropIds": ["activation.value"]}
        if cb.get("state"):
            body["state"] = entries(cb["state"])
        return self.post("draw", body)


def last_beat_age(cache_dir: Path, run_id: str) -> float | None:
    """Seconds since a run's last heartbeat in a cache directory (read with diskcache)."""
    import diskcache

    with diskcache.Cache(str(cache_dir)) as cache:
        beat = cache.get(f"beat:{run_id}")
    return None if beat is None else time.time() - beat
