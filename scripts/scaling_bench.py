"""Measure what docs/scaling.md needs: loopback only, bounded, stops everything it starts.

    python -m scripts.scaling_bench epochs   # seconds per epoch at the work budget's corners
    python -m scripts.scaling_bench jobs     # short training jobs per second per Celery worker core
    python -m scripts.scaling_bench polls    # progress polls per second one gunicorn worker serves
    python -m scripts.scaling_bench all

`jobs` and `polls` start their own redis-server (Debian's, on a free loopback port, nothing on
disk), Celery worker and gunicorn from the venv, with the harness's process classes
(harness/services.py, harness/app_process.py), and stop them (their whole process groups) when done or interrupted. `polls` captures one real
progress poll from headless Chromium, then replays it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.request import ProxyHandler, Request, build_opener

from core.approaches import APPROACHES
from harness.app_process import AppProcess, app_env
from harness.browser import launch
from harness.process import REPO_ROOT as REPO
from harness.process import free_port
from harness.services import CeleryWorker, RedisServer

HTTP = build_opener(ProxyHandler({}))


def epochs(_args) -> dict:
    """Seconds per epoch, one torch thread, at the corners of the work budget (both approaches).

    CPU time is what a worker process with a core of its own spends; wall time also counts
    whatever else this machine is doing.
    """
    import torch

    torch.set_num_threads(1)
    import torch._dynamo  # noqa: F401 - as app.py: keep the optimizer's first-step import out

    from core.regression import train
    from core.training_config import TrainingConfig

    plan = {2: 20_000, 100: 20_000, 1_000_000: 20}
    results = {}
    for approach in APPROACHES:
        for samples, n in plan.items():
            config = TrainingConfig(approach=approach, epochs=n, samples=samples, seed=1)
            train(TrainingConfig(approach=approach, epochs=10, samples=samples, seed=1))  # warm up
            cpu, wall = [], []
            for _ in range(3):
                started, started_cpu = time.perf_counter(), time.process_time()
                train(config, on_progress=lambda p: None, progress_interval=0.1)
                cpu.append((time.process_time() - started_cpu) / n)
                wall.append((time.perf_counter() - started) / n)
            results[f"{approach}/{samples}"] = {"cpu": min(cpu), "wall": min(wall)}
            print(f"{approach:7s} samples={samples:>9,}: {min(cpu) * 1e6:9.1f} µs CPU per epoch, "
                  f"{min(wall) * 1e6:9.1f} µs wall (best of 3)", flush=True)
    return results


class Stack:
    """redis-server, optionally a Celery worker and gunicorn; all stopped on exit."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="scaling-bench-"))
        self.processes = []

    def __enter__(self):
        return self

    def start(self, process):
        self.processes.append(process)
        process.start()
        return process

    def __exit__(self, *exc):
        for process in reversed(self.processes):
            process.stop()


def jobs_per_second(args) -> dict:
    """N short jobs (100 epochs, 100 samples) queued at once on one worker of C processes."""
    import redis

    results = {}
    with Stack() as stack:
        redis_server = stack.start(RedisServer(free_port(), stack.dir / "redis.log"))
        env = app_env(stack.dir, redis_server.url)
        os.environ.update({k: env[k] for k in ("DASH_JOBS", "REDIS_URL", "DASH_CACHE_DIR")})
        import app  # the app's own Celery task, as the worker registers it
        from components import runs, training

        (task_name,) = [name for name in app.celery_app.tasks if name.startswith("background_callback_")]
        task = app.celery_app.tasks[task_name]
        client = redis.Redis.from_url(redis_server.url)
        for concurrency in args.concurrency:
            worker = stack.start(CeleryWorker(redis_server.url, stack.dir, stack.dir / f"worker-{concurrency}.log",
                                              f"bench{concurrency}", concurrency=concurrency))
            for label, n in (("warm-up", concurrency * 4), ("measured", args.jobs)):
                memory_before = client.info("memory")["used_memory"]
                keys = []
                started = time.perf_counter()
                for i in range(n):
                    controls = {"epochs": args.epochs, "samples": 100, "seed": i}
                    request = runs.start(app.backend, training.REGRESSION, controls, "bench").request
                    key = f"bench-{uuid.uuid4().hex}"
                    task.delay(key, f"{key}-progress", [request], {})
                    keys.append(key)
                deadline = time.monotonic() + args.timeout
                while sum(client.exists(k) for k in keys) < n:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"jobs did not finish within {args.timeout} s:\n{worker.log_tail()}")
                    time.sleep(0.05)
                elapsed = time.perf_counter() - started
                if label == "measured":
                    per_job = (client.info("memory")["used_memory"] - memory_before) / n
                    results[concurrency] = {"jobs": n, "seconds": elapsed, "jobs_per_second": n / elapsed,
                                            "per_core": n / elapsed / concurrency,
                                            "redis_bytes_per_uncollected_job": per_job}
                    print(f"worker --concurrency {concurrency}: {n} jobs of {args.epochs} epochs in {elapsed:.2f} s"
                          f" = {n / elapsed:.1f} jobs/s ({n / elapsed / concurrency:.1f} per core);"
                          f" Redis +{per_job / 1024:.1f} KiB per uncollected job", flush=True)
            import psutil

            pool = [p for p in psutil.Process(worker.pid).children(recursive=True)]
            for proc in [psutil.Process(worker.pid), *pool]:
                info = proc.memory_full_info()
                print(f"  worker process {proc.pid}: RSS {info.rss / 2**20:.0f} MiB, USS {info.uss / 2**20:.0f} MiB")
            worker.stop()
            stack.processes.remove(worker)
    return results


