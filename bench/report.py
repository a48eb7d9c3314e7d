"""Figures, their targets, and the Markdown tables the benchmark prints.

The machine is shared and small, so every figure keeps all its samples: the table shows the
median, the spread (min–max) and the statistic the target is about.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Target:
    stat: str  # which statistic is compared: "median", "p95" or "max"
    op: str  # "<=" or ">="
    limit: float

    def met(self, value: float) -> bool:
        return value <= self.limit if self.op == "<=" else value >= self.limit


@dataclass
class Figure:
    name: str
    unit: str
    values: list[float] = field(default_factory=list)
    target: Target | None = None
    target_text: str = "—"
    error: str | None = None  # the measurement broke: the row says why

    def stat(self, name: str) -> float:
        if name == "median":
            return float(np.median(self.values))
        if name == "p95":
            return float(np.percentile(self.values, 95))
        if name == "max":
            return float(np.max(self.values))
        raise ValueError(name)


def number(value: float) -> str:
    """Three significant digits, without exponents for everyday magnitudes."""
    if value is None or not math.isfinite(value):
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def with_unit(value: float, unit: str) -> str:
    return f"{number(value)} {unit}".rstrip()


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows)]

    def line(cells):
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths)) + " |"

    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
                      *(line(r) for r in rows)])


def figure_row(fig: Figure) -> list[str]:
    if fig.error is not None:
        return [fig.name, fig.target_text, "—", "—", "0", f"ERROR: {fig.error}"]
    if not fig.values:
        return [fig.name, fig.target_text, "—", "—", "0", "not measured"]
    spread = f"{number(min(fig.values))}–{number(max(fig.values))}"
    if fig.target is None:
        result = "reference"
    else:
        value = fig.stat(fig.target.stat)
        result = "met" if fig.target.met(value) else "MISSED"
        if fig.target.stat != "median":
            result += f" ({fig.target.stat} {with_unit(value, fig.unit)})"
    return [fig.name, fig.target_text, with_unit(fig.stat("median"), fig.unit), spread,
            str(len(fig.values)), result]


def targets_table(figures: list[Figure]) -> str:
    return markdown_table(["figure", "target", "median", "spread (min–max)", "n", "result"],
                          [figure_row(f) for f in figures])


def spread_cell(values: list[float]) -> str:
    """`median (min–max)` of a list, or — when it is empty."""
    if not values:
        return "—"
    return f"{number(float(np.median(values)))} ({number(min(values))}–{number(max(values))})"


def phases_table(phase_names, columns: dict[str, list[dict]]) -> str:
    """One row per phase; one column per set of runs (title -> runs, each phase name -> ms)."""
    rows = [[name, *(spread_cell([run[name] for run in runs]) for runs in columns.values())]
            for name in phase_names]
    titles = [f"{title}, median (min–max), n={len(runs)}" for title, runs in columns.items()]
    return markdown_table(["phase (ms)", *titles], rows)


def grid_table(cells, skipped) -> str:
    rows = [
        [f"{c.samples:,}", f"{c.epochs:,}", spread_cell(c.seed_us_per_epoch),
         spread_cell(c.trainer_us_per_epoch), spread_cell(c.ratios),
         f"{c.job_peak_mb:.0f} (+{c.job_peak_mb - c.idle_fork_mb:.0f})"]
        for c in cells
    ]
    rows += [[f"{s:,}", f"{e:,}", "skipped: epochs × samples over the app's budget", "", "", ""]
             for s, e in skipped]
    return markdown_table(["samples", "epochs", "seed loop µs/epoch", "train() µs/epoch",
                           "ratio train/seed", "job peak RSS MB (+ over an idle fork)"], rows)


def update_cost_table(costs) -> str:
    rows = [[f"{c.epochs:,}", number(c.snapshot_ms), number(c.serialise_ms), number(c.json_bytes / 1000)]
            for c in costs]
    return markdown_table(["epochs so far", "snapshot ms (median)",
                           "drawing + JSON ms (median)", "JSON KB"], rows)
