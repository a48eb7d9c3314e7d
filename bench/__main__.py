"""`python -m bench` measures the dashboard against its performance targets; `--quick` is a smoke run.

Every browser figure is taken as a learner's browser sees it: a page opened fresh from a URL, the
clock from the click until the chart's data in the page holds the new value. The same figures of a
plain Dash version of the same pages (bench/peer_app.py) are measured in the same run, and the
ratios printed. `--load N` keeps N other processes busy on the CPU meanwhile (the machine as
learners share it); the load average is printed with the tables.

It prints Markdown tables (stdout) and progress notes (stderr). It reports, it does not judge:
the exit status is 0 whether or not targets are met, and 1 only when a measurement broke.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass

import dash
import plotly
import torch
from playwright.sync_api import sync_playwright

from bench import gallery_page, hostile_posts, trainer, training_page
from bench.browser import new_page
from bench.report import (
    Figure,
    Target,
    grid_table,
    phases_table,
    targets_table,
    update_cost_table,
)
from core.activations import ACTIVATIONS, DEFAULT_ACTIVATION
from harness.app_process import AppProcess
from harness.browser import launch
from harness.dash_client import SHORT_RUN, DashTab
from harness.process import REPO_ROOT


@dataclass(frozen=True)
class Plan:
    server_starts: int  # each gives one startup time and one first-run-after-start figure
    warm_runs: int
    stream_seconds: float  # how long a 1,000,000-epoch run streams while its responses are sized
    done_epochs: int
    done_pairs: int  # app run + seed loop, interleaved
    function_changes: int
    drags: int
    drag_seconds: float
    grid_samples: tuple[int, ...]
    grid_epochs: tuple[int, ...]
    grid_reps_short: int  # cells under 10^7 epoch-samples: short and noisy, so more repetitions
    grid_reps_long: int
    extra_cells: tuple[tuple[int, int], ...]  # beyond the grid: the budget's other corner
    update_epochs: tuple[int, ...]  # must include 10**6: the progress-size target is about it
    update_reps: int
    sequential_runs: int  # short runs one after another over HTTP, after the gallery ran torch
    hostile_reps: int  # each hostile post this many times


FULL = Plan(server_starts=3, warm_runs=5, stream_seconds=5, done_epochs=100_000, done_pairs=5,
            function_changes=20, drags=3, drag_seconds=2.0,
            grid_samples=(10**2, 10**4, 10**6), grid_epochs=(10**3, 10**5),
            grid_reps_short=7, grid_reps_long=3, extra_cells=((10**6, 10**2),),
            update_epochs=(10**3, 10**4, 10**5, 10**6), update_reps=20, sequential_runs=100, hostile_reps=3)
QUICK = Plan(server_starts=1, warm_runs=3, stream_seconds=1, done_epochs=2_000, done_pairs=1,
             function_changes=3, drags=1, drag_seconds=1.5,
             grid_samples=(10**2, 10**4), grid_epochs=(10**2, 10**3),
             grid_reps_short=3, grid_reps_long=1, extra_cells=(),
             update_epochs=(10**3, 10**6), update_reps=5, sequential_runs=10, hostile_reps=1)

KB = 1000  # bytes: the stricter reading of "64 KB"


def note(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def make_figures(plan: Plan) -> dict[str, Figure]:
    return {
        "first_warm": Figure("Train click → first point of the loss curve, warm server", "s",
                             target=Target("median", "<=", 0.25), target_text="≤ 0.25 s"),
        "first_warm_peer": Figure("… the plain Dash version, the same", "s"),
        "first_warm_ratio": Figure("… app / plain Dash (medians)", "×",
                                   target=Target("median", "<=", 0.8), target_text="≤ 0.8 ×"),
        "first_cold": Figure("the same, first run after the server starts", "s",
                             target=Target("median", "<=", 1.0), target_text="≤ 1.0 s"),
        "first_cold_peer": Figure("… the plain Dash version, the same", "s"),
        "done_app": Figure(f"{plan.done_epochs:,} epochs, manual, 100 samples: click → Done", "s"),
        "done_job": Figure("… of which the job's own train() time (its status line)", "s"),
        "done_seed": Figure("the seed's bare loop on the same data, in this process", "s"),
        "done_ratio": Figure("app time / seed loop time (each pair)", "×",
                             target=Target("median", "<=", 1.1), target_text="≤ 1.1 ×"),
        "gallery_change": Figure("gallery: choose another function → redrawn curve", "s",
                                 target=Target("p95", "<=", 0.12), target_text="p95 ≤ 0.12 s"),
        "gallery_change_peer": Figure("… the plain Dash version (a callback returning the figure)", "s"),
        "gallery_change_ratio": Figure("… app / plain Dash (p95s)", "×",
                                       target=Target("median", "<=", 1.0), target_text="≤ 1 ×"),
        "slider": Figure("gallery: dragging a parameter slider, redraws per second", "/s",
                         target=Target("median", ">=", 20), target_text="≥ 20 /s"),
        "startup": Figure("`python app.py` → first page served", "s",
                          target=Target("median", "<=", 3.0), target_text="≤ 3 s"),
        "startup_peer": Figure("… the plain Dash version, the same", "s"),
        "update_computed": Figure("progress update of a 1,000,000-epoch run (computed)", "KB",
                                  target=Target("max", "<=", 64), target_text="≤ 64 KB each"),
        "update_observed": Figure("progress responses seen by the browser, 1,000,000-epoch run", "KB",
                                  target=Target("max", "<=", 64), target_text="≤ 64 KB each"),
        "sequential_run": Figure(f"{plan.sequential_runs} short runs one after another (HTTP): Train → Done",
                                 "s", target=Target("median", "<=", 1.2),
                                 target_text="100 in ≤ 2 min (median ≤ 1.2 s)"),
        "hostile_compare": Figure("a post or link naming 20,000 unknown functions → reply (in-process)", "s",
                                  target=Target("max", "<=", 1.0), target_text="≤ 1 s each"),
        "hostile_long": Figure("a ~100 KB string in every value of a post → reply (in-process)", "s",
                               target=Target("max", "<=", 2.0), target_text="≤ 2 s each"),
    }


class Session:
    """The figures being filled, the rest of the report, and whether anything broke."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.figures = make_figures(plan)
        self.grid: list[trainer.GridCell] = []
        self.skipped: list[tuple[int, int]] = []
        self.update_costs: list[trainer.UpdateCost] = []
        self.warm_phases: list[dict] = []
        self.cold_phases: list[dict] = []
        self.first_update_points: list[int] = []
        self.job_rss_mb: float | None = None
        self.drags: list[gallery_page.Drag] = []
        self.change_phases: list[dict] = []  # the app's changes that went through the server
        self.changes_drawn_in_page = 0  # … and those drawn with no request (a ready view)
        self.chromium_version = ""
        self.failures: list[str] = []  # "what: why" of every step that raised

    def attempt(self, what: str, keys: list[str], step) -> bool:
        """Run one measurement step; if it raises, its figures say why and the exit status is 1."""
        note(what)
        try:
            step()
            return True
        except Exception as exc:  # noqa: BLE001 - one broken measurement must not hide the others
            message = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:160]
            for key in keys:
                self.figures[key].error = message
            self.failures.append(f"{what}: {message}")
            note(f"FAILED {what}: {message}")
            traceback.print_exc(file=sys.stderr)
            return False


