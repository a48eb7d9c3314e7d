"""Hostile input through the real callback endpoint, in-process (Flask's test client).

The callback endpoint `/_dash-update-component` accepts whatever JSON any client posts. Every
registered callback (the app's, Dash's pages router and cancel callback, the clientside ones) gets
renderer-shaped posts whose values are hostile: wrong types, huge numbers, NaN/Infinity literals
in the raw body, nested junk, missing values, long strings, forged job handles. Each reply must be
a 2xx or a 4xx, never a 5xx; a body that is strict JSON (no NaN/Infinity) whenever it is JSON; no
traceback; within a time bound; and every job a background callback started is gone at the end.

Hypothesis runs derandomized and without its example database, so CI sees the same examples
every time. `pytest tests/test_endpoint_fuzz.py -q` takes about 30 s.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import psutil
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bench.hostile_posts import LONG_STRING_CALLBACKS
from harness.dash_client import BODY_LIMIT, body_problems, long_string_post, split_output

UPDATE_URL = "/_dash-update-component"
REQUEST_TIME_LIMIT = 5.0  # seconds one post may take in-process
JOB_EXIT_LIMIT = 10.0  # seconds a job started by the fuzz may take to end once cancelled
# per callback (about 25 of them); FUZZ_EXAMPLES=500 for a longer hunt
MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,  # the per-request bound below is the deadline that matters
    derandomize=bool(os.environ.get("CI")),  # CI replays one fixed set; elsewhere each run explores
    database=None,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: the failing post is printed whole
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# Every callback the app registers, by label (see `label_of`). A new callback fails
# `test_every_registered_callback_is_fuzzed` until it is added here.
SERVER_CALLBACKS = [
    "components.gallery.show_param_controls",
    "components.gallery.draw",
    "components.gallery.reset_view",
    "components.gallery_ready.send_ready_views",
    "components.training.check_controls",
    "components.training_landscape.show_stability",
    "components.training_landscape.redraw_data_views",
    "components.training.redraw_loss",
    "components.training.use_seed",
    "components.training.download_run",
    "components.training.download_notebook",
    "components.training_landscape.true_plane_update",
    "components.training_step.step",
    "components.run_panel.follow_run",
    "components.run_panel.run_job",
    "components.run_panel.follow_run@race-train-button",
    "components.run_panel.run_job@race-run-request",
    "components.run_panel.follow_run@network-train-button",
    "components.run_panel.run_job@network-run-request",
    "components.network.show_param_controls",
    "components.network.check_controls",
    "components.network.compare_runs",
    "components.shell.show_active_runs",
    "dash.dash.update",
]
CLIENTSIDE_CALLBACKS = [
    "clientside(gallery-query)",
    "clientside(config-query)",
    "clientside(run-result)",
    "clientside(run-history)",
    "clientside(overlay-runs)",
    "clientside(run-answered)",
    "clientside(loss-update)",
    "clientside(weights-update)",
    "clientside(landscape-update)",
    "clientside(plane-update)",
    "clientside(true-plane-update)",
    "clientside(step-loss-update)",
    "clientside(step-weights-update)",
    "clientside(step-path-update)",
    "clientside(step-plane-update)",
    "clientside(step-ten-button)",
    "clientside(train-button)",
    "clientside(race-landscape-update)",
    "clientside(race-run-answered)",
    "clientside(race-run-job)",
    "clientside(run-job)",
    "clientside(url)",
    "clientside(_pages_store)",
    "clientside(activation-graph)",
    "clientside(activation)",
    "clientside(activation)@activation",
    'clientside({"name":["MATCH"],"type":"param-slider"})',
    "clientside(gallery-query)@gallery-query",
    "clientside(network-fit-update)",
    "clientside(network-run-result)",
    "clientside(network-query)",
    "clientside(network-run-answered)",
    "clientside(network-run-job)",
    'clientside({"name":["MATCH"],"type":"network-param-slider"})',
]

# ---------------------------------------------------------------------------------------------
# The app in-process


@dataclass
class Target:
    module: Any
    client: Any
    end_id: str | None
    specs: dict[str, tuple[str, dict]]  # label -> (output key, callback_map entry)
    started_jobs: list[tuple[int, str, str | None]] = field(default_factory=list)  # (pid, handle, end_id)
    every_job: set[int] = field(default_factory=set)  # every job pid any post here started
    # what the app logged as errors: a callback that raised is answered 400 by the endpoint guard,
    # so the log is where an unhandled exception shows
    logged: list[logging.LogRecord] = field(default_factory=list)

    def post(self, raw: bytes, args: list[tuple[str, str]] | None = None, *, end_id: str | None = ...):
        end_id = self.end_id if end_id is ... else end_id
        query = ([("endId", end_id)] if end_id else []) + list(args or [])
        started = time.perf_counter()
        response = self.client.post(UPDATE_URL, query_string=query, data=raw,
                                    content_type="application/json")
        elapsed = time.perf_counter() - started
        body = response.get_data()
        problems = body_problems(response.status_code, body, response.content_type or "")
        problems += [f"the app logged: {record.getMessage()} ({record.exc_info[1]!r})"
                     for record in self.logged if record.exc_info]
        self.logged.clear()
        if elapsed > REQUEST_TIME_LIMIT:
            problems.append(f"took {elapsed:.1f} s (limit {REQUEST_TIME_LIMIT} s)")
        data = None
        if response.status_code == 200 and not problems:
            data = json.loads(body)
            if isinstance(data, dict) and isinstance(data.get("job"), str):
                pid = int(data["job"].split("~", 1)[0])
                self.started_jobs.append((pid, data["job"], end_id))
                self.every_job.add(pid)
        return response.status_code, data, body, problems


def label_of(spec: dict) -> str:
    """A server callback by its function; a clientside one by its first input."""
    if "callback" in spec:
        fn = spec["callback"]
        return f"{fn.__module__}.{fn.__name__}"
    first = spec["inputs"][0]["id"] if spec["inputs"] else "?"
    return f"clientside({first})"


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    """`app` imported with a fresh job cache (or the already imported one), its test client,
    the end_id of one page load, and every registered callback by label."""
    patch = pytest.MonkeyPatch()
    if "app" not in sys.modules:
        # app.py builds its job backend from os.environ at import: give it a cache of its own
        patch.setenv("DASH_CACHE_DIR", str(tmp_path_factory.mktemp("fuzz-cache")))
    import app as app_module

    client = app_module.server.test_client()
    page = client.get("/")  # the first request also finishes registering every callback
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    start = html.index('<script id="_dash-config" type="application/json">')
    config = json.loads(html[html.index(">", start) + 1: html.index("</script>", start)])
    specs = {}
    for output, spec in app_module.app.callback_map.items():
        label = label_of(spec)
        if label in specs:  # one function serving several pages (the run panel): name the others by input
            label = f"{label}@{spec['inputs'][0]['id']}"
        specs[label] = (output, spec)
    t = Target(app_module, client, config.get("end_id"), specs)
    collector = logging.Handler(logging.ERROR)
    collector.emit = t.logged.append
    app_module.server.logger.addHandler(collector)
    try:
        yield t
    finally:
        app_module.server.logger.removeHandler(collector)
        stop_jobs(t)
        patch.undo()


def stop_jobs(target: Target) -> list[int]:
    """Wait for every job the fuzz started to end (a job whose request the server did not sign
    trains nothing; a signed one was cancelled by its test), reap it, kill a straggler; return
    those that would not end by themselves."""
    stubborn = []
    for pid, _handle, _end_id in target.started_jobs:
        if not _wait_gone(pid, JOB_EXIT_LIMIT):
            stubborn.append(pid)
            psutil.Process(pid).kill()
            _wait_gone(pid, JOB_EXIT_LIMIT)
    target.started_jobs.clear()
    return stubborn


def _alive(pid: int) -> bool:
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _wait_gone(pid: int, timeout: float) -> bool:
    """Wait for a child of this process to exit, and reap it."""
    try:
        proc = psutil.Process(pid)
        if proc.ppid() != os.getpid():
            return not _alive(pid)
        proc.wait(timeout)
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Hostile values

STRINGS = st.sampled_from([
    "", " ", "NaN", "nan", "Infinity", "-Infinity", "inf", "1e999", "-1e999", "1e308", "-0", "0x10",
    "1_000", "١٢٣", "\u0000", "\ud800", "manual", "module", "relu", "elu", "gelu", "on", "log",
    "linear", "idle", "running", "Done", "Cancelled", "Failed", "/", "/gallery", "/nope",
    "?fn=elu&alpha=nan&xmin=-1e400", "?epochs=1e9&samples=1e9&lr=inf", "?compare=relu,relu,elu,x",
    "?w=1,2", "<script>alert(1)</script>", "{{7*7}}", "../../../etc/passwd", "__proto__",
    "run-request", "cancel-button", "{}", "[]", "null", "a" * 2000,
])
NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(),  # NaN, ±Infinity, subnormals: json.dumps writes NaN/Infinity literals
    st.sampled_from([0, -1, 1, 2**31, 2**32, 2**53 + 1, 2**63, 2**64, 10**308, 1e308, -1e308,
                     5e-324, -0.0, 1_000_001, 100_000_001]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, STRINGS, st.text(max_size=40))
KEYS = st.one_of(
    st.sampled_from(["run_id", "config", "status", "epochs", "losses", "weights", "epochs_run",
                     "elapsed", "learned_weights", "final_loss", "optimum_weights", "optimum_loss",
                     "diverged_at", "label", "seed", "approach", "lr", "samples", "noise",
                     "true_weights", "data", "x", "y", "name", "type", "reason", "at", "optimizer",
                     "momentum", "beta1", "beta2", "weight_decay", "stable_lr", "w1", "w2", "2", "race",
                     "lanes", "loss_epochs", "weight_epochs", "current_weights", "activation", "params",
                     "target", "hidden", "prediction", "line_loss", "alpha", "param_values", "param_ids"]),
    st.text(max_size=12),
)
JUNK = st.recursive(
    SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=5),
                               st.dictionaries(KEYS, children, max_size=5)),
    max_leaves=12,
)
SHALLOW = st.one_of(SCALARS, st.lists(SCALARS, max_size=4))  # cheap to draw: for shaped values
CONFIG_LIKE = st.fixed_dictionaries(
    {}, optional={k: SHALLOW for k in ("approach", "lr", "epochs", "samples", "noise", "seed", "true_weights",
                                       "optimizer", "momentum", "beta1", "beta2", "weight_decay", "race",
                                       "activation", "params", "target", "hidden")},
)
RECORD_LIKE = st.fixed_dictionaries(
    {"status": st.one_of(st.sampled_from(["Done", "Diverged", "Cancelled", "Failed", "Invalid"]), SCALARS)},
    optional={
        "run_id": st.one_of(st.just("r1"), SCALARS),
        "config": st.one_of(CONFIG_LIKE, SHALLOW),
        **{k: SHALLOW for k in ("epochs", "losses", "weights", "epochs_run", "elapsed", "learned_weights",
                                "final_loss", "optimum_weights", "optimum_loss", "diverged_at", "label",
                                "stable_lr", "w1", "w2", "lanes", "prediction", "line_loss")},
    },
)
REQUEST_LIKE = st.fixed_dictionaries(
    {}, optional={"run_id": st.one_of(st.just("r1"), SCALARS), "config": st.one_of(CONFIG_LIKE, SHALLOW)}
)
FIGURE_LIKE = st.fixed_dictionaries(
    {}, optional={"data": st.one_of(st.lists(st.dictionaries(KEYS, SHALLOW, max_size=4), max_size=3), SHALLOW),
                  "layout": SHALLOW}
)
VALUES = st.one_of(JUNK, RECORD_LIKE, REQUEST_LIKE, FIGURE_LIKE, st.lists(RECORD_LIKE, max_size=3))
FORGED_HANDLES = st.sampled_from([
    "1", "0", "-1", str(os.getpid()), f"{os.getpid()}~" + "0" * 64, "~", "abc~def", "",
    "999999999~" + "f" * 64, "a" * 300,
])
PARAM_NAMES = st.sampled_from(["alpha", "slope", "intercept", "thres", "beta", "bogus", ""])


def stringify(component_id) -> str:
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return component_id


def concrete(pattern: dict, name: str) -> dict:
    return {k: (name if isinstance(v, list) else v) for k, v in pattern.items()}


@st.composite
def renderer_post(draw, output: str, spec: dict):
    """A post shaped like the renderer's for this callback, with hostile values."""
    match_name = draw(PARAM_NAMES)
    all_names = draw(st.lists(PARAM_NAMES, max_size=3, unique=True))

    def dependency(dep: dict, with_value: bool = True):
        ident = dep["id"]
        if isinstance(ident, str) and ident.startswith("{"):
            pattern = json.loads(ident)
            wildcard = next((v[0] for v in pattern.values() if isinstance(v, list)), None)
            if wildcard == "ALL" or wildcard == "ALLSMALLER":
                return [dependency({"id": concrete(pattern, n), "property": dep["property"]}, with_value)
                        for n in all_names]
            return dependency({"id": concrete(pattern, match_name), "property": dep["property"]}, with_value)
        item = {"id": ident, "property": dep["property"]}
        if with_value and draw(st.integers(0, 9)) > 0:  # sometimes the value is missing
            item["value"] = draw(VALUES)
        return item

    inputs = [dependency(d) for d in spec["inputs"]]
    state = [dependency(d) for d in spec["state"]]
    body = {"output": output, "inputs": inputs, "changedPropIds": []}
    if not spec.get("no_output"):
        outputs = split_output(output)
        if isinstance(outputs, list):
            flat = []
            for o in outputs:
                resolved = dependency({"id": json.dumps(o["id"]) if isinstance(o["id"], dict) else o["id"],
                                       "property": o["property"]}, with_value=False)
                flat.append(resolved)
            body["outputs"] = flat
        else:
            body["outputs"] = outputs
    if state:
        body["state"] = state
    flat_inputs = [i for entry in inputs for i in (entry if isinstance(entry, list) else [entry])]
    if flat_inputs:
        chosen = draw(st.lists(st.sampled_from(flat_inputs), min_size=1, max_size=len(flat_inputs)))
        body["changedPropIds"] = list(dict.fromkeys(
            f"{stringify(i['id'])}.{i['property']}" for i in chosen))
    args = []
    if draw(st.integers(0, 4)) == 0:
        for name in draw(st.lists(st.sampled_from(["oldJob", "cancelJob", "cacheKey", "job"]), max_size=3)):
            args.append((name, draw(FORGED_HANDLES)))
    return body, args