def capture_poll(url: str) -> tuple[str, bytes, dict]:
    """Press Train on a long run in Chromium and return one of the page's progress polls (the run
    callback fired by its poll chain): url, body, headers (the browser's cookie included)."""
    from playwright.sync_api import sync_playwright

    captured = {}
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_page()

            def seen(request):
                body = request.post_data or ""
                if '"run-poll.data"]' in body and "url" not in captured:
                    captured.update(url=request.url, body=request.post_data_buffer, headers=request.all_headers())

            page.on("request", seen)
            page.goto(f"{url}/?epochs=1000000&seed=1")
            page.wait_for_selector("#loss-graph .js-plotly-plot", timeout=60_000)
            page.wait_for_function("() => location.search.includes('approach=')", timeout=30_000)
            page.click("#train-button")
            deadline = time.monotonic() + 30
            while "url" not in captured and time.monotonic() < deadline:
                page.wait_for_timeout(100)
            # leave the page open no longer: the job keeps running (and reporting) on the worker
        finally:
            browser.close()
    if "url" not in captured:
        raise SystemExit("no progress poll seen")
    headers = {k: v for k, v in captured["headers"].items() if k.lower() in ("content-type", "accept", "cookie")}
    return captured["url"], captured["body"], headers


def polls_per_second(args) -> dict:
    """Replay a captured progress poll against `gunicorn -w 1` from a few client threads."""
    import redis

    results = {}
    with Stack() as stack:
        redis_server = stack.start(RedisServer(free_port(), stack.dir / "redis.log"))
        worker = stack.start(CeleryWorker(redis_server.url, stack.dir, stack.dir / "worker.log", "benchpoll",
                                          concurrency=1))
        server = stack.start(AppProcess(stack.dir, gunicorn_workers=1, cache_dir=stack.dir,
                                        redis_url=redis_server.url))
        poll_url, body, headers = capture_poll(server.url)
        client = redis.Redis.from_url(redis_server.url)
        time.sleep(1)
        (progress_key,) = [k for k in client.keys("regression-dashboard:progress:*")]
        payload = None
        while payload is None:
            payload = client.get(progress_key)
        # Free the core: the run's records stay as the job left them (its last beat ages, but the
        # watchdog looks once a second, not at every poll), and the refill thread plays the job's part.
        worker.stop()
        stack.processes.remove(worker)
        print(f"captured a poll; a progress value is {len(payload) / 1024:.1f} KiB", flush=True)

        def hammer(seconds: float, keep_progress: bool) -> tuple[float, list[float]]:
            stop = time.monotonic() + seconds
            latencies: list[float] = []
            lock = threading.Lock()

            def refill():
                while time.monotonic() < stop:
                    client.set(progress_key, payload)
                    time.sleep(0.0005)

            def run():
                while time.monotonic() < stop:
                    t0 = time.perf_counter()
                    with HTTP.open(Request(poll_url, data=body, headers=headers, method="POST"), timeout=10) as r:
                        r.read()
                        assert r.status == 200
                    with lock:
                        latencies.append(time.perf_counter() - t0)

            threads = [threading.Thread(target=run) for _ in range(args.clients)]
            if keep_progress:
                threads.append(threading.Thread(target=refill))
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return len(latencies) / (time.perf_counter() - started), latencies

        for label, keep in (("without fresh progress", False), ("each carrying a progress value", True)):
            rate, latencies = hammer(args.seconds, keep)
            median = statistics.median(latencies) * 1000
            results[label] = {"polls_per_second": rate, "median_ms": median}
            print(f"gunicorn -w 1, {args.clients} clients, polls {label}: {rate:.0f}/s (median {median:.1f} ms)",
                  flush=True)
        import psutil

        for proc in psutil.Process(server.pid).children():
            info = proc.memory_full_info()
            print(f"  gunicorn worker {proc.pid}: RSS {info.rss / 2**20:.0f} MiB, USS {info.uss / 2**20:.0f} MiB")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m scripts.scaling_bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["epochs", "jobs", "polls", "all"])
    parser.add_argument("--jobs", type=int, default=200, help="jobs per measurement (jobs)")
    parser.add_argument("--epochs", type=int, default=100, help="epochs per job (jobs)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 2], help="worker processes (jobs)")
    parser.add_argument("--timeout", type=float, default=300, help="give up after this many seconds (jobs)")
    parser.add_argument("--clients", type=int, default=4, help="client threads (polls)")
    parser.add_argument("--seconds", type=float, default=10, help="seconds per measurement (polls)")
    args = parser.parse_args()
    os.chdir(REPO)
    results = {}
    for name, fn in (("epochs", epochs), ("jobs", jobs_per_second), ("polls", polls_per_second)):
        if args.what in (name, "all"):
            results[name] = fn(args)
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