# --- in-process measurements ------------------------------------------------------------------


def measure_trainer(session: Session) -> None:
    plan = session.plan
    idle_mb = trainer.forked_peak_rss_mb(100, 0)
    cells = [(s, e) for s in plan.grid_samples for e in plan.grid_epochs] + list(plan.extra_cells)
    for samples, epochs in cells:
        if trainer.over_budget(samples, epochs):
            session.skipped.append((samples, epochs))
            continue
        reps = plan.grid_reps_short if samples * epochs < 10**7 else plan.grid_reps_long
        note(f"  trainer: {samples:,} samples × {epochs:,} epochs, {reps} pairs")
        session.grid.append(trainer.measure_cell(samples, epochs, reps, idle_mb))


def measure_update_costs(session: Session) -> None:
    session.update_costs = [trainer.update_cost(e, session.plan.update_reps) for e in session.plan.update_epochs]
    million = next(c for c in session.update_costs if c.epochs == 1_000_000)
    session.figures["update_computed"].values.append(million.json_bytes / KB)


# --- browser measurements ---------------------------------------------------------------------


def measure_in_browser(session: Session) -> None:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        session.chromium_version = chromium.version
        try:
            for index in range(session.plan.server_starts):
                measure_one_server(session, chromium, first=index == 0)
                measure_peer(session, chromium, first=index == 0)
        finally:
            chromium.close()
    figures = session.figures
    for figure, app, peer, stat in (("first_warm_ratio", "first_warm", "first_warm_peer", "median"),
                                    ("gallery_change_ratio", "gallery_change", "gallery_change_peer", "p95")):
        if figures[app].values and figures[peer].values:
            figures[figure].values.append(figures[app].stat(stat) / figures[peer].stat(stat))