def encode(body: Any) -> bytes:
    """JSON as Python writes it: non-finite floats become NaN/Infinity literals in the raw body."""
    return json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------------------------------------
# The fuzz, per callback


def test_every_registered_callback_is_fuzzed(target):
    registered = set(target.specs)
    fuzzed = set(SERVER_CALLBACKS) | set(CLIENTSIDE_CALLBACKS)
    assert registered == fuzzed, (
        f"registered but not fuzzed: {sorted(registered - fuzzed)}; "
        f"fuzzed but not registered: {sorted(fuzzed - registered)} - update the lists above"
    )


def _params():
    for label in SERVER_CALLBACKS + CLIENTSIDE_CALLBACKS:
        yield pytest.param(label, id=label)


@pytest.mark.parametrize("label", list(_params()))
def test_hostile_values_never_break_a_callback(target, label):
    fuzz_callback(target, label)


def fuzz_callback(target, label: str) -> None:
    """Hypothesis-generated hostile posts to one callback; every job they start is cancelled after."""
    if label not in target.specs:
        pytest.fail(f"{label} is not registered (see test_every_registered_callback_is_fuzzed)")
    output, spec = target.specs[label]
    failures: list[str] = []

    @FUZZ_SETTINGS
    @given(post=renderer_post(output, spec))
    def fuzz(post):
        body, args = post
        raw = encode(body)
        status, data, reply, problems = target.post(raw, args)
        # a background callback answers its first post with signed handles: poll once with them,
        # as the renderer does, so the poll path meets the same hostile inputs
        if isinstance(data, dict) and isinstance(data.get("job"), str) and data.get("cacheKey"):
            status2, _d, reply2, problems2 = target.post(
                raw, [("cacheKey", data["cacheKey"]), ("job", data["job"])])
            problems += [f"(poll) {p}" for p in problems2]
        if problems:
            failures.append(f"{problems} for {raw[:400]!r} -> {reply[:300]!r}")
        assert not problems, f"{label}: {problems}\nposted: {raw[:600]!r}\nreply: {reply[:300]!r}"

    try:
        fuzz()
    finally:
        stubborn = stop_jobs(target)
    assert not stubborn, f"jobs still running after cancel: {stubborn}"


