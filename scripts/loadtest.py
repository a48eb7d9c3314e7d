"""A bounded load test on loopback: simulated users train and use the gallery, then it stops.

    python -m scripts.loadtest                       # 20 users, 60 s, against its own `python app.py`
    python -m scripts.loadtest --users 5 --seconds 10 --json out.json
    python -m scripts.loadtest --gunicorn 4          # its own `gunicorn -w 4 app:server`
    python -m scripts.loadtest --url http://127.0.0.1:8050   # a server that is already running

(from the repository root, with the app's venv).

Each user is a thread that loads the training page and the gallery (one page load each, like a
browser tab), then until the time is up: presses Train on a short run and follows it exactly as
the renderer does (the page's run callback, the background job's first post and its polls with
the signed handles, the run callback's poll chain and its watchdog tick every second), then drags
through the gallery (4 redraws of random functions and parameters). Nothing new starts after `--seconds`; a
run still going gets up to `--run-timeout` seconds to settle, so the test always ends.

It prints a Markdown table per request kind (count, errors, p50/p95/max latency in ms) and the
runs (how many ended Done, Failed, hung, or were refused because the server's cap on concurrent
runs was reached; click-to-Done p50/p95). An error is a 5xx, a reply that is not strict JSON or
holds a traceback, a 4xx to a post the page itself sends, a refused connection, a run that did
not end Done (a refusal is not one), or an exception in the server log.
Exit status: 0 without errors, 1 with any. The server it started itself is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from core.approaches import APPROACHES
from harness.app_process import AppProcess
from harness.dash_client import DashTab, ServerGone

BUSY = "the server is busy"  # how a run refused by the cap on concurrent runs ends
GALLERY = {  # a few registry functions and the parameters a slider drag moves
    "relu": {}, "sigmoid": {}, "tanh": {}, "gelu": {}, "softplus": {},
    "elu": {"alpha": (0.1, 2.0)}, "leaky_relu": {"alpha": (0.01, 0.5)},
    "linear": {"slope": (-3.0, 3.0), "intercept": (-2.0, 2.0)},
}


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: Counter = Counter()
        self.error_samples: list[str] = []
        self.runs: Counter = Counter()
        self.run_seconds: list[float] = []

    def record(self, kind: str, reply) -> None:
        with self.lock:
            self.latency[kind].append(reply.elapsed)
            if reply.problems:
                self.errors[kind] += 1
                if len(self.error_samples) < 20:
                    self.error_samples.append(f"{kind}: {reply.problems} {reply.body[:120]!r}")

    def error(self, kind: str, text: str) -> None:
        with self.lock:
            self.errors[kind] += 1
            if len(self.error_samples) < 20:
                self.error_samples.append(f"{kind}: {text}")

    def run(self, word: str, seconds: float) -> None:
        with self.lock:
            self.runs[word] += 1
            if word == "Done":
                self.run_seconds.append(seconds)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def user(url: str, deadline: float, stats: Stats, seed: int, run_timeout: float) -> None:
    rng = random.Random(seed)
    try:
        train_tab = DashTab(url, "/", record=stats.record)
        gallery_tab = DashTab(url, "/gallery", record=stats.record)
    except Exception as exc:  # noqa: BLE001 - a page that does not load is an error, not a crash
        stats.error("page", repr(exc))
        return
    while time.monotonic() < deadline:
        config = {"approach": rng.choice(list(APPROACHES)), "lr": rng.choice([0.01, 0.05, 0.1]),
                  "epochs": rng.choice([200, 500, 1000, 2000]), "samples": 100, "noise": 1.0,
                  "seed": rng.randrange(10_000), "true_weights": [1, 5, 7]}
        try:
            report = train_tab.train(config, timeout=run_timeout)
            if BUSY in report.status:  # the server's cap on concurrent runs: a polite refusal
                stats.run("refused (busy)", report.seconds)
            else:
                stats.run(report.word, report.seconds)
                if report.word != "Done":
                    stats.error("run", report.status[:160])
        except AssertionError as exc:  # did not settle within run_timeout: a hung job
            stats.run("hung", run_timeout)
            stats.error("run", str(exc)[:160])
            train_tab = DashTab(url, "/", record=stats.record)  # the user reloads the page
        except ServerGone as exc:
            stats.error("connection", str(exc)[:160])
            time.sleep(1)
        for _ in range(4):
            if time.monotonic() >= deadline:
                break
            name = rng.choice(list(GALLERY))
            params = {k: round(rng.uniform(*bounds), 2) for k, bounds in GALLERY[name].items()}
            try:
                gallery_tab.draw(name, params, derivative=rng.random() < 0.5)
            except ServerGone as exc:
                stats.error("connection", str(exc)[:160])
            time.sleep(rng.uniform(0.05, 0.3))  # think time between drags


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--run-timeout", type=float, default=30.0,
                        help="seconds a run may take to settle before it counts as hung")
    parser.add_argument("--url", help="an app already running (else this starts its own)")
    parser.add_argument("--gunicorn", type=int, default=0, metavar="N",
                        help="start `gunicorn -w N app:server` instead of `python app.py`")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    server = None
    if args.url:
        url = args.url.rstrip("/")
    else:
        server = AppProcess(gunicorn_workers=args.gunicorn)
        print(f"starting {'gunicorn -w %d' % args.gunicorn if args.gunicorn else 'python app.py'} "
              f"on {server.url} ...", file=sys.stderr)
        server.start()
        url = server.url
    stats = Stats()
    try:
        started = time.monotonic()
        deadline = started + args.seconds
        threads = [threading.Thread(target=user, args=(url, deadline, stats, k, args.run_timeout), daemon=True)
                   for k in range(args.users)]
        for thread in threads:
            thread.start()
            time.sleep(0.05)  # users arrive over a second, not in one instant
        for thread in threads:
            thread.join(args.seconds + args.run_timeout + 30)
        elapsed = time.monotonic() - started
        stragglers = sum(t.is_alive() for t in threads)
        if stragglers:
            stats.error("user", f"{stragglers} users still busy at the end")
    finally:
        server_errors = []
        if server is not None:
            server.stop()
            server_errors = exceptions_in(server.log_text())
            server.close()  # its temporary directory

    summary = summarize(stats, args, url, elapsed)
    summary["server_exceptions"] = Counter(server_errors).most_common(8)
    summary["errors"] += len(server_errors)  # a request the app failed on counts, whatever it answered
    print(render(summary))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2))
    return 0 if summary["errors"] == 0 else 1


def exceptions_in(log: str) -> list[str]:
    """The final line of every traceback in a server log (the exception and its message)."""
    found, in_traceback = [], False
    for line in log.splitlines():
        if line.startswith("Traceback (most recent call last)"):
            in_traceback = True
        elif in_traceback and line and not line[0].isspace() and not line.startswith("The above exception"):
            if not line.startswith(("During handling", "Traceback")):
                found.append(line[:200])
                in_traceback = False
    return found


def summarize(stats: Stats, args, url: str, elapsed: float) -> dict:
    kinds = {}
    for kind, values in sorted(stats.latency.items()):
        kinds[kind] = {"requests": len(values), "errors": stats.errors.get(kind, 0),
                       "p50_ms": round(1000 * percentile(values, 0.50), 1),
                       "p95_ms": round(1000 * percentile(values, 0.95), 1),
                       "max_ms": round(1000 * max(values), 1)}
    all_latency = [v for values in stats.latency.values() for v in values]
    return {
        "users": args.users, "seconds": args.seconds, "elapsed_s": round(elapsed, 1), "url": url,
        "server": (f"gunicorn -w {args.gunicorn}" if args.gunicorn else "python app.py") if not args.url else "external",
        "requests": len(all_latency), "errors": sum(stats.errors.values()),
        "errors_by_kind": dict(stats.errors), "error_samples": stats.error_samples,
        "p50_ms": round(1000 * percentile(all_latency, 0.5), 1),
        "p95_ms": round(1000 * percentile(all_latency, 0.95), 1),
        "runs": dict(stats.runs),
        "run_p50_s": round(percentile(stats.run_seconds, 0.5), 2),
        "run_p95_s": round(percentile(stats.run_seconds, 0.95), 2),
        "kinds": kinds,
    }


def render(summary: dict) -> str:
    lines = [
        f"## Load test: {summary['users']} users for {summary['seconds']:g} s against {summary['server']} "
        f"(ended after {summary['elapsed_s']} s)",
        "",
        "| request | count | errors | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, k in summary["kinds"].items():
        lines.append(f"| {kind} | {k['requests']} | {k['errors']} | {k['p50_ms']} | {k['p95_ms']} | {k['max_ms']} |")
    lines.append(f"| **all** | {summary['requests']} | {summary['errors']} | {summary['p50_ms']} | "
                 f"{summary['p95_ms']} | |")
    lines += ["", f"Runs: {summary['runs']}; click to Done p50 {summary['run_p50_s']} s, "
              f"p95 {summary['run_p95_s']} s. Errors: {summary['errors']} {summary['errors_by_kind'] or ''}"]
    for sample in summary["error_samples"][:5]:
        lines.append(f"- {sample}")
    if summary.get("server_exceptions"):
        lines += ["", "Exceptions in the server log (count):"]
        lines += [f"- {count} × {line[:200]}" for line, count in summary["server_exceptions"]]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