def measure_one_server(session: Session, chromium, first: bool) -> None:
    """Start a server; its first run; on the first server also everything that needs it warm."""
    figures = session.figures
    with AppProcess() as server:
        page = new_page(chromium)

        def start_and_first_run():
            figures["startup"].values.append(server.start())
            training_page.open_training(page, server, training_page.LONG_RUN)
            point = training_page.click_to_first_point(page)
            figures["first_cold"].values.append(point.seconds)
            session.first_update_points.append(point.points)
            training_page.stop_run(page, server)
            if (phases := training_page.phases(page, point)) is not None:
                session.cold_phases.append(phases)

        try:
            started = session.attempt("server start and its first run", ["startup", "first_cold"],
                                      start_and_first_run)
            if started and first:
                measure_warm_training(session, server, page)
                session.attempt("gallery: function changes", ["gallery_change"],
                                lambda: measure_function_changes(session, server, page, "gallery_change"))
                session.attempt("gallery: slider drags", ["slider"], lambda: measure_drags(session, server, page))
                session.attempt("training over HTTP: short runs one after another", ["sequential_run"],
                                lambda: measure_sequential_runs(session, server))
        finally:
            page.context.close()


def measure_peer(session: Session, chromium, first: bool) -> None:
    """The same figures of the plain Dash version (bench/peer_app.py), right after the app's."""
    figures = session.figures
    with AppProcess(module="bench.peer_app") as peer:
        page = new_page(chromium)

        def start_and_first_run():
            figures["startup_peer"].values.append(peer.start())
            training_page.open_training(page, peer, training_page.LONG_RUN, peer=True)
            figures["first_cold_peer"].values.append(training_page.click_to_first_point(page).seconds)
            training_page.stop_run(page, peer, peer=True)

        def warm_first_points():
            for _ in range(session.plan.warm_runs):
                training_page.open_training(page, peer, training_page.LONG_RUN, peer=True)
                figures["first_warm_peer"].values.append(training_page.click_to_first_point(page).seconds)
                training_page.stop_run(page, peer, peer=True)

        try:
            started = session.attempt("plain Dash version: start and its first run", ["startup_peer", "first_cold_peer"],
                                      start_and_first_run)
            if started and first:
                session.attempt("plain Dash version: warm first points", ["first_warm_peer"], warm_first_points)
                session.attempt("plain Dash version: function changes", ["gallery_change_peer"],
                                lambda: measure_function_changes(session, peer, page, "gallery_change_peer"))
        finally:
            page.context.close()