# Known hostile values, each a crash (500) of one app callback: the exact repro of each bug above.
KNOWN_HOSTILE = [
    ("components.training.use_seed", {"use-seed-button.n_clicks": 1,
                                      "run-result.data": {"config": {"seed": float("inf")}}}),
    ("components.run_panel.follow_run", {"run-job.data": {"status": "Done"}, "run-handle.data": "x"}),
    ("components.run_panel.follow_run", {"progress-bar.value": "abc", "run-handle.data": None}),
    ("components.training.download_run", {"download-button.n_clicks": 1,
                                          "run-result.data": {"epochs": [1], "config": [1]}}),
]


def renderer_body(output: str, spec: dict, values: dict[str, Any], changed: str | None = None) -> dict:
    """The renderer's post for a callback with these values (pattern-matching inputs: none)."""
    def entry(dep):
        if isinstance(dep["id"], str) and dep["id"].startswith("{"):
            return []  # ALL over no component
        item = {"id": dep["id"], "property": dep["property"]}
        key = f"{dep['id']}.{dep['property']}"
        if key in values:
            item["value"] = values[key]
        return item

    body = {"output": output, "outputs": split_output(output),
            "inputs": [entry(d) for d in spec["inputs"]],
            "changedPropIds": [changed or f"{spec['inputs'][0]['id']}.{spec['inputs'][0]['property']}"]}
    if spec["state"]:
        body["state"] = [entry(d) for d in spec["state"]]
    return body


