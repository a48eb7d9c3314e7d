"""A client that speaks Dash's callback protocol over HTTP the way the renderer does, and the
checks every reply gets (moved here as it was from tests/reliability_support.py).

- `DashTab`: one page load. It reads the page's signed `end_id`, finds callbacks in
  `/_dash-dependencies`, and `train()` drives a run like the browser: Train (the page's run
  callback) → the background job's first post → the run callback's poll chain (each answer says
  when to ask again) → the watchdog tick every second → the background job's own polls (with the
  signed cacheKey/job), until the page shows the run's end. `draw()` is the gallery's redraw. Every reply is checked: a 5xx, a body that is not strict JSON or that holds a
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


BODY_LIMIT = 1024 * 1024  # the app refuses a larger post (413)


def long_string_post(output: str, spec: dict) -> dict:
    """A renderer-shaped post of a callback with a long string in every value: up to 100 KB each,
    the whole post well under BODY_LIMIT (not a comma list: that is the gallery's compare case)."""
    values = len(spec["inputs"]) + len(spec["state"])
    long_text = ("9e9" * 34_000)[:min(100_000, BODY_LIMIT * 3 // 4 // values)]

    def concrete(pattern: dict) -> dict:
        return {k: ("alpha" if isinstance(v, list) else v) for k, v in pattern.items()}

    def dep(d):
        ident = d["id"]
        if isinstance(ident, str) and ident.startswith("{"):
            return [{"id": concrete(json.loads(ident)), "property": d["property"], "value": long_text}]
        return {"id": ident, "property": d["property"], "value": long_text}

    outputs = split_output(output)
    if isinstance(outputs, list):
        outputs = [{"id": concrete(o["id"]) if isinstance(o["id"], dict) else o["id"], "property": o["property"]}
                   for o in outputs]
    body = {"output": output, "outputs": outputs, "inputs": [dep(d) for d in spec["inputs"]],
            "state": [dep(d) for d in spec["state"]]}
    first = body["inputs"][0]
    first = first[0] if isinstance(first, list) else first
    ident = first["id"] if isinstance(first["id"], str) else json.dumps(first["id"], sort_keys=True,
                                                                        separators=(",", ":"))
    body["changedPropIds"] = [f"{ident}.{first['property']}"]
    return body


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
            "status.children": "Ready", "progress-bar.value": 0, "run-request.data": None,
            "run-result.data": None, "run-handle.data": None, "watchdog.disabled": True,
            "train-button.n_clicks": 0, "cancel-button.n_clicks": 0, "watchdog.n_intervals": 0,
        }
        self.job: str | None = None  # the signed handles of the running background job
        self.cache_key: str | None = None

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
    # The page's one run callback (`follow`: Train, Cancel, the poll chain, the watchdog tick,
    # a page load) and the background job, driven as the renderer drives them
    # (components/run_panel.py, assets/runs.js).

    def set_controls(self, config: dict) -> None:
        """Fill the page's controls (components.training_controls.CONTROLS: one per setting, the true
        weights in three) from a config mapping; a setting it does not name keeps its default."""
        from components.training_controls import CONTROLS
        from core.training_config import default_values

        config = {**default_values(), **config}
        for name, component in CONTROLS.items():
            if isinstance(component, list):
                for part, value in zip(component, config[name]):
                    self.values[f"{part}.value"] = value
            else:
                self.values[f"{component}.value"] = config[name]

    def _status(self) -> str:
        return str(self.values.get("status.children") or "")

    def follow(self, trigger: str) -> Reply:
        """The run callback, fired by `trigger` ("train-button.n_clicks", "run-poll.data", …)."""
        return self.call("follow", self.find("status.children", "train-button"), [trigger])

    def start(self, config: dict) -> dict | None:
        """Press Train with `config`; the job request the page then hands to the background
        callback, or None when nothing runs (Invalid, refused)."""
        self.set_controls(config)
        self.values["train-button.n_clicks"] += 1
        before = self.values.get("run-request.data")
        self.follow("train-button.n_clicks")
        request = self.values.get("run-request.data")
        return request if isinstance(request, dict) and request is not before else None

    def launch(self, request: dict) -> Reply:
        """The background job's first post (what the renderer sends when the request changes)."""
        self.values["run-request.data"] = request
        args = [("oldJob", self.job)] if self.job else []
        reply = self.call("run_job", self.find("run-job.data", "run-request"), ["run-request.data"], args=args)
        if reply.status == 200 and isinstance(reply.data, dict) and "job" in reply.data:
            self.job, self.cache_key = reply.data["job"], reply.data["cacheKey"]
        return reply

    def train(self, config: dict, *, cancel_when: Callable[[RunReport], bool] | None = None,
              on_poll: Callable[[RunReport], None] | None = None, timeout: float = 60.0) -> RunReport:
        """Press Train with `config` and follow the run until the page settles.

        `cancel_when(report)` is asked after each poll; True presses Cancel (once).
        `on_poll(report)` lets a test act mid-run (kill the job, restart the server).
        """
        started = time.monotonic()
        report = RunReport(status=self._status())
        request = self.start(config)
        report.status = self._status()
        if request is None:
            report.seconds = time.monotonic() - started
            return report  # Invalid or refused: nothing runs
        report.run_id = request.get("run_id")
        first = self.launch(request)
        if first.status != 200 or self.job is None:
            raise AssertionError(f"the background job did not start: {first.status} {first.body[:300]!r}")
        try:
            report.job_pid = int(self.job.split("~", 1)[0])
        except ValueError:
            pass
        job_cb = self.find("run-job.data", "run-request")
        job_poll = self.payload(job_cb, {}, ["run-request.data"])  # the renderer nulls inputs
        job_every = (job_cb.get("background") or {}).get("interval", 500) / 1000
        next_job_poll = time.monotonic() + job_every
        next_tick = time.monotonic() + 1.0
        next_poll = self._next_poll()
        cancelled = False
        last_status = None
        settled_at = None
        while True:
            now = time.monotonic()
            if now - started > timeout:
                raise AssertionError(f"run did not settle within {timeout} s; status {self._status()!r}")
            if self._status() != last_status:
                last_status = self._status()
                report.timeline.append((round(now - started, 3), last_status))
            if self.values.get("run-answered.data") is None and self.values.get("watchdog.disabled", True) \
                    and next_poll is None:
                # The page shows the run's end. The renderer may still poll the job a little
                # (its answer holds the record when the job could not store it): allow that.
                settled_at = settled_at or now
                if self.job is None or now - settled_at > 2 * job_every:
                    break
            shown = self.values.get("progress-bar.value")
            try:
                if next_poll is not None and now >= next_poll:
                    self.values["run-poll.data"] = int(time.time() * 1000)
                    reply = self.follow("run-poll.data")
                    next_poll = self._next_poll() if reply.status == 200 else None  # a failed answer ends the chain
                    report.polls += 1
                elif not self.values.get("watchdog.disabled", True) and now >= next_tick:
                    next_tick = now + 1.0
                    self.values["watchdog.n_intervals"] += 1
                    self.follow("watchdog.n_intervals")
                    next_poll = next_poll if next_poll is not None else self._next_poll()
                elif self.job is not None and now >= next_job_poll:
                    next_job_poll = now + job_every
                    reply = self.post("job poll", job_poll, args=[("cacheKey", self.cache_key), ("job", self.job)])
                    if reply.status != 200 or "response" in (reply.data or {}):
                        self.values.update(reply.updates())
                        self.job = None  # the renderer's job chain ends
                        answer = self.values.get("run-job.data")
                        if isinstance(answer, dict) and answer.get("status") and not answer.get("recorded"):
                            next_poll = time.monotonic()  # assets/runs.js jobAnswered
                else:
                    time.sleep(0.01)
                    continue
            except ServerGone:
                next_poll = None  # the fetch fails; the watchdog interval keeps ticking
                time.sleep(0.05)
                continue
            if self.values.get("progress-bar.value") != shown:
                report.progress_updates += 1
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

    def _next_poll(self) -> float | None:
        answered = self.values.get("run-answered.data")
        if not isinstance(answered, dict):
            return None
        return time.monotonic() + answered.get("wait_ms", 100) / 1000

    def cancel(self) -> None:
        """Press Cancel."""
        self.values["cancel-button.n_clicks"] += 1
        self.follow("cancel-button.n_clicks")

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