def measure_warm_training(session: Session, server, page) -> None:
    figures, plan = session.figures, session.plan

    def warm_first_points():
        for _ in range(plan.warm_runs):
            training_page.open_training(page, server, training_page.LONG_RUN)
            point = training_page.click_to_first_point(page)
            figures["first_warm"].values.append(point.seconds)
            session.first_update_points.append(point.points)
            training_page.stop_run(page, server)
            if (phases := training_page.phases(page, point)) is not None:
                session.warm_phases.append(phases)

    def streamed_responses():
        session.job_rss_mb = training_page.stream_and_sample_job(page, server, plan.stream_seconds)
        sizes = training_page.progress_response_bytes(page)
        if not sizes:
            raise RuntimeError("no progress response was seen")
        figures["update_observed"].values.extend(b / KB for b in sizes)

    def click_to_done_pairs():
        query = f"?approach=manual&epochs={plan.done_epochs}&samples=100&seed={trainer.SEED}"
        for pair in range(plan.done_pairs):
            seed_first = pair % 2 == 1  # alternate the order so load drifts hit both alike
            seed_s = trainer.seed_manual_loop_seconds(100, plan.done_epochs) if seed_first else None
            training_page.open_training(page, server, query)
            app_s, job_s = training_page.click_to_done(page, server, timeout_s=600)
            if not seed_first:
                seed_s = trainer.seed_manual_loop_seconds(100, plan.done_epochs)
            figures["done_app"].values.append(app_s)
            figures["done_job"].values.append(job_s)
            figures["done_seed"].values.append(seed_s)
            figures["done_ratio"].values.append(app_s / seed_s)

    session.attempt("training: warm first points", ["first_warm"], warm_first_points)
    session.attempt("training: a long run's streamed responses", ["update_observed"], streamed_responses)
    session.attempt(f"training: {plan.done_epochs:,} epochs to Done against the seed loop",
                    ["done_app", "done_job", "done_seed", "done_ratio"], click_to_done_pairs)


def measure_function_changes(session: Session, server, page, figure: str) -> None:
    gallery_page.open_gallery(page, server)
    names = [n for n in ACTIVATIONS if n != DEFAULT_ACTIVATION]  # the page opens on the default
    for i in range(session.plan.function_changes):
        choice = gallery_page.choose_function(page, names[i % len(names)])
        session.figures[figure].values.append(choice.seconds)
        if figure == "gallery_change":
            if choice.phases is None:
                session.changes_drawn_in_page += 1
            else:
                session.change_phases.append(choice.phases)


def measure_drags(session: Session, server, page) -> None:
    """ELU's alpha (the target's figure: the page redraws an affine parameter itself), then one
    drag of TReLU's threshold, which every position sends to the server (reported, not judged)."""
    gallery_page.open_gallery(page, server, "?fn=elu")
    for _ in range(session.plan.drags):
        result = gallery_page.drag(page, session.plan.drag_seconds)
        session.drags.append(result)
        session.figures["slider"].values.append(result.redraws_per_second)
    gallery_page.open_gallery(page, server, "?fn=trelu")
    session.drags.append(gallery_page.drag(page, session.plan.drag_seconds, param="thres"))


def measure_sequential_runs(session: Session, server) -> None:
    """Short runs (100 epochs) one after another through `harness.dash_client.DashTab`, after the
    gallery ran torch ops in the server (forks after those must not hang)."""
    tab = DashTab(server.url)
    for name in ("gelu", "elu", "mish", "softplus"):
        tab.draw(name, derivative=True)
    for i in range(session.plan.sequential_runs):
        config = {**SHORT_RUN, "approach": ("manual", "module")[i % 2], "epochs": 100, "seed": 100 + i}
        report = tab.train(config, timeout=60)
        if report.word != "Done":
            raise RuntimeError(f"run {i} ended {report.status!r}")
        session.figures["sequential_run"].values.append(report.seconds)
    if tab.problems:
        raise RuntimeError(f"bad replies: {tab.problems[:3]}")
    training_page.wait_no_jobs(server)


def measure_hostile_posts(session: Session) -> None:
    app = hostile_posts.InProcessApp()
    for _ in range(session.plan.hostile_reps):
        session.figures["hostile_compare"].values.extend(app.seconds(body) for body in app.compare_posts())
        session.figures["hostile_long"].values.extend(app.seconds(body) for body in app.long_string_posts())