@pytest.mark.parametrize("label, values", [
    pytest.param(label, values, id=f"{label.rsplit('.', 1)[1]}-{i}")
    for i, (label, values) in enumerate(KNOWN_HOSTILE)
])
def test_known_hostile_values(target, label, values):
    output, spec = target.specs[label]
    raw = encode(renderer_body(output, spec, values))
    status, _data, reply, problems = target.post(raw)
    assert not problems, f"{problems}\nposted: {raw[:600]!r}\nreply: {reply[:300]!r}"


# ---------------------------------------------------------------------------------------------
# Malformed envelopes (what no renderer sends)


@st.composite
def malformed_post(draw, targets: list[tuple[str, dict]]):
    output, spec = draw(st.sampled_from(targets))
    body, _args = draw(renderer_post(output, spec))
    mutation = draw(st.sampled_from([
        "junk-body", "drop-field", "junk-field", "unknown-output", "extra-input", "drop-input",
        "junk-changed", "entry-without-id",
    ]))
    if mutation == "junk-body":
        return draw(JUNK)
    if mutation == "drop-field":
        key = draw(st.sampled_from(["output", "outputs", "inputs", "state", "changedPropIds"]))
        body.pop(key, None)
    elif mutation == "junk-field":
        key = draw(st.sampled_from(["output", "outputs", "inputs", "state", "changedPropIds"]))
        body[key] = draw(JUNK)
    elif mutation == "unknown-output":
        body["output"] = draw(st.sampled_from(["nope.value", "..a.b...c.d..", "", "seed.value@x", "."]))
    elif mutation == "extra-input":
        body["inputs"] = list(body["inputs"]) + [{"id": "x", "property": "y", "value": draw(JUNK)}]
    elif mutation == "drop-input" and body["inputs"]:
        body["inputs"] = body["inputs"][1:]
    elif mutation == "junk-changed":
        body["changedPropIds"] = draw(st.lists(st.one_of(STRINGS, st.just("{bad json.value"), JUNK), max_size=3))
    elif mutation == "entry-without-id" and body["inputs"]:
        body["inputs"] = [{"property": "value", "value": draw(JUNK)}] + list(body["inputs"][1:])
    return body


def test_malformed_envelopes_get_a_4xx_not_a_500(target):
    server_side = [target.specs[label] for label in SERVER_CALLBACKS if label in target.specs]

    @FUZZ_SETTINGS
    @given(body=malformed_post(server_side))
    def fuzz(body):
        raw = encode(body)
        status, _data, reply, problems = target.post(raw)
        assert not problems, f"{problems}\nposted: {raw[:600]!r}\nreply: {reply[:300]!r}"

    try:
        fuzz()
    finally:
        stop_jobs(target)


# ---------------------------------------------------------------------------------------------
# Size, parse and handle checks (deterministic)


def test_a_body_over_1_mb_gets_413(target):
    body = b'{"output": "seed.value", "pad": "' + b"x" * BODY_LIMIT + b'"}'
    status, _data, reply, problems = target.post(body)
    assert status == 413 and not problems, (status, reply[:200])
    just_under = b'{"pad": "' + b"x" * (BODY_LIMIT - 20) + b'"}'
    assert len(just_under) <= BODY_LIMIT
    status, _data, _reply, _problems = target.post(just_under)
    assert status != 413


@pytest.mark.parametrize("raw", [
    b"not json", b"{", b'{"output": "seed.value", "inputs": [' + b"1" * 5000 + b"]}", b"\xff\xfe",
    b'{"a": ' * 2000 + b"1" + b"}" * 2000,  # json.loads raises RecursionError, not ValueError
], ids=["text", "truncated", "int-over-4300-digits", "bad-utf8", "nesting-2000"])
def test_unparseable_bodies_get_a_4xx(target, raw):
    status, _data, reply, problems = target.post(raw)
    assert 400 <= status < 500 and not problems, (status, reply[:200], problems)