# --- the report -------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            model = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (f"{model}, {os.cpu_count()} cores; Python {platform.python_version()}, "
            f"torch {torch.__version__}, dash {dash.__version__}, plotly {plotly.__version__}")


def code_version() -> str:
    """The commit measured, and whether tracked files differed from it (figures depend on both)."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()

    try:
        commit, changes = git("rev-parse", "--short", "HEAD"), git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"commit {commit}" + (" with uncommitted changes" if changes else "")


def render(session: Session, command: str, started: float, load_before: tuple) -> str:
    figures = session.figures
    load_after = os.getloadavg()
    small = sum(1 for n in session.first_update_points if n < 50)
    lines = [
        f"## `{command}`",
        "",
        f"Code: {code_version()}. Machine: {machine()}; Chromium {session.chromium_version or '?'}.",
        f"Load average (1 min) {load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end; "
        f"took {time.perf_counter() - started:.0f} s. KB = 1000 bytes.",
        "",
        *(f"**Measurement broke**: {failure}" for failure in session.failures),
        "",
        "### Targets",
        "",
        targets_table(list(figures.values())),
        "",
        f"First drawn update of a run carried fewer than 50 points (the job's first report) in "
        f"{small} of {len(session.first_update_points)} runs.",
    ]
    for d in session.drags:
        lines.append(f"Slider drag of {d.param}: {d.moves} mouse moves, {d.redraws} redraws seen "
                     f"({d.redraws_per_second:.1f}/s) and {d.responses} server answers received "
                     "while the button was down.")
    if session.job_rss_mb is not None:
        lines.append(f"A real job's RSS while streaming (forked from the server, sampled): "
                     f"{session.job_rss_mb:.0f} MB at most.")
    lines += [
        "",
        "### Click → first point: where the time goes (from the page's own fetch log)",
        "",
        phases_table(training_page.PHASES, {"warm server": session.warm_phases,
                                            "first run after start": session.cold_phases}),
        "",
        "### Gallery function change: where the time goes",
        "",
        f"{session.changes_drawn_in_page} of "
        f"{session.changes_drawn_in_page + len(session.change_phases)} changes were drawn by the "
        "page from its ready views, with no request to the server.",
        *(["", phases_table(gallery_page.CHANGE_PHASES, {"through the server": session.change_phases})]
          if session.change_phases else []),
        "",
        "### How cost grows: `train()` against the seed's loop (manual approach, one torch thread)",
        "",
        grid_table(session.grid, session.skipped),
        "",
        "### How cost grows: one streamed update",
        "",
        update_cost_table(session.update_costs),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run (under a minute)")
    parser.add_argument("--load", type=int, default=0, metavar="N",
                        help="keep N other processes busy on the CPU while measuring (e.g. 1: one core)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    torch.set_num_threads(1)  # as in the app's jobs; and no thread pool exists when children fork
    command = "python -m bench" + (" --quick" if args.quick else "") + (f" --load {args.load}" if args.load else "")
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.load)]
    started, load_before = time.perf_counter(), os.getloadavg()
    session = Session(plan)
    try:
        measure_everything(session)
    finally:
        for process in busy:
            process.kill()
            process.wait()
    print(render(session, command, started, load_before))
    return 1 if session.failures else 0


def measure_everything(session: Session) -> None:
    # In-process work first, while no server or browser competes for the two cores.
    session.attempt("trainer against the seed loop, and job memory", [], lambda: measure_trainer(session))
    session.attempt("cost of one streamed update", ["update_computed"], lambda: measure_update_costs(session))
    session.attempt("browser", [], lambda: measure_in_browser(session))
    # Last: it imports the app into this process.
    session.attempt("hostile posts, in-process", ["hostile_compare", "hostile_long"],
                    lambda: measure_hostile_posts(session))


if __name__ == "__main__":
    sys.exit(main())