def _sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_forged_job_handles_kill_nothing(target):
    """oldJob/cancelJob name a process to kill: unsigned, badly signed or foreign handles must not
    touch it (Dash 4.4.1 signs them per page load)."""
    victim = _sleeper()
    try:
        run_output, _spec = target.specs["components.run_panel.run_job"]
        forged = [str(victim.pid), f"{victim.pid}~" + "0" * 64, f"{victim.pid}~", f"{victim.pid}~{victim.pid}"]
        invalid_run = {"output": run_output, "outputs": split_output(run_output),
                       "inputs": [{"id": "run-request", "property": "data", "value": {"config": "junk"}}],
                       "changedPropIds": ["run-request.data"]}
        for handle in forged:
            for end_id in (target.end_id, None, "x~y"):
                target.post(encode(invalid_run), [("oldJob", handle)], end_id=end_id)
                target.post(encode(invalid_run), [("cancelJob", handle)], end_id=end_id)
                target.post(encode(invalid_run), [("cacheKey", handle), ("job", handle)], end_id=end_id)
        time.sleep(0.2)
        assert victim.poll() is None, "a forged handle killed a process"
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        stop_jobs(target)


def _page(client) -> str:
    """Load the training page in `client` (a browser with its own cookie); its end_id."""
    html = client.get("/").get_data(as_text=True)
    start = html.index('<script id="_dash-config" type="application/json">')
    return json.loads(html[html.index(">", start) + 1: html.index("</script>", start)])["end_id"]


def _follow(target, client, end_id, handle, trigger: str, **values) -> dict:
    """The run callback (Train, Cancel, a poll) as browser `client` posts it; its updates."""
    output, spec = target.specs["components.run_panel.follow_run"]
    given = {"run-handle.data": handle, "approach.value": "manual", "lr.value": 0.01, "epochs.value": 1_000_000,
             "samples.value": 100, "noise.value": 1, "seed.value": 7, "true-w0.value": 1,
             "true-w1.value": 5, "true-w2.value": 7, **values}
    body = renderer_body(output, spec, given, changed=trigger)
    response = client.post(UPDATE_URL, query_string=[("endId", end_id)], data=encode(body),
                           content_type="application/json")
    assert response.status_code == 200, response.get_data()[:300]
    return {comp: props for comp, props in response.get_json()["response"].items()}


def test_another_browser_can_neither_see_nor_cancel_a_run(target):
    """Browser A starts a long run; browser B (its own cookie and page load) replays A's run handle
    and A's signed job handles: B sees nothing, reads nothing and cancels nothing. A's own Cancel
    stops the run."""
    browser_a, browser_b = target.module.server.test_client(), target.module.server.test_client()
    end_a, end_b = _page(browser_a), _page(browser_b)
    started = _follow(target, browser_a, end_a, None, "train-button.n_clicks", **{"train-button.n_clicks": 1})
    handle, request = started["run-handle"]["data"], started["run-request"]["data"]
    run_output, run_spec = target.specs["components.run_panel.run_job"]
    launch = renderer_body(run_output, run_spec, {"run-request.data": request}, changed="run-request.data")
    response = browser_a.post(UPDATE_URL, query_string=[("endId", end_a)], data=encode(launch),
                              content_type="application/json")
    job = response.get_json()
    pid = int(job["job"].split("~")[0])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # A sees its run stream
            seen = _follow(target, browser_a, end_a, handle, "run-poll.data", **{"progress-bar.value": 1})
            if "progress-bar" in seen:
                break
            time.sleep(0.1)
        assert seen["status"]["children"].startswith("Running"), seen
        for trigger in ("run-handle.data", "run-poll.data", "cancel-button.n_clicks"):
            other = _follow(target, browser_b, end_b, handle, trigger, **{"cancel-button.n_clicks": 1})
            assert not other.get("status", {}).get("children", "Ready").startswith("Running"), other
            assert "loss-graph" not in other or "Running" not in str(other)
        poll = {**launch, "inputs": [{"id": "run-request", "property": "data"}]}
        replay = browser_b.post(UPDATE_URL, query_string=[("endId", end_b), ("cacheKey", job["cacheKey"]),
                                                          ("job", job["job"])],
                                data=encode(poll), content_type="application/json")
        assert replay.status_code in (200, 204) and "response" not in (replay.get_json() or {})
        time.sleep(0.3)
        assert _alive(pid), "browser B stopped browser A's run"
        assert _follow(target, browser_a, end_a, handle, "run-poll.data")["status"]["children"].startswith("Running")
        cancelled = _follow(target, browser_a, end_a, handle, "cancel-button.n_clicks", **{"cancel-button.n_clicks": 2})
        assert cancelled["status"]["children"].startswith(("Running", "Cancelled"))
        assert _wait_gone(pid, JOB_EXIT_LIMIT), "A's cancel did not stop A's job"
    finally:
        if _alive(pid):
            psutil.Process(pid).kill()
            _wait_gone(pid, JOB_EXIT_LIMIT)


def test_outputs_never_carry_nan_or_infinity(target):
    """Non-finite numbers posted in (loss curves, overlays, figures) must not come back out raw."""
    output, _spec = target.specs["components.training.redraw_loss"]
    nan, inf = float("nan"), float("inf")
    body = {
        "output": output, "outputs": split_output(output),
        "inputs": [{"id": "overlay-curves", "property": "data",
                    "value": [{"run_id": "a", "epochs": [0, 1, 2], "losses": [nan, inf, -inf], "label": nan}]},
                   {"id": "log-scale", "property": "value", "value": "log"}],
        "state": [{"id": "loss-graph", "property": "figure",
                   "value": {"data": [{"x": [0, 1], "y": [nan, inf], "name": nan}]}}],
        "changedPropIds": ["overlay-curves.data"],
    }
    raw = encode(body)
    assert b"NaN" in raw and b"Infinity" in raw
    status, data, reply, problems = target.post(raw)
    assert status == 200 and not problems, (problems, reply[:300])
    assert b"NaN" not in reply and b"Infinity" not in reply


# ---------------------------------------------------------------------------------------------
# Amplification: a small post must not buy a huge reply (nor seconds of CPU: that figure is
# measured by `python -m bench`, bench/hostile_posts.py, not asserted here)

AMPLIFICATION_BUG = (
    "parse_compare (components/gallery.py) turns every unknown name of `compare` into its own error "
    "message, and draw()/the gallery layout render each as an html.P: an 800 KB post of 'x,x,x,...' "
    "costs ~45 s of CPU and a 54 MB reply (measured: docs/reliability.md); a URL ?compare=x,x,... "
    "does the same through the pages router. Repro: post draw with compare = 'x,' * 20000. Fix: "
    "reject a compare value longer than, say, 64 items or 2,000 characters with one message, and "
    "report at most one 'unknown function' message (with a count)."
)


def _draw_post(target, compare) -> dict:
    output, spec = target.specs["components.gallery.draw"]
    return renderer_body(output, spec, {"activation.value": "relu", "show-derivative.value": [],
                                        "xmin.value": -10, "xmax.value": 10, "compare.value": compare},
                         changed="compare.value")


def _reply_budget(request_bytes: int) -> int:
    return max(512 * 1024, 4 * request_bytes)  # a full gallery view with six overlays is ~220 KB


@pytest.mark.parametrize("compare", ["x," * 20000, ["x"] * 10000], ids=["string", "list"])
def test_gallery_compare_cannot_amplify_a_post(target, compare):
    raw = encode(_draw_post(target, compare))
    status, _data, reply, problems = target.post(raw)
    assert not problems
    assert len(reply) <= _reply_budget(len(raw)), f"{len(raw):,} B posted -> {len(reply):,} B reply"


def test_a_gallery_link_cannot_amplify_either(target):
    output, _spec = target.specs["dash.dash.update"]
    body = {"output": output, "outputs": split_output(output), "inputs": [
        {"id": "_pages_location", "property": "pathname", "value": "/gallery"},
        {"id": "_pages_location", "property": "search", "value": "?compare=" + "x," * 20000}],
        "changedPropIds": ["_pages_location.pathname"]}
    raw = encode(body)
    _status, _data, reply, problems = target.post(raw)
    assert not problems
    assert len(reply) <= _reply_budget(len(raw)), f"{len(raw):,} B posted -> {len(reply):,} B reply"


@pytest.mark.parametrize("label", LONG_STRING_CALLBACKS)  # the ones the bench times too
def test_long_strings_in_every_value_are_cheap(target, label):
    """Every value of the post a long string (up to 100 KB, the post well under the 1 MB limit): a
    bounded reply (the time it takes is a bench figure, bench/hostile_posts.py)."""
    output, spec = target.specs[label]
    body = long_string_post(output, spec)
    raw = encode(body)
    assert len(raw) < BODY_LIMIT
    status, _data, reply, problems = target.post(raw)
    assert not problems, (problems, reply[:300])
    assert len(reply) <= _reply_budget(len(raw))
    stop_jobs(target)


def test_the_fuzz_left_no_job_running(target):
    """Every job any test here started has ended and been reaped. Run after the others (it is the
    module's last), it checks what they left; run alone or first, it fuzzes run_job itself
    first, so it does not depend on the order the tests run in."""
    if not target.every_job:
        fuzz_callback(target, "components.run_panel.run_job")
    stubborn = stop_jobs(target)
    assert not stubborn
    assert target.every_job, "the fuzz never started a background job: it did not reach run_job"
    still = [pid for pid in target.every_job if _alive(pid)]
    assert not still, f"jobs still running: {still}"
